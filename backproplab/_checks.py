"""Argument checks shared by layers, widgets and data: a wrong size is an error that says so.

Without them a kernel size of 2.5 became 2, ``MaxPool2d(0)`` divided by zero in the
forward pass and a widget's slider clamped an out-of-range value without a word.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["whole_number", "real_number", "choice"]


def whole_number(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; floats such as 2.5 (or 2.0) are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {value!r}.")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = (f"between {minimum} and {maximum}" if maximum is not None
                  else "positive (>= 1)" if minimum == 1 else f">= {minimum}")
        raise ValueError(f"{name} must be {bounds}, got {value}.")
    return int(value)


def real_number(value, name: str, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within the bounds (open or closed), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        left = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        right = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        where = (f" in {left}, {right}" if low is not None and high is not None
                 else f" {'>' if low_open else '>='} {low:g}" if low is not None
                 else f" {'<' if high_open else '<='} {high:g}" if high is not None else "")
        raise ValueError(f"{name} must be a finite number{where}, got {value}.")
    return value


def choice(value, name: str, options) -> str:
    """``value`` if it is one of ``options``, else an error listing them."""
    if value not in tuple(options):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}.")
    return value
