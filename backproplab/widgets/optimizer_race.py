"""SGD, momentum, RMSProp and Adam racing downhill on the same 2-D surface."""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

from .._checks import whole_number
from ..optim import SGD, Adam, RMSProp
from ..scalar import Value
from ..viz.plots import plot_loss_surface
from .base import WidgetBase

__all__ = ["OptimizerRace", "SURFACES"]


def bowl(x, y):
    """An ill-conditioned bowl: 100 times more curved along y than along x."""
    return 0.5 * x**2 + 50 * y**2


def rosenbrock(x, y):
    """Rosenbrock's banana valley; the minimum at (1, 1) lies at the end of a flat curved floor."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def saddle(x, y):
    """A saddle at (0, 0) with two valleys at y = ±sqrt(2); gradient descent stalls near the saddle."""
    return x**2 - y**2 + 0.25 * y**4


# name: (function, start, x limits, y limits, default learning rates)
SURFACES = {
    "ill-conditioned bowl": (bowl, (-1.8, 0.6), (-2, 2), (-1, 1),
                             {"SGD": 0.018, "momentum": 0.005, "RMSProp": 0.05, "Adam": 0.1}),
    "Rosenbrock": (rosenbrock, (-1.5, 2.0), (-2, 2), (-1, 3),
                   {"SGD": 0.0015, "momentum": 0.0005, "RMSProp": 0.01, "Adam": 0.1}),
    "saddle": (saddle, (-1.5, 1e-3), (-2, 2), (-2, 2),
               {"SGD": 0.05, "momentum": 0.02, "RMSProp": 0.01, "Adam": 0.05}),
}
OPTIMIZERS = ("SGD", "momentum", "RMSProp", "Adam")


class OptimizerRace(WidgetBase):
    """Trajectories of four optimizers from one start point on a chosen surface.

    Core: ``trajectories()`` returns ``{name: (steps + 1, 2) array}`` computed with the
    package's own optimizers on two ``Value`` parameters; ``settings`` holds the
    hyperparameters the sliders control.
    """

    figsize = (9, 4)

    def __init__(self, surface: str = "ill-conditioned bowl", steps: int = 100):
        super().__init__()
        if surface not in SURFACES:
            raise ValueError(f"Unknown surface {surface!r}; choose one of {', '.join(SURFACES)}.")
        steps = whole_number(steps, "OptimizerRace: steps")
        self.surface, self.steps = surface, steps
        self.settings = {"lr": dict(SURFACES[surface][4]), "momentum": 0.9, "alpha": 0.99, "beta1": 0.9}
        self._quiet = False  # True while a surface change sets several sliders at once
        self._build_ui()
        self.refresh()

    def make_optimizer(self, name: str, params):
        """The optimizer ``name`` with the current settings."""
        s, lr = self.settings, self.settings["lr"][name]
        if name == "SGD":
            return SGD(params, lr=lr)
        if name == "momentum":
            return SGD(params, lr=lr, momentum=s["momentum"])
        if name == "RMSProp":
            return RMSProp(params, lr=lr, alpha=s["alpha"])
        return Adam(params, lr=lr, betas=(s["beta1"], 0.999))

    def trajectories(self) -> dict:
        """Every optimizer's path, starting from the surface's start point."""
        f, start = SURFACES[self.surface][:2]
        paths = {}
        for name in OPTIMIZERS:
            x, y = Value(start[0]), Value(start[1])
            opt = self.make_optimizer(name, [x, y])
            points = [(x.data, y.data)]
            for _ in range(self.steps):
                opt.zero_grad()
                f(x, y).backward()
                opt.step()
                if not (math.isfinite(x.data) and math.isfinite(y.data)) or abs(x.data) + abs(y.data) > 1e3:
                    break  # diverged: stop drawing it
                points.append((x.data, y.data))
            paths[name] = np.array(points)
        return paths

    def _build_ui(self):
        self.surface_menu = W.Dropdown(options=list(SURFACES), value=self.surface, description="surface")
        self.surface_menu.observe(self._on_surface, names="value")
        self.sliders = {}
        self.lr_sliders = {
            name: W.FloatLogSlider(value=self.settings["lr"][name], base=10, min=-4, max=0, step=0.05,
                                   description=f"lr {name}", readout_format=".2g", continuous_update=False,
                                   style={"description_width": "100px"})
            for name in OPTIMIZERS
        }
        self.sliders = {
            key: W.FloatSlider(value=self.settings[key], min=0.0, max=0.99, step=0.01,
                               description=description, continuous_update=False,
                               style={"description_width": "100px"})
            for key, description in (("momentum", "momentum β"), ("alpha", "RMSProp α"), ("beta1", "Adam β1"))
        }
        for slider in [*self.lr_sliders.values(), *self.sliders.values()]:
            slider.observe(self._on_slider, names="value")
        left = W.VBox(list(self.lr_sliders.values()))
        right = W.VBox([self.surface_menu, *self.sliders.values()])
        self.ui = W.VBox([W.HBox([left, right]), self.message, self.image])
        self._finish_ui("bp-optimizer-race")

    def _on_surface(self, change):
        self.surface = change["new"]
        self._quiet = True  # set all sliders first, then redraw once
        for name, lr in SURFACES[self.surface][4].items():
            self.lr_sliders[name].value = lr
        self._quiet = False
        self._on_slider(None)

    def _on_slider(self, change):
        if self._quiet:
            return
        self.settings["lr"] = {name: slider.value for name, slider in self.lr_sliders.items()}
        self.settings.update({key: slider.value for key, slider in self.sliders.items()})
        self.refresh()

    def refresh(self) -> None:
        """Recompute the four paths and redraw them on the surface's contours."""
        f, _start, xlim, ylim, _ = SURFACES[self.surface]
        paths = self.trajectories()
        fig, (ax, ax_loss) = self.new_figure(2)
        plot_loss_surface(f, paths, xlim, ylim, ax=ax)
        for name, points in paths.items():
            ax_loss.plot([f(px, py) for px, py in points], label=name)
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("f(x, y)")
        ax_loss.legend(fontsize=7)
        self.show_figure(fig)
        finals = ", ".join(f"{name} {f(*points[-1]):.3g}" for name, points in paths.items())
        self.show_message(f"{self.surface}, {self.steps} steps. Final values: {finals}.")
