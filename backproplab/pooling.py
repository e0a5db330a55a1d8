"""Pooling: the largest value or the mean of each window, forward and backward side by side.

Both poolings work offset by offset: for a k x k window, k*k strided views of the input,
one per position in the window, each covering every window at once.  A loop over the
window's positions, never over pixels.  The input's memory layout is kept (batch last when
it comes from a convolution, see conv.py), so the views are runs of N contiguous values.
"""

from __future__ import annotations

from . import backend
from .conv import batch_last, output_size
from .grad_mode import is_grad_enabled
from .tensor import Function

__all__ = ["MaxPool2dFn", "AvgPool2dFn"]


def _check_pool_input(x, kernel: int, stride: int, padding: int, name: str):
    if x.ndim != 4:
        raise ValueError(f"{name} expects input of shape (batch, channels, height, width); "
                         f"got {tuple(x.shape)}.")
    if not 0 <= padding <= kernel // 2:  # as PyTorch: a window must always hold a real pixel
        raise ValueError(f"{name}: padding {padding} does not suit a {kernel}x{kernel} window; it must "
                         f"be between 0 and half the window ({kernel // 2}).")
    if min(output_size(size, kernel, stride, padding) for size in x.shape[2:]) < 1:
        raise ValueError(f"{name}: a {kernel}x{kernel} window does not fit an input of "
                         f"{x.shape[2]}x{x.shape[3]} (padding {padding}).")


def _lowest(xp, dtype):
    """The smallest value of ``dtype`` (a dtype object): what max-pooling pads with."""
    if dtype.kind == "f":
        return -xp.inf
    return xp.iinfo(dtype).min if dtype.kind in "iu" else False


