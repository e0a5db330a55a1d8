"""Tensor ops that take more than one line: linear layers, losses, joins (and, from ops.py, softmax and GELU).

Each is a ``Function`` with its forward and backward side by side, or a short
composition of ops whose gradients the engine already knows.
"""

from __future__ import annotations

import math

from . import backend
from .convert import host_array, operand
from .ops import axis_ok, gelu, log_softmax, softmax, stable_sigmoid
from .tensor import Function, Tensor

# softmax, log_softmax and gelu live in ops.py, beside the other ops a Tensor method calls;
# they are exported here too, with the other functions of the functional interface.
__all__ = ["softmax", "log_softmax", "gelu", "where", "concatenate", "stack", "linear",
           "mse_tensor", "cross_entropy_tensor", "bce_with_logits_tensor"]


class WhereFn(Function):
    saves = ()

    def forward(self, a, b, condition=None):
        self.condition = condition
        return backend.array_module(condition).where(condition, a, b)

    def backward(self, g):
        zero = g * 0
        return (backend.array_module(g).where(self.condition, g, zero) if self.needs_grad[0] else None,
                backend.array_module(g).where(self.condition, zero, g) if self.needs_grad[1] else None)


def where(condition, a, b) -> Tensor:
    """Elementwise ``a`` where ``condition`` is true, else ``b``; the gradient follows the choice."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        like = Tensor(a)
    cond = condition._data if isinstance(condition, Tensor) else backend.to_device(condition, like.device)
    if cond.dtype.kind != "b":
        raise TypeError(f"where needs a boolean condition, got dtype {cond.dtype}.")
    return WhereFn.apply(operand(a, like), operand(b, like), condition=cond)


class ConcatenateFn(Function):
    saves = ()

    def forward(self, *arrays, axis=0):
        xp = backend.array_module(arrays[0])
        self.axis = axis
        self.splits = []
        total = 0
        for a in arrays[:-1]:
            total += a.shape[axis]
            self.splits.append(total)
        try:
            return xp.concatenate(arrays, axis=axis)
        except ValueError as exc:
            shapes = [tuple(a.shape) for a in arrays]
            raise ValueError(f"concatenate along axis {axis}: shapes {shapes} differ off that axis "
                             f"({exc}).") from None

    def backward(self, g):
        return tuple(backend.array_module(g).split(g, self.splits, axis=self.axis))


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors end to end along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate needs at least one tensor.")
    return ConcatenateFn.apply(*[operand(t, tensors[0]) for t in tensors], axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor.")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}.")
    ndim = tensors[0].ndim + 1
    axis = axis_ok(axis, ndim) % ndim
    return concatenate([t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors], axis)


class LinearFn(Function):
    """y = x @ W.T + b in one node: d/dx = g @ W, d/dW = g.T @ x, d/db = sum of g."""

    saves = (0, 1)

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(f"Linear layer expects inputs with {weight.shape[1]} features (last "
                             f"axis), got shape {tuple(x.shape)}.")
        self.x, self.weight = x, weight
        # Inputs of shape (..., in) go through as one (rows, in) matrix: one BLAS call, which
        # can use every thread, where a stack of small products would run one after another.
        rows = math.prod(x.shape[:-1])
        out = (x.reshape(rows, x.shape[-1]) @ weight.T).reshape(*x.shape[:-1], weight.shape[0])
        return out if bias is None else out + bias

    def backward(self, g):
        rows = math.prod(g.shape[:-1])
        x2 = self.x.reshape(rows, self.x.shape[-1])
        g2 = g.reshape(rows, g.shape[-1])
        gx = (g2 @ self.weight).reshape(self.x.shape) if self.needs_grad[0] else None
        gw = g2.T @ x2 if self.needs_grad[1] else None
        gb = g2.sum(axis=0) if len(self.needs_grad) > 2 and self.needs_grad[2] else None
        return gx, gw, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map of a dense layer, x @ weight.T + bias (weight has shape (out, in))."""
    return LinearFn.apply(x, weight) if bias is None else LinearFn.apply(x, weight, bias)


# ---------------------------------------------------------------- losses (tensor mode)


def _target_tensor(target, like: Tensor, loss: str) -> Tensor:
    """Targets as a tensor of ``like``'s dtype and device (they are data, not parameters)."""
    if not isinstance(target, Tensor):  # arrays already on the device stay there (no round trip)
        return Tensor(target, dtype=like.dtype, device=like.device)
    if target.device != like.device:
        raise backend.DeviceError(f"{loss}: predictions on '{like.device}', targets on "
                                  f"'{target.device}'. Move one with .to(...).")
    if target.dtype != like.dtype and not target.requires_grad:
        return Tensor(target._data, dtype=like.dtype)  # int or float64 labels: no dtype surprise
    return target


def _check_same_shape(pred: Tensor, target: Tensor, loss: str, names: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"{loss}: {names[0]} shape {pred.shape} and target shape {target.shape} differ. "
            f"Broadcasting them would compare every {names[1]} with every target; reshape one "
            f"(e.g. target.reshape{pred.shape})."
        )
    if pred.size == 0:
        raise ValueError(f"{loss}: no predictions given (empty batch).")


