"""Normalisation layers: ``LayerNorm`` (its forward and backward are in ``normalization.py``)."""

from __future__ import annotations

from .._checks import real_number, whole_number
from ..normalization import LayerNormFn
from ..tensor import Tensor
from .module import Module

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """Normalise the last axis to mean 0, variance 1, then scale by ``weight``, shift by ``bias``."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5, dtype="float32", device: str = "cpu"):
        normalized_shape = whole_number(normalized_shape, "LayerNorm: normalized_shape")
        self.eps = real_number(eps, "LayerNorm: eps", 0.0, low_open=True)
        self.weight = Tensor([1.0] * normalized_shape, dtype=dtype, device=device, requires_grad=True)
        self.bias = Tensor([0.0] * normalized_shape, dtype=dtype, device=device, requires_grad=True)

    def forward(self, x):
        if x.shape[-1] != self.weight.shape[0]:
            raise ValueError(f"LayerNorm({self.weight.shape[0]}) got input whose last axis has "
                             f"{x.shape[-1]} features (shape {x.shape}).")
        return LayerNormFn.apply(x, self.weight, self.bias, eps=self.eps)
