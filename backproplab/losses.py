"""Loss functions for both modes: one number that says how wrong the predictions are.

``mse``            mean squared error, for regression: punishes big misses quadratically.
``cross_entropy``  softmax + negative log-likelihood, for classification: punishes a
                   confident wrong answer without bound.
``binary_cross_entropy_with_logits``  the two-class case from one score per sample.

Each takes scalar-mode ``Value``s (a Value, a list of Values, or a list of such lists
for a batch) or a tensor-mode ``Tensor``, and returns the same kind.  Losses are
averaged over the batch, as PyTorch's default ``reduction="mean"``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functional import bce_with_logits_tensor, cross_entropy_tensor, mse_tensor
from .scalar import Value, _new
from .tensor import Tensor

__all__ = ["mse", "cross_entropy", "binary_cross_entropy_with_logits"]


def _as_list(x, name: str) -> list:
    if isinstance(x, (Value, numbers.Real)):
        return [x]
    if isinstance(x, Tensor):  # constant targets may come as a tensor; they carry no gradient
        if x.requires_grad:
            raise TypeError(f"Scalar-mode {name} cannot be a Tensor that requires grad: gradients "
                            "cannot flow between tensor mode and scalar mode. Pick one mode.")
        x = x.numpy()
    if isinstance(x, np.ndarray):
        return list(x.reshape(-1))
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{name} must be a Value, a number or a list of them; got {type(x).__name__}.")


def _layout(x) -> tuple:
    """The shape of nested lists (or an array), without its size-1 axes; None if ragged."""
    if isinstance(x, Tensor) or isinstance(x, np.ndarray):
        shape = tuple(x.shape)
    elif isinstance(x, (list, tuple)):
        inner = {_layout(item) for item in x}
        if len(inner) > 1 or None in inner:
            return None
        shape = (len(x),) + (inner.pop() if inner else ())
    else:
        shape = ()
    return tuple(n for n in shape if n != 1)


def _check_same_length(pred: list, target: list, loss: str) -> None:
    if len(pred) != len(target):
        raise ValueError(
            f"{loss}: {len(pred)} predictions but {len(target)} targets. "
            "Each prediction needs exactly one target."
        )
    if not pred:
        raise ValueError(f"{loss}: no predictions given (empty batch).")


def _flatten_nested(x) -> list:
    out = []
    for item in x:
        if isinstance(item, (list, tuple)):
            out.extend(_flatten_nested(item))
        else:
            out.append(item)
    return out


def _paired(pred, target, loss: str) -> tuple[list, list]:
    """Predictions and targets as two flat lists of equal, non-zero length."""
    pred_list, target_list = _as_list(pred, "predictions"), _as_list(target, "targets")
    preds, targets = _flatten_nested(pred_list), _flatten_nested(target_list)
    _check_same_length(preds, targets, loss)
    known = (list, tuple, np.ndarray, Value, numbers.Real)  # other iterables: use the list made
    known = known + (Tensor,)
    pred_layout = _layout(pred if isinstance(pred, known) else pred_list)
    target_layout = _layout(target if isinstance(target, known) else target_list)
    if pred_layout != target_layout:  # e.g. 2 samples x 2 outputs against 4 targets in a row
        raise ValueError(f"{loss}: the predictions are laid out as {pred_layout or 'one value'} but "
                         f"the targets as {target_layout or 'one value'}. Give each prediction its "
                         "target in the same nesting (one list per sample).")
    return preds, targets


def mse(pred, target):
    """Mean squared error: mean of (pred - target)^2 over every element.

    Scalar mode: ``pred`` is a Value or a (nested) list of Values, ``target`` numbers of
    the same length.  Tensor mode: ``pred`` a Tensor, ``target`` a Tensor or array of
    the same shape.
    """
    if isinstance(pred, Tensor):
        return mse_tensor(pred, target)
    preds, targets = _paired(pred, target, "mse")
    total = 0.0
    for p, t in zip(preds, targets):
        diff = p - t
        total = diff * diff + total
    return total * (1.0 / len(preds))


def _log_sum_exp(logits: list) -> Value:
    """log(sum(exp(z))) computed as m + log(sum(exp(z - m))) with m = max(z): no overflow.

    m is a constant (a plain number), so it does not change the gradient.
    """
    m = max(z.data if isinstance(z, Value) else float(z) for z in logits)
    total = 0.0
    for z in logits:
        total = (z - m).exp() + total
    return total.log() + m


def _check_class_index(t, n_classes: int) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        if isinstance(t, numbers.Real) and float(t).is_integer():
            t = int(t)
        else:
            raise TypeError(f"cross_entropy: class index {t!r} is not an integer.")
    t = int(t)
    if not 0 <= t < n_classes:
        raise IndexError(
            f"cross_entropy: class index {t} is outside 0..{n_classes - 1} "
            f"({n_classes} logits per sample)."
        )
    return t


def cross_entropy(logits, targets):
    """Softmax cross-entropy: mean over samples of -log softmax(logits)[target].

    Scalar mode: ``logits`` is a list of Values for one sample (with ``targets`` one
    class index) or a list of such lists (with a list of indices).  Tensor mode:
    ``logits`` is a (batch, classes) Tensor, ``targets`` class indices as a list,
    integer array or integer Tensor.  Computed through log-sum-exp, so large logits
    neither overflow nor give log(0).
    """
    if isinstance(logits, Tensor):
        return cross_entropy_tensor(logits, targets)
    logits = list(logits)
    if logits and not isinstance(logits[0], (list, tuple)):
        logits, targets = [logits], [targets]
    targets = _as_list(targets, "targets")
    _check_same_length(logits, targets, "cross_entropy")
    widths = {len(row) for row in logits}
    if len(widths) > 1:
        raise ValueError(f"cross_entropy: the samples have different numbers of logits {sorted(widths)}; "
                         "every sample needs one logit per class.")
    total = 0.0
    for row, t in zip(logits, targets):
        row = list(row)
        t = _check_class_index(t, len(row))
        total = (_log_sum_exp(row) - row[t]) + total
    return total * (1.0 / len(logits))


def binary_cross_entropy_with_logits(scores, targets):
    """Two-class cross-entropy from one raw score per sample, targets 0 or 1.

    Uses the stable form max(s, 0) - s*y + log(1 + exp(-|s|)); its derivative toward the
    score is sigmoid(s) - y (in scalar mode one node per sample with that local derivative).
    """
    if isinstance(scores, Tensor):
        return bce_with_logits_tensor(scores, targets)
    scores, targets = _paired(scores, targets, "binary_cross_entropy_with_logits")
    total = 0.0
    for s, y in zip(scores, targets):
        s = s if isinstance(s, Value) else Value(s)
        y = float(y)
        if y not in (0.0, 1.0) and not 0.0 < y < 1.0:
            raise ValueError(f"binary cross-entropy targets must lie in [0, 1]; got {y}.")
        total = _bce_node(s, y) + total
    return total * (1.0 / len(scores))


def _bce_node(s: Value, y: float) -> Value:
    """One sample's loss as one node; local derivative sigmoid(s) - y (correct at s = 0 too)."""
    x = s.data
    e = math.exp(-abs(x))
    loss = max(x, 0.0) - x * y + math.log1p(e)
    sigmoid = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    return _new(loss, "bce", s, sigmoid - y)
