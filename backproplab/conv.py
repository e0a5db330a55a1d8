"""Convolution: forward and backward side by side (pooling is in pooling.py).

A convolution slides a small filter over the image.  ``Conv2dFn`` does it without Python
loops over pixels: ``im2col`` cuts every filter-sized window out of the image through a
strided *view* (no copying until the final reshape), so the whole convolution becomes one
matrix product.  The backward pass is convolution again: the gradient of the filters is a
product of the same windows with the upstream gradient, and the gradient of the image
adds each window's share back where it came from (``col2im``, a loop over the few
filter offsets, not over pixels).

Memory layout.  Shapes are PyTorch's, (N, C, H, W), but the arrays a convolution makes are
stored *batch last*, in (C, H, W, N) order, and handed out as a transposed view.  The
matrix product gives that order for free, and in it every step of a Conv -> ReLU -> MaxPool
-> Conv chain reads and writes long contiguous runs of the batch axis: element-wise ops
keep the layout, pooling's strided offsets stay row-contiguous, the next ``im2col`` copies
runs of N values, and ``col2im`` adds whole (OW, N) blocks.  Nothing is transposed or
copied between layers; only a batch-first input (an image batch from the user) is turned
batch last once, before its first convolution.
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["Conv2dFn", "batch_last", "im2col", "col2im", "output_size"]


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many positions a kernel of ``kernel`` fits into ``size`` (+ padding) with ``stride``."""
    return (size + 2 * padding - kernel) // stride + 1


def batch_last(x, padding: int = 0, fill=0):
    """The (N, C, H, W) array ``x`` as a C-contiguous (C, H + 2p, W + 2p, N) array, padded with ``fill``.

    No copy when ``x`` is already a batch-last view (what the layers here return) and no
    padding is asked for; otherwise one copy, straight into place.
    """
    xp = backend.array_module(x)
    t = x.transpose(1, 2, 3, 0)  # a view: the same numbers in (C, H, W, N) order
    if padding == 0:
        return t if t.flags.c_contiguous else xp.ascontiguousarray(t)
    c, h, w, n = t.shape
    p = padding
    shape = (c, h + 2 * p, w + 2 * p, n)
    padded = xp.zeros(shape, dtype=x.dtype) if fill == 0 else xp.full(shape, fill, dtype=x.dtype)
    padded[:, p:p + h, p:p + w] = t
    return padded


class Workspace:
    """Large scratch arrays kept from one training step for the next one of the same shapes.

    A fresh large NumPy array is fresh memory from the operating system, and every 4 KiB
    page of it costs a page fault and zeroing when first written: about a millisecond per
    LeNet step.  Arrays that never leave this module (the columns of ``im2col`` and their
    gradient) are handed back here when the op that used them is gone, and reused.  CuPy
    keeps its own memory pool, so GPU arrays are not kept.
    """

    def __init__(self, keys: int = 16, per_key: int = 2):
        self.free: dict = {}  # (shape, dtype) -> arrays nobody uses
        self.keys, self.per_key = keys, per_key

    def take(self, like, shape, dtype):
        """An uninitialised array of ``shape`` and ``dtype`` on ``like``'s device: a kept one if any."""
        on_host = backend.device_of(like) == "cpu"
        spare = self.free.get((shape, dtype)) if on_host else None
        return spare.pop() if spare else backend.array_module(like).empty(shape, dtype=dtype)

    def give(self, array) -> None:
        """Keep ``array`` for reuse; the caller must not touch it afterwards."""
        if backend.device_of(array) != "cpu" or not array.flags.c_contiguous:
            return
        spare = self.free.setdefault((array.shape, array.dtype), [])
        if len(spare) < self.per_key:
            spare.append(array)
        if len(self.free) > self.keys:  # forget the shapes seen longest ago
            del self.free[next(iter(self.free))]


WORKSPACE = Workspace()

