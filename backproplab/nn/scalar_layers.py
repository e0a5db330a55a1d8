"""Scalar-mode network pieces: ``Neuron``, ``Layer``, ``MLP`` built from ``Value``s.

A neuron computes ``activation(w . x + b)``; a layer is a list of neurons that read the
same inputs; an MLP is a stack of layers.  The last layer of an MLP is linear (no
activation), so its outputs can be any real numbers: the loss decides what they mean.

Weights are stored the way tensor mode stores them (``weight`` of shape (out, in)), so
``state_dict()`` of a scalar MLP loads into a tensor MLP of the same sizes and back.
"""

from __future__ import annotations

from .._checks import whole_number
from ..random import rng_for
from ..scalar import Value, weighted_sum
from .init import init_weights, resolve_init
from .module import Module

__all__ = ["Neuron", "Layer", "MLP", "SCALAR_ACTIVATIONS"]

SCALAR_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def _check_activation(activation: str | None) -> str:
    activation = activation or "linear"
    if activation not in SCALAR_ACTIVATIONS:
        raise ValueError(
            f"Unknown activation {activation!r}; scalar mode offers {', '.join(SCALAR_ACTIVATIONS)}."
        )
    return activation


def _check_inputs(x, n_in: int) -> list:
    x = list(x)
    if len(x) != n_in:
        raise ValueError(f"Expected {n_in} inputs, got {len(x)}. Check the data's feature count.")
    return x


class Neuron(Module):
    """One neuron: ``activation(sum_i weight[i] * x[i] + bias)``.

    By default the weighted sum is one node (``weighted_sum``), which keeps graphs
    small and backward fast.  ``expand=True`` builds it from single ``*`` and ``+``
    nodes instead, to see every multiplication in a drawing of the graph; the
    gradients are identical.
    """

    def __init__(self, n_in: int, activation: str | None = "tanh", init: str = "auto",
                 seed: int | None = None, expand: bool = False, _weights=None):
        self.activation = _check_activation(activation)
        self.expand = expand
        if _weights is None:
            n_in = whole_number(n_in, "Neuron: n_in")
            scheme = resolve_init(init, self.activation)
            w, b = init_weights(n_in, 1, scheme, rng_for(seed))
            _weights = (w[0], b[0])
        w, b = _weights
        self.weight = [Value(float(wi)) for wi in w]
        self.bias = Value(float(b))

    def forward(self, x) -> Value:
        """The neuron's output for one input vector ``x`` (numbers or Values)."""
        x = _check_inputs(x, len(self.weight))
        if self.expand:
            total = self.bias
            for wi, xi in zip(self.weight, x):
                total = total + wi * xi
        else:
            total = weighted_sum(self.weight, x, self.bias)
        if self.activation == "linear":
            return total
        return getattr(total, self.activation)()

    def _extra_repr(self):
        return f"n_in={len(self.weight)}, activation={self.activation!r}"


class Layer(Module):
    """``n_out`` neurons reading the same ``n_in`` inputs."""

    def __init__(self, n_in: int, n_out: int, activation: str | None = "tanh",
                 init: str = "auto", seed: int | None = None, expand: bool = False):
        self.activation = _check_activation(activation)
        n_in, n_out = whole_number(n_in, "Layer: n_in"), whole_number(n_out, "Layer: n_out")
        scheme = resolve_init(init, self.activation)
        w, b = init_weights(n_in, n_out, scheme, rng_for(seed))
        self.neurons = [Neuron(n_in, self.activation, expand=expand, _weights=(w[j], b[j]))
                        for j in range(n_out)]

    # These two overrides go together: the neurons' Values are this layer's own parameters,
    # grouped like tensor mode's Linear (weight (out, in), bias (out,)), so a scalar MLP's
    # state_dict loads into a tensor MLP; the neurons are then no separate sub-modules.
    def _own_parameters(self) -> dict:
        return {
            "weight": [n.weight for n in self.neurons],
            "bias": [n.bias for n in self.neurons],
        }

    def _children(self) -> dict:
        return {}  # see _own_parameters

    def forward(self, x) -> list:
        """The list of the layer's outputs, one per neuron."""
        x = _check_inputs(x, len(self.neurons[0].weight))
        return [n(x) for n in self.neurons]

    def _extra_repr(self):
        return f"{len(self.neurons[0].weight)} -> {len(self.neurons)}, activation={self.activation!r}"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    Hidden layers use ``activation``; the last layer is linear.  A single output is
    returned as a Value, several as a list of Values.  Same signature as tensor mode's
    ``bp.nn.MLP`` (``expand`` exists only here; see ``Neuron``).
    """

    def __init__(self, n_in: int, layer_sizes, activation: str = "tanh", init: str = "auto",
                 seed: int | None = None, expand: bool = False):
        from .layers import mlp_sizes  # one check for both MLPs

        sizes = mlp_sizes(n_in, layer_sizes)
        rng = rng_for(seed)
        self.layers = []
        for i in range(len(sizes) - 1):
            last = i == len(sizes) - 2
            act = "linear" if last else activation
            layer_seed = int(rng.integers(2**31))
            self.layers.append(
                Layer(sizes[i], sizes[i + 1], act, init=init, seed=layer_seed, expand=expand)
            )

    def forward(self, x):
        """Forward one input vector through every layer."""
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x
