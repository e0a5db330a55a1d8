"""SGD, momentum, RMSProp and Adam racing downhill on the same 2-D surface.

A race is only fair when every runner gets its own best learning rate: the optimizers
measure the learning rate in different units (SGD and momentum multiply the gradient by
it; RMSProp and Adam divide the gradient by its running size first, so they step about
``lr`` whatever the gradient's size).  So on the two bowls each optimizer starts with its
best learning rate on the same grid ``LR_GRID`` (``tune_learning_rates`` recomputes
them; a test checks they agree).  On Rosenbrock's valley and the saddle the learning
rates are picked by hand to show what each optimizer does there: the outcome on those
surfaces changes abruptly from one learning rate to the next, so a grid search would
pick a lucky value rather than a typical one.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import ipywidgets as W
import numpy as np

from .._checks import whole_number
from ..optim import SGD, Adam, RMSProp
from ..scalar import Value
from ..viz.plots import plot_loss_surface
from .base import WidgetBase

__all__ = ["OptimizerRace", "SURFACES", "LR_GRID", "RACE_STEPS", "Surface", "tune_learning_rates",
           "race_path", "settled_value", "plot_race", "plot_race_values"]

OPTIMIZERS = ("SGD", "momentum", "RMSProp", "Adam")
DEFAULT_SETTINGS = {"momentum": 0.9, "alpha": 0.99, "beta1": 0.9}
LR_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
RACE_STEPS = 100
LAST_STEPS = 10  # a learning rate is judged by the worst of the race's last LAST_STEPS values

# The bowls: curvature 1 along the valley, 100 across it (condition number 100).
CURVATURE_ALONG, CURVATURE_ACROSS = 1.0, 100.0
_DIAGONAL = math.sqrt(0.5)  # cos 45° = sin 45°


def axis_aligned_bowl(x, y):
    """An ill-conditioned bowl whose valley runs along the x axis (100 times steeper along y)."""
    return 0.5 * CURVATURE_ALONG * x**2 + 0.5 * CURVATURE_ACROSS * y**2


def rotated_bowl(x, y):
    """The same bowl rotated by 45°: the valley runs along the diagonal y = x.

    ``u`` is the coordinate along the valley, ``v`` the one across it; no axis of the
    plane points along either, so every gradient mixes the steep and the flat direction.
    """
    u = _DIAGONAL * (x + y)
    v = _DIAGONAL * (y - x)
    return 0.5 * CURVATURE_ALONG * u**2 + 0.5 * CURVATURE_ACROSS * v**2


def rosenbrock(x, y):
    """Rosenbrock's banana valley; the minimum at (1, 1) lies at the end of a flat curved floor."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def saddle(x, y):
    """A saddle at (0, 0) with two valleys at y = ±sqrt(2); gradient descent stalls near the saddle."""
    return x**2 - y**2 + 0.25 * y**4


class Surface(NamedTuple):
    """A race track: the function, where the race starts, what the picture shows."""

    function: Callable
    start: tuple
    xlim: tuple
    ylim: tuple
    learning_rates: dict  # bowls: each optimizer's best on LR_GRID; others: picked by hand
    minimum: tuple        # the lowest point the race heads for (the saddle has a twin at y < 0)


