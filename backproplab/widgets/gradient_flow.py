"""Vanishing and exploding gradients: how depth, activation and initialisation shape them."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .._checks import choice, whole_number
from ..hooks import gradient_norms
from ..losses import mse
from ..nn.layers import MLP
from ..tensor import Tensor
from .base import WidgetBase

__all__ = ["GradientFlowExplorer", "layer_gradient_norms"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("xavier", "he", "pytorch", "uniform")


def layer_gradient_norms(depth: int, activation: str, init: str, width: int = 32,
                         batch: int = 64, seed: int = 0) -> np.ndarray:
    """Norm of d(loss)/d(weight) for each layer of a fresh MLP, first layer first.

    The network has ``depth`` hidden layers of ``width`` units and one linear output; the
    loss is the mean squared error against random targets, one backward pass.
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


class GradientFlowExplorer(WidgetBase):
    """Bars of the gradient size per layer for a chosen depth, activation and initialisation.

    Core: ``norms()`` for the current controls (``depth``, ``activation``, ``init``) and
    ``ratio()``, first-layer over last-layer gradient norm: far below 1 means the first
    layers barely learn (vanishing), far above 1 means they are thrown about (exploding).
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
        """Gradient norm per layer for the current controls."""
        return layer_gradient_norms(self.depth_slider.value, self.activation_menu.value, self.init_menu.value)

    def ratio(self) -> float:
        """First layer's gradient norm divided by the last layer's."""
        norms = self.norms()
        return float(norms[0] / norms[-1])

    def refresh(self) -> None:
        """Redraw the bars for the current controls."""
        norms = self.norms()
        fig, (ax,) = self.new_figure()
        ax.bar(np.arange(1, len(norms) + 1), norms, color="tab:purple")
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_ylabel("|d loss / d weights|")
        ax.grid(alpha=0.3, axis="y")
        ratio = norms[0] / norms[-1]
        ax.set_title(f"{self.activation_menu.value}, {self.init_menu.value} init, depth "
                     f"{self.depth_slider.value}: first / last layer = {ratio:.2g}", fontsize=10)
        self.show_figure(fig)
        kind = "vanishing" if ratio < 1e-2 else "exploding" if ratio > 1e2 else "healthy"
        self.show_message(f"Gradient at the first layer is {ratio:.2g} times the last layer's: {kind}.")
