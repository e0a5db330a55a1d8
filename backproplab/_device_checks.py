"""Checks of values (indices in range, logs of positive numbers) that never make the GPU wait.

A check of values needs those values on the host.  On the CPU that is free, so the check runs
at once.  On a GPU, reading even one flag makes the CPU wait until the GPU has finished all
the work queued before it: a check inside every cross-entropy or embedding would stall every
training step.  So on a device the check is *queued*: a one-element flag is computed there
("is any index out of range?") and the error is raised at the next moment the program reads
from the GPU anyway (``loss.item()``, ``print``, ``.numpy()``, which ``fit`` does every step),
after at most ``LIMIT`` queued checks, on leaving ``simulate_gpu()``, or at once inside
``bp.detect_anomaly()``.  The error names the op and the bad value, as on the CPU.  PyTorch's
CUDA kernels report such errors late too (device-side asserts).
"""

from __future__ import annotations

import numpy as np

from ._indexing import integer_array_parts

__all__ = ["check_range", "check_later", "check_index", "flush", "discard", "LIMIT"]

LIMIT = 32  # queued checks before they are read anyway
_pending: list = []  # (device flag, function making the exception)


def _backend():
    from . import backend  # backend imports this module; look it up when first used

    return backend


def check_later(bad, make_error) -> None:
    """Raise ``make_error()`` if the boolean ``bad`` is true: now on the CPU, soon on a device."""
    backend = _backend()
    if backend.device_of(bad) == "cpu":
        if bool(bad):
            raise make_error()
        return
    _pending.append((bad, make_error))
    from .grad_mode import _state

    if len(_pending) >= LIMIT or _state["anomaly"]:
        flush()


def check_range(array, low: int, high: int, make_error) -> None:
    """Raise ``make_error(bad_value)`` unless every value of ``array`` lies in ``low..high``."""
    if array.size == 0:
        return
    info = np.iinfo(array.dtype)  # bounds the dtype cannot hold need no check (and no overflow)
    low, high = max(low, int(info.min)), min(high, int(info.max))
    if _backend().device_of(array) == "cpu":
        smallest, largest = array.min(), array.max()
        if smallest < low or largest > high:
            raise make_error(int(smallest) if smallest < low else int(largest))
        return
    bad = ((array < low) | (array > high)).any()
    check_later(bad, lambda: make_error(_bad_value(array, low, high)))


def _bad_value(array, low: int, high: int) -> int:
    host = _backend().to_host(array)  # only after a check failed
    smallest = int(host.min())
    return smallest if smallest < low else int(host.max())


def check_index(index, shape: tuple) -> None:
    """Check every integer-array part of ``index`` (already arrays) against ``shape``.

    NumPy raises for an index outside ``-n..n-1``; CuPy would silently wrap it around and
    read (or, in backward, write) another row, so the package checks on every device.
    """
    parts = index if isinstance(index, tuple) else (index,)
    for position, axis, size in integer_array_parts(parts, shape):
        check_range(parts[position], -size, size - 1, _index_error(axis, size, shape))


def _index_error(axis: int, size: int, shape: tuple):
    def make(bad: int) -> IndexError:
        return IndexError(f"Index {bad} is out of bounds for axis {axis} with size {size} (a tensor of "
                          f"shape {tuple(shape)}); indices run from {-size} to {size - 1}.")
    return make


def flush() -> None:
    """Read every queued flag (one copy per device kind) and raise the first failed check."""
    if not _pending:
        return
    items = list(_pending)
    _pending.clear()
    backend = _backend()
    groups: dict = {}
    for flag, make_error in items:
        groups.setdefault(backend.array_module(flag), []).append((flag, make_error))
    for xp, group in groups.items():
        flags = backend.to_host(xp.stack([flag.reshape(()) for flag, _ in group]))
        for (_, make_error), bad in zip(group, flags):
            if bad:
                error = make_error()
                raise type(error)(f"{error} (Checked on the GPU without waiting for it, and reported "
                                  "when data was next read from it.)")


def discard() -> None:
    """Forget queued checks (an exception is already on its way)."""
    _pending.clear()
