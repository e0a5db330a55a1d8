"""Tensor ops, each a forward and its backward side by side.

In every ``backward``, ``g`` is d(loss)/d(output), the *upstream* gradient; the
returned values are d(loss)/d(input) = g times the local derivative.  Inputs that are
plain numbers get ``None``.  Broadcasting is undone afterwards, once, by
``tensor.unbroadcast``, so these rules are written as if no broadcasting happened.

``saves`` names the inputs whose arrays ``backward`` reads (by default all of them) and
``saves_output`` whether it reads its output: changing those arrays before ``backward()``
is reported (``inplace.py``).  Ops that can return a view of their input (reshape,
transpose, slicing) keep the default, because a later op may save that view.
"""

from __future__ import annotations

import math
import numbers

from . import backend
from .tensor import Function, Tensor


def _broadcast_error(op: str, a, b):
    shape = lambda x: tuple(getattr(x, "shape", ()))  # noqa: E731
    return ValueError(
        f"{op}: shapes {shape(a)} and {shape(b)} cannot be broadcast together. Sizes must be "
        "equal or 1 when aligned from the right; use reshape to add a size-1 axis."
    )


# ---------------------------------------------------------------- arithmetic


class AddFn(Function):
    saves = ()

    def forward(self, a, b):
        try:
            return a + b
        except ValueError:
            raise _broadcast_error("+", a, b) from None

    def backward(self, g):
        return g, g


class SubFn(Function):
    saves = ()

    def forward(self, a, b):
        try:
            return a - b
        except ValueError:
            raise _broadcast_error("-", a, b) from None

    def backward(self, g):
        return g, -g if self.needs_grad[1] else None


