"""A CPU stand-in for GPU arrays, as strict as CuPy, so that CI without a GPU catches device mistakes.

``GuardArray`` holds a NumPy array but is not one (a ``cupy.ndarray`` is not one either), and
behaves like a CuPy array wherever CuPy differs from NumPy:

* **no implicit conversion**: ``np.asarray(g)``, ``np.array(g)``, ``np.array([g, g])`` and
  matplotlib refuse it with ``TypeError``; copies to the host are explicit (``g.get()``,
  ``backend.to_host(g)``);
* **no host data in arithmetic**: ufuncs and operators refuse NumPy arrays
  (``HostDeviceMixError``) and Python lists or tuples (``TypeError``, as CuPy's "Unsupported
  type"); Python numbers and NumPy scalars mix freely;
* **out-of-range integer-array indices wrap around** (index 5 of 3 rows reads row 2) in reading,
  writing and ``add.at``, as CuPy does to avoid a device synchronisation; only the package's
  own checks can stop them.  A single integer out of range raises ``IndexError``, as in CuPy;
* **no floating-point warnings**: log(0) is -inf without a ``RuntimeWarning``, as in CuPy;
* **transfers are counted**: reading values (``item``, ``bool``, ``float``, ``tolist``,
  ``get``) is a download, making a device array from host data an upload.  Tests use
  ``count_transfers()`` to show that a training step never waits for the device.

NumPy's functions work on guard arrays and return guard arrays (CuPy supports them the same
way, through ``__array_ufunc__`` and ``__array_function__``).  ``guard_numpy`` is the ``xp`` of
guard arrays: its creation functions make guard arrays and ``guard_numpy.random`` draws random
numbers "on the device".
"""

from __future__ import annotations

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from ._indexing import integer_array_parts

__all__ = ["GuardArray", "guard_numpy", "HostDeviceMixError", "count_transfers"]

_counts = [0, 0]  # downloads (device -> host), uploads (host -> device)


class HostDeviceMixError(TypeError):
    """A host (NumPy) array met a device array."""


class TransferCount:
    """Downloads and uploads of guard data since this object was made (see ``count_transfers``)."""

    def __init__(self):
        self._start = tuple(_counts)

    downloads = property(lambda self: _counts[0] - self._start[0], doc="device -> host copies")
    uploads = property(lambda self: _counts[1] - self._start[1], doc="host -> device copies")


def count_transfers() -> TransferCount:
    """Start counting copies between the guard "device" and the host."""
    return TransferCount()


def _host_array_error(array) -> HostDeviceMixError:
    return HostDeviceMixError(
        f"A host NumPy array of shape {array.shape} met a device array. On a GPU this fails: move "
        "the data explicitly (Tensor.to(...) or the device's xp module)."
    )


def _operand(item):
    """An input of a ufunc: what CuPy's ufuncs accept, unwrapped."""
    if isinstance(item, GuardArray):
        return item._a
    if isinstance(item, np.ndarray):
        raise _host_array_error(item)
    if isinstance(item, (list, tuple)):  # CuPy: "Unsupported type <class 'list'>"
        raise TypeError(f"Unsupported type {type(item)}: a device array does not combine with a Python "
                        f"{type(item).__name__}; make a device array of it first (xp.asarray).")
    return item


def _unwrap(item):
    """Arguments of a NumPy function: guard arrays unwrapped, host arrays refused."""
    if isinstance(item, GuardArray):
        return item._a
    if isinstance(item, np.ndarray):
        raise _host_array_error(item)
    if isinstance(item, list):
        return [_unwrap(x) for x in item]
    if isinstance(item, tuple):
        return tuple(_unwrap(x) for x in item)
    if isinstance(item, dict):
        return {k: _unwrap(v) for k, v in item.items()}
    return item


def _wrap(result):
    if isinstance(result, np.ndarray):
        return GuardArray(result)
    if isinstance(result, np.generic):  # CuPy returns 0-d arrays where NumPy returns scalars
        return GuardArray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def _device_index(index, shape):
    """``index`` for the wrapped NumPy array, with integer arrays wrapped around as CuPy does."""
    parts = list(index) if isinstance(index, tuple) else [index]
    for i, part in enumerate(parts):
        if isinstance(part, GuardArray):
            parts[i] = part._a
        elif isinstance(part, (list, np.ndarray)):  # CuPy copies these to the device itself
            _counts[1] += 1
            parts[i] = np.asarray(part)
    for position, _, size in integer_array_parts(tuple(parts), shape):
        if size:
            parts[position] = np.mod(parts[position], size)  # CuPy wraps; NumPy would raise
    return tuple(parts) if isinstance(index, tuple) else parts[0]


def _download(array: "GuardArray") -> np.ndarray:
    _counts[0] += 1
    return array._a


