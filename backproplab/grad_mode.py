"""The grad on/off switch and anomaly detection: the only global state of tensor mode."""

from __future__ import annotations

import contextlib

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled"]

_state = {"grad": True, "anomaly": False}


@contextlib.contextmanager
def _switch(key: str, value: bool):
    previous = _state[key]
    _state[key] = value
    try:
        yield
    finally:
        _state[key] = previous


def no_grad():
    """Inside ``with bp.no_grad():`` no graph is recorded (evaluation, manual updates)."""
    return _switch("grad", False)


def enable_grad():
    """Record graphs again inside a ``no_grad`` block."""
    return _switch("grad", True)


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph."""
    return _state["grad"]


def detect_anomaly():
    """Inside this block a NaN or inf gradient stops backward and names the op that made it."""
    return _switch("anomaly", True)


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly`` is on."""
    return _state["anomaly"]
