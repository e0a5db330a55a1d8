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
    """The adjoint of im2col: add every window's gradient back into an image of x_shape.

    The sums run in (H, W, C, N) memory order, where every kernel offset adds one block of
    long contiguous rows (about 3x faster than channel-major); the result is a view in
    (N, C, H, W) order.
    """
    xp = backend.array_module(cols)
    n, c, h, w = x_shape
    grad = xp.zeros((h, w, c, n), dtype=cols.dtype)
    blocks = xp.ascontiguousarray(cols.reshape(c, kh, kw, n, oh, ow).transpose(1, 2, 4, 5, 0, 3))
    for i in range(kh):  # a loop over the kernel's offsets, not over pixels
        for j in range(kw):
            grad[i:i + stride * oh:stride, j:j + stride * ow:stride] += blocks[i, j]
    return grad.transpose(3, 2, 0, 1)


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

    saves = (0, 1)

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
            out += bias.reshape(f, 1)  # in place: out is a fresh array
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


def _offsets(x, kernel: int, stride: int):
    """For each (i, j) in the window, the strided view of the pixels at that offset: (N, C, OH, OW).

    Pooling then works offset by offset on whole arrays: a loop over the k*k window
    positions, never over pixels.
    """
    oh = output_size(x.shape[2], kernel, stride, 0)
    ow = output_size(x.shape[3], kernel, stride, 0)
    for i in range(kernel):
        for j in range(kernel):
            yield i * kernel + j, (slice(None), slice(None), slice(i, i + stride * oh, stride),
                                   slice(j, j + stride * ow, stride))


class MaxPool2d(Function):
    """The largest value of each window; the gradient goes to that value's position."""

    saves = ()

    def forward(self, x, kernel=2, stride=None):
        stride = stride or kernel
        _check_pool_input(x, kernel, stride, "MaxPool2d")
        xp = backend.array_module(x)
        self.x, self.kernel, self.stride = x, kernel, stride
        best = winner = None
        for k, where in _offsets(x, kernel, stride):
            candidate = x[where]
            if best is None:
                best, winner = candidate, xp.zeros(candidate.shape, dtype=xp.int8 if kernel < 12 else xp.int32)
            else:
                better = candidate > best  # strict: the first maximum wins, as argmax
                best = xp.where(better, candidate, best)
                winner = xp.where(better, winner.dtype.type(k), winner)
        self.winner = winner
        return best

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.zeros_like(self.x)  # same memory layout as the input
        overlapping = self.stride < self.kernel
        for k, where in _offsets(self.x, self.kernel, self.stride):
            share = g * (self.winner == k)
            if overlapping:
                grad[where] += share
            else:  # each input pixel belongs to one window: assign, no read-modify-write
                grad[where] = share
        return (grad,)


class AvgPool2d(Function):
    """The mean of each window; the gradient is shared equally by the window's positions."""

    saves = ()

    def forward(self, x, kernel=2, stride=None):
        stride = stride or kernel
        _check_pool_input(x, kernel, stride, "AvgPool2d")
        self.x, self.kernel, self.stride = x, kernel, stride
        total = None
        for _, where in _offsets(x, kernel, stride):
            total = x[where] if total is None else total + x[where]
        return total / (kernel * kernel)

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.zeros_like(self.x)
        share = g / (self.kernel * self.kernel)
        for _, where in _offsets(self.x, self.kernel, self.stride):
            grad[where] += share
        return (grad,)
