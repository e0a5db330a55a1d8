"""Small tools for the checkers of code exercises: call the learner's code, compare results.

Each raises ``NotSolved`` while the learner's code is still the stub, and ``Wrong`` with a message
that says what differs, so that a checker reads as a list of the things a right answer does.
"""

from __future__ import annotations

import numpy as np

from .core import NotSolved, Wrong

__all__ = ["call", "expect_close", "expect_equal", "NotSolved", "Wrong"]


def call(function, *args, **kwargs):
    """``function(*args, **kwargs)``; a stub (returns None or raises NotImplementedError) is NotSolved."""
    if not callable(function):
        raise Wrong(f"expected a function or a class, got {type(function).__name__}.")
    try:
        result = function(*args, **kwargs)
    except NotImplementedError:
        raise NotSolved() from None
    if result is None:
        raise NotSolved()
    return result


def _as_array(value) -> np.ndarray:
    from .. import backend
    return backend.to_host(value).astype(np.float64)


def expect_close(got, expected, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Raise Wrong unless ``got`` equals ``expected`` (numbers or arrays) to the tolerance."""
    try:
        got_array = _as_array(got)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number or an array, got {type(got).__name__}.") from None
    expected_array = _as_array(expected)
    if got_array.shape != expected_array.shape:
        raise Wrong(f"{what} should have shape {expected_array.shape}, yours has {got_array.shape}.")
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got_array - expected_array)), got_array.shape)
        where = f" at index {tuple(int(i) for i in worst)}" if got_array.ndim else ""
        raise Wrong(f"{what} is off{where}: expected {expected_array[worst]:.6g}, "
                    f"got {got_array[worst]:.6g}.")


def expect_equal(got, expected, what: str) -> None:
    """Raise Wrong unless ``got == expected`` (counts, shapes, words)."""
    if got != expected:
        raise Wrong(f"{what} should be {expected!r}, got {got!r}.")
