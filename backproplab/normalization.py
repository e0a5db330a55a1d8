"""Layer normalisation, forward and backward side by side.

Each sample's features are shifted to mean 0 and scaled to variance 1, then scaled and
shifted again by learned ``weight`` (gamma) and ``bias`` (beta):

    y = (x - mean) / sqrt(var + eps) * gamma + beta        (over the last axis)
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["LayerNormFn"]


class LayerNormFn(Function):
    saves = (1,)

    def forward(self, x, weight, bias, eps=1e-5):
        xp = backend.array_module(x)
        mean = x.mean(axis=-1, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=-1, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(var + eps)
        self.xhat, self.weight = centered * self.inv_std, weight
        return self.xhat * weight + bias

    def backward(self, g):
        xhat, n = self.xhat, self.xhat.shape[-1]
        lead = tuple(range(g.ndim - 1))
        gw = (g * xhat).sum(axis=lead) if self.needs_grad[1] else None
        gb = g.sum(axis=lead) if self.needs_grad[2] else None
        gx = None
        if self.needs_grad[0]:
            # d/dx of the normalisation: remove the mean and the part along xhat, then rescale
            gh = g * self.weight
            gx = (gh - gh.mean(axis=-1, keepdims=True)
                  - xhat * (gh * xhat).sum(axis=-1, keepdims=True) / n) * self.inv_std
        return gx, gw, gb
