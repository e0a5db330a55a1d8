"""Turning Python data into tensor arrays, with a clear error for data that is not numbers.

``bp.Tensor(data)`` accepts numbers, nested lists of numbers, NumPy arrays, CuPy arrays and
other tensors.  Everything else is refused with a message that names the problem: ``None``
(NumPy would silently make it NaN), ragged lists (rows of different lengths), complex
numbers, strings, and scalar-mode ``Value``s (the two modes do not exchange gradients, so
a Value inside a Tensor would silently stop its gradient).

The helpers at the end turn the operands of tensor operators into tensors or numbers.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import backend
from .autograd import Node
from .scalar import Value

__all__ = ["as_array", "check_dtype", "host_array", "operand", "raw", "device_index", "MODE_MIX"]

MODE_MIX = ("gradients cannot flow between tensor mode (bp.Tensor) and scalar mode (bp.Value). "
            "Pick one mode: build everything from Values, or from Tensors (bp.Tensor(value.data) "
            "makes a constant tensor from a Value's number).")

_ACCEPTED = "Tensor data must be numeric: numbers, nested lists of numbers or an array"


def _tensor_node(x) -> bool:
    """Whether ``x`` is a Tensor: the one kind of graph node that is not a Value.

    Asked through ``Node`` because tensor.py imports this module (no import circle).
    """
    return isinstance(x, Node) and not isinstance(x, Value)


def check_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype of numbers (float, int, bool), or a clear error."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Unknown dtype {dtype!r}; use 'float32', 'float64', an integer type such "
                        "as 'int64', or 'bool'.") from None
    if dt.kind not in "biuf":
        raise TypeError(f"Tensors hold real numbers; dtype {dt} is not supported. Use 'float32', "
                        "'float64', an integer type or 'bool'.")
    return dt


def _refuse_element(value, position) -> None:
    """Raise the error that fits one element of an object array that is not a real number."""
    where = f" at position {position}" if position != () else ""
    if value is None:
        raise ValueError(f"Tensor data contains None{where}. A missing value has no number to "
                         "compute with: remove it, or write float('nan') if you mean NaN.")
    if isinstance(value, Value):
        raise TypeError(f"Tensor data contains a bp.Value{where}: {MODE_MIX}")
    if _tensor_node(value):
        raise TypeError(f"Tensor data contains a Tensor{where}. Join tensors with bp.stack or "
                        "bp.concatenate (they keep gradients).")
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError(f"Tensor data contains the complex number {value!r}{where}; tensors hold "
                        "real numbers. Take .real, .imag or abs() first.")
    raise TypeError(f"Tensor data contains {type(value).__name__} {value!r}{where}. {_ACCEPTED}.")


def host_array(data) -> np.ndarray:
    """Python data (numbers, nested lists, array-likes) as a NumPy array of numbers."""
    return _host_array_and_device(data)[0]


def _devices_inside(data) -> set:
    """The devices of the arrays and tensors inside nested lists (numbers belong to none)."""
    if isinstance(data, (list, tuple)):
        return set().union(*(_devices_inside(item) for item in data)) if data else set()
    if _tensor_node(data):
        return {data.device}
    if hasattr(data, "shape") and not isinstance(data, np.generic):
        return {backend.device_of(data)}
    return set()


def _copied_to_host(data):
    """Nested lists with every array and tensor in them copied to the host, explicitly."""
    if isinstance(data, (list, tuple)):
        return [_copied_to_host(item) for item in data]
    return backend.to_host(data) if hasattr(data, "shape") else data


def _host_array_and_device(data):
    """``host_array(data)`` and ``"gpu"`` if the lists held device arrays (copied), else None."""
    if isinstance(data, Value):
        raise TypeError(f"Cannot make a Tensor from a bp.Value: {MODE_MIX}")
    if data is None or isinstance(data, (str, bytes, dict, set, frozenset)) or (
            hasattr(data, "__next__") and not hasattr(data, "shape")):
        raise TypeError(f"Cannot make a Tensor from {type(data).__name__}. {_ACCEPTED}"
                        f"{' (make a list first: list(...))' if hasattr(data, '__next__') else ''}.")
    if isinstance(data, (list, tuple)):
        for item in data:  # one level is enough to catch bp.Tensor([w1, w2]) losing gradients
            if _tensor_node(item) and item.requires_grad:
                raise TypeError("Tensor data contains a Tensor that requires grad; copying it into a "
                                "new Tensor would cut its gradient. Use bp.stack(tensors) instead.")
    inner_device = None
    try:
        try:
            array = np.asarray(data)
        except TypeError:
            # Device arrays (CuPy's, the guard's) refuse to become NumPy arrays implicitly, as in
            # bp.Tensor([a.data, b.data]): copy them explicitly; the tensor goes back to their device.
            devices = _devices_inside(data) if isinstance(data, (list, tuple)) else set()
            if "gpu" not in devices:
                raise
            if len(devices) > 1:
                raise backend.DeviceError("The list holds data on the CPU and on the GPU; move it to "
                                          "one device first (.to(...)).") from None
            array, inner_device = np.asarray(_copied_to_host(data)), "gpu"
    except ValueError:
        raise ValueError(f"Cannot make a Tensor from a ragged {type(data).__name__}: its rows have "
                         "different lengths. Every row needs the same number of entries; pad the "
                         "short rows, or make one tensor per row.") from None
    if array.dtype.kind == "O":
        for position, value in np.ndenumerate(array):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                _refuse_element(value, position)
        array = array.astype(np.float64)  # e.g. Python integers too large for int64
    elif array.dtype.kind == "c":
        raise TypeError("Tensors hold real numbers, not complex ones. Take .real, .imag or abs() first.")
    elif array.dtype.kind not in "biuf":
        raise TypeError(f"Cannot make a Tensor from data of dtype {array.dtype}. {_ACCEPTED}.")
    return array, inner_device


def _check_integer_range(array, dtype: np.dtype) -> None:
    """Refuse values that an integer dtype cannot hold (NumPy would wrap them around silently)."""
    if dtype.kind not in "iu" or array.size == 0 or array.dtype == dtype:
        return
    if array.dtype.kind == "f" and not bool(np.isfinite(array).all()):
        raise ValueError(f"NaN or inf cannot be stored in an integer tensor ({dtype}).")
    info = np.iinfo(dtype)
    low, high = array.min(), array.max()
    if low < info.min or high > info.max:
        bad = low if low < info.min else high
        raise OverflowError(f"{bad} does not fit in {dtype} (range {info.min}..{info.max}); "
                            "choose a larger integer dtype.")


def as_array(data, dtype, device):
    """``data`` as an array of the requested dtype on the requested device."""
    if _tensor_node(data):
        data = data._data
    if dtype is not None:
        dtype = check_dtype(dtype)
    source_device = backend.device_of(data)
    if source_device == "cpu" and not (isinstance(data, np.ndarray) and data.dtype.kind in "biuf"):
        data, inner_device = _host_array_and_device(data)
        if inner_device is not None and device is None:
            device = inner_device  # a list of GPU arrays makes a GPU tensor
    elif data.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric, got dtype {data.dtype}.")
    if dtype is None:
        if data.dtype.kind not in "biu":  # floats default to float32
            dtype = np.float32
    elif source_device == "cpu":
        _check_integer_range(data, dtype)
    return backend.to_device(data, source_device if device is None else device, dtype=dtype)


def raw(x, like):
    """The array or number inside ``x``, on ``like``'s device, for non-differentiable comparisons.

    Python lists are data without a device: they follow the tensor (CuPy refuses lists, so
    they are made arrays first).  Arrays and tensors on another device are an error.
    """
    if isinstance(x, Value):
        raise TypeError(f"Cannot compare a Tensor with a bp.Value: {MODE_MIX}")
    if isinstance(x, (list, tuple)):
        return backend.to_device(host_array(x), like.device)
    array = x._data if _tensor_node(x) else x
    on_a_device = hasattr(array, "shape") and not isinstance(array, np.generic)
    if on_a_device and backend.device_of(array) != like.device:
        raise backend.DeviceError(f"Comparing a tensor on '{like.device}' with data on "
                                  f"'{backend.device_of(array)}'. Move one first, e.g. .to('{like.device}').")
    return array


def _tensor_free(index):
    if isinstance(index, tuple):
        return tuple(_tensor_free(i) for i in index)
    return index._data if _tensor_node(index) else index


def device_index(index, like):
    """An index for ``like``: tensors and lists in it become arrays on ``like``'s device, and every
    integer array is checked against ``like``'s shape (CuPy would wrap an index out of range)."""
    return backend.checked_index(_tensor_free(index), like.shape, like.device)


def operand(x, like):
    """Python numbers stay numbers; arrays and lists become Tensors of ``like``'s dtype."""
    if _tensor_node(x):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_)):
        if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
            raise TypeError(f"Tensors hold real numbers; cannot combine one with {x!r}.")
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    if isinstance(x, Value):
        raise TypeError(f"A Tensor met a bp.Value in an operation: {MODE_MIX}")
    dtype = like.dtype if like.dtype.kind == "f" else None
    # Python lists are data without a device: they follow the tensor, as numbers do
    tensor = type(like)  # Tensor, which this module cannot import (see _tensor_node)
    return tensor(x, dtype=dtype, device=backend.device_of(x) if hasattr(x, "shape") else like.device)