# The bowls start at the same place relative to their valley: 1.8 along it, 0.6 across it.
_START_ALONG, _START_ACROSS = -1.8, 0.6
# Each optimizer's best on LR_GRID on the rotated bowl (tune_learning_rates("rotated bowl")).
# The axis-aligned bowl keeps them, so that rotating the bowl is the only change.
_BOWL_RATES = {"SGD": 0.01, "momentum": 0.005, "RMSProp": 0.1, "Adam": 0.5}
# (along, across) turned into (x, y) by the same 45° rotation as rotated_bowl
_ROTATED_START = (_DIAGONAL * (_START_ALONG - _START_ACROSS), _DIAGONAL * (_START_ALONG + _START_ACROSS))
SURFACES = {
    "rotated bowl": Surface(rotated_bowl, _ROTATED_START, (-2, 1), (-2, 1), dict(_BOWL_RATES), (0.0, 0.0)),
    "axis-aligned bowl": Surface(axis_aligned_bowl, (_START_ALONG, _START_ACROSS), (-2, 1), (-1.5, 1.5),
                                 dict(_BOWL_RATES), (0.0, 0.0)),
    "Rosenbrock": Surface(rosenbrock, (-1.5, 2.0), (-2, 2), (-1, 3),
                          {"SGD": 0.0015, "momentum": 0.0005, "RMSProp": 0.01, "Adam": 0.1}, (1.0, 1.0)),
    "saddle": Surface(saddle, (-1.5, 1e-3), (-2, 2), (-2, 2),
                      {"SGD": 0.05, "momentum": 0.02, "RMSProp": 0.01, "Adam": 0.05}, (0.0, math.sqrt(2))),
}


def make_optimizer(name: str, params, lr: float, settings: dict | None = None):
    """The optimizer ``name`` (one of ``OPTIMIZERS``) with ``settings`` (β, α, β1)."""
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    if name == "SGD":
        return SGD(params, lr=lr)
    if name == "momentum":
        return SGD(params, lr=lr, momentum=s["momentum"])
    if name == "RMSProp":
        return RMSProp(params, lr=lr, alpha=s["alpha"])
    if name == "Adam":
        return Adam(params, lr=lr, betas=(s["beta1"], 0.999))
    raise ValueError(f"Unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}.")


def race_path(surface: str, name: str, lr: float, steps: int = RACE_STEPS, settings: dict | None = None):
    """The points one optimizer visits from the surface's start: an ``(n, 2)`` array.

    Fewer than ``steps + 1`` points when it diverges (it is stopped once it leaves for
    infinity, so the picture stays readable).
    """
    f, start = _surface(surface)[:2]
    x, y = Value(start[0]), Value(start[1])
    opt = make_optimizer(name, [x, y], lr, settings)
    points = [(x.data, y.data)]
    for _ in range(steps):
        opt.zero_grad()
        f(x, y).backward()
        opt.step()
        if not (math.isfinite(x.data) and math.isfinite(y.data)) or abs(x.data) + abs(y.data) > 1e3:
            break
        points.append((x.data, y.data))
    return np.array(points)


def settled_value(surface: str, path, steps: int = RACE_STEPS) -> float:
    """How high above the minimum a path stays at the end: the worst of its last LAST_STEPS values.

    The worst, not the last, so that an optimizer bouncing around the minimum is not
    rewarded for a lucky final step.  Infinite when the path diverged before ``steps``.
    """
    f, minimum = _surface(surface).function, _surface(surface).minimum
    if len(path) < steps + 1:
        return math.inf
    return max(float(f(*point)) for point in path[-LAST_STEPS:]) - float(f(*minimum))


def tune_learning_rates(surface: str, grid=LR_GRID, steps: int = RACE_STEPS) -> dict:
    """Each optimizer's best learning rate on ``grid``: ``{name: (lr, settled value)}``.

    Best means the lowest ``settled_value`` after ``steps`` steps from the surface's start.
    """
    best = {}
    for name in OPTIMIZERS:
        scores = [(settled_value(surface, race_path(surface, name, lr, steps), steps), lr) for lr in grid]
        value, lr = min(scores)
        best[name] = (lr, value)
    return best


def _surface(name: str) -> Surface:
    if name not in SURFACES:
        raise ValueError(f"Unknown surface {name!r}; choose one of {', '.join(SURFACES)}.")
    return SURFACES[name]


