"""Pooling: the largest value or the mean of each window, forward and backward side by side.

Both poolings work offset by offset: for a k x k window, k*k strided views of the input,
one per position in the window, each covering every window at once.  A loop over the
window's positions, never over pixels.  The input's memory layout is kept (batch last when
it comes from a convolution, see conv.py), so the views are runs of N contiguous values; a
padded input is copied batch last, with its padding, once.
"""

from __future__ import annotations

from . import backend
from ._checks import whole_number
from .conv import batch_last, output_size
from .grad_mode import is_grad_enabled
from .tensor import Function

__all__ = ["MaxPool2dFn", "AvgPool2dFn"]


def check_pool_padding(padding, kernel: int, name: str) -> int:
    """``padding`` as an int PyTorch would accept too: at most half the window, so that every
    window holds at least one pixel of the image."""
    padding = whole_number(padding, f"{name}: padding", minimum=0)
    if padding > kernel // 2:
        raise ValueError(f"{name}: padding {padding} is more than half the {kernel}x{kernel} window; "
                         f"use at most {kernel // 2}, so that every window holds a pixel of the image.")
    return padding


def _checked_pool_arguments(x, kernel, stride, padding, name: str):
    """(kernel, stride, padding) as ints that fit ``x``; stride None means the kernel's size."""
    if x.ndim != 4:
        raise ValueError(f"{name} expects input of shape (batch, channels, height, width); "
                         f"got {tuple(x.shape)}.")
    kernel = whole_number(kernel, f"{name}: kernel")
    stride = kernel if stride is None else whole_number(stride, f"{name}: stride")
    padding = check_pool_padding(padding, kernel, name)
    if min(output_size(size, kernel, stride, padding) for size in x.shape[2:]) < 1:
        raise ValueError(f"{name}: a {kernel}x{kernel} window does not fit an input of "
                         f"{x.shape[2]}x{x.shape[3]} (padding {padding}).")
    return kernel, stride, padding


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
        """The input to pool: ``x`` itself, or with ``padding`` pixels of ``fill`` around it
        (a batch-last copy, handed out as an (N, C, H + 2p, W + 2p) view)."""
        kernel, stride, padding = _checked_pool_arguments(x, kernel, stride, padding, self.name_for_errors)
        self.x = x  # the input as given: the backward pass uses its memory layout, never its values
        if padding:
            x = batch_last(x, padding, fill).transpose(3, 0, 1, 2)
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.x_shape = x.shape  # with the padding, if any
        self.offsets = list(_offsets(x, kernel, stride))
        return x

    def _gradient_array(self, xp, zeroed: bool):
        """An array for the gradient of what was pooled, of ``x_shape``: in the input's memory
        layout, or batch last (as the padded copy was) when there is padding."""
        if not self.padding:
            return xp.zeros_like(self.x) if zeroed else xp.empty_like(self.x)
        n, c, h, w = self.x_shape
        make = xp.zeros if zeroed else xp.empty
        return make((c, h, w, n), dtype=self.x.dtype).transpose(3, 0, 1, 2)

    def _without_padding(self, grad):
        """The gradient of the input as given: the padding's part dropped (a batch-last copy of
        the inside, so that no view keeps the padded array alive)."""
        p, xp = self.padding, backend.array_module(grad)
        if not p:
            return grad
        inside = grad[:, :, p:grad.shape[2] - p, p:grad.shape[3] - p].transpose(1, 2, 3, 0)
        return xp.ascontiguousarray(inside).transpose(3, 0, 1, 2)


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
        """For each window position (OH, OW): the window offset (row * kernel + column) of its
        first pixel that is not padding."""
        p, stride, kernel = self.padding, self.stride, self.kernel
        oh, ow = (output_size(size, kernel, stride, 0) for size in self.x_shape[2:])  # x_shape is padded
        first_row = xp.maximum(p - stride * xp.arange(oh), 0)
        first_col = xp.maximum(p - stride * xp.arange(ow), 0)
        return (first_row[:, None] * kernel + first_col[None, :]).astype(index_type)

    def backward(self, g):
        xp = backend.array_module(g)
        g = _in_memory_order_of(g, self.winner)
        kernel, stride, (_, _, h, w) = self.kernel, self.stride, self.x_shape
        # Windows that tile the input exactly cover each pixel once, and the loop below writes
        # every one of them: no zeroing first.
        tiled = stride == kernel and h % kernel == 0 and w % kernel == 0
        grad = self._gradient_array(xp, zeroed=not tiled)
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
        if x.dtype.kind in "biu":  # the mean of whole numbers is a fraction (uint8 images give floats)
            x = x.astype(backend.array_module(x).result_type(x.dtype, "float32"))
        x = self._setup(x, kernel, stride, padding, fill=0)  # the padding counts in every mean, as PyTorch
        offsets = self.offsets
        total = x[offsets[0]] + x[offsets[1]] if len(offsets) > 1 else x[offsets[0]].copy()
        for where in offsets[2:]:
            total += x[where]
        total /= kernel * kernel
        return total

    def backward(self, g):
        xp = backend.array_module(g)
        grad = self._gradient_array(xp, zeroed=True)
        # each window's share, stored in the memory order of the input's window views (as the
        # output was): the passes below then pair matching runs, whatever order g came in
        share = xp.empty_like(grad[self.offsets[0]], dtype=g.dtype)
        xp.divide(g, self.kernel * self.kernel, out=share)
        overlapping = self.stride < self.kernel
        for where in self.offsets:
            if overlapping:
                grad[where] += share
            else:
                grad[where] = share
        return (self._without_padding(grad),)
