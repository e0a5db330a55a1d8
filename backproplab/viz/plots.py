"""Training pictures: loss curves, decision boundaries, gradient flow, loss surfaces.

Every function draws into ``ax`` when given one (so widgets can redraw in place) and
otherwise makes a new figure; each returns the Axes it drew on.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import backend
from ..grad_mode import no_grad
from ..predict import classes_from_outputs, forward_batch, is_scalar_model

__all__ = ["plot_history", "plot_decision_boundary", "plot_gradient_flow", "plot_loss_surface",
           "new_axes", "predict_classes"]


def new_axes(ax=None, figsize=(5, 3.5)):
    """``ax`` itself, or the Axes of a new stand-alone figure (not tied to pyplot)."""
    if ax is not None:
        return ax
    return Figure(figsize=figsize, dpi=90).add_subplot()


def plot_history(history, ax=None, log_scale: bool = False):
    """Loss per epoch (training and, if recorded, validation) with the metric in the title."""
    ax = new_axes(ax)
    epochs = np.arange(1, len(history.loss) + 1)
    ax.plot(epochs, history.loss, marker="o", ms=3, label="training loss")
    if history.val_loss:
        ax.plot(epochs[: len(history.val_loss)], history.val_loss, marker="o", ms=3, label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    if history.metric:
        ax.set_title(f"final {history.metric_name}: {history.metric[-1]:.3f}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def predict_classes(model, X) -> np.ndarray:
    """Class predictions of a classifier in either mode (argmax, or score > 0)."""
    with no_grad():
        return classes_from_outputs(forward_batch(model, X))


def plot_decision_boundary(model, X, y, ax=None, resolution: int | None = None, margin: float = 0.5):
    """Colour the plane by the class the model predicts, with the data on top.

    Works for scalar-mode (one output: class 1 where score > 0) and tensor-mode models, and
    for data given as arrays or tensors on any device (it is copied to the host for drawing).
    """
    X, y = backend.to_host(X), backend.to_host(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs of shape (n, 2), got {X.shape}.")
    ax = new_axes(ax, figsize=(4, 4))
    resolution = resolution or (40 if is_scalar_model(model) else 150)
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid = np.stack(np.meshgrid(x0, x1), axis=-1).reshape(-1, 2)
    classes = predict_classes(model, grid).reshape(resolution, resolution)
    n_classes = int(max(y.max(), classes.max())) + 1
    ax.contourf(x0, x1, classes, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3,
               vmin=0, vmax=n_classes - 1)
    accuracy = (predict_classes(model, X) == y).mean()
    ax.set_title(f"accuracy {accuracy:.1%}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_gradient_flow(grad_norms: dict, ax=None, log_scale: bool = True):
    """Gradient size per layer: bars of the latest value, or lines over steps.

    ``grad_norms`` maps a parameter name to a number (one bar each) or to a list of
    numbers over training steps (one line each), e.g. ``History.grad_norms``.
    """
    if not grad_norms:
        raise ValueError("No gradient norms to plot: train with record_gradients=True first.")
    ax = new_axes(ax, figsize=(6, 3.5))
    names = list(grad_norms)
    values = list(grad_norms.values())
    if np.ndim(values[0]) == 0:
        ax.bar(range(len(names)), values, color="tab:purple")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("gradient norm")
    else:
        for name, series in grad_norms.items():
            ax.plot(series, label=name, lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("gradient norm")
        ax.legend(fontsize=7, ncol=2)
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    return ax


def plot_loss_surface(f, trajectories: dict | None = None, xlim=(-2, 2), ylim=(-2, 2), ax=None,
                      resolution: int = 120, levels: int = 30, log_levels: bool = True):
    """Contours of a 2-D function ``f(x, y)`` (NumPy arrays in, array out) with optimizer paths.

    ``trajectories`` maps a name to an (n, 2) array of points visited.
    """
    ax = new_axes(ax, figsize=(5, 4))
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys)
    z = backend.to_host(f(gx, gy)).astype(float)
    if log_levels:
        z = np.log1p(z - z.min())
    ax.contour(xs, ys, z, levels=levels, cmap="viridis", linewidths=0.7)
    for name, points in (trajectories or {}).items():
        points = backend.to_host(points)
        ax.plot(points[:, 0], points[:, 1], marker=".", ms=3, lw=1.2, label=name)
        ax.plot(points[-1, 0], points[-1, 1], marker="x", color="k", ms=6)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if trajectories:
        ax.legend(fontsize=8, loc="upper left")
    return ax
