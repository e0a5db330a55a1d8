"""Devices: NumPy on the CPU, CuPy on an NVIDIA GPU.  The only module that imports CuPy.

Tensor code never names NumPy directly for tensor data: it asks ``array_module(array)``
for the module (``xp``) that owns the array and calls ``xp.exp``, ``xp.zeros`` and so
on.  The same line then runs on either device.

Data moves between devices only when asked (``Tensor.to("gpu")``, ``to_host``); mixing
devices is an error that says so.  CI has no GPU, so ``simulate_gpu()`` lets tests stand a
*guard* array in for CuPy's (``_guard.py``): it refuses implicit conversion to NumPy, host
arrays and Python lists in arithmetic, and wraps out-of-range indices around, as CuPy does.
Code that would break on a real GPU breaks on the guard too.

Checks of values on a device (indices in range, logs of positive numbers) are queued rather
than read at once, so that a training step never waits for the GPU (the end of this module);
every read from the device (``to_host``) reports them first.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ._guard import GuardArray, guard_numpy
from ._gpu_probe import INSTALL, diagnose
from ._indexing import integer_array_parts
from .autograd import Node
from .grad_mode import _state as _grad_state

__all__ = [
    "DEVICES", "gpu_available", "gpu_status", "check_device", "array_module", "device_of",
    "to_device", "to_host", "checked_index", "scatter_add", "take", "random_generator", "check_index",
    "overflow_expected", "check_range",
    "check_later", "flush_checks", "erf", "erfc", "as_strided", "simulate_gpu", "DeviceError",
]

DEVICES = ("cpu", "gpu")

try:  # CuPy imports without a GPU; a broken install can fail in other ways than ImportError
    import cupy as _cupy
    _cupy_error = None
except Exception as exc:  # noqa: BLE001 - any failure means "no CuPy"
    _cupy, _cupy_error = None, exc

_simulated = False
_gpu_checked: tuple[bool, str] | None = None


class DeviceError(RuntimeError):
    """Tensors on different devices met, or the GPU was asked for where none is usable."""


def gpu_status() -> tuple[bool, str]:
    """``(usable, reason)``: whether CuPy has a usable GPU, and if not, exactly what is missing."""
    global _gpu_checked
    if _simulated:
        return True, "simulated GPU (guard arrays on the CPU, for tests)"
    if _gpu_checked is not None:
        return _gpu_checked
    if _cupy is None:
        _gpu_checked = (False, f"CuPy is not installed ({_cupy_error}). Install it with {INSTALL}.")
    else:
        _gpu_checked = diagnose(_cupy)
    return _gpu_checked


def gpu_available() -> bool:
    """True when tensors can be moved to ``"gpu"``."""
    return gpu_status()[0]


def check_device(device: str) -> str:
    """Return ``device`` if it is usable, else raise an error that says why and what to do."""
    if device not in DEVICES:
        raise ValueError(f"Unknown device {device!r}; use 'cpu' or 'gpu'.")
    if device == "gpu":
        usable, reason = gpu_status()
        if not usable:
            raise DeviceError(f"The GPU is not usable: {reason} Continue on the CPU with "
                              "device='cpu' (the same code runs there).")
    return device


def _gpu_module():
    return guard_numpy if _simulated else _cupy


def array_module(array):
    """The array module (NumPy, CuPy or the guard) that owns ``array``."""
    if isinstance(array, GuardArray):
        return guard_numpy
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of(array) -> str:
    """'gpu' for CuPy (or guard) arrays, 'cpu' for everything else."""
    return "cpu" if array_module(array) is np else "gpu"


def to_device(array, device: str, dtype=None):
    """Copy ``array`` (any array-like) to ``device``; no copy if it is already there."""
    check_device(device)
    if device == "cpu":
        return np.asarray(to_host(array), dtype=dtype)
    xp = _gpu_module()
    if device_of(array) == "gpu":
        return array if dtype is None else array.astype(dtype, copy=False)
    return xp.asarray(to_host(array), dtype=dtype)


def to_host(array) -> np.ndarray:
    """A NumPy array with the values of ``array`` (copied from the GPU if needed).

    Takes device arrays, tensors and anything NumPy reads (lists, numbers).  Reading from a
    device first reports any queued check of device values (see the checks that never wait, below).
    """
    if isinstance(array, Node):  # a Tensor (or a Value): the data it holds
        array = array.data
    if isinstance(array, GuardArray):
        flush_checks()
        return array.get()
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        flush_checks()
        return _cupy.asnumpy(array)
    return np.asarray(array)


def _as_arrays(index):
    """Lists in ``index`` as NumPy arrays, so that their dtype and values can be checked."""
    if isinstance(index, tuple):
        return tuple(_as_arrays(i) for i in index)
    return np.asarray(index) if isinstance(index, list) else index


def _on_device_of(index, target):
    """Arrays in ``index`` moved to ``target``'s device (after they were checked)."""
    if isinstance(index, tuple):
        return tuple(_on_device_of(i, target) for i in index)
    return to_device(index, device_of(target)) if hasattr(index, "shape") else index