# The column matrices have P = OH*OW*N columns, and with batches of 64 or 128 that is a
# multiple of 1,024: every row would start at the same place of a 4 KiB page, so the rows a
# matrix product reads together compete for the same few cache sets.  Rows ROW_PAD elements
# longer than P (the extra ones never read) made LeNet's training step 10-25% faster and the
# wide CNN's about 8% on an AVX-512 CPU (benchmarks/README.md), with the same numbers.
ROW_PAD = 16


def padded_rows(like, rows: int, width: int, dtype):
    """A (rows, width) workspace matrix, each row ROW_PAD elements longer in memory, and that memory.

    The matrix is a view of the memory; hand the memory back to WORKSPACE when done.
    """
    memory = WORKSPACE.take(like, (rows, width + ROW_PAD), dtype)
    return memory[:, :width], memory


def im2col(t, kh: int, kw: int, stride: int, out=None):
    """Columns of shape (C*kh*kw, OH*OW*N) from a batch-last image ``t`` of shape (C, H, W, N).

    Row (c, i, j) holds the pixel at offset (i, j) of every window; column (oh, ow, n) is the
    window at output position (oh, ow) of sample n.  The strided view costs nothing; the
    one copy reads runs of N (with stride 1, of OW*N) contiguous values.  ``out``: an array
    of that shape to write into, whose columns are contiguous (its rows may lie apart).
    """
    c, h, w, n = t.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sc, sh, sw, sn = t.strides
    view = backend.as_strided(t, (c, kh, kw, oh, ow, n), (sc, sh, sw, sh * stride, sw * stride, sn))
    if out is None:
        return view.reshape(c * kh * kw, oh * ow * n), (oh, ow)
    backend.array_module(t).copyto(out.reshape(view.shape), view)  # reshape: a view of out
    return out, (oh, ow)


