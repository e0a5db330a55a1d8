"""Convolution and pooling: forward and backward side by side.

A convolution slides a small filter over the image.  ``conv2d`` does it without Python
loops over pixels: ``im2col`` cuts every filter-sized window out of the image through a
strided *view* (no copying until the final reshape), so the whole convolution becomes one
matrix product.  The backward pass is convolution again: the gradient of the filters is a
product of the same windows with the upstream gradient, and the gradient of the image
adds each window's share back where it came from (``col2im``, a loop over the few
filter offsets, not over pixels).
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "im2col", "col2im", "output_size"]


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many positions a kernel of ``kernel`` fits into ``size`` (+ padding) with ``stride``."""
    return (size + 2 * padding - kernel) // stride + 1


def _pad(x, padding: int):
    if padding == 0:
        return x
    xp = backend.array_module(x)
    return xp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _windows(x, kh: int, kw: int, stride: int):
    """A view of shape (N, C, OH, OW, kh, kw): every window of x, without copying."""
    n, c, h, w = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sn, sc, sh, sw = x.strides
    return backend.as_strided(x, (n, c, oh, ow, kh, kw), (sn, sc, sh * stride, sw * stride, sh, sw))


def im2col(x, kh: int, kw: int, stride: int):
    """Columns of shape (C*kh*kw, N*OH*OW): one flattened window per output position.

    The strided view is ordered (C, kh, kw, N, OH, OW) so that the single copy made by
    the reshape reads memory nearly in order (three times faster than window-major).
    """
    n, c, h, w = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sn, sc, sh, sw = x.strides
    view = backend.as_strided(x, (c, kh, kw, n, oh, ow), (sc, sh, sw, sn, sh * stride, sw * stride))
    return view.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def col2im(cols, x_shape, kh: int, kw: int, stride: int, oh: int, ow: int):
    """The adjoint of im2col: add every window's gradient back into an image of x_shape."""
    xp = backend.array_module(cols)
    n, c, h, w = x_shape
    grad = xp.zeros((c, n, h, w), dtype=cols.dtype)  # channel-major, like the columns
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    for i in range(kh):  # a loop over the kernel's offsets, not over pixels
        for j in range(kw):
            grad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j]
    return grad.transpose(1, 0, 2, 3)


def _check_conv_input(x, weight, stride: int, padding: int):
    if x.ndim != 4:
        raise ValueError(f"Conv2d expects input of shape (batch, channels, height, width); got shape "
                         f"{tuple(x.shape)}. A single image needs a batch axis: x.reshape(1, ...).")
    f, c, kh, kw = weight.shape
    if x.shape[1] != c:
        raise ValueError(f"Conv2d expects {c} input channels (weight shape {tuple(weight.shape)}), "
                         f"got input of shape {tuple(x.shape)} with {x.shape[1]} channels.")
    oh = output_size(x.shape[2], kh, stride, padding)
    ow = output_size(x.shape[3], kw, stride, padding)
    if oh < 1 or ow < 1:
        raise ValueError(f"Conv2d: a {kh}x{kw} kernel with stride {stride} and padding {padding} "
                         f"does not fit an input of {x.shape[2]}x{x.shape[3]} (the output would be "
                         f"{oh}x{ow}). Use more padding or a smaller kernel.")