def mse_tensor(pred: Tensor, target) -> Tensor:
    """Mean of (pred - target)^2; the shapes must match exactly."""
    target = _target_tensor(target, pred, "mse")
    _check_same_shape(pred, target, "mse", ("prediction", "prediction"))
    diff = pred - target
    return (diff * diff).mean()


class CrossEntropyFn(Function):
    """mean_i [logsumexp(z_i) - z_i[t_i]]; its gradient is (softmax(z) - onehot(t)) / N."""

    saves = ()

    def forward(self, logits, targets=None):
        xp = backend.array_module(logits)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        self.rows = xp.arange(len(targets))
        self.targets, self.log_probs = targets, log_probs
        return -log_probs[self.rows, targets].mean()

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.exp(self.log_probs)
        grad[self.rows, self.targets] -= 1
        return (grad * (g / len(self.targets)),)


def _class_indices(targets, logits: Tensor):
    """The targets as an integer array: host data stays on the host until it has been checked."""
    if isinstance(targets, Tensor):
        indices = targets._data
        if targets.device != logits.device:
            raise backend.DeviceError(f"cross_entropy: logits on '{logits.device}', targets on "
                                      f"'{targets.device}'. Move one with .to(...).")
    elif hasattr(targets, "shape") and backend.device_of(targets) != "cpu":
        indices = backend.to_device(targets, logits.device)
    else:
        indices = host_array(targets)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy targets must be integer class indices, got dtype {indices.dtype}. "
                        "For probabilities or one-hot rows, convert with argmax first; for class "
                        "numbers stored as floats, convert with .astype(int).")
    return indices


def cross_entropy_tensor(logits: Tensor, targets) -> Tensor:
    """Softmax cross-entropy for logits of shape (..., classes) and integer targets (...)."""
    shape = logits._data.shape
    if not shape or shape[-1] == 0:
        raise ValueError(f"cross_entropy needs logits of shape (batch, classes); got {tuple(shape)}.")
    indices = _class_indices(targets, logits)
    n_classes, batch_shape = shape[-1], tuple(shape[:-1])
    if indices.shape != batch_shape:
        _wrong_targets(tuple(shape), tuple(indices.shape))
    if indices.size == 0:
        raise ValueError("cross_entropy: no predictions given (empty batch).")
    if indices.ndim != 1:
        indices = indices.reshape(-1)
    # Checked where the targets are: on the host before they move (free), on a GPU without
    # waiting for it (an index out of range would silently pick another logit there).
    backend.check_range(indices, 0, n_classes - 1, lambda bad: IndexError(
        f"cross_entropy: class index {bad} is outside 0..{n_classes - 1} ({n_classes} logits per sample)."))
    flat = logits.reshape(-1, n_classes) if len(shape) != 2 else logits
    return CrossEntropyFn.apply(flat, targets=backend.to_device(indices, logits.device))


def _wrong_targets(shape: tuple, given: tuple):
    rows, count = math.prod(shape[:-1]), math.prod(given)
    if rows != count:
        raise ValueError(f"cross_entropy: {rows} predictions but {count} targets. "
                         "Each row of logits needs exactly one class index.")
    raise ValueError(
        f"cross_entropy: logits of shape {shape} need targets of shape {shape[:-1]} (one class "
        f"index per row; the classes are the last axis), got {given}. "
        + ("Flatten them: targets.reshape(-1)." if len(shape) == 2 else
           "Check that the batch axes of logits and targets are in the same order.")
    )


class BCEWithLogitsFn(Function):
    """mean of max(s, 0) - s*y + log(1 + e^-|s|); its gradient is (sigmoid(s) - y) / N.

    One node rather than a composition of relu and abs, whose slopes at s = 0 would both be
    0 and give a gradient of -y there instead of 0.5 - y.  log1p keeps the digits of a
    small loss (a confident right answer) that log(1 + tiny) would round to 0.
    """

    def forward(self, scores, targets):
        xp = backend.array_module(scores)
        self.scores, self.targets = scores, targets
        loss = xp.maximum(scores, 0) - scores * targets + xp.log1p(xp.exp(-xp.abs(scores)))
        return loss.mean()

    def backward(self, g):
        g = g / self.scores.size
        return ((stable_sigmoid(self.scores) - self.targets) * g if self.needs_grad[0] else None,
                -self.scores * g if self.needs_grad[1] else None)  # targets may be learned, as in torch


def bce_with_logits_tensor(scores: Tensor, targets) -> Tensor:
    """Binary cross-entropy from raw scores (see ``BCEWithLogits``), averaged."""
    loss = "binary cross-entropy"
    targets = _target_tensor(targets, scores, loss)
    if targets.dtype.kind != "f":
        targets = Tensor(targets._data, dtype=scores.dtype)
    _check_same_shape(scores, targets, loss, ("scores", "score"))
    t = targets._data
    backend.check_later(~((t >= 0) & (t <= 1)).all(), lambda: ValueError(
        "binary cross-entropy targets must lie in [0, 1] (NaN is not allowed)."))
    return BCEWithLogitsFn.apply(scores, targets)
