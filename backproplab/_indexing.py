"""Which axis each integer-array part of an index selects from (shared by the checks and the guard).

``x[rows, 1:3, [0, 2]]`` picks from axis 0 with ``rows`` and from axis 2 with ``[0, 2]``.
NumPy raises for an integer outside ``-n..n-1``; CuPy *wraps* it (index 5 of 3 rows is row
2) because checking would make the GPU wait.  So the package checks integer-array indices
itself (``backend.check_index``), and the guard wraps them as CuPy does; both need to know
which axis, of which size, each integer array indexes.
"""

from __future__ import annotations

import numbers

__all__ = ["integer_array_parts"]


def _is_integer_array(part) -> bool:
    # NumPy integer scalars have a dtype too, but index like Python ints (and are checked).
    dtype = getattr(part, "dtype", None)
    return dtype is not None and dtype.kind in "iu" and not isinstance(part, numbers.Integral)


def _is_bool_array(part) -> bool:
    dtype = getattr(part, "dtype", None)
    return dtype is not None and dtype.kind == "b"


def _axes_used(part) -> int:
    """How many axes of the indexed array one part of an index consumes."""
    if part is None or part is Ellipsis or isinstance(part, bool):
        return 0  # np.newaxis adds an axis; a lone True/False adds one too
    if _is_bool_array(part):
        return part.ndim  # a mask covers as many axes as it has
    return 1  # integers, slices and integer arrays each select along one axis


def integer_array_parts(index, shape: tuple) -> list:
    """``[(position, axis, axis size), ...]`` for every integer-array part of ``index``.

    ``position`` is where the part sits in the index as a tuple, ``axis`` the axis of the
    indexed array it selects along.  Lists must have been
    turned into arrays first.  Parts that do not fit the shape are left for NumPy/CuPy to
    report (too many indices, a mask of the wrong shape).
    """
    parts = index if isinstance(index, tuple) else (index,)
    used = sum(_axes_used(p) for p in parts if p is not Ellipsis)
    found, axis = [], 0
    for position, part in enumerate(parts):
        if part is Ellipsis:
            axis += max(len(shape) - used, 0)
            continue
        if _is_integer_array(part) and axis < len(shape):
            found.append((position, axis, shape[axis]))
        axis += _axes_used(part)
    return found