def checked_index(index, shape: tuple, device: str):
    """``index`` with its lists and arrays on ``device``, every integer array checked.

    Host arrays are checked before they move (free); arrays already on a device are checked
    there without waiting (see the checks that never wait, below).
    """
    index = _as_arrays(index)
    check_index(index, tuple(shape))
    if isinstance(index, tuple):
        return tuple(to_device(i, device) if hasattr(i, "shape") else i for i in index)
    return to_device(index, device) if hasattr(index, "shape") else index


def take(array, index):
    """``array[index]`` after checking the integer arrays in ``index`` (CuPy would wrap them)."""
    return array[checked_index(index, tuple(array.shape), device_of(array))]


def scatter_add(target, index, values, checked: bool = False) -> None:
    """``target[index] += values`` where repeated indices add up (``add.at`` on every device).

    Integer arrays in ``index`` are checked against ``target``'s shape first (on a GPU,
    ``cupy.add.at`` would wrap an index that is out of range and add to another row),
    unless ``checked`` says the caller did so already.
    """
    if checked:
        index = _on_device_of(index, target)
    else:
        index = checked_index(index, tuple(target.shape), device_of(target))
    xp = array_module(target)
    if xp is np and _rows_of(index) and target.flags.c_contiguous:
        # Whole rows, as an embedding's backward adds them: NumPy's add.at is 4-5x faster on one
        # flat axis, so each element goes to its flat position (same additions, same order).
        row = math.prod(target.shape[1:])
        flat = (index.astype(np.intp, copy=False).reshape(-1, 1) * row + np.arange(row)).reshape(-1)
        values = np.broadcast_to(values, tuple(index.shape) + tuple(target.shape[1:]))
        np.add.at(target.reshape(-1), flat, values.reshape(-1))
    else:  # cupy.add.at replaces cupyx.scatter_add, deprecated since CuPy 13; same kernel
        xp.add.at(target, index, values)


def _rows_of(index) -> bool:
    """Is ``index`` one integer array, picking rows (along the first axis)?"""
    return isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.ndim > 0


def random_generator(device: str, seed: int | None):
    """A random generator that creates its numbers on ``device`` (nothing is copied there)."""
    check_device(device)
    if device == "cpu":
        return np.random.default_rng(seed)
    return _gpu_module().random.default_rng(seed)


def as_strided(array, shape, strides):
    """A view of ``array`` with the given shape and byte strides (no copy), on its device."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)
    if isinstance(array, GuardArray):
        return GuardArray(np.lib.stride_tricks.as_strided(array._a, shape=shape, strides=strides,
                                                          writeable=False))
    return np.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, writeable=False)


def erf(array):
    """The error function, elementwise, on the array's own device."""
    return _special(array, "erf")


def erfc(array):
    """1 - erf, elementwise, without the cancellation of computing it as 1 - erf(x)."""
    return _special(array, "erfc")