def _inside(offset: int, padding: int, stride: int, size: int, start: int, stop: int):
    """The output positions [first, last) among [start, stop) whose window, at this kernel
    offset, lands on a pixel of the image rather than its zero padding, and the pixel the
    first one lands on."""
    first = max(start, -(-(padding - offset) // stride))  # ceil((padding - offset) / stride)
    last = min(stop, (size - 1 + padding - offset) // stride + 1)
    return first, max(first, last), offset + stride * first - padding


def col2im(cols, shape, kh: int, kw: int, stride: int, oh: int, ow: int, padding: int = 0):
    """The adjoint of im2col: add every window's gradient back into a (C, H, W, N) image.

    ``shape`` is the image's, without padding: what a window took from the zero padding has
    no pixel to go back to and is left out, so the result needs no cropping (or copying).
    """
    grad = backend.array_module(cols).zeros(shape, dtype=cols.dtype)
    add_columns_back(grad, cols, kh, kw, stride, ow, padding, rows=(0, oh))
    return grad


def add_columns_back(grad, cols, kh: int, kw: int, stride: int, ow: int, padding: int, rows):
    """grad += col2im(cols), where ``cols`` holds the windows of output rows rows[0]..rows[1]-1 only.

    One addition per kernel offset (i, j), each of a whole (C, rows, OW, N) block whose rows
    are contiguous runs of OW*N (stride 1) or N values: a loop over offsets, not over pixels.
    """
    c, h, w, n = grad.shape
    start, stop = rows
    blocks = cols.reshape(c, kh, kw, stop - start, ow, n)  # a view
    for i in range(kh):
        first_row, last_row, top = _inside(i, padding, stride, h, start, stop)
        image_rows = slice(top, top + stride * (last_row - first_row), stride)
        block_rows = slice(first_row - start, last_row - start)
        for j in range(kw):
            first_col, last_col, left = _inside(j, padding, stride, w, 0, ow)
            image_cols = slice(left, left + stride * (last_col - first_col), stride)
            grad[:, image_rows, image_cols] += blocks[:, i, j, block_rows, first_col:last_col]


# The input's gradient goes through a column matrix as large as the forward pass's (K, P):
# 38 MB for the wide CNN's second layer.  Written by one product and read back by col2im's
# k*k additions, it would travel to memory and back; made and added back a few output rows
# at a time, each block stays in the CPU's last-level cache (benchmarks/conv_paths.py: that
# layer's product and col2im took about 15% less time in blocks of at most this size).  A
# block is at least one output row, even when that row alone is larger.
COLUMN_BLOCK_BYTES = 10 * 2**20


def row_blocks(like, oh: int, bytes_per_row: int) -> list:
    """Output rows [start, stop): blocks of as many rows as fit in COLUMN_BLOCK_BYTES (at least
    one row; the last block may be shorter).  One block on a GPU, whose memory is not a CPU
    cache's concern."""
    on_host = backend.device_of(like) == "cpu"
    rows = max(1, COLUMN_BLOCK_BYTES // max(bytes_per_row, 1)) if on_host else oh
    return [(start, min(oh, start + rows)) for start in range(0, oh, rows)]


# A convolution's products are long and thin: (F, K) weights times (K, P) columns, P the
# pixels of the whole batch.  OpenBLAS's AVX-512 kernels multiply a product of at most a
# million multiply-adds straight from memory and pack larger ones first; for a thin filter
# bank (LeNet's first layer: 6 filters, K=25) the packing is most of the work, and blocks of
# PIXEL_BLOCK pixels that stay under the million ran 2-3.5x faster.  Wider banks, and OpenBLAS's
# AVX2 kernels, were slower in blocks (benchmarks/conv_paths.py times both).
PIXEL_BLOCK = 4096
SMALL_PRODUCT = 1_000_000  # multiply-adds


def _cpu_has_avx512() -> bool:
    """Whether NumPy found AVX-512 on this CPU (its table of the CPU's features); False if unsure."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return False
    try:
        return bool(__cpu_features__.get("AVX512F"))
    except Exception:  # noqa: BLE001 - a private table: if its form changes, only speed is at stake
        return False


BLOCK_THIN_PRODUCTS = _cpu_has_avx512()


def pixel_blocks(cols, filters: int) -> list:
    """The column slices of ``cols`` (K, P) to multiply one at a time by ``filters`` filters.

    One slice covering all P pixels, except for a thin filter bank on an AVX-512 CPU (above).
    """
    k, p = cols.shape
    thin = filters * k * PIXEL_BLOCK <= SMALL_PRODUCT
    if not (thin and BLOCK_THIN_PRODUCTS and backend.device_of(cols) == "cpu") or p <= PIXEL_BLOCK:
        return [slice(None)]
    return [slice(start, start + PIXEL_BLOCK) for start in range(0, p, PIXEL_BLOCK)]


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


class Conv2dFn(Function):
    """out[n, f] = sum_c (x[n, c] cross-correlated with weight[f, c]) + bias[f].

    The output has shape (N, F, OH, OW) and is stored batch last (see the module's text).
    The bias is added inside the matrix product, as the weight of a window value that is always 1.
    """

    saves = (0, 1)

    def forward(self, x, weight, bias=None, stride=1, padding=0):
        _check_conv_input(x, weight, stride, padding)
        f, c, kh, kw = weight.shape
        n = x.shape[0]
        self.stride, self.padding, self.kernel = stride, padding, (kh, kw)
        padded = batch_last(x, padding)  # (C, H + 2p, W + 2p, N)
        self.image_shape = (c, x.shape[2], x.shape[3], n)  # batch last, without the padding
        oh, ow = output_size(x.shape[2], kh, stride, padding), output_size(x.shape[3], kw, stride, padding)
        self.xp = backend.array_module(x)
        # The bias rides in the product: a row of ones under the columns and the bias as one
        # more column of the weights, so no pass over the output adds it, and the backward
        # product that gives the weights' gradient gives the bias's as its last column.
        self.window_size, self.with_bias = c * kh * kw, bias is not None
        rows = self.window_size + (1 if self.with_bias else 0)
        cols, self.cols_memory = padded_rows(x, rows, oh * ow * n, x.dtype)
        im2col(padded, kh, kw, stride, out=cols[:self.window_size])
        if self.with_bias:
            cols[-1] = 1
        self.cols, self.weight, self.out_hw = cols, weight, (oh, ow)
        # (F, OH*OW*N), of the type weight @ cols would have (uint8 images give floats)
        out = self.xp.empty((f, cols.shape[1]), dtype=self.xp.result_type(x.dtype, weight.dtype))
        weights = weight.reshape(f, -1)  # (F, C*kh*kw); [weight | bias] with a bias, in out's type
        if self.with_bias:
            weights = self.xp.concatenate([weights, bias.reshape(f, 1)], axis=1)
            weights = weights.astype(out.dtype, copy=False)
        for block in pixel_blocks(cols, f):  # one matrix product, or a few for thin filter banks
            self.xp.matmul(weights, cols[:, block], out=out[:, block])
        return out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)  # (N, F, OH, OW), a view

    def backward(self, g):
        f = self.weight.shape[0]
        g2 = g.transpose(1, 2, 3, 0).reshape(f, -1)  # (F, OH*OW*N): no copy if g is batch last
        gw = gb = gx = None
        wants_bias_grad = self.with_bias and self.needs_grad[2]
        if self.needs_grad[1]:
            dweights = self._weights_grad(g2)  # (F, C*kh*kw [+ 1]): [dweight | dbias]
            gw = dweights[:, :self.window_size].reshape(self.weight.shape)
            gb = dweights[:, -1] if wants_bias_grad else None
        elif wants_bias_grad:  # the bias alone: a sum, not a product over every window
            gb = g2.sum(axis=1)
        if self.needs_grad[0]:
            gx = self._input_grad(g2).transpose(3, 0, 1, 2)  # (N, C, H, W), batch last as forward
        return gx, gw, gb

    def _input_grad(self, g2):
        """The image's gradient, (C, H, W, N): the weights (K, F) times g2 (F, P) gives each
        window's gradient, and col2im adds them back; a few output rows at a time (above)."""
        f = g2.shape[0]
        oh, ow = self.out_hw
        width_per_row = ow * self.image_shape[3]  # the columns of one output row: OW*N
        dtype = self.cols.dtype
        blocks = row_blocks(g2, oh, self.window_size * width_per_row * dtype.itemsize)
        rows_per_block = blocks[0][1] - blocks[0][0]
        dcols, dcols_memory = padded_rows(g2, self.window_size, rows_per_block * width_per_row, dtype)
        grad = self.xp.zeros(self.image_shape, dtype=dtype)
        weights_t = self.weight.reshape(f, -1).T
        for start, stop in blocks:
            g_rows = g2[:, start * width_per_row:stop * width_per_row]
            d_rows = dcols[:, :g_rows.shape[1]]
            for block in pixel_blocks(d_rows, f):
                self.xp.matmul(weights_t, g_rows[:, block], out=d_rows[:, block])
            add_columns_back(grad, d_rows, *self.kernel, self.stride, ow, self.padding, (start, stop))
        WORKSPACE.give(dcols_memory)
        return grad

    def _weights_grad(self, g2):
        """sum over pixels of g2 (F, P) times the columns (K, P): (F, K).

        K counts the rows of ``cols``: C*kh*kw, and the row of ones when there is a bias.
        """
        blocks = pixel_blocks(self.cols, g2.shape[0])
        # (cols @ g2.T).T is g2 @ cols.T; BLAS runs it about twice as fast for few filters
        grad = self.cols[:, blocks[0]] @ g2[:, blocks[0]].T
        for block in blocks[1:]:
            grad += self.cols[:, block] @ g2[:, block].T
        return grad.T

    def __del__(self):
        # The graph has let go of this op (after backward, or at once under no_grad): nobody
        # can read its columns any more, so the next step of the same shapes may reuse them.
        memory = getattr(self, "cols_memory", None)
        if memory is not None and WORKSPACE is not None:
            WORKSPACE.give(memory)
