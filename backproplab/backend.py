"""Devices: NumPy on the CPU, CuPy on an NVIDIA GPU.  The only module that imports CuPy.

Tensor code never names NumPy directly for tensor data: it asks ``array_module(array)``
for the module (``xp``) that owns the array and calls ``xp.exp``, ``xp.zeros`` and so
on.  The same line then runs on either device.

Data moves between devices only when asked (``Tensor.to("gpu")``); mixing devices is an
error that says so.  CI has no GPU, so ``simulate_gpu()`` lets tests stand a *guard*
array in for CuPy: a NumPy array that, like a CuPy array, refuses to be mixed with
host arrays.  Code that would break on a real GPU breaks on the guard too.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ._guard import GuardArray, guard_numpy

__all__ = [
    "DEVICES", "gpu_available", "gpu_status", "check_device", "array_module", "device_of",
    "to_device", "to_host", "scatter_add", "erf", "erfc", "as_strided", "simulate_gpu", "DeviceError",
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
    """``(usable, reason)``: whether CuPy has a usable GPU, and why not if it has none."""
    global _gpu_checked
    if _simulated:
        return True, "simulated GPU (guard arrays on the CPU, for tests)"
    if _gpu_checked is not None:
        return _gpu_checked
    if _cupy is None:
        reason = (f"CuPy is not installed ({_cupy_error}). Install it with "
                  "pip install -e \".[gpu]\" (CUDA 12) or pip install cupy-cuda13x.")
        _gpu_checked = (False, reason)
        return _gpu_checked
    try:
        if not _cupy.is_available():
            raise RuntimeError("cupy.is_available() is False")
        count = _cupy.cuda.runtime.getDeviceCount()
        # One tiny kernel proves the driver and the JIT compiler work.
        if float((_cupy.arange(3, dtype=_cupy.float32) * 2).sum()) != 6.0:
            raise RuntimeError("a test kernel computed a wrong result")
        _gpu_checked = (True, f"{count} CUDA device(s)")
    except Exception as exc:  # noqa: BLE001 - CUDA errors come in many types
        _gpu_checked = (False, f"CuPy is installed but no usable GPU was found ({exc}): "
                               "no NVIDIA driver, or no device.")
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
    return xp.asarray(np.asarray(array), dtype=dtype)


def to_host(array) -> np.ndarray:
    """A NumPy array with the values of ``array`` (copied from the GPU if needed)."""
    if isinstance(array, GuardArray):
        return array.view(np.ndarray)
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up (np.add.at on every device)."""
    if _cupy is not None and isinstance(target, _cupy.ndarray):
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        array_module(target).add.at(target, index, values)


def as_strided(array, shape, strides):
    """A view of ``array`` with the given shape and byte strides (no copy), on its device."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)
    # subok keeps guard arrays guard arrays
    return np.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, subok=True,
                                           writeable=False)


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
    xp = array_module(array)
    host = np.asarray(to_host(array))
    values = np.asarray(np.frompyfunc(getattr(math, name), 1, 1)(host), dtype=host.dtype)
    return values if xp is np else xp.asarray(values)


@contextlib.contextmanager
def simulate_gpu():
    """Within this block, ``"gpu"`` means guard arrays on the CPU (for tests without a GPU)."""
    global _simulated
    previous = _simulated
    _simulated = True
    try:
        yield
    finally:
        _simulated = previous
