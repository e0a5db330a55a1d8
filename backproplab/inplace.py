"""Catching data changed between the forward pass and ``backward()``.

An op's backward reads arrays that its forward saved: ``Mul`` keeps both factors, ``Linear``
its input and weight.  If such an array changes before ``backward()`` (``w.data[:] = 0``,
``w.data = new``), the gradient is computed from numbers the forward pass never used: a
wrong answer without any error.  PyTorch catches this with a version counter on each
tensor's storage.  A NumPy array can be written in place without its tensor knowing, so a
counter would see only assignments; here each tensor keeps what it held instead, but only
while a graph needs it and only once someone could change it:

* at forward, every tensor whose data an op's backward reads (``Function.saves`` names the
  inputs, ``saves_output`` the output) is marked *pending* (``tensor._shadow = True``);
* while pending, the first time the tensor hands its array out (``.data``, ``.numpy()``,
  ``np.asarray``) it keeps a copy, and the first time its array is replaced
  (``x.data = new``) it keeps the old array: either becomes its *shadow*;
* just before an op's backward runs, each tensor it saved that has a shadow must hold
  data equal to the shadow; once the op's graph is freed, its tensors are pending no more.

The cost in a training step is setting and clearing a flag per saved tensor; a copy is
made only when data is read between the forward pass and ``backward()``.  The optimizers
update parameters after ``backward()``, when nothing is pending.  Not seen: writes through
another tensor sharing the memory (``x.detach().data[:] = 0``) or through an array taken
before the forward pass, and writes that restore the old values (harmless).
"""

from __future__ import annotations

from . import backend

__all__ = ["snapshot", "check_saved", "release_saved"]


def snapshot(tensor, replaced: bool) -> None:
    """A pending tensor is about to hand out (or replace) its array: keep what it holds now."""
    tensor._shadow = tensor._data if replaced else tensor._data.copy()


def check_saved(fn, out) -> None:
    """Raise if a tensor that ``fn`` saved no longer holds the data of the forward pass."""
    inputs = fn.inputs
    for i in range(len(inputs)) if fn.saves is None else fn.saves:
        t = inputs[i]
        if isinstance(t, type(out)):  # a Tensor (``out`` is one), not a number
            shadow = t._shadow
            if shadow is not True and shadow is not None and not _same(t._data, shadow):
                _raise(fn, t)
    shadow = out._shadow
    if fn.saves_output and shadow is not True and shadow is not None and not _same(out._data, shadow):
        _raise(fn, out)


def release_saved(fn, out) -> None:
    """``fn``'s graph is freed: the tensors it saved are no longer needed as they were."""
    inputs = fn.inputs
    for i in range(len(inputs)) if fn.saves is None else fn.saves:
        if isinstance(inputs[i], type(out)):  # a Tensor, not a number
            inputs[i]._shadow = None
    if fn.saves_output:
        out._shadow = None


def _same(a, b) -> bool:
    if a is b:
        return True
    if backend.device_of(a) != backend.device_of(b) or a.shape != b.shape:
        return False
    both_nan = (a != a) & (b != b)
    return bool(((a == b) | both_nan).all())


def _raise(fn, t):
    if t.name:
        what = f"Tensor {t.name!r}"
    elif t.is_leaf:
        what = f"A tensor of shape {t.shape}{' (a leaf with requires_grad=True)' if t.requires_grad else ''}"
    else:
        what = f"The output of {t._ctx.name} (shape {t.shape})"
    raise RuntimeError(
        f"{what} was changed after the forward pass: {fn.name} saved it to compute gradients, "
        "and its data was changed in place (x.data[...] = ...) or replaced (x.data = ...) before "
        "backward(), so the gradient would be wrong. Change data only after backward() (as "
        "optimizer.step() does), or run the forward pass again after the change."
    )
