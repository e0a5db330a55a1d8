"""The PyTorch twins of the benchmarked backproplab models, with the same parameter names."""

from __future__ import annotations

import math

import torch
from torch import nn


def torch_cnn(model):
    """A ``torch.nn.Sequential`` with the layers of a backproplab ``Sequential`` CNN."""
    import backproplab as bp

    layers = []
    for layer in model.layers if hasattr(model, "layers") else model:
        if isinstance(layer, bp.nn.Conv2d):
            f, c, k, _ = layer.weight.shape
            layers.append(nn.Conv2d(c, f, k, stride=layer.stride, padding=layer.padding))
        elif isinstance(layer, bp.nn.Linear):
            layers.append(nn.Linear(layer.weight.shape[1], layer.weight.shape[0]))
        elif isinstance(layer, bp.nn.MaxPool2d):
            layers.append(nn.MaxPool2d(layer.kernel, layer.stride))
        elif isinstance(layer, bp.nn.ReLU):
            layers.append(nn.ReLU())
        elif isinstance(layer, bp.nn.Flatten):
            layers.append(nn.Flatten())
        else:
            raise TypeError(f"no PyTorch twin for {type(layer).__name__}")
    return nn.Sequential(*layers)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.qkv, self.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x):
        n, t, d = x.shape
        h, dh = self.heads, d // self.heads
        q, k, v = self.qkv(x).reshape(n, t, 3, h, dh).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(dh))
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        weights = (scores + torch.where(mask, -1e9, 0.0)).softmax(-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(d), Attention(d, heads), nn.LayerNorm(d)
        self.fc, self.act, self.out = nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(self.act(self.fc(self.ln2(x))))


class LM(nn.Module):
    def __init__(self, vocab, context, d, heads, layers):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def torch_transformer(model):
    """The twin of a backproplab ``TransformerLM``."""
    vocab, d = model.tokens.weight.shape
    return LM(vocab, model.context, d, model.blocks[0].attn.n_heads, len(model.blocks))


class CharModel(nn.Module):
    def __init__(self, vocab, hidden, kind):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.rnn = (nn.RNN if kind == "rnn" else nn.LSTM)(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.rnn(self.embed(ids))[0])


def torch_recurrent(model, kind):
    """The twin of the benchmark's character model (``kind`` 'rnn' or 'lstm')."""
    return CharModel(model.embed.weight.shape[0], model.rnn.hidden_size, kind)
