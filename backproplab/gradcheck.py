"""Gradient checking: compare backprop's gradients with finite differences.

The central difference  (f(x + eps) - f(x - eps)) / (2 eps)  approximates df/dx with an
error of order eps^2, independent of how f was computed.  If backprop and the finite
difference agree for every input, the chain rule was applied correctly.  Check in float64:
in float32 rounding errors swamp the comparison.

Works in both modes: ``inputs`` are Values (or numbers) or Tensors.
"""

from __future__ import annotations

import numpy as np

from . import backend
from ._checks import real_number
from .scalar import Value
from .tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "GradcheckError"]


class GradcheckError(AssertionError):
    """Backprop's gradient and the finite-difference gradient disagree."""


def _scalar_output(fn, inputs, projection):
    """Call fn and reduce a non-scalar Tensor output to one number with fixed weights."""
    out = fn(*inputs)
    if isinstance(out, Tensor) and out.size != 1:
        if projection[0] is None:
            rng = np.random.default_rng(1234)
            projection[0] = backend.to_device(rng.standard_normal(out.shape), out.device, dtype=out.dtype)
        out = (out * projection[0]).sum()
    return out


def _value_of(out) -> float:
    return out.item()


def numerical_grad(fn, inputs, eps: float = 1e-6, _projection=None):
    """Finite-difference gradient of ``fn(*inputs)`` for every input (floats or arrays)."""
    projection = _projection if _projection is not None else [None]
    grads = []
    for x in inputs:
        if isinstance(x, Value):
            original = x.data
            x.data = original + eps
            plus = _value_of(_scalar_output(fn, inputs, projection))
            x.data = original - eps
            minus = _value_of(_scalar_output(fn, inputs, projection))
            x.data = original
            grads.append((plus - minus) / (2 * eps))
        else:
            array = x.data
            grad = np.zeros(array.shape)
            for idx in np.ndindex(*array.shape):
                original = array[idx].item()
                array[idx] = original + eps
                plus = _value_of(_scalar_output(fn, inputs, projection))
                array[idx] = original - eps
                minus = _value_of(_scalar_output(fn, inputs, projection))
                array[idx] = original
                grad[idx] = (plus - minus) / (2 * eps)
            grads.append(grad)
    return grads


def _analytic_grad(fn, inputs, projection):
    for x in inputs:
        x.zero_grad()
    out = _scalar_output(fn, inputs, projection)
    out.backward()
    grads = []
    for x in inputs:
        if isinstance(x, Value):
            grads.append(x.grad)
        else:
            grads.append(np.zeros(x.shape) if x.grad is None else backend.to_host(x.grad).astype(np.float64))
    return grads


def gradcheck(fn, inputs, eps: float = 1e-6, rtol: float = 1e-6, atol: float = 1e-8,
              raise_exception: bool = True) -> bool:
    """Check ``fn``'s backprop gradients against central differences.

    ``fn(*inputs)`` must return a Value or a Tensor (a non-scalar Tensor is reduced with
    fixed random weights).  Numbers in ``inputs`` become Values.  Tensors must be float64
    and require grad.  Returns True when every gradient satisfies
    ``|analytic - numeric| <= atol + rtol * |numeric|``; otherwise raises
    ``GradcheckError`` listing the worst entries (or returns False).
    """
    if not callable(fn):
        raise TypeError(f"gradcheck(fn, inputs) needs a function first; got {type(fn).__name__}.")
    if isinstance(inputs, (Value, Tensor)):
        inputs = [inputs]  # one input, as torch.autograd.gradcheck accepts
    eps = real_number(eps, "gradcheck: eps", 0.0, low_open=True)
    rtol, atol = real_number(rtol, "gradcheck: rtol", 0.0), real_number(atol, "gradcheck: atol", 0.0)
    inputs = [x if isinstance(x, (Value, Tensor)) else Value(x) for x in inputs]
    if not inputs:
        raise ValueError("gradcheck needs at least one input to differentiate.")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if str(x.dtype) != "float64":
                raise TypeError(
                    f"gradcheck input {i} is {x.dtype}; use dtype='float64' (float32 rounding "
                    "errors are larger than the differences being checked)."
                )
            if not x.requires_grad:
                raise ValueError(f"gradcheck input {i} has requires_grad=False.")
    projection = [None]
    analytic = _analytic_grad(fn, inputs, projection)
    numeric = numerical_grad(fn, inputs, eps, projection)
    problems = []
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a, n = backend.to_host(a).astype(np.float64), backend.to_host(n).astype(np.float64)
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        for idx in zip(*np.nonzero(np.atleast_1d(bad))):
            a_i, n_i = np.atleast_1d(a)[idx], np.atleast_1d(n)[idx]
            problems.append(f"input {i}{list(idx) if a.ndim else ''}: backprop {a_i:.10g}, "
                            f"finite difference {n_i:.10g}")
    if problems:
        if raise_exception:
            shown = "\n  ".join(problems[:10])
            more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise GradcheckError(f"Gradients disagree with finite differences:\n  {shown}{more}")
        return False
    return True
