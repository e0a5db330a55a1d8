"""Vanishing and exploding gradients: how depth, activation and initialisation shape them."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import backend
from .._checks import choice, whole_number
from ..hooks import gradient_norms
from ..losses import mse
from ..nn.layers import MLP
from ..tensor import Tensor
from .base import WidgetBase

__all__ = ["GradientFlowExplorer", "layer_gradient_norms", "diagnose"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("xavier", "he", "pytorch", "uniform")


def layer_gradient_norms(depth: int, activation: str, init: str, width: int = 32,
                         batch: int = 64, seed: int = 0) -> np.ndarray:
    """Norm of d(loss)/d(weight) for each layer of a fresh MLP, first layer first.

    The network has ``depth`` hidden layers of ``width`` units (inputs of ``width`` features
    too) and one linear output unit; the loss is the mean squared error against random
    targets, one backward pass.  The result has ``depth + 1`` entries: the hidden layers,
    then the output layer.  Compare hidden layers with each other (``norms[0] /
    norms[depth - 1]``): their weights are all ``width`` x ``width``, while the output
    layer's is a single row, so its norm is not on the same footing.
    """
    depth = whole_number(depth, "depth")
    rng = np.random.default_rng(seed)
    model = MLP(width, [width] * depth + [1], activation=activation, init=init, seed=seed,
                dtype="float64")
    x = Tensor(rng.standard_normal((batch, width)), dtype="float64")
    y = Tensor(rng.standard_normal((batch, 1)), dtype="float64")
    mse(model(x), y).backward()
    norms = gradient_norms(model)
    return np.array([norms[f"layers.{i}.weight"] for i in range(depth + 1)])


# Gradient norms this network reaches when nothing goes wrong lie roughly between 0.01 and
# 100 (MSE against unit-variance targets, up to 30 layers).  A ratio between layers cannot see a problem that
# hits every layer alike (ReLU scales homogeneously: too large weights make *every*
# gradient huge), so the explorer also looks at the largest norm.
TINY_GRADIENT, HUGE_GRADIENT = 1e-3, 1e3


def diagnose(norms: np.ndarray) -> str:
    """``"vanishing"``, ``"exploding"`` or ``"healthy"`` for ``layer_gradient_norms``' result.

    Vanishing: the first hidden layer gets under 1/100 of the last hidden layer's gradient,
    or every layer's gradient is tiny.  Exploding: the first gets over 100 times the last's,
    or some layer's gradient is huge.
    """
    norms = backend.to_host(norms).astype(np.float64)
    if norms.ndim != 1 or norms.size < 2:
        raise ValueError("diagnose needs the norms of at least one hidden layer and the output "
                         f"layer (a 1-D array of 2 or more), got shape {norms.shape}.")
    ratio = norms[0] / norms[-2]
    if ratio < 1e-2:
        return "vanishing"
    if ratio > 1e2 or norms.max() > HUGE_GRADIENT:
        return "exploding"
    if norms.max() < TINY_GRADIENT:
        return "vanishing"
    return "healthy"


def _first_over_last_hidden(norms) -> float:
    """The first hidden layer's gradient norm over the last hidden layer's (``norms`` ends
    with the output layer)."""
    return float(norms[0] / norms[-2])


class GradientFlowExplorer(WidgetBase):
    """Bars of the gradient size per layer for a chosen depth, activation and initialisation.

    Core: ``norms()`` for the current controls (``depth``, ``activation``, ``init``; hidden
    layers first, the output layer last) and ``ratio()``, first hidden layer's gradient norm
    over the last hidden layer's: far below 1 means the first layers barely learn
    (vanishing), far above 1 means they are thrown about (exploding).  The message also
    flags gradients that are tiny or huge in every layer alike.
    """

    def __init__(self, depth: int = 10, activation: str = "sigmoid", init: str = "xavier"):
        # The controls would clamp or refuse other values without saying why: check first.
        depth = whole_number(depth, "GradientFlowExplorer: depth (the slider's range)", 1, 30)
        choice(activation, "GradientFlowExplorer: activation", ACTIVATIONS)
        choice(init, "GradientFlowExplorer: init", INITS)
        super().__init__()
        self.depth_slider = W.IntSlider(value=depth, min=1, max=30, description="depth",
                                        continuous_update=False)
        self.activation_menu = W.Dropdown(options=ACTIVATIONS, value=activation, description="activation")
        self.init_menu = W.Dropdown(options=INITS, value=init, description="init")
        for control in (self.depth_slider, self.activation_menu, self.init_menu):
            control.observe(lambda change: self.refresh(), names="value")
        self.ui = W.VBox([W.HBox([self.depth_slider, self.activation_menu, self.init_menu]),
                          self.message, self.image])
        self._finish_ui("bp-gradient-flow")
        self.refresh()

    def norms(self) -> np.ndarray:
        """Gradient norm per layer for the current controls: hidden layers, then the output layer."""
        return layer_gradient_norms(self.depth_slider.value, self.activation_menu.value, self.init_menu.value)

    def ratio(self) -> float:
        """First hidden layer's gradient norm divided by the last hidden layer's (1 at depth 1)."""
        return _first_over_last_hidden(self.norms())

    def refresh(self) -> None:
        """Redraw the bars for the current controls."""
        norms = self.norms()
        depth = len(norms) - 1
        fig, (ax,) = self.new_figure()
        positions = np.arange(1, depth + 2)
        colors = ["tab:purple"] * depth + ["tab:gray"]
        ax.bar(positions, norms, color=colors)
        ax.set_yscale("log")
        # Label every layer while that stays readable, then every fifth (none right next to
        # "out", where two labels would overlap).
        step = 1 if depth <= 15 else 5
        ticks = [p for p in positions[:-1]
                 if p == 1 or (p % step == 0 and (step == 1 or p < depth - 1))]
        ticks.append(depth + 1)
        ax.set_xticks(ticks, [str(p) for p in ticks[:-1]] + ["out"])
        ax.set_xlabel("hidden layer (1 = next to the input); grey: output layer")
        ax.set_ylabel("|d loss / d weights|")
        ax.grid(alpha=0.3, axis="y")
        ratio = _first_over_last_hidden(norms)
        ax.set_title(f"{self.activation_menu.value}, {self.init_menu.value} init, {depth} hidden "
                     f"layers: first / last hidden = {ratio:.2g}", fontsize=10)
        self.show_figure(fig)
        kind = diagnose(norms)
        text = f"Gradient at the first hidden layer is {ratio:.2g} times the last hidden layer's"
        if kind == "exploding" and ratio <= 1e2:
            text += f", and the largest is {norms.max():.2g}: exploding in every layer."
        elif kind == "vanishing" and ratio >= 1e-2:
            text += f", but the largest is only {norms.max():.2g}: vanishing in every layer."
        else:
            text += f": {kind}."
        self.show_message(text)