class OptimizerRace(WidgetBase):
    """Trajectories of four optimizers from one start point on a chosen surface.

    Core: ``trajectories()`` returns ``{name: (steps + 1, 2) array}`` computed with the
    package's own optimizers on two ``Value`` parameters; ``settings`` holds the
    hyperparameters the sliders control (the learning rates start at the surface's
    tuned ones, see ``SURFACES``).
    """

    figsize = (9, 4)

    def __init__(self, surface: str = "rotated bowl", steps: int = RACE_STEPS):
        super().__init__()
        _surface(surface)
        steps = whole_number(steps, "OptimizerRace: steps")
        self.surface, self.steps = surface, steps
        self.settings = {"lr": dict(SURFACES[surface].learning_rates), **DEFAULT_SETTINGS}
        self._quiet = False  # True while a surface change sets several sliders at once
        self._build_ui()
        self.refresh()

    def make_optimizer(self, name: str, params):
        """The optimizer ``name`` with the current settings."""
        return make_optimizer(name, params, self.settings["lr"][name], self.settings)

    def trajectories(self) -> dict:
        """Every optimizer's path, starting from the surface's start point."""
        return {name: race_path(self.surface, name, self.settings["lr"][name], self.steps, self.settings)
                for name in OPTIMIZERS}

    def _build_ui(self):
        self.surface_menu = W.Dropdown(options=list(SURFACES), value=self.surface, description="surface")
        self.surface_menu.observe(self._on_surface, names="value")
        self.lr_sliders = {
            name: W.FloatLogSlider(value=self.settings["lr"][name], base=10, min=-4, max=0.3, step=0.05,
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
        for name, lr in SURFACES[self.surface].learning_rates.items():
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
        f = SURFACES[self.surface].function
        paths = self.trajectories()
        fig, (ax, ax_loss) = self.new_figure(2)
        plot_race(self.surface, paths, ax, self.settings["lr"])
        plot_race_values(self.surface, paths, ax_loss)
        fig.subplots_adjust(wspace=0.3)
        self.show_figure(fig)
        finals = ", ".join(f"{name} {f(*points[-1]):.3g}" for name, points in paths.items())
        self.show_message(f"{self.surface}, {self.steps} steps. Final values: {finals}.")


# One colour and line per optimizer, the same in both panels; SGD wide, pale and on top so
# that it stays visible where another path runs along the same valley floor.
STYLES = {"SGD": dict(color="tab:blue", lw=3, alpha=0.5, zorder=3),
          "momentum": dict(color="tab:orange", lw=1.2),
          "RMSProp": dict(color="tab:green", lw=1.2, ls="--"), "Adam": dict(color="tab:red", lw=1.2)}


def plot_race(surface: str, paths: dict, ax, learning_rates: dict | None = None):
    """The surface's contours with each optimizer's path, its start (●) and minimum (★)."""
    track = _surface(surface)
    plot_loss_surface(track.function, None, track.xlim, track.ylim, ax=ax, levels=15)
    for name, points in paths.items():
        label = f"{name} (lr {learning_rates[name]:.2g})" if learning_rates else name
        ax.plot(points[:, 0], points[:, 1], marker=".", ms=3, label=label, **STYLES.get(name, {}))
        ax.plot(*points[-1], marker="x", color="k", ms=5)
    ax.plot(*track.start, "o", color="k", ms=5)
    ax.plot(*track.minimum, "*", color="k", ms=10)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{surface}: paths from ● to the minimum ★", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_race_values(surface: str, paths: dict, ax):
    """How far above its minimum each path is, step by step (log scale, floor at 1e-12)."""
    f, minimum = _surface(surface).function, _surface(surface).minimum
    lowest = float(f(*minimum))
    for name, points in paths.items():
        # the distance above the minimum, so that the log scale also works where f < 0 (saddle)
        excess = np.array([f(px, py) for px, py in points]) - lowest
        ax.plot(np.maximum(excess, 1e-12), label=name, **STYLES.get(name, {}))
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-12)
    ax.set_xlabel("step")
    ax.set_ylabel("f(x, y) − f(minimum)" if lowest else "f(x, y)")
    ax.set_title("height above the minimum (below 1e-12 drawn at 1e-12)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
