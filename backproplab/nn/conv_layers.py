"""Image layers: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, and ``LayerNorm``.

Shapes follow ``torch.nn``: images are (batch, channels, height, width) and
``Conv2d.weight`` has shape (out_channels, in_channels, kh, kw).
"""

from __future__ import annotations

from .. import conv
from ..normalization import LayerNormFn
from ..random import rng_for
from ..tensor import Tensor
from .init import init_weights, resolve_init
from .layers import _as_input, _check_same_device
from .module import Module

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "LayerNorm"]


def _pair_to_int(value, name: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(set(value)) != 1:
            raise ValueError(f"{name} must be the same along both axes here, got {value}.")
        value = value[0]
    return int(value)


class Conv2d(Module):
    """A 2-D convolution: ``out_channels`` filters of size kernel_size x kernel_size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, init: str = "pytorch", activation: str | None = None,
                 seed: int | None = None, dtype="float32", device: str = "cpu"):
        k = _pair_to_int(kernel_size, "kernel_size")
        self.stride, self.padding = _pair_to_int(stride, "stride"), _pair_to_int(padding, "padding")
        if min(in_channels, out_channels, k, self.stride) < 1 or self.padding < 0:
            raise ValueError("Conv2d needs positive channels, kernel size and stride, and padding >= 0.")
        fan_in, fan_out = in_channels * k * k, out_channels * k * k
        w, b = init_weights(fan_in, fan_out, resolve_init(init, activation), rng_for(seed),
                            weight_shape=(out_channels, in_channels, k, k), n_bias=out_channels)
        self.weight = Tensor(w, dtype=dtype, device=device, requires_grad=True)
        self.bias = Tensor(b, dtype=dtype, device=device, requires_grad=True) if bias else None

    def forward(self, x) -> Tensor:
        """x of shape (N, C, H, W) -> (N, out_channels, H', W')."""
        x = _as_input(x, self.weight)
        _check_same_device(x, self.weight, "Conv2d")
        args = (x, self.weight) if self.bias is None else (x, self.weight, self.bias)
        return conv.Conv2d.apply(*args, stride=self.stride, padding=self.padding)

    def _extra_repr(self):
        f, c, k, _ = self.weight.shape
        return f"{c} -> {f}, kernel {k}x{k}, stride {self.stride}, padding {self.padding}"


class MaxPool2d(Module):
    """The maximum of each kernel_size x kernel_size window (stride = kernel_size unless told)."""

    def __init__(self, kernel_size, stride=None):
        self.kernel = _pair_to_int(kernel_size, "kernel_size")
        self.stride = _pair_to_int(stride, "stride") if stride is not None else self.kernel

    def forward(self, x):
        return conv.MaxPool2d.apply(x, kernel=self.kernel, stride=self.stride)


class AvgPool2d(Module):
    """The mean of each kernel_size x kernel_size window (stride = kernel_size unless told)."""

    def __init__(self, kernel_size, stride=None):
        self.kernel = _pair_to_int(kernel_size, "kernel_size")
        self.stride = _pair_to_int(stride, "stride") if stride is not None else self.kernel

    def forward(self, x):
        return conv.AvgPool2d.apply(x, kernel=self.kernel, stride=self.stride)


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W): keeps the batch axis, joins the rest."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class LayerNorm(Module):
    """Normalise the last axis to mean 0, variance 1, then scale by ``weight``, shift by ``bias``."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5, dtype="float32", device: str = "cpu"):
        self.eps = eps
        self.weight = Tensor([1.0] * normalized_shape, dtype=dtype, device=device, requires_grad=True)
        self.bias = Tensor([0.0] * normalized_shape, dtype=dtype, device=device, requires_grad=True)

    def forward(self, x):
        if x.shape[-1] != self.weight.shape[0]:
            raise ValueError(f"LayerNorm({self.weight.shape[0]}) got input whose last axis has "
                             f"{x.shape[-1]} features (shape {x.shape}).")
        return LayerNormFn.apply(x, self.weight, self.bias, eps=self.eps)