class GuardArray(NDArrayOperatorsMixin):
    """An array on the guard "device": a NumPy array behind CuPy's rules (see the module)."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array: np.ndarray):
        self._a = array  # internal: results of device work, never copied from the host here

    # ---------------------------------------------------------------- NumPy protocols
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (as with CuPy). Copy "
                        "the data to the host explicitly: backend.to_host(array) or .get().")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":  # ufunc.at(target, index, values): in place, indices wrap as in CuPy
            target, index, *values = inputs
            if not isinstance(target, GuardArray):
                raise _host_array_error(np.asarray(target))
            ufunc.at(target._a, _device_index(index, target._a.shape), *map(_operand, values))
            return None
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_operand(o) for o in out)
        if "where" in kwargs:
            kwargs["where"] = _operand(kwargs["where"])
        with np.errstate(all="ignore"):  # CuPy computes inf and NaN without warnings
            result = getattr(ufunc, method)(*map(_operand, inputs), **kwargs)
        if out is not None:  # in place (a += b): give back the same guard objects
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (GuardArray, np.ndarray)) for t in types):
            return NotImplemented
        with np.errstate(all="ignore"):
            return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # ---------------------------------------------------------------- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: GuardArray(self._a.T))

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, index):
        return _wrap(self._a[_device_index(index, self._a.shape)])

    def __setitem__(self, index, value):
        self._a[_device_index(index, self._a.shape)] = _operand(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---------------------------------------------------------------- reading values: downloads
    def get(self) -> np.ndarray:
        """A NumPy copy of the values (as ``cupy.ndarray.get``)."""
        return _download(self).copy()

    def item(self):
        """The single value, as a Python number (a download)."""
        return _download(self).item()

    def tolist(self):
        """The values as nested Python lists (a download)."""
        return _download(self).tolist()

    def __bool__(self):
        return bool(_download(self))

    def __float__(self):
        return float(_download(self))

    def __int__(self):
        return int(_download(self))

    def __index__(self):
        return _download(self).__index__()

    def __repr__(self):
        return repr(_download(self)).replace("array(", "guard_array(", 1)

    __str__ = __repr__

    def __reduce__(self):
        return (GuardArray, (self.get(),))


def _method(name: str):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs)))

    method.__name__ = name
    method.__doc__ = f"numpy.ndarray.{name}, on the device."
    return method


# The ndarray methods CuPy also has and the package uses; anything else is an AttributeError,
# as it may be on a GPU.
for _name in ("reshape", "transpose", "swapaxes", "sum", "mean", "max", "min", "argmax", "argmin", "any",
              "all", "astype", "copy", "ravel", "flatten", "squeeze", "clip", "cumsum", "prod", "std",
              "var", "dot", "nonzero", "repeat", "fill", "view", "round"):
    setattr(GuardArray, _name, _method(_name))


def _creating(name: str, uploads: bool):
    numpy_function = getattr(np, name)

    def create(*args, **kwargs):
        if uploads and not (args and isinstance(args[0], GuardArray)):
            _counts[1] += 1  # host data copied to the device: allowed here, it is explicit
            return _wrap(numpy_function(*args, **kwargs))
        return _wrap(numpy_function(*_unwrap(args), **_unwrap(kwargs)))

    create.__name__ = name
    create.__doc__ = f"numpy.{name}, returning a guard (device) array."
    return create


class _GuardGenerator:
    """A random generator on the guard device (as ``cupy.random.Generator``): no uploads."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        """Uniform numbers in [0, 1)."""
        return _wrap(self._rng.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64):
        """Standard normal numbers."""
        return _wrap(self._rng.standard_normal(size, dtype=dtype))


class _GuardRandom:
    """``guard_numpy.random``: only what the package draws on a device."""

    @staticmethod
    def default_rng(seed=None) -> _GuardGenerator:
        """A seeded generator whose arrays are born on the device."""
        return _GuardGenerator(seed)


class _GuardNumpy:
    """The array module of guard arrays: NumPy's functions, creating guard arrays."""

    _UPLOADS = ("asarray", "array", "ascontiguousarray")
    _CREATORS = ("zeros", "ones", "empty", "full", "arange", "eye", "zeros_like", "ones_like",
                 "empty_like", "full_like", "linspace")
    ndarray = GuardArray
    random = _GuardRandom()

    def __init__(self):
        for name in self._UPLOADS + self._CREATORS:
            setattr(self, name, _creating(name, uploads=name in self._UPLOADS))

    @staticmethod
    def asnumpy(array) -> np.ndarray:
        """A NumPy copy of a guard array (as ``cupy.asnumpy``)."""
        return array.get() if isinstance(array, GuardArray) else np.asarray(array)

    def __getattr__(self, name):
        # Everything else (exp, maximum, float32, add, ...) is NumPy's own: it works on guard
        # arrays through __array_ufunc__ / __array_function__ and refuses host arrays.
        return getattr(np, name)


guard_numpy = _GuardNumpy()
