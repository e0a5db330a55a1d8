"""A CPU stand-in for GPU arrays, so that CI without a GPU catches device mistakes.

``GuardArray`` is a NumPy array that behaves like a CuPy array where it matters:

* mixing it with a plain NumPy array in arithmetic or a NumPy function raises
  ``TypeError``, as CuPy does (``cupy_array + numpy_array``);
* array creation must go through its own module, ``guard_numpy`` (the ``xp`` of guard
  arrays): ``xp.zeros`` gives a guard array, ``numpy.zeros`` a host array that will be
  refused as soon as it meets one.

Python numbers and NumPy scalars mix freely, as with CuPy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GuardArray", "guard_numpy", "HostDeviceMixError"]


class HostDeviceMixError(TypeError):
    """A host (NumPy) array met a device array."""


def _refuse_host_arrays(items) -> None:
    for item in items:
        if isinstance(item, (list, tuple)):
            _refuse_host_arrays(item)
        elif isinstance(item, np.ndarray) and not isinstance(item, GuardArray):
            raise HostDeviceMixError(
                f"A host NumPy array of shape {item.shape} met a device array. On a GPU this "
                "fails: move the data explicitly (Tensor.to(...) or the device's xp module)."
            )


def _unwrap(item):
    if isinstance(item, GuardArray):
        return item.view(np.ndarray)
    if isinstance(item, list):
        return [_unwrap(x) for x in item]
    if isinstance(item, tuple):
        return tuple(_unwrap(x) for x in item)
    return item


def _wrap(result):
    if isinstance(result, np.generic):  # 0-d results stay device arrays, as in CuPy
        return np.asarray(result).view(GuardArray)
    if isinstance(result, np.ndarray) and not isinstance(result, GuardArray):
        return result.view(GuardArray)
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


class GuardArray(np.ndarray):
    """A NumPy array that refuses to mix with host arrays, like a CuPy array."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_host_arrays(inputs)
        _refuse_host_arrays(kwargs.get("out", ()))
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        _refuse_host_arrays(args)
        _refuse_host_arrays(tuple(kwargs.values()))
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))


def _creating(name):
    numpy_function = getattr(np, name)

    def create(*args, **kwargs):
        return _wrap(numpy_function(*_unwrap(args), **_unwrap(kwargs)))

    create.__name__ = name
    create.__doc__ = f"numpy.{name}, returning a guard (device) array."
    return create


class _GuardNumpy:
    """The array module of guard arrays: NumPy's functions, creating guard arrays."""

    _CREATORS = ("asarray", "array", "zeros", "ones", "empty", "full", "arange", "eye",
                 "zeros_like", "ones_like", "empty_like", "full_like", "linspace")

    def __init__(self):
        for name in self._CREATORS:
            setattr(self, name, _creating(name))

    def __getattr__(self, name):
        # Everything else (exp, maximum, float32, add, ...) is NumPy's own: it works on guard
        # arrays through __array_ufunc__ / __array_function__ and refuses host arrays.
        return getattr(np, name)


guard_numpy = _GuardNumpy()