def _in_memory_order_of(g, pooled):
    """``g`` stored in the memory order of ``pooled`` (one copy, only when they differ).

    The k*k passes of a pooling's backward pair each window offset of the input with the
    upstream gradient; when that gradient arrives batch first (e.g. from a Flatten) and the
    input is batch last, every pass would pair mismatched strides.  Copying ``g`` once into
    the pooled output's order makes all of them read and write matching runs.
    """
    if [s // g.itemsize for s in g.strides] == [s // pooled.itemsize for s in pooled.strides]:
        return g
    aligned = backend.array_module(g).empty_like(pooled, dtype=g.dtype)  # pooled's memory order
    aligned[...] = g
    return aligned


def _offsets(x, kernel: int, stride: int):
    """For each (i, j) in the window, the index of the strided view at that offset: (N, C, OH, OW).

    Pooling then works offset by offset on whole arrays: a loop over the k*k window
    positions, never over pixels.  The views keep the input's memory layout, so on a batch-
    last input every one of them is made of contiguous runs of N values.
    """
    oh = output_size(x.shape[2], kernel, stride, 0)
    ow = output_size(x.shape[3], kernel, stride, 0)
    for i in range(kernel):
        for j in range(kernel):
            yield (slice(None), slice(None), slice(i, i + stride * oh, stride),
                   slice(j, j + stride * ow, stride))


class _Pool2dFn(Function):
    """What both poolings share: the checks, the padding, and the window offsets."""

    name_for_errors = "Pool2d"

    def _setup(self, x, kernel, stride, padding, fill):
        """The input, padded with ``fill`` when asked (batch last, as an (N, C, H, W) view)."""
        stride = stride or kernel
        _check_pool_input(x, kernel, stride, padding, self.name_for_errors)
        if padding:
            x = batch_last(x, padding, fill).transpose(3, 0, 1, 2)
        self.x_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.offsets = list(_offsets(x, kernel, stride))
        return x

    def _without_padding(self, grad):
        """The gradient of the input as given: the padding's part dropped."""
        p = self.padding
        return grad[:, :, p:grad.shape[2] - p, p:grad.shape[3] - p] if p else grad


class MaxPool2dFn(_Pool2dFn):
    """The largest value of each window; the gradient goes to that value's position.

    The forward pass notes which window offset held each maximum (as PyTorch keeps the
    indices), so the backward pass only routes the gradient there.  Where several positions
    share the maximum, the first (in row-major window order) gets the gradient, as in PyTorch.
    """

    saves = ()
    name_for_errors = "MaxPool2d"

    def forward(self, x, kernel=2, stride=None, padding=0):
        xp = backend.array_module(x)
        x = self._setup(x, kernel, stride, padding, fill=_lowest(xp, x.dtype))  # padding never wins
        offsets = self.offsets
        best = x[offsets[0]].copy(order="K")  # keeps x's memory layout
        self.x = x  # backward uses its shape and memory layout, never its values
        if not (self.needs_grad[0] and is_grad_enabled()):  # no backward pass will ask where
            for where in offsets[1:]:
                xp.maximum(best, x[where], out=best)  # one element-wise max per window position
            return best
        # winner[window] = the offset k holding its maximum so far; a small integer per window
        index_type = xp.uint8 if len(offsets) <= 256 else xp.int32
        self.winner = winner = xp.zeros_like(best, dtype=index_type)
        larger, k_where_larger = xp.empty_like(best, dtype=bool), xp.empty_like(winner)
        new_best = xp.empty_like(best)
        for k, where in enumerate(offsets[1:], start=1):
            # The new maximum is larger than the old exactly where this offset's value is
            # (strictly: on a tie the earlier offset stays). Comparing the two maxima, not the
            # input, reads the input once per offset instead of twice.
            xp.maximum(best, x[where], out=new_best)
            xp.greater(new_best, best, out=larger)
            best, new_best = new_best, best
            # k grows with each offset, so max(winner, k where larger else 0) is "k where larger"
            # (and much faster than an assignment through a mask)
            xp.maximum(winner, xp.multiply(larger, index_type(k), out=k_where_larger), out=winner)
        if padding:  # a window of nothing but the lowest value: its first pixel, not the padding
            xp.copyto(winner, self._first_pixels(xp, index_type), where=best == _lowest(xp, best.dtype))
        if best.dtype.kind == "f" and xp.isnan(best).any():  # a NaN is a window's maximum and
            for k, where in enumerate(offsets):  # takes its gradient (the last NaN, as PyTorch)
                xp.copyto(winner, index_type(k), where=xp.isnan(x[where]))
        return best

    def _first_pixels(self, xp, index_type):
        """For each window position (OH, OW): the offset k of its first pixel that is not padding."""
        p, s, k = self.padding, self.stride, self.kernel
        oh, ow = (output_size(size, k, s, 0) for size in self.x_shape[2:])  # x_shape is padded
        first_row = xp.maximum(p - s * xp.arange(oh), 0)
        first_col = xp.maximum(p - s * xp.arange(ow), 0)
        return (first_row[:, None] * k + first_col[None, :]).astype(index_type)

    def backward(self, g):
        xp = backend.array_module(g)
        g = _in_memory_order_of(g, self.winner)
        x, kernel, stride = self.x, self.kernel, self.stride
        # Windows that tile the input exactly cover each pixel once, and the loop below writes
        # every one of them: no zeroing first.  (The same memory layout as the input.)
        tiled = stride == kernel and x.shape[2] % kernel == 0 and x.shape[3] % kernel == 0
        grad = xp.empty_like(x) if tiled else xp.zeros_like(x)
        hit = xp.empty_like(self.winner, dtype=bool)
        for k, where in enumerate(self.offsets):
            xp.equal(self.winner, k, out=hit)
            if stride < kernel:  # overlapping windows share pixels: add
                grad[where] += g * hit
            else:  # each input pixel belongs to one window: write, no read-modify-write
                xp.multiply(g, hit, out=grad[where])
        return (self._without_padding(grad),)


class AvgPool2dFn(_Pool2dFn):
    """The mean of each window; the gradient is shared equally by the window's positions."""

    saves = ()
    name_for_errors = "AvgPool2d"

    def forward(self, x, kernel=2, stride=None, padding=0):
        x = self._setup(x, kernel, stride, padding, fill=0)  # the padding counts in every mean, as PyTorch
        offsets = self.offsets
        self.x = x  # backward uses its shape and memory layout, never its values
        total = x[offsets[0]] + x[offsets[1]] if len(offsets) > 1 else x[offsets[0]].copy()
        for where in offsets[2:]:
            total += x[where]
        total /= kernel * kernel
        return total

    def backward(self, g):
        xp = backend.array_module(g)
        grad = xp.zeros_like(self.x)
        # each window's share, stored in the memory order of the input's window views (as the
        # output was): the passes below then pair matching runs, whatever order g came in
        share = xp.empty_like(self.x[self.offsets[0]], dtype=g.dtype)
        xp.divide(g, self.kernel * self.kernel, out=share)
        overlapping = self.stride < self.kernel
        for where in self.offsets:
            if overlapping:
                grad[where] += share
            else:
                grad[where] = share
        return (self._without_padding(grad),)