class Conv2d(Function):
    """out[n, f] = sum_c (x[n, c] cross-correlated with weight[f, c]) + bias[f]."""

    def forward(self, x, weight, bias=None, stride=1, padding=0):
        _check_conv_input(x, weight, stride, padding)
        f, c, kh, kw = weight.shape
        self.x_shape, self.stride, self.padding, self.kernel = x.shape, stride, padding, (kh, kw)
        padded = _pad(x, padding)
        self.padded_shape = padded.shape
        self.cols, (oh, ow) = im2col(padded, kh, kw, stride)
        self.weight, self.out_hw = weight, (oh, ow)
        out = weight.reshape(f, -1) @ self.cols  # (F, N*OH*OW): one matrix product
        if bias is not None:
            out = out + bias.reshape(f, 1)
        return out.reshape(f, x.shape[0], oh, ow).transpose(1, 0, 2, 3)

    def backward(self, g):
        f = self.weight.shape[0]
        g2 = g.transpose(1, 0, 2, 3).reshape(f, -1)  # (F, N*OH*OW)
        gw = (g2 @ self.cols.T).reshape(self.weight.shape) if self.needs_grad[1] else None
        gb = g2.sum(axis=1) if len(self.needs_grad) > 2 and self.needs_grad[2] else None
        gx = None
        if self.needs_grad[0]:
            dcols = self.weight.reshape(f, -1).T @ g2
            padded = col2im(dcols, self.padded_shape, *self.kernel, self.stride, *self.out_hw)
            p = self.padding
            gx = padded[:, :, p:padded.shape[2] - p, p:padded.shape[3] - p] if p else padded
        return gx, gw, gb


def _check_pool_input(x, kernel: int, stride: int, name: str):
    if x.ndim != 4:
        raise ValueError(f"{name} expects input of shape (batch, channels, height, width); got {tuple(x.shape)}.")
    if output_size(x.shape[2], kernel, stride, 0) < 1 or output_size(x.shape[3], kernel, stride, 0) < 1:
        raise ValueError(f"{name}: a {kernel}x{kernel} window does not fit an input of "
                         f"{x.shape[2]}x{x.shape[3]}.")


def _tiles(x, k: int):
    """(N, C, OH, OW, k*k) copy of the non-overlapping k x k tiles of x (H, W divisible by k)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)


class MaxPool2d(Function):
    """The largest value of each window; the gradient goes to that value's position."""

    def forward(self, x, kernel=2, stride=None):
        stride = stride or kernel
        _check_pool_input(x, kernel, stride, "MaxPool2d")
        self.x_shape, self.kernel, self.stride = x.shape, kernel, stride
        # Non-overlapping tiles that cover the image exactly: reshape instead of strided windows.
        self.tiled = stride == kernel and x.shape[2] % kernel == 0 and x.shape[3] % kernel == 0
        flat = _tiles(x, kernel) if self.tiled else _windows(x, kernel, kernel, stride).reshape(
            *x.shape[:2], *(output_size(s, kernel, stride, 0) for s in x.shape[2:]), kernel * kernel)
        self.argmax = flat.argmax(axis=-1)
        xp = backend.array_module(x)
        return xp.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, g):
        xp = backend.array_module(g)
        k, s = self.kernel, self.stride
        if self.tiled:  # one-hot of the winner in every tile, folded back into the image
            n, c, oh, ow = g.shape
            hit = self.argmax[..., None] == xp.arange(k * k)
            tiles = (hit * g[..., None]).reshape(n, c, oh, ow, k, k)
            return (tiles.transpose(0, 1, 2, 4, 3, 5).reshape(self.x_shape),)
        grad = xp.zeros(self.x_shape, dtype=g.dtype)
        oh, ow = g.shape[2:]
        for i in range(k):
            for j in range(k):
                hit = self.argmax == i * k + j
                grad[:, :, i:i + s * oh:s, j:j + s * ow:s] += g * hit
        return (grad,)


class AvgPool2d(Function):
    """The mean of each window; the gradient is shared equally by the window's positions."""

    def forward(self, x, kernel=2, stride=None):
        stride = stride or kernel
        _check_pool_input(x, kernel, stride, "AvgPool2d")
        win = _windows(x, kernel, kernel, stride)
        self.x_shape, self.kernel, self.stride = x.shape, kernel, stride
        return win.mean(axis=(-2, -1))

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.zeros(self.x_shape, dtype=g.dtype)
        k, s = self.kernel, self.stride
        oh, ow = g.shape[2:]
        share = g / (k * k)
        for i in range(k):
            for j in range(k):
                grad[:, :, i:i + s * oh:s, j:j + s * ow:s] += share
        return (grad,)
