"""Watch a small network learn: the loss curve and the decision boundary, live.

Every number the dashboard shows is measured the same way: the current weights, run on
all the training points after an epoch has finished.  (``fit``'s own per-epoch numbers
are averages over the epoch's batches, each measured while the weights were still
changing; they lag behind and would disagree with the picture of the current boundary.)
"""

from __future__ import annotations

import ipywidgets as W

from .._checks import choice, real_number, whole_number
from ..data import DataLoader, make_circles, make_moons, make_spirals
from ..grad_mode import no_grad
from ..losses import cross_entropy
from ..nn.layers import MLP
from ..nn.module import Module
from ..optim import SGD, Adam
from ..predict import classes_from_outputs, forward_batch
from ..tensor import Tensor
from ..train import History, fit
from ..viz.plots import plot_decision_boundary
from .base import WidgetBase

__all__ = ["TrainingDashboard"]

DATASETS = {"moons": make_moons, "circles": make_circles, "spirals": make_spirals}


class TrainingDashboard(WidgetBase):
    """Train a 2-input classifier and redraw its loss and decision boundary as it learns.

    Core: ``train(epochs)`` continues training (the history grows), ``reset()`` starts
    again with fresh weights, ``evaluate()`` and ``accuracy()``.  ``history.loss`` and
    ``history.metric`` hold, for each epoch trained, the loss and the accuracy of the
    weights at the end of that epoch on all the training points: the same measurement as
    ``evaluate()`` and the decision boundary's title.  Pass ``model=`` to watch your own
    tensor-mode network with 2 inputs and one output per class.
    """

    figsize = (9, 3.6)

    def __init__(self, dataset: str = "moons", hidden=(16, 16), lr: float = 0.03, model=None,
                 redraw_every: int = 2, seed: int = 0):
        choice(dataset, "TrainingDashboard: dataset", DATASETS)
        # the learning-rate slider spans 1e-3 .. 1; it would clamp other values silently
        lr = real_number(lr, "TrainingDashboard: lr (the slider's range)", 1e-3, 1.0)
        if isinstance(hidden, (int, str)) or not hasattr(hidden, "__iter__"):
            raise TypeError(f"TrainingDashboard: hidden must be a list of layer widths such as (16, 16); "
                            f"got {hidden!r}.")
        hidden = tuple(whole_number(h, "TrainingDashboard: hidden layer width") for h in hidden)
        redraw_every = whole_number(redraw_every, "TrainingDashboard: redraw_every")
        seed = whole_number(seed, "TrainingDashboard: seed", minimum=0)
        super().__init__()
        self.hidden, self.seed, self.redraw_every = hidden, seed, redraw_every
        self.custom_model = model
        self.problem = _check_model(model)
        self.history = History()
        self.dataset_menu = W.Dropdown(options=list(DATASETS), value=dataset, description="data")
        self.optimizer_menu = W.Dropdown(options=["Adam", "SGD"], value="Adam", description="optimizer")
        self.lr_slider = W.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.1,
                                          description="learning rate", readout_format=".3g",
                                          style={"description_width": "initial"})
        self.train_button = W.Button(description="train 20 epochs", button_style="primary")
        self.reset_button = W.Button(description="reset")
        self.train_button.on_click(lambda _b: self.train(20))
        self.reset_button.on_click(lambda _b: self.reset())
        self.dataset_menu.observe(lambda change: self.reset(), names="value")
        self.ui = W.VBox([W.HBox([self.dataset_menu, self.optimizer_menu]),
                          W.HBox([self.lr_slider, self.train_button, self.reset_button]),
                          self.message, self.image])
        self._finish_ui("bp-training-dashboard")
        self.reset()

    def reset(self) -> None:
        """Fresh weights, the chosen data set, an empty history."""
        if self.problem:
            self.show_message(self.problem, problem=True)
            return
        n_classes = 3 if self.dataset_menu.value == "spirals" else 2
        self.X, self.y = DATASETS[self.dataset_menu.value](n=300 if n_classes == 3 else 200, seed=self.seed)
        self.model = self.custom_model or MLP(2, [*self.hidden, n_classes], activation="tanh", seed=self.seed)
        self.history = History()
        self._optimizer = None
        self.refresh()

    def _make_optimizer(self):
        cls = Adam if self.optimizer_menu.value == "Adam" else SGD
        return cls(self.model.parameters(), lr=self.lr_slider.value)

    def train(self, epochs: int) -> History:
        """Train ``epochs`` more epochs, redrawing every ``redraw_every`` epochs."""
        epochs = whole_number(epochs, "TrainingDashboard.train: epochs")
        if self.problem:
            self.show_message(self.problem, problem=True)
            return self.history
        if self._optimizer is None or self._optimizer.lr != self.lr_slider.value:
            self._optimizer = self._make_optimizer()
        loader = DataLoader((self.X, self.y), batch_size=32, seed=self.seed + len(self.history.loss))

        def record(epoch, _batch_history):
            # fit's own numbers are batch averages over the epoch; measure the weights now instead
            loss, accuracy = self.evaluate()
            self.history.loss.append(loss)
            self.history.metric.append(accuracy)
            if epoch % self.redraw_every == 0 or epoch == epochs:
                self.refresh()

        fit(self.model, cross_entropy, self._optimizer, loader, epochs=epochs, progress=False,
            record_gradients=False, callback=record)
        return self.history

    def evaluate(self) -> tuple[float, float]:
        """``(loss, accuracy)`` of the current weights on all the training points."""
        with no_grad():
            outputs = forward_batch(self.model, self.X)
            loss = cross_entropy(outputs, self.y).item()
        return loss, float((classes_from_outputs(outputs) == self.y).mean())

    def accuracy(self) -> float:
        """Share of the training points the current weights classify correctly."""
        return self.evaluate()[1]

    def refresh(self) -> None:
        """Redraw the loss and accuracy curves and the decision boundary."""
        fig, (ax_loss, ax_boundary) = self.new_figure(2)
        loss, accuracy = self.evaluate()
        if self.history.loss:
            self._plot_curves(ax_loss)
        else:
            ax_loss.set_title("press 'train' to start", fontsize=10)
            ax_loss.set_xlabel("epoch")
            ax_loss.set_ylabel("loss on the training points")
        plot_decision_boundary(self.model, self.X, self.y, ax=ax_boundary, resolution=80)
        ax_boundary.set_title(f"current weights: accuracy {accuracy:.1%}", fontsize=10)
        ax_boundary.set_xlabel("x₁")
        ax_boundary.set_ylabel("x₂")
        fig.subplots_adjust(wspace=0.45)  # room for the accuracy axis; cheaper than tight_layout
        self.show_figure(fig)
        right = round(accuracy * len(self.y))
        self.show_message(f"{len(self.history.loss)} epochs trained. The current weights on all "
                          f"{len(self.y)} training points: loss {loss:.3g}, accuracy {accuracy:.1%} "
                          f"({right} right).")

    def _plot_curves(self, ax_loss):
        """Loss (left axis) and accuracy (right axis) after each epoch."""
        epochs = range(1, len(self.history.loss) + 1)
        ax_loss.plot(epochs, self.history.loss, color="tab:blue", marker="o", ms=3)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss (cross-entropy)", color="tab:blue")
        ax_loss.set_ylim(bottom=0)
        ax_loss.grid(alpha=0.3)
        ax_accuracy = ax_loss.twinx()
        ax_accuracy.plot(epochs, self.history.metric, color="tab:green", marker="o", ms=3)
        ax_accuracy.set_ylabel("accuracy", color="tab:green")
        ax_accuracy.set_ylim(0, 1.02)
        ax_loss.set_title(f"after each epoch, on all {len(self.y)} training points", fontsize=10)


def _check_model(model) -> str | None:
    """A sentence saying why ``model`` cannot be shown, or None if it can."""
    if model is None:
        return None
    if not isinstance(model, Module):
        return f"TrainingDashboard needs a bp.nn.Module; got {type(model).__name__}."
    params = model.parameters()
    if not params or not isinstance(params[0], Tensor):
        return "TrainingDashboard trains tensor-mode models (bp.nn.MLP and friends); this one is scalar-mode."
    first = params[0]
    if first.ndim != 2 or first.shape[1] != 2:
        return (f"TrainingDashboard draws 2-D data, so the model needs 2 inputs; its first weight has "
                f"shape {first.shape}.")
    return None
