"""Sequence layers: ``Embedding``, ``RNN`` and ``LSTM`` (batch first, as (N, T, features)).

``RNN`` is written step by step with ordinary tensor ops, so its backward pass through time
(BPTT) is nothing special: the engine walks the unrolled graph back from the last step to
the first, through the same weights at every step.  ``LSTM`` runs the same kind of loop
inside one op, ``recurrent.LSTMFn``, whose backward pass through time is written out by
hand (far fewer graph nodes).  Parameter names follow ``torch.nn`` (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``).
"""

from __future__ import annotations

from .. import backend
from .._checks import whole_number
from ..convert import host_array
from ..functional import linear, stack
from ..ops import GetItemFn
from ..random import rng_for
from ..recurrent import LSTMFn
from ..tensor import Tensor
from .layers import _as_input, _check_same_device
from .module import Module

__all__ = ["Embedding", "RNN", "LSTM"]


class Embedding(Module):
    """A lookup table: token id i -> row i of ``weight`` (num_embeddings, embedding_dim).

    The gradient of a row is the sum over every place the token appeared.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, seed: int | None = None,
                 dtype="float32", device: str = "cpu"):
        num_embeddings = whole_number(num_embeddings, "Embedding: num_embeddings")
        embedding_dim = whole_number(embedding_dim, "Embedding: embedding_dim")
        w = rng_for(seed).normal(0.0, 1.0, (num_embeddings, embedding_dim))
        self.weight = Tensor(w, dtype=dtype, device=device, requires_grad=True)

    def forward(self, ids) -> Tensor:
        """ids: integers of any shape -> embeddings of shape ids.shape + (embedding_dim,)."""
        array = ids._data if isinstance(ids, Tensor) else ids
        if not hasattr(array, "shape"):
            array = host_array(array)
        if array.dtype.kind not in "iu":
            raise TypeError(f"Embedding needs integer token ids, got dtype {array.dtype}.")
        n = self.weight.shape[0]
        # Checked where the ids are: host ids before they move, GPU ids without waiting for it
        backend.check_range(array, 0, n - 1, lambda bad: IndexError(
            f"Token id {bad} is outside the vocabulary 0..{n - 1}. Check the tokenizer, or make the "
            "embedding larger."))
        return GetItemFn.apply(self.weight, index=backend.to_device(array, self.weight.device))


def _uniform_weights(rng, shape, hidden: int):
    bound = 1.0 / hidden**0.5  # torch.nn.RNN's default
    return rng.uniform(-bound, bound, shape)


class _Recurrent(Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, seed: int | None = None, dtype="float32",
                 device: str = "cpu"):
        input_size = whole_number(input_size, f"{type(self).__name__}: input_size")
        hidden_size = whole_number(hidden_size, f"{type(self).__name__}: hidden_size")
        rng = rng_for(seed)
        g, h = self.gates * hidden_size, hidden_size
        self.hidden_size = hidden_size
        self.weight_ih = Tensor(_uniform_weights(rng, (g, input_size), h), dtype=dtype, device=device,
                                requires_grad=True)
        self.weight_hh = Tensor(_uniform_weights(rng, (g, h), h), dtype=dtype, device=device,
                                requires_grad=True)
        self.bias_ih = Tensor(_uniform_weights(rng, (g,), h), dtype=dtype, device=device, requires_grad=True)
        self.bias_hh = Tensor(_uniform_weights(rng, (g,), h), dtype=dtype, device=device, requires_grad=True)

    def _inputs(self, x):
        x = _as_input(x, self.weight_ih)
        _check_same_device(x, self.weight_ih, type(self).__name__)
        if x.ndim != 3 or x.shape[2] != self.weight_ih.shape[1]:
            raise ValueError(f"{type(self).__name__} expects input of shape (batch, time, "
                             f"{self.weight_ih.shape[1]}), got {x.shape}.")
        if x.shape[1] == 0:
            raise ValueError(f"{type(self).__name__} got a sequence of no time steps, {x.shape}; "
                             "give it at least one step.")
        return x

    def _step_input(self, x, t: int):
        # Slice the (narrow) input, then project: the gradient of a slice is as large as the
        # whole tensor, so slicing the wide projection would cost gates x more per step.
        return linear(x[:, t], self.weight_ih, self.bias_ih)

    def _zeros(self, batch: int, like: Tensor) -> Tensor:
        return Tensor(like.xp.zeros((batch, self.hidden_size), dtype=like.dtype))


class RNN(_Recurrent):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh); returns (outputs (N, T, H), h_T)."""

    def forward(self, x, h=None):
        x = self._inputs(x)
        h = self._zeros(x.shape[0], x) if h is None else h
        outputs = []
        for t in range(x.shape[1]):
            h = (self._step_input(x, t) + linear(h, self.weight_hh, self.bias_hh)).tanh()
            outputs.append(h)
        return stack(outputs, axis=1), h


class LSTM(_Recurrent):
    """Long short-term memory: gates decide what the cell state c forgets, adds and shows.

    Returns (outputs (N, T, H), (h_T, c_T)).  The cell state is updated by addition,
    c_t = f * c_(t-1) + i * g, which lets gradients pass many steps back without vanishing.
    """

    gates = 4

    def forward(self, x, state=None):
        x = self._inputs(x)
        n = x.shape[0]
        h, c = (self._zeros(n, x), self._zeros(n, x)) if state is None else state
        for name, part in (("h", h), ("c", c)):
            shape = tuple(getattr(part, "shape", ()))
            if shape != (n, self.hidden_size):
                raise ValueError(f"LSTM: the state's {name} must have shape (batch, hidden_size) = "
                                 f"{(n, self.hidden_size)}, got {shape}. "
                                 "Pass the (h, c) an earlier call returned, or None for zeros.")
        # One op for the whole sequence (recurrent.py): the same equations as
        #   z = linear(x_t) + linear(h);  i, f, o = sigmoid(...);  g = tanh(...)
        #   c = f * c + i * g;  h = o * tanh(c)
        # with the backward pass through time written out, about 3x faster than ~17 ops a step.
        # Its output holds h_1 ... h_T and then c_T, one (N, T + 1, H) array.
        states = LSTMFn.apply(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return states[:, :-1], (states[:, -2], states[:, -1])