def _special(array, name: str):
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        import cupyx.scipy.special

        return getattr(cupyx.scipy.special, name)(array)
    function = np.frompyfunc(getattr(math, name), 1, 1)
    if isinstance(array, GuardArray):  # the guard's stand-in for a device kernel: no transfer
        return GuardArray(function(array._a).astype(array.dtype))
    return np.asarray(function(array), dtype=array.dtype)


def overflow_expected():
    """Within this block an overflow to inf is intended: NumPy does not warn (CuPy never does)."""
    return np.errstate(over="ignore")


@contextlib.contextmanager
def simulate_gpu():
    """Within this block, ``"gpu"`` means guard arrays on the CPU (for tests without a GPU).

    Leaving the block reports checks of guard values still queued, so that none leaks out.
    """
    global _simulated
    previous = _simulated
    _simulated = True
    try:
        yield
    except BaseException:
        _discard_checks()
        raise
    else:
        flush_checks()
    finally:
        _simulated = previous

# ---------------------------------------------------------------- checks that never wait
# Checks of values (indices in range, logs of positive numbers) that never make the GPU wait.
#
# A check of values needs those values on the host.  On the CPU that is free, so the check runs
# at once.  On a GPU, reading even one flag makes the CPU wait until the GPU has finished all
# the work queued before it: a check inside every cross-entropy or embedding would stall every
# training step.  So on a device the check is *queued*: a one-element flag is computed there
# ("is any index out of range?") and the error is raised at the next moment the program reads
# from the GPU anyway (``loss.item()``, ``print``, ``.numpy()``, which ``fit`` does every step),
# after at most ``CHECK_LIMIT`` queued checks, on leaving ``simulate_gpu()``, or at once inside
# ``bp.detect_anomaly()``.  The error names the op and the bad value, as on the CPU.  PyTorch's
# CUDA kernels report such errors late too (device-side asserts).

CHECK_LIMIT = 32  # queued checks before they are read anyway
_pending: list = []  # (device flag, function making the exception)


def check_later(bad, make_error) -> None:
    """Raise ``make_error()`` if the boolean ``bad`` is true: now on the CPU, soon on a device."""
    if device_of(bad) == "cpu":
        if bool(bad):
            raise make_error()
        return
    _pending.append((bad, make_error))
    if len(_pending) >= CHECK_LIMIT or _grad_state["anomaly"]:
        flush_checks()


def check_range(array, low: int, high: int, make_error) -> None:
    """Raise ``make_error(bad_value)`` unless every value of ``array`` lies in ``low..high``."""
    if array.size == 0:
        return
    info = np.iinfo(array.dtype)  # bounds the dtype cannot hold need no check (and no overflow)
    low, high = max(low, int(info.min)), min(high, int(info.max))
    if device_of(array) == "cpu":
        smallest, largest = array.min(), array.max()
        if smallest < low or largest > high:
            raise make_error(int(smallest) if smallest < low else int(largest))
        return
    bad = ((array < low) | (array > high)).any()
    check_later(bad, lambda: make_error(_bad_value(array, low, high)))


def _bad_value(array, low: int, high: int) -> int:
    host = to_host(array)  # only after a check failed
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


def flush_checks() -> None:
    """Report queued checks of device values now (reading from the device does it anyway).

    Every queued flag is read (one copy per device kind) and the first failed check raised.
    """
    if not _pending:
        return
    items = list(_pending)
    _pending.clear()
    groups: dict = {}
    for flag, make_error in items:
        groups.setdefault(array_module(flag), []).append((flag, make_error))
    for xp, group in groups.items():
        flags = to_host(xp.stack([flag.reshape(()) for flag, _ in group]))
        for (_, make_error), bad in zip(group, flags):
            if bad:
                error = make_error()
                raise type(error)(f"{error} (Checked on the GPU without waiting for it, and reported "
                                  "when data was next read from it.)")


def _discard_checks() -> None:
    """Forget queued checks (an exception is already on its way)."""
    _pending.clear()
