"""Image and signal layers: ``Conv2d``, ``Conv1d``, ``MaxPool2d``, ``AvgPool2d``, ``MaxPool1d``, ``Flatten``.

Shapes follow ``torch.nn``: images are (batch, channels, height, width) and
``Conv2d.weight`` has shape (out_channels, in_channels, kh, kw).
"""

from __future__ import annotations

from .. import conv, pooling
from .._checks import whole_number
from ..functional import concatenate
from ..random import rng_for
from ..tensor import Tensor
from .init import init_weights, resolve_init
from .layers import _as_input, _check_same_device
from .module import Module

__all__ = ["Conv2d", "Conv1d", "MaxPool2d", "MaxPool1d", "AvgPool2d", "Flatten"]


def _pair_to_int(value, name: str, minimum: int = 1) -> int:
    """One whole number for both axes (a pair must repeat it: (3, 3))."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or len(set(value)) != 1:
            raise ValueError(f"{name} must be one number, or the same number for both axes (3, 3); "
                             f"got {value}.")
        value = value[0]
    return whole_number(value, name, minimum)


class Conv2d(Module):
    """A 2-D convolution: ``out_channels`` filters of size kernel_size x kernel_size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, init: str = "pytorch", activation: str | None = None,
                 seed: int | None = None, dtype="float32", device: str = "cpu"):
        in_channels = whole_number(in_channels, "Conv2d: in_channels")
        out_channels = whole_number(out_channels, "Conv2d: out_channels")
        k = _pair_to_int(kernel_size, "Conv2d: kernel_size")
        self.stride = _pair_to_int(stride, "Conv2d: stride")
        self.padding = _pair_to_int(padding, "Conv2d: padding", minimum=0)
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
        return conv.Conv2dFn.apply(*args, stride=self.stride, padding=self.padding)

    def _extra_repr(self):
        f, c, k, _ = self.weight.shape
        return f"{c} -> {f}, kernel {k}x{k}, stride {self.stride}, padding {self.padding}"


class Conv1d(Module):
    """A 1-D convolution over signals of shape (batch, channels, length).

    It is the 2-D convolution with a 1 x kernel_size filter; weight has shape
    (out_channels, in_channels, kernel_size), as in torch.nn.Conv1d.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True, init: str = "pytorch", activation: str | None = None,
                 seed: int | None = None, dtype="float32", device: str = "cpu"):
        in_channels = whole_number(in_channels, "Conv1d: in_channels")
        out_channels = whole_number(out_channels, "Conv1d: out_channels")
        kernel_size = whole_number(kernel_size, "Conv1d: kernel_size")
        self.stride = whole_number(stride, "Conv1d: stride")
        self.padding = whole_number(padding, "Conv1d: padding", minimum=0)
        fan_in, fan_out = in_channels * kernel_size, out_channels * kernel_size
        w, b = init_weights(fan_in, fan_out, resolve_init(init, activation), rng_for(seed),
                            weight_shape=(out_channels, in_channels, kernel_size), n_bias=out_channels)
        self.weight = Tensor(w, dtype=dtype, device=device, requires_grad=True)
        self.bias = Tensor(b, dtype=dtype, device=device, requires_grad=True) if bias else None

    def forward(self, x) -> Tensor:
        """x of shape (N, C, L) -> (N, out_channels, L')."""
        x = _as_input(x, self.weight)
        _check_same_device(x, self.weight, "Conv1d")
        if x.ndim != 3 or x.shape[1] != self.weight.shape[1]:
            raise ValueError(f"Conv1d expects input of shape (batch, {self.weight.shape[1]}, length), "
                             f"got {x.shape}.")
        if self.padding:  # zeros on both ends of the length axis only
            zeros = Tensor(x.xp.zeros(x.shape[:2] + (self.padding,), dtype=x.dtype))
            x = concatenate([zeros, x, zeros], axis=2)
        f, c, k = self.weight.shape
        images = x.reshape(x.shape[0], c, 1, x.shape[2])
        args = (images, self.weight.reshape(f, c, 1, k))
        args = args if self.bias is None else args + (self.bias,)
        out = conv.Conv2dFn.apply(*args, stride=self.stride)
        return out.reshape(out.shape[0], f, out.shape[3])


class MaxPool1d(Module):
    """The maximum of each window of ``kernel_size`` along the length (stride = kernel_size)."""

    def __init__(self, kernel_size: int):
        self.kernel = whole_number(kernel_size, "MaxPool1d: kernel_size")

    def forward(self, x):
        n, c, length = x.shape
        usable = length - length % self.kernel  # a partial window at the end is dropped, as torch
        if usable == 0:
            raise ValueError(f"MaxPool1d({self.kernel}) does not fit a signal of length {length}.")
        return x[:, :, :usable].reshape(n, c, usable // self.kernel, self.kernel).max(axis=-1)


class _Pool2d(Module):
    """What both 2-D poolings share: one window size (and stride, and padding) for both axes."""

    function = None  # the Function that pools: pooling.MaxPool2dFn or pooling.AvgPool2dFn

    def __init__(self, kernel_size, stride=None, padding=0):
        name = type(self).__name__
        self.kernel = _pair_to_int(kernel_size, f"{name}: kernel_size")
        self.stride = _pair_to_int(stride, f"{name}: stride") if stride is not None else self.kernel
        self.padding = pooling.check_pool_padding(_pair_to_int(padding, f"{name}: padding", minimum=0),
                                                  self.kernel, name)

    def forward(self, x):
        return self.function.apply(x, kernel=self.kernel, stride=self.stride, padding=self.padding)

    def _extra_repr(self):
        return f"kernel {self.kernel}x{self.kernel}, stride {self.stride}, padding {self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum of each kernel_size x kernel_size window (stride = kernel_size unless told).

    ``padding`` adds that many pixels of the lowest value around the image, as PyTorch does:
    they never win a window, so every window keeps a real maximum.
    """

    function = pooling.MaxPool2dFn


class AvgPool2d(_Pool2d):
    """The mean of each kernel_size x kernel_size window (stride = kernel_size unless told).

    ``padding`` adds zeros around the image, and they count in the means of the windows that
    cover them (PyTorch's default, ``count_include_pad=True``).
    """

    function = pooling.AvgPool2dFn


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W): keeps the batch axis, joins the rest (any rank)."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)