class MulFn(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            raise _broadcast_error("*", a, b) from None

    def backward(self, g):
        return (g * self.b if self.needs_grad[0] else None,
                g * self.a if self.needs_grad[1] else None)


class DivFn(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a / b
        except ValueError:
            raise _broadcast_error("/", a, b) from None

    def backward(self, g):
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2
        return (g / self.b if self.needs_grad[0] else None,
                -g * self.a / (self.b * self.b) if self.needs_grad[1] else None)


class NegFn(Function):
    saves = ()

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class PowFn(Function):
    saves_output = True

    def forward(self, a, b):
        positive = a > 0
        if self.needs_grad[1] and not (positive if isinstance(positive, bool) else positive.all()):
            raise ValueError("x ** y with a tensor exponent that needs a gradient requires a "
                             "positive base (the gradient is x**y * log(x)).")
        try:
            self.a, self.b, self.out = a, b, a**b
        except ValueError:
            raise _broadcast_error("**", a, b) from None
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        # d(a^b)/da = b * a^(b-1),  d(a^b)/db = a^b * log(a)
        if self.needs_grad[0]:
            ga = g * b * a ** (b - 1)
        if self.needs_grad[1]:
            log_a = backend.array_module(self.out).log(a) if hasattr(a, "shape") else math.log(a)
            gb = g * self.out * log_a
        return ga, gb


class MatMulFn(Function):
    """a @ b; for matrices, d/da = g @ b.T and d/db = a.T @ g."""

    def forward(self, a, b):
        if getattr(a, "ndim", 0) == 0 or getattr(b, "ndim", 0) == 0:
            raise ValueError("@ needs tensors with at least one axis; use * for scalars.")
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ValueError(
                f"@: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit: the last axis of the "
                f"left ({a.shape[-1]}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
                f"axis of the right ({inner_b}). Transpose one of them (.T)?"
            )
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        xp = backend.array_module(g)
        if a.ndim == 1 and b.ndim == 1:  # dot product: d/da = g * b, d/db = g * a
            return g * b, g * a
        # Treat vectors as 1-row / 1-column matrices, then drop that axis again.
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_grad[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if self.needs_grad[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb


# ---------------------------------------------------------------- elementwise functions


class ExpFn(Function):
    saves = ()
    saves_output = True

    def forward(self, a):
        self.out = backend.array_module(a).exp(a)
        return self.out

    def backward(self, g):
        return (g * self.out,)  # d e^a / da = e^a


class LogFn(Function):
    def forward(self, a):
        # On a GPU the check is queued, not read: reading it would make every step wait
        backend.check_later(~(a > 0).all(), lambda: ValueError(
            "log of zero or negative values. If these are probabilities, use log_softmax / "
            "cross_entropy, or clip them away from 0."))
        self.a = a
        return backend.array_module(a).log(a)

    def backward(self, g):
        return (g / self.a,)


class TanhFn(Function):
    saves = ()
    saves_output = True

    def forward(self, a):
        self.out = backend.array_module(a).tanh(a)
        return self.out

    def backward(self, g):
        return (g * (1 - self.out * self.out),)


class SigmoidFn(Function):
    saves = ()
    saves_output = True

    def forward(self, a):
        self.out = stable_sigmoid(a)
        return self.out

    def backward(self, g):
        return (g * self.out * (1 - self.out),)


def stable_sigmoid(a):
    """1/(1 + e^-a) for a >= 0 and e^a/(1 + e^a) for a < 0, in the array's own dtype.

    e^-|a| never overflows, and far left the result keeps its digits (sigmoid(-20) is
    2.06e-9, where 1/(1 + e^20) in float32 or 0.5(1 + tanh(a/2)) would round to 0).
    """
    xp = backend.array_module(a)
    e = xp.exp(-xp.abs(a))
    r = 1 / (1 + e)
    return xp.where(a >= 0, r, e * r)


class ReLUFn(Function):
    saves = ()

    def forward(self, a):
        xp = backend.array_module(a)
        # "not a <= 0" rather than "a > 0": a NaN passes its gradient on, as in PyTorch
        self.mask = xp.logical_not(a <= 0)
        # max(a, 0) and not a * mask: -inf * 0 is NaN, and relu(-inf) is 0
        return xp.maximum(a, 0)

    def backward(self, g):
        return (g * self.mask,)  # slope 1 where a > 0 (or NaN), else 0 (0 at a = 0, as PyTorch)


class AbsFn(Function):
    saves = ()

    def forward(self, a):
        self.sign = backend.array_module(a).sign(a)
        return a * self.sign

    def backward(self, g):
        return (g * self.sign,)


class ClipFn(Function):
    saves = ()

    def forward(self, a, low=None, high=None):
        xp = backend.array_module(a)
        self.mask = xp.ones(a.shape, dtype=bool)
        out = a
        if low is not None:
            self.mask &= a >= low
            out = xp.maximum(out, low)
        if high is not None:
            self.mask &= a <= high
            out = xp.minimum(out, high)
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        return (g * self.mask,)  # gradient passes only where the value was not clipped


# ---------------------------------------------------------------- softmax and GELU


def axis_ok(axis: int, ndim: int) -> int:
    """``axis`` if it is a whole number that names an axis of an ``ndim``-axis tensor."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be a whole number, got {axis!r}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor with {ndim} axes.")
    return axis


class SoftmaxFn(Function):
    saves = ()
    saves_output = True

    def forward(self, a, axis=-1):
        xp = backend.array_module(a)
        self.axis = axis_ok(axis, a.ndim)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))  # shifting by the max avoids overflow
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, g):
        # Jacobian-vector product of softmax: s * (g - sum(g * s))
        s = self.out
        return (s * (g - (g * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmaxFn(Function):
    saves = ()
    saves_output = True

    def forward(self, a, axis=-1):
        xp = backend.array_module(a)
        self.axis = axis_ok(axis, a.ndim)
        shifted = a - a.max(axis=axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        return self.out

    def backward(self, g):
        xp = backend.array_module(g)
        return (g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, computed without overflow."""
    return SoftmaxFn.apply(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed as x - logsumexp(x) (no log of 0)."""
    return LogSoftmaxFn.apply(x, axis=axis)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELUTanhFn(Function):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Written as PyTorch writes it, so both round alike: far left (x < -5 in float32) the
    result is 0 where the exact value is below 1e-7 of x, as in PyTorch.
    """

    def forward(self, a):
        xp = backend.array_module(a)
        self.a = a
        self.t = xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * (a * a * a)))  # x*x*x: pow is slow
        return 0.5 * a * (1 + self.t)

    def backward(self, g):
        a, t = self.a, self.t
        inner_slope = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
        return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner_slope),)


class GELUExactFn(Function):
    """GELU, exact: x * Phi(x), with Phi the standard normal CDF."""

    def forward(self, a):
        xp = backend.array_module(a)
        self.a = a
        # Phi(x) = erfc(-x/sqrt 2)/2: 1 + erf(x/sqrt 2) would cancel to 0 for very negative x
        self.cdf = 0.5 * backend.erfc(a * -(1 / math.sqrt(2.0)))
        self.pdf = xp.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return a * self.cdf

    def backward(self, g):
        return (g * (self.cdf + self.a * self.pdf),)


def gelu(x: Tensor, approximate: str = "tanh") -> Tensor:
    """Gaussian error linear unit.  ``approximate="tanh"`` (the default here, as in GPT-2)
    is fast; ``"none"`` is the exact erf form, PyTorch's default.  They differ by < 1e-3."""
    if approximate == "tanh":
        return GELUTanhFn.apply(x)
    if approximate == "none":
        return GELUExactFn.apply(x)
    raise ValueError(f"approximate must be 'tanh' or 'none', got {approximate!r}.")


# ---------------------------------------------------------------- reductions


def _axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    for ax in axes:
        if isinstance(ax, bool) or not isinstance(ax, numbers.Integral):
            raise TypeError(f"axis must be a whole number or a tuple of them, got {axis!r}.")
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor with {ndim} axes.")
    return tuple(sorted(ax % ndim for ax in axes)) if ndim else ()


def _expand_back(g, axes: tuple, keepdims: bool):
    """Give a reduced gradient its size-1 axes back, so it broadcasts against the input."""
    return g if keepdims or not axes else backend.array_module(g).expand_dims(g, axes)


class SumFn(Function):
    saves = ()

    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, g):
        xp = backend.array_module(g)
        return (xp.broadcast_to(_expand_back(g, self.axes, self.keepdims), self.shape),)


