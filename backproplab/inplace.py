"""Catching data changed between the forward pass and ``backward()``.

An op's backward reads arrays that its forward saved: ``Mul`` keeps both factors, ``Linear``
its input and weight.  If such an array changes before ``backward()`` (``w.data[:] = 0``,
``w.data = new``), the gradient is computed from numbers the forward pass never used: a
wrong answer without any error.  PyTorch catches this with a version counter on each
tensor's storage.  A NumPy array can be written in place without its tensor knowing, so a
counter alone would see only assignments; here the check compares data instead:

* at forward, each op records the tensors whose data its backward reads (``Function.saves``
  says which inputs, ``saves_output`` whether the output), with the array each holds: a
  reference, not a copy;
* the first time such a tensor hands its array out (``.data``, ``.numpy()``,
  ``np.asarray``) while a graph still needs it, it keeps a copy (its *snapshot*): whatever
  is then written into the array can be compared with it;
* just before the op's backward runs, each recorded tensor must still hold its recorded
  array with the values it had (or, after ``x.data = new``, equal values).

The cost in a training step is a tuple per op and an identity check per saved tensor; a
copy is made only when data is read between the forward pass and ``backward()``.  The
optimizers update parameters after ``backward()``, when nothing is pending any more.
Writes through another tensor that shares the memory (``x.detach().data[:] = 0``) are not
seen.
"""

from __future__ import annotations

from . import backend

__all__ = ["record_saved", "check_saved", "release_saved", "snapshot_if_pending"]

PENDING = True  # the value of ``Tensor._shadow`` while a graph needs the data and none was read


def record_saved(fn, inputs, out) -> None:
    """Remember, on ``fn``, which tensors its backward reads and which array each holds."""
    saves = fn.saves
    if saves is None:
        tensors = [x for x in inputs if hasattr(x, "_shadow")]
    else:
        tensors = [inputs[i] for i in saves if i < len(inputs) and hasattr(inputs[i], "_shadow")]
    if fn.saves_output:
        tensors.append(out)
    for t in tensors:
        t._shadow = PENDING  # any older snapshot belongs to an older forward pass
    fn.saved = tuple((t, t._data) for t in tensors)


def snapshot_if_pending(tensor) -> None:
    """Called before a tensor hands out its array: keep a copy if a graph still needs it."""
    if tensor._shadow is PENDING:
        tensor._shadow = tensor._data.copy()


def release_saved(fn) -> None:
    """The op's backward has run and its graph is freed: its tensors are no longer pending."""
    for t, _ in fn.saved:
        t._shadow = None


def check_saved(fn) -> None:
    """Raise if a tensor that ``fn`` saved no longer holds the data of the forward pass."""
    for t, array in fn.saved:
        shadow = t._shadow
        if t._data is array and (shadow is PENDING or shadow is None):
            continue  # the usual case: nobody touched the data
        original = array if shadow is PENDING or shadow is None else shadow
        if array is not original and not _same(array, original):
            _raise(fn, t, "modified in place (e.g. x.data[...] = ...)")
        if t._data is not array and not _same(t._data, original):
            _raise(fn, t, "replaced (x.data = ...)")


def _same(a, b) -> bool:
    if backend.device_of(a) != backend.device_of(b) or a.shape != b.shape:
        return False
    both_nan = (a != a) & (b != b)
    return bool(((a == b) | both_nan).all())


def _raise(fn, t, how: str):
    if t.name:
        what = f"Tensor {t.name!r}"
    elif t.is_leaf:
        what = f"A tensor of shape {t.shape}{' (a leaf with requires_grad=True)' if t.requires_grad else ''}"
    else:
        what = f"The output of {t._ctx.name} (shape {t.shape})"
    raise RuntimeError(
        f"{what} was changed after the forward pass: {fn.name} saved it to compute gradients, "
        f"and its data was {how} before backward(), so the gradient would be wrong. Change data "
        "only after backward() (as optimizer.step() does), or run the forward pass again after "
        "the change."
    )
