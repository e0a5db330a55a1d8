"""Running a model on a batch and reading classes off its outputs, in either mode.

Scalar-mode models take one sample at a time (``model(list(x))``) and return a Value
or a list of Values; tensor-mode models take the whole batch as a Tensor.  Training,
accuracy and the decision-boundary picture all go through these helpers.
"""

from __future__ import annotations

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["is_scalar_model", "forward_batch", "classes_from_outputs"]


def is_scalar_model(model) -> bool:
    """True when the model's parameters are Values (scalar mode)."""
    params = model.parameters()
    return bool(params) and not isinstance(params[0], Tensor)


def forward_batch(model, X, scalar_mode: bool | None = None):
    """The model's outputs for every row of ``X``: a list of Values or a Tensor."""
    if scalar_mode is None:
        scalar_mode = is_scalar_model(model)
    if scalar_mode:
        X = backend.to_host(X)
        return [model(list(x)) for x in X]
    if not isinstance(X, Tensor):
        like = model.parameters()[0]
        X = Tensor(X, dtype=like.dtype, device=like.device)
    return model(X)


def classes_from_outputs(outputs) -> np.ndarray:
    """Predicted classes: argmax of several outputs per sample, or (one score) score > 0."""
    if isinstance(outputs, Tensor):
        scores = outputs.numpy()
    else:
        scores = np.array([[o.data] if not isinstance(o, list) else [v.data for v in o] for o in outputs])
    scores = scores.reshape(len(scores), -1)
    return (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else scores.argmax(axis=1)
