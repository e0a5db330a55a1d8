"""Tensor-mode layers: ``Linear``, activations, ``Dropout``, ``Sequential`` and ``MLP``.

Names and shapes follow ``torch.nn``: ``Linear.weight`` has shape (out_features,
in_features) and ``Linear.bias`` (out_features,), so ``y = x @ weight.T + bias``.
"""

from __future__ import annotations

from .. import backend
from .._checks import choice, real_number, whole_number
from ..functional import gelu, linear
from ..random import rng_for
from ..tensor import Tensor
from .init import init_weights, resolve_init
from .module import Module

__all__ = ["Linear", "ReLU", "Tanh", "Sigmoid", "GELU", "Identity", "Dropout", "Sequential", "MLP",
           "TENSOR_ACTIVATIONS"]


def _as_input(x, like: Tensor) -> Tensor:
    """Accept arrays and lists as inputs, on the parameters' device and dtype."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=like.dtype, device=like.device)


def _check_same_device(x: Tensor, weight: Tensor, layer: str) -> None:
    """Catch data and model on different devices before the first matrix product."""
    if x.device != weight.device:
        raise backend.DeviceError(
            f"{layer}: the input is on '{x.device}' but the layer's weights are on "
            f"'{weight.device}'. Move the data (x.to('{weight.device}')) or the "
            f"model (model.to('{x.device}'))."
        )


class Linear(Module):
    """A dense layer: every output is a weighted sum of every input, plus a bias."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "pytorch", activation: str | None = None, seed: int | None = None,
                 dtype="float32", device: str = "cpu"):
        in_features = whole_number(in_features, "Linear: in_features")
        out_features = whole_number(out_features, "Linear: out_features")
        w, b = init_weights(in_features, out_features, resolve_init(init, activation), rng_for(seed))
        self.weight = Tensor(w, dtype=dtype, device=device, requires_grad=True)
        self.bias = Tensor(b, dtype=dtype, device=device, requires_grad=True) if bias else None

    def forward(self, x) -> Tensor:
        """x of shape (..., in_features) -> (..., out_features)."""
        x = _as_input(x, self.weight)
        _check_same_device(x, self.weight, "Linear")
        return linear(x, self.weight, self.bias)

    def _extra_repr(self):
        out_f, in_f = self.weight.shape
        return f"{in_f} -> {out_f}, bias={self.bias is not None}"


class ReLU(Module):
    """max(0, x), elementwise."""

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, x):
        return x.sigmoid()


class GELU(Module):
    """Gaussian error linear unit (``approximate`` 'tanh' or 'none', see ``functional.gelu``)."""

    def __init__(self, approximate: str = "tanh"):
        self.approximate = choice(approximate, "GELU: approximate", ("tanh", "none"))

    def forward(self, x):
        return gelu(x, self.approximate)


class Identity(Module):
    """Returns its input unchanged (a linear 'activation')."""

    def forward(self, x):
        return x


TENSOR_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU,
                      "linear": Identity}


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by 1/(1-p).

    In ``eval()`` mode it does nothing.  The scaling keeps the expected value of every
    activation the same in both modes.

    The mask is drawn where the data is: on the CPU from ``seed``'s NumPy generator, on a GPU
    from a generator of the GPU, seeded once from the CPU one (copying a mask over would make
    every step wait).  Both are repeatable; they draw different masks.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None):
        self.p = real_number(p, "Dropout probability p", 0.0, 1.0, high_open=True)
        self._rng = rng_for(seed)
        self._device_rng = None

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if x.device == "cpu":
            keep = self._rng.random(x.shape) >= self.p
            mask = backend.to_device(keep, "cpu", dtype=x.dtype) / (1 - self.p)
        else:
            if self._device_rng is None:
                self._device_rng = backend.random_generator(x.device, int(self._rng.integers(2**63)))
            draw_dtype = x.dtype if x.dtype.kind == "f" else "float64"
            keep = self._device_rng.random(x.shape, dtype=draw_dtype) >= self.p
            mask = keep.astype(x.dtype) / (1 - self.p)
        return x * Tensor._wrap(mask)

    def _extra_repr(self):
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after another; parameters are named ``0.weight``, ``1.bias``..."""

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                hint = ""
                if isinstance(m, (list, tuple)):
                    hint = " Pass the modules one by one: Sequential(a, b), not Sequential([a, b])."
                elif callable(m):
                    hint = " Wrap functions in a Module (bp.nn.ReLU() instead of a function)."
                raise TypeError(f"Sequential takes modules; argument {i} is {type(m).__name__}.{hint}")
        self.layers = list(modules)

    def _children(self) -> dict:
        # Named 0, 1, 2 as torch.nn.Sequential names them (found from the attribute: layers.0).
        return {str(i): m for i, m in enumerate(self.layers)}

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)


def mlp_sizes(n_in, layer_sizes) -> list:
    """``[n_in, *layer_sizes]`` as whole numbers >= 1, or an error saying what an MLP needs."""
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
        raise TypeError(f"MLP: layer_sizes must be a list of layer widths, e.g. [16, 16, 1]; got "
                        f"{layer_sizes!r}.")
    sizes = [whole_number(n_in, "MLP: n_in")]
    sizes += [whole_number(s, f"MLP: layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 1]).")
    return sizes


class MLP(Module):
    """A multi-layer perceptron on tensors: ``MLP(2, [16, 16, 3])``.

    Same signature and the same weights for the same ``seed`` as scalar mode's
    ``ScalarMLP``: hidden layers use ``activation``, the last layer is linear, and the
    parameters are named ``layers.0.weight``, ``layers.0.bias``, ...  Inputs have shape
    (batch, n_in); outputs (batch, layer_sizes[-1]).
    """

    def __init__(self, n_in: int, layer_sizes, activation: str = "tanh", init: str = "auto",
                 seed: int | None = None, dtype="float32", device: str = "cpu"):
        sizes = mlp_sizes(n_in, layer_sizes)
        if activation not in TENSOR_ACTIVATIONS:
            raise ValueError(f"Unknown activation {activation!r}; choose one of "
                             f"{', '.join(TENSOR_ACTIVATIONS)}.")
        rng = rng_for(seed)
        self.activation = activation
        self.layers = []
        for i in range(len(sizes) - 1):
            act = "linear" if i == len(sizes) - 2 else activation
            layer_seed = int(rng.integers(2**31))
            self.layers.append(Linear(sizes[i], sizes[i + 1], init=init, activation=act,
                                      seed=layer_seed, dtype=dtype, device=device))
        self._act = TENSOR_ACTIVATIONS[activation]()

    def _children(self) -> dict:
        # Only the layers: the activation module ``_act`` holds no parameters and is no layer.
        return {f"layers.{i}": layer for i, layer in enumerate(self.layers)}

    def forward(self, x) -> Tensor:
        """Forward a batch through every layer."""
        *hidden, last = self.layers
        for layer in hidden:
            x = self._act(layer(x))
        return last(x)