class MeanFn(Function):
    saves = ()

    def forward(self, a, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = a.shape, _axes(axis, a.ndim), keepdims
        self.count = 1
        for ax in self.axes:
            self.count *= a.shape[ax]
        if self.count == 0:
            raise ValueError(f"mean over an empty axis of a tensor with shape {tuple(a.shape)}.")
        return a.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, g):
        xp = backend.array_module(g)
        g = _expand_back(g, self.axes, self.keepdims) / self.count
        return (xp.broadcast_to(g, self.shape),)


class MaxFn(Function):
    saves = ()

    def forward(self, a, axis=None, keepdims=False):
        self.axes, self.keepdims = _axes(axis, a.ndim), keepdims
        out = a.max(axis=self.axes, keepdims=True)
        self.mask = a == out
        self.count = self.mask.sum(axis=self.axes, keepdims=True)
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape)
                                                 if i not in self.axes])

    def backward(self, g):
        # The gradient goes to the maximum; tied maxima share it equally.
        return (_expand_back(g, self.axes, self.keepdims) * self.mask / self.count,)


# ---------------------------------------------------------------- shapes and indexing


class ReshapeFn(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"Cannot reshape a tensor of shape {tuple(a.shape)} ({a.size} "
                             f"elements) into {shape}: sizes must be whole numbers whose product "
                             "is the number of elements (one may be -1).") from None

    def backward(self, g):
        return (g.reshape(self.shape),)


class TransposeFn(Function):
    def forward(self, a, axes=None):
        self.axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(ax % a.ndim for ax in axes)
        if sorted(self.axes) != list(range(a.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of {a.ndim} axes.")
        return a.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return (g.transpose(inverse),)


def _is_advanced(index) -> bool:
    if isinstance(index, tuple):
        return any(_is_advanced(i) for i in index)
    return hasattr(index, "shape") or isinstance(index, list)


class GetItemFn(Function):
    """x[index]: slices, integers, integer arrays and boolean masks.

    The index arrives on the input's device with its integer arrays checked against the
    input's shape (``convert.device_index``, or the caller, as ``Embedding`` does): CuPy would
    silently wrap an index that is out of range.
    """

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as exc:
            raise IndexError(f"Index {index!r} does not fit a tensor of shape {tuple(a.shape)}: "
                             f"{exc}") from None

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        if _is_advanced(self.index):
            backend.scatter_add(grad, self.index, g, checked=True)  # repeated indices add up
        else:
            grad[self.index] = g
        return (grad,)


class ToDeviceFn(Function):
    saves = ()

    def forward(self, a, device):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, g):
        return (backend.to_device(g, self.source),)
