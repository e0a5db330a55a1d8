"""Layer normalisation, forward and backward side by side.

Each sample's features are shifted to mean 0 and scaled to variance 1, then scaled and
shifted again by learned ``weight`` (gamma) and ``bias`` (beta):

    y = (x - mean) / sqrt(var + eps) * gamma + beta        (over the last axis)
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["LayerNormFn"]


def _row_sums(rows, xp):
    """Each row's sum of a 2-D array, as one matrix-vector product.

    BLAS sums the rows of a (8192, 256) array three to six times as fast as
    ``rows.sum(axis=1)`` (benchmarks/numpy_paths.py). It adds in a plain running order where
    NumPy adds pairwise, so very wide float32 rows (thousands of features) with a large mean
    round a little worse. ``rows`` must hold floating-point numbers (integers would wrap around).
    """
    return rows @ xp.ones(rows.shape[1], dtype=rows.dtype)


class LayerNormFn(Function):
    """y = xhat * weight + bias, xhat = (x - mean) / sqrt(var + eps) over the last axis.

    Both passes work on the samples as rows of a 2-D array, (samples, features).
    """

    saves = (1,)

    def forward(self, x, weight, bias, eps=1e-5):
        xp, n = backend.array_module(x), x.shape[-1]
        rows = x.reshape(-1, n)
        if rows.dtype.kind not in "fc":  # integers (pixels, counts): normalised as floats,
            rows = rows.astype(xp.result_type(rows.dtype, weight.dtype))  # float64 from int64
        centred = rows - (_row_sums(rows, xp) / n)[:, None]
        # the mean of centred**2 as each row's dot product with itself: no squared copy
        var = xp.einsum("ij,ij->i", centred, centred) / n
        self.inv_std = 1.0 / xp.sqrt(var + eps)[:, None]
        self.xhat = xp.multiply(centred, self.inv_std, out=centred)  # in centred's memory
        self.weight = weight
        return (self.xhat * weight + bias).reshape(x.shape)

    def backward(self, g):
        xp, xhat, weight = backend.array_module(g), self.xhat, self.weight
        n = xhat.shape[1]
        g_rows = g.reshape(-1, n)
        # Sums over all samples (for weight and bias) and over each row are vector-matrix
        # products; each large array is read in a few passes close together, while cached.
        ones = xp.ones(g_rows.shape[0], dtype=g_rows.dtype)
        gx = gw = None
        gb = ones @ g_rows if self.needs_grad[2] else None
        if self.needs_grad[0] or self.needs_grad[1]:
            g_xhat = g_rows * xhat
            gw = ones @ g_xhat if self.needs_grad[1] else None
        if self.needs_grad[0]:
            # d/dx of the normalisation, with gh = g * weight: remove gh's mean and its part
            # along xhat, then rescale: (gh - mean(gh) - xhat * mean(gh * xhat)) / std.
            # Both means are products with the weight: sum(g * weight) over a row is g @ weight.
            along_xhat = (g_xhat @ weight / n)[:, None]
            mean_gh = (g_rows @ weight / n)[:, None]
            removed = xp.multiply(xhat, along_xhat, out=g_xhat)  # g_xhat's memory is free now
            removed += mean_gh
            gx = g_rows * weight
            gx -= removed
            gx *= self.inv_std
            gx = gx.reshape(g.shape)
        return gx, gw, gb
