"""Masked multi-head self-attention, the transformer block, and a small language model.

Attention lets every position look at every earlier position: it scores each pair
(query . key / sqrt(d)), turns the scores into weights with softmax, and mixes the values
with those weights.  The *mask* hides later positions, so a language model can only use
the past to predict the next token.  Everything is built from ordinary tensor ops, so
its gradient is the chain rule through matmul, softmax and the mask.
"""

from __future__ import annotations

import math

from .._checks import whole_number
from ..convert import host_array
from ..random import rng_for
from ..tensor import Tensor
from .layers import GELU, Linear
from .module import Module
from .normalization import LayerNorm
from .sequence import Embedding

__all__ = ["MultiHeadSelfAttention", "TransformerBlock", "TransformerLM"]


class MultiHeadSelfAttention(Module):
    """``n_heads`` attention heads over (N, T, d_model) inputs, causal (masked) by default."""

    def __init__(self, d_model: int, n_heads: int, causal: bool = True, seed: int | None = None,
                 dtype="float32", device: str = "cpu"):
        d_model = whole_number(d_model, "MultiHeadSelfAttention: d_model")
        n_heads = whole_number(n_heads, "MultiHeadSelfAttention: n_heads")
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads}).")
        rng = rng_for(seed)
        self.n_heads, self.causal = n_heads, causal
        self.qkv = Linear(d_model, 3 * d_model, seed=int(rng.integers(2**31)), dtype=dtype, device=device)
        self.proj = Linear(d_model, d_model, seed=int(rng.integers(2**31)), dtype=dtype, device=device)
        self.last_weights = None  # attention weights of the last forward, for pictures

    def forward(self, x: Tensor) -> Tensor:
        n, t, d = x.shape
        h, dh = self.n_heads, d // self.n_heads
        qkv = self.qkv(x).reshape(n, t, 3, h, dh).transpose(2, 0, 3, 1, 4)  # (3, N, h, T, dh)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(0, 1, 3, 2)) * (1.0 / math.sqrt(dh))     # (N, h, T, T)
        if self.causal:
            xp = x.xp
            future = xp.triu(xp.ones((t, t), dtype=bool), k=1)
            # -1e9 instead of -inf: exp underflows to exactly 0 and no NaN can appear
            scores = scores + Tensor(xp.where(future, -1e9, 0.0).astype(x.dtype))
        weights = scores.softmax(axis=-1)
        self.last_weights = weights.detach()
        out = (weights @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
        return self.proj(out)


class TransformerBlock(Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)): pre-norm, as in GPT-2."""

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int = 4, seed: int | None = None,
                 dtype="float32", device: str = "cpu"):
        mlp_ratio = whole_number(mlp_ratio, "TransformerBlock: mlp_ratio")
        rng = rng_for(seed)
        seeds = [int(s) for s in rng.integers(2**31, size=3)]
        self.ln1 = LayerNorm(d_model, dtype=dtype, device=device)
        self.attn = MultiHeadSelfAttention(d_model, n_heads, seed=seeds[0], dtype=dtype, device=device)
        self.ln2 = LayerNorm(d_model, dtype=dtype, device=device)
        self.fc = Linear(d_model, mlp_ratio * d_model, seed=seeds[1], dtype=dtype, device=device)
        self.act = GELU()
        self.out = Linear(mlp_ratio * d_model, d_model, seed=seeds[2], dtype=dtype, device=device)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))             # residual connections: gradients flow around
        return x + self.out(self.act(self.fc(self.ln2(x))))


class TransformerLM(Module):
    """A small GPT-style language model: token + position embeddings, blocks, a linear head.

    ``forward(ids)`` takes token ids of shape (N, T) with T <= ``context`` and returns
    logits of shape (N, T, vocab_size): at each position, scores for the next token.
    """

    def __init__(self, vocab_size: int, context: int, d_model: int = 64, n_heads: int = 4,
                 n_layers: int = 2, seed: int | None = None, dtype="float32", device: str = "cpu"):
        vocab_size = whole_number(vocab_size, "TransformerLM: vocab_size")
        context = whole_number(context, "TransformerLM: context")
        n_layers = whole_number(n_layers, "TransformerLM: n_layers", minimum=0)
        rng = rng_for(seed)
        seeds = [int(s) for s in rng.integers(2**31, size=n_layers + 3)]
        self.context, self.vocab_size = context, vocab_size
        self.tokens = Embedding(vocab_size, d_model, seed=seeds[0], dtype=dtype, device=device)
        self.positions = Embedding(context, d_model, seed=seeds[1], dtype=dtype, device=device)
        for emb in (self.tokens, self.positions):
            emb.weight.data = emb.weight.data * 0.1  # small start, as GPT-2's 0.02-scale init
        self.blocks = [TransformerBlock(d_model, n_heads, seed=s, dtype=dtype, device=device)
                       for s in seeds[2:-1]]
        self.ln = LayerNorm(d_model, dtype=dtype, device=device)
        self.head = Linear(d_model, vocab_size, seed=seeds[-1], dtype=dtype, device=device)

    def forward(self, ids) -> Tensor:
        array = ids._data if isinstance(ids, Tensor) else ids
        if not hasattr(array, "shape"):
            array = host_array(array)  # host ids are checked by the embedding before they move
        if array.ndim != 2:
            raise ValueError(f"TransformerLM expects token ids of shape (batch, time), "
                             f"got {tuple(array.shape)}.")
        t = array.shape[1]
        if t > self.context:
            raise ValueError(f"The sequence has {t} tokens but the model's context is {self.context}. "
                             "Cut the input to the last context tokens.")
        positions = self.head.weight.xp.arange(t)
        x = self.tokens(array) + self.positions(positions)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))
