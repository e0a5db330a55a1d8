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

import numbers

import numpy as np

from .scalar import Value

__all__ = ["mse", "cross_entropy", "binary_cross_entropy_with_logits"]


def _is_tensor(x) -> bool:
    return getattr(x, "_is_tensor", False)


def _as_list(x, name: str) -> list:
    if isinstance(x, (Value, numbers.Real)):
        return [x]
    if isinstance(x, np.ndarray):
        return list(x.reshape(-1))
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{name} must be a Value, a number or a list of them; got {type(x).__name__}.")


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
    preds = _flatten_nested(_as_list(pred, "predictions"))
    targets = _flatten_nested(_as_list(target, "targets"))
    _check_same_length(preds, targets, loss)
    return preds, targets


def mse(pred, target):
    """Mean squared error: mean of (pred - target)^2 over every element.

    Scalar mode: ``pred`` is a Value or a (nested) list of Values, ``target`` numbers of
    the same length.  Tensor mode: ``pred`` a Tensor, ``target`` a Tensor or array of
    the same shape.
    """
    if _is_tensor(pred):
        from .functional import mse_tensor

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
    if _is_tensor(logits):
        from .functional import cross_entropy_tensor

        return cross_entropy_tensor(logits, targets)
    logits = list(logits)
    if logits and not isinstance(logits[0], (list, tuple)):
        logits, targets = [logits], [targets]
    targets = _as_list(targets, "targets")
    _check_same_length(logits, targets, "cross_entropy")
    total = 0.0
    for row, t in zip(logits, targets):
        row = list(row)
        t = _check_class_index(t, len(row))
        total = (_log_sum_exp(row) - row[t]) + total
    return total * (1.0 / len(logits))


def binary_cross_entropy_with_logits(scores, targets):
    """Two-class cross-entropy from one raw score per sample, targets 0 or 1.

    Uses the stable form max(s, 0) - s*y + log(1 + exp(-|s|)).
    """
    if _is_tensor(scores):
        from .functional import bce_with_logits_tensor

        return bce_with_logits_tensor(scores, targets)
    scores, targets = _paired(scores, targets, "binary_cross_entropy_with_logits")
    total = 0.0
    for s, y in zip(scores, targets):
        s = s if isinstance(s, Value) else Value(s)
        y = float(y)
        if y not in (0.0, 1.0) and not 0.0 < y < 1.0:
            raise ValueError(f"binary cross-entropy targets must lie in [0, 1]; got {y}.")
        # |s| written with relu so the gradient flows: |s| = relu(s) + relu(-s)
        abs_s = s.relu() + (-s).relu()
        term = s.relu() - s * y + ((-abs_s).exp() + 1.0).log()
        total = term + total
    return total * (1.0 / len(scores))
