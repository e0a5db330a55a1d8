"""Tensor mode: arrays as nodes.  ``Tensor`` holds the data, ``Function`` the chain rule.

Every operation is a ``Function`` subclass with ``forward`` and ``backward`` side by
side (``ops.py``, ``functional.py``).  ``forward`` computes the output array and saves
what the derivative needs; ``backward`` receives d(loss)/d(output) and returns
d(loss)/d(input) for each input: "upstream gradient times local derivative", as in
scalar mode, with arrays (a vector-Jacobian product).

Broadcasting is undone in one place: ``unbroadcast`` sums each gradient back to the
shape of its input after every backward step.  A gradient whose shape still differs
from its input's is a bug in that op and is reported with the op's name.

The graph is freed after ``backward()`` unless ``retain_graph=True``.  Only leaves
(tensors the user made with ``requires_grad=True``) and tensors that called
``retain_grad()`` keep a ``.grad``; gradients accumulate until ``zero_grad()``.
Floating data becomes float32 unless ``dtype=`` says otherwise; integer and boolean
data (labels, masks) keep their type.
"""

from __future__ import annotations

import numpy as np

from . import backend
from .autograd import Node, run_backward
from .convert import as_array, device_index, operand, raw
from .grad_mode import _state as _grad_state
from .inplace import check_saved, release_saved, snapshot
from .protocols import PythonProtocols

__all__ = ["Tensor", "Function", "unbroadcast"]


def unbroadcast(grad, shape: tuple, op: str = "an op"):
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape``.

    If x of shape (3,) was broadcast against (4, 3), each x[j] was used 4 times, so its
    gradient is the sum of the 4 upstream gradients in column j.  A gradient that no
    broadcast explains is a bug in the backward of ``op``, and the error names it.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(n != 1 and n != grad.shape[i + extra] for i, n in enumerate(shape)):
        raise RuntimeError(f"{op}.backward returned a gradient of shape {tuple(grad.shape)} for an "
                           f"input of shape {tuple(shape)}.")
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """One differentiable operation: subclasses define ``forward`` and ``backward``.

    Subclasses are named ``<Op>Fn`` (``MatMulFn``, ``LinearFn``), so that a Function is never
    mistaken for the Module of the same name (``bp.nn.Linear``).

    ``forward(*arrays, **options)`` returns the output array and may save arrays on
    ``self``.  ``backward(grad)`` returns one gradient per input (``None`` where none is
    needed).  ``self.needs_grad[i]`` tells whether input i wants a gradient.

    ``saves`` lists the inputs whose arrays ``backward`` reads (``None``: every tensor
    input) and ``saves_output`` whether it reads the output; changing those between the
    forward pass and ``backward()`` is an error (see ``inplace.py``).
    """

    saves = None
    saves_output = False

    @classmethod
    def apply(cls, *inputs, **options) -> "Tensor":
        """Run the op on Tensors (and numbers) and record it in the graph."""
        device = None
        for x in inputs:
            if isinstance(x, Tensor):
                d = x.device
                if device is None:
                    device = d
                elif d != device:
                    raise backend.DeviceError(
                        f"{cls.__name__}: one input is on '{device}', another on '{d}'. "
                        f"Move them to one device first, e.g. x.to('{device}')."
                    )
        fn = cls()
        fn.needs_grad = needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        out = Tensor._wrap(fn.forward(*[x._data if isinstance(x, Tensor) else x for x in inputs],
                                      **options))
        if _grad_state["grad"] and True in needs:
            fn.inputs = inputs
            saves = fn.saves
            if saves != ():  # mark the data backward reads as pending (see inplace.py)
                for i in range(len(inputs)) if saves is None else saves:
                    if isinstance(inputs[i], Tensor):
                        inputs[i]._shadow = True
            if fn.saves_output:
                out._shadow = True
            out.requires_grad = True
            out._ctx = fn
            out._parents = tuple(x for x, need in zip(inputs, needs) if need)
        return out

    def forward(self, *arrays, **options):
        """Compute the output array from the input arrays."""
        raise NotImplementedError

    def backward(self, grad):
        """Return d(loss)/d(input) for each input, given d(loss)/d(output)."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The op's name, as pictures and error messages show it: ``MatMul`` for ``MatMulFn``."""
        return type(self).__name__.removesuffix("Fn")


