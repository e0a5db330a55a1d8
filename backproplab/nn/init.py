"""Weight initialisation by name, shared by both modes (it returns NumPy arrays).

The scale of the first weights decides whether signals and gradients keep their size
as they pass through many layers (see the vanishing-gradients notebook):

``"xavier"``  Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in + fan_out)): keeps the
              variance for tanh and sigmoid layers.
``"he"``      He (Kaiming) normal, N(0, 2 / fan_in): keeps the variance for ReLU layers.
``"pytorch"`` U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight *and* bias, torch.nn.Linear's default.
``"uniform"`` U(-1, 1), as in micrograd: fine for tiny nets, poor for deep ones.
``"auto"``    ``"he"`` for ReLU-like activations, ``"xavier"`` otherwise.
"""

from __future__ import annotations

import numpy as np

__all__ = ["INIT_SCHEMES", "init_weights", "resolve_init"]

INIT_SCHEMES = ("auto", "xavier", "he", "pytorch", "uniform")
_RELU_LIKE = ("relu", "gelu", "leaky_relu")


def resolve_init(init: str, activation: str | None) -> str:
    """The concrete scheme ``init`` stands for with this activation."""
    if init not in INIT_SCHEMES:
        raise ValueError(f"Unknown init {init!r}; choose one of {', '.join(INIT_SCHEMES)}.")
    if init == "auto":
        return "he" if activation in _RELU_LIKE else "xavier"
    return init


def init_weights(fan_in: int, fan_out: int, scheme: str, rng: np.random.Generator,
                 weight_shape: tuple | None = None, n_bias: int | None = None):
    """Return ``(weight, bias)`` as float64 arrays; weight has shape (fan_out, fan_in).

    Convolutions pass their own ``weight_shape`` and ``n_bias`` (their fans count the
    kernel area).
    """
    shape = weight_shape or (fan_out, fan_in)
    n_bias = fan_out if n_bias is None else n_bias
    if scheme == "xavier":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, shape), np.zeros(n_bias)
    if scheme == "he":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape), np.zeros(n_bias)
    if scheme == "pytorch":
        a = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-a, a, shape), rng.uniform(-a, a, n_bias)
    if scheme == "uniform":
        return rng.uniform(-1.0, 1.0, shape), np.zeros(n_bias)
    raise ValueError(f"Unknown init {scheme!r}; choose one of {', '.join(INIT_SCHEMES)}.")