class _Freed(Function):
    """Stands in for an op whose saved arrays an earlier backward pass freed."""

    saves = ()


_FREED = _Freed()


class Tensor(Node, PythonProtocols):
    """An array that remembers how it was computed, so gradients can flow back.

    How it acts as a Python number or sequence (``bool``, ``float``, ``len``, ``for``) is in
    ``protocols.py``.
    """

    __slots__ = ("_data", "grad", "requires_grad", "name", "_ctx", "_parents", "_retain", "_shadow")
    __array_ufunc__ = None  # ``ndarray + Tensor`` falls back to Tensor.__radd__
    __hash__ = object.__hash__  # identity, even though == compares elementwise

    def __init__(self, data, requires_grad: bool = False, dtype=None, device: str | None = None,
                 name: str = ""):
        self._set_up(as_array(data, dtype, device), name)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array) -> "Tensor":
        """A new leaf around ``array`` (no copy, no checks): the result of an op."""
        if isinstance(array, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            array = np.asarray(array)
        t = Tensor.__new__(Tensor)
        t._set_up(array, "")
        return t

    def _set_up(self, array, name: str) -> None:
        """Every field of a tensor, as a leaf: the one place they are set (``apply`` links ops)."""
        self._data = array
        self.grad = None
        self.requires_grad = False
        self.name = name
        self._ctx = None
        self._parents = ()
        self._hooks = None
        self._pass_grad = None
        self._retain = False
        self._shadow = None  # see inplace.py

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Ask for (or stop asking for) gradients of this leaf tensor, in place."""
        if flag and self._data.dtype.kind != "f":
            raise TypeError(
                f"Only floating-point tensors can require gradients; this one is {self.dtype}. "
                "Create it with dtype='float32' (or write 1.0 instead of 1)."
            )
        self.requires_grad = bool(flag)
        return self

    # ------------------------------------------------------------------ data and devices

    @property
    def data(self):
        """The array held (NumPy on the CPU, CuPy on the GPU)."""
        if self._shadow is True:  # a graph still needs this data: keep a copy to check against
            snapshot(self, replaced=False)
        return self._data

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        if backend.device_of(value) != self.device:
            raise backend.DeviceError(
                f"New data is on '{backend.device_of(value)}' but the tensor is on "
                f"'{self.device}'. Move the array first."
            )
        if tuple(value.shape) != self.shape:
            raise ValueError(f"New data has shape {tuple(value.shape)}, the tensor has {self.shape}; "
                             "assigned data must keep the shape.")
        if self._shadow is True:  # a graph still needs the old data: keep it to check against
            snapshot(self, replaced=True)
        self._data = value.astype(self._data.dtype, copy=False)

    shape = property(lambda self: tuple(self._data.shape), doc="The tensor's shape (a tuple).")
    dtype = property(lambda self: self._data.dtype, doc="The element type (float32 by default).")
    ndim = property(lambda self: self._data.ndim, doc="The number of axes.")
    size = property(lambda self: int(self._data.size), doc="The number of elements.")
    device = property(lambda self: backend.device_of(self._data), doc="'cpu' or 'gpu'.")
    is_leaf = property(lambda self: self._ctx is None, doc="True unless an op made this tensor.")
    xp = property(lambda self: backend.array_module(self._data),
                  doc="The array module (numpy or cupy) of this tensor's device.")

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed)."""
        return backend.to_host(self.data)

    def tolist(self):
        """The values as (nested) Python lists."""
        return backend.to_host(self._data).tolist()

    def item(self) -> float:
        """The single value of a one-element tensor, as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element; this one has shape {self.shape}. "
                             "Reduce it first, e.g. with .sum() or .mean().")
        return backend.to_host(self._data.reshape(())).item()  # a read: queued device checks first

    def to(self, device: str) -> "Tensor":
        """This tensor on ``device``; gradients flow back across the move."""
        backend.check_device(device)
        if device == self.device:
            return self
        return ops.ToDeviceFn.apply(self, device=device)

    def detach(self) -> "Tensor":
        """The same data, cut off from the graph (no gradient flows through it)."""
        return Tensor._wrap(self._data)

    # ------------------------------------------------------------------ backward

    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        ``grad`` is d(loss)/d(self); it may be left out for a one-element tensor.
        """
        if not self.requires_grad:
            raise RuntimeError("This tensor does not require grad: no input had requires_grad=True, "
                               "or it was computed inside no_grad().")
        if self._ctx is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        xp = self.xp
        if grad is None:
            if self.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element tensor; this one has shape "
                    f"{self.shape}. Reduce it to a scalar loss (.sum(), .mean()) or pass grad=."
                )
            seed = xp.ones_like(self._data)
        else:
            seed = grad._data if isinstance(grad, Tensor) else grad
            if backend.device_of(seed) != self.device:
                raise backend.DeviceError(f"grad is on '{backend.device_of(seed)}', the tensor on "
                                          f"'{self.device}'.")
            seed = xp.asarray(seed, dtype=self.dtype)
            if seed.shape != self._data.shape:
                raise ValueError(f"grad has shape {tuple(seed.shape)} but the tensor has {self.shape}.")
        run_backward(self, seed, retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this intermediate tensor too (leaves always keep theirs)."""
        self._retain = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes None)."""
        self.grad = None

    # The node contract of backproplab.autograd.
    def _chain(self, upstream):
        if self._ctx is None:  # a leaf
            return []
        grads = self._input_grads(upstream)
        for parent, grad in zip(self._parents, grads):
            if grad is not None:
                received = parent._pass_grad  # a parent used twice sums what each path sends
                parent._pass_grad = grad if received is None else received + grad
        return grads

    def _input_grads(self, upstream) -> list:
        """d(root)/d(parent) for each parent: the op's backward, with broadcasting undone."""
        fn = self._ctx
        if fn.saves != () or fn.saves_output:
            check_saved(fn, self)
        grads = []
        for x, need, g in zip(fn.inputs, fn.needs_grad, fn.backward(upstream)):
            if not need:  # only the inputs that need a gradient are parents
                continue
            if g is not None:
                g = unbroadcast(g, x._data.shape, fn.name)
                if _grad_state["anomaly"]:
                    _check_finite(g, upstream, fn.name)
            grads.append(g)
        return grads

    def _accumulate(self, gradient):
        if self._ctx is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if self._ctx is None or self._retain:
            self.grad = gradient if self.grad is None else self.grad + gradient

    def _free(self):
        if self._ctx is not None:
            fn = self._ctx
            if fn.saves != () or fn.saves_output:
                release_saved(fn, self)
            self._ctx = _FREED
            self._parents = ()

    # ------------------------------------------------------------------ operators
    # Each is one line: the op's forward and backward live in ops.py.

    def __add__(self, other): return ops.AddFn.apply(self, operand(other, self))
    def __radd__(self, other): return ops.AddFn.apply(operand(other, self), self)
    def __sub__(self, other): return ops.SubFn.apply(self, operand(other, self))
    def __rsub__(self, other): return ops.SubFn.apply(operand(other, self), self)
    def __mul__(self, other): return ops.MulFn.apply(self, operand(other, self))
    def __rmul__(self, other): return ops.MulFn.apply(operand(other, self), self)
    def __truediv__(self, other): return ops.DivFn.apply(self, operand(other, self))
    def __rtruediv__(self, other): return ops.DivFn.apply(operand(other, self), self)
    def __pow__(self, other): return ops.PowFn.apply(self, operand(other, self))
    def __rpow__(self, other): return ops.PowFn.apply(operand(other, self), self)
    def __matmul__(self, other): return ops.MatMulFn.apply(self, operand(other, self))
    def __rmatmul__(self, other): return ops.MatMulFn.apply(operand(other, self), self)
    def __neg__(self): return ops.NegFn.apply(self)
    def __getitem__(self, index): return ops.GetItemFn.apply(self, index=device_index(index, self))

    # Comparisons give boolean tensors (masks); they are not differentiable.
    def __gt__(self, other): return Tensor._wrap(self._data > raw(other, self))
    def __ge__(self, other): return Tensor._wrap(self._data >= raw(other, self))
    def __lt__(self, other): return Tensor._wrap(self._data < raw(other, self))
    def __le__(self, other): return Tensor._wrap(self._data <= raw(other, self))
    def __eq__(self, other): return Tensor._wrap(self._data == raw(other, self))
    def __ne__(self, other): return Tensor._wrap(self._data != raw(other, self))

    def exp(self): return ops.ExpFn.apply(self)
    def log(self): return ops.LogFn.apply(self)
    def tanh(self): return ops.TanhFn.apply(self)
    def sigmoid(self): return ops.SigmoidFn.apply(self)
    def relu(self): return ops.ReLUFn.apply(self)
    def gelu(self, approximate: str = "tanh"): return ops.gelu(self, approximate)
    def sqrt(self): return self ** 0.5
    def abs(self): return ops.AbsFn.apply(self)
    def clip(self, min=None, max=None): return ops.ClipFn.apply(self, low=min, high=max)
    def softmax(self, axis: int = -1): return ops.softmax(self, axis)
    def log_softmax(self, axis: int = -1): return ops.log_softmax(self, axis)

    def sum(self, axis=None, keepdims: bool = False):
        """Sum over ``axis`` (an int, a tuple, or None for all)."""
        return ops.SumFn.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        """Mean over ``axis`` (an int, a tuple, or None for all)."""
        return ops.MeanFn.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims: bool = False):
        """Maximum over ``axis``; ties share the gradient equally."""
        return ops.MaxFn.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None) -> "Tensor":
        """Indices of the maxima (an integer tensor, not differentiable)."""
        return Tensor._wrap(self._data.argmax(axis=axis))

    def any(self, axis=None) -> "Tensor":
        """Whether any element (along ``axis``) is true / non-zero: a boolean tensor."""
        return Tensor._wrap(self._data.any(axis=axis))

    def all(self, axis=None) -> "Tensor":
        """Whether every element (along ``axis``) is true / non-zero: a boolean tensor."""
        return Tensor._wrap(self._data.all(axis=axis))

    def reshape(self, *shape):
        """The same elements in a new shape (``-1`` infers one size)."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return ops.ReshapeFn.apply(self, shape=tuple(shape))

    def transpose(self, *axes):
        """Permute the axes (reverse them when none are given)."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return ops.TransposeFn.apply(self, axes=tuple(axes) if axes else None)

    @property
    def T(self):
        """The tensor with its axes reversed (the transpose of a matrix)."""
        return self.transpose()

    # ------------------------------------------------------------------ display

    def __repr__(self):
        body = np.array2string(backend.to_host(self._data), precision=4, separator=", ", threshold=20,
                               prefix="Tensor(")
        extras = []
        if self.dtype != np.float32:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None and self._ctx is not _FREED:
            extras.append(f"grad_fn={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "Tensor(" + ", ".join([body] + extras) + ")"


def _check_finite(grad, upstream, op: str) -> None:
    """Under ``detect_anomaly()``: stop at the first op whose backward made NaN or inf."""
    xp = backend.array_module(grad)
    if not bool(xp.isfinite(grad).all()):
        raise FloatingPointError(
            f"detect_anomaly: the backward pass of {op} produced NaN or inf "
            f"(upstream gradient finite: {bool(xp.isfinite(upstream).all())})."
        )


_FREED_MESSAGE = ("This graph was already freed by an earlier backward(). Call "
                  "backward(retain_graph=True) the first time to backpropagate through it twice, "
                  "or recompute the forward pass.")


# ops.py defines its Functions on the classes above: the one import that must come last.
from . import ops  # noqa: E402
