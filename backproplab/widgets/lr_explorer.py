"""How the learning rate decides between crawling, converging, oscillating and diverging."""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

from .._checks import whole_number
from ..losses import mse
from ..optim import SGD
from ..tensor import Tensor
from .base import WidgetBase

__all__ = ["LearningRateExplorer"]


class LearningRateExplorer(WidgetBase):
    """Full-batch gradient descent on a fixed linear regression, for any learning rate.

    The loss of linear regression is a bowl whose steepest curvature ``lambda_max`` sets
    the limits: below ``1/lambda_max`` the loss falls smoothly, between ``1/lambda_max``
    and ``2/lambda_max`` it overshoots back and forth but still falls, above
    ``2/lambda_max`` every step overshoots further and it diverges.

    Core: ``run(lr)`` (the loss per step), ``classify(lr)`` (one of ``"too slow"``,
    ``"good"``, ``"oscillating"``, ``"diverging"``), ``critical_lr``.
    """

    VERDICTS = ("too slow", "good", "oscillating", "diverging")

    def __init__(self, steps: int = 40, seed: int = 0):
        steps = whole_number(steps, "LearningRateExplorer: steps")
        seed = whole_number(seed, "LearningRateExplorer: seed", minimum=0)
        super().__init__()
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.0, 3.0, 50)
        self.X = x.reshape(-1, 1)
        self.y = (1.5 * x - 0.5 + rng.normal(0, 0.3, 50)).reshape(-1, 1)
        self.steps = steps
        design = np.column_stack([x, np.ones_like(x)])
        hessian = 2 * design.T @ design / len(x)  # of the mean squared error
        self.lambda_max = float(np.linalg.eigvalsh(hessian).max())
        self.critical_lr = 2.0 / self.lambda_max
        best = np.linalg.lstsq(design, self.y[:, 0], rcond=None)[0]
        self.best_slope = float(best[0])
        self.min_loss = float(np.mean((design @ best - self.y[:, 0]) ** 2))
        # Grey reference curves, the same for every slider position: computed once.
        self._references = []
        for factor, style in ((0.01, ":"), (0.5, "--"), (1.9 / 2, "-.")):
            ref = factor * self.critical_lr
            ref_losses = self.run(ref)
            self._references.append((ref, ref_losses, self._verdict(ref, ref_losses), style))
        self._build_ui()
        self.refresh()

    # ---------------------------------------------------------------- core

    def descend(self, lr: float) -> tuple[list, list]:
        """``(losses, slopes)`` before each of ``steps`` gradient-descent steps.

        Stops early once the loss has grown a million-fold (it is diverging).
        """
        w = Tensor([[0.0]], dtype="float64", requires_grad=True)
        b = Tensor([0.0], dtype="float64", requires_grad=True)
        X, y = Tensor(self.X, dtype="float64"), Tensor(self.y, dtype="float64")
        opt = SGD([w, b], lr=lr)
        losses, slopes = [], []
        for _ in range(self.steps + 1):
            loss = mse(X @ w + b, y)
            losses.append(loss.item())
            slopes.append(w.item())
            if not math.isfinite(losses[-1]) or losses[-1] > 1e6 * losses[0]:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        return losses, slopes

    def run(self, lr: float) -> list:
        """The loss before each gradient-descent step."""
        return self.descend(lr)[0]

    def classify(self, lr: float) -> str:
        """What the learning rate does, judged from the run itself."""
        return self._verdict(lr, self.run(lr))

    def _verdict(self, lr: float, losses) -> str:
        losses = np.array(losses)
        excess = losses - self.min_loss
        if not np.isfinite(losses[-1]) or excess[-1] > excess[0]:
            return "diverging"
        if lr > 1.0 / self.lambda_max:  # each step overshoots the bottom of the bowl
            return "oscillating"
        if excess[-1] > 0.05 * excess[0]:
            return "too slow"
        return "good"

    # ---------------------------------------------------------------- view

    def _build_ui(self):
        self.slider = W.FloatLogSlider(value=0.3 * self.critical_lr, base=10,
                                       min=math.log10(self.critical_lr) - 3,
                                       max=math.log10(self.critical_lr) + 0.4, step=0.02,
                                       description="learning rate", readout_format=".3g",
                                       continuous_update=False, layout=W.Layout(width="480px"),
                                       style={"description_width": "initial"})
        self.slider.observe(lambda change: self.refresh(), names="value")
        self.ui = W.VBox([self.slider, self.message, self.image])
        self._finish_ui("bp-lr-explorer")

    def refresh(self) -> None:
        """Redraw the loss curve of the slider's learning rate over the reference curves."""
        lr = self.slider.value
        losses, slopes = self.descend(lr)
        verdict = self._verdict(lr, losses)
        fig, (ax_loss, ax_fit) = self.new_figure(2)
        for ref, ref_losses, ref_verdict, style in self._references:
            ax_loss.plot(ref_losses, style, color="0.6", lw=1, label=f"lr {ref:.3g} ({ref_verdict})")
        ax_loss.plot(losses, color="tab:red", lw=2, marker=".", label=f"lr {lr:.3g}: {verdict}")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(self.min_loss * 0.8, max(losses[0] * 50, self.min_loss * 10))
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("mean squared error")
        ax_loss.legend(fontsize=8)
        ax_fit.plot(slopes, color="tab:red", marker=".", lw=1.5)
        ax_fit.axhline(self.best_slope, color="0.5", ls="--", lw=1, label="best slope")
        ax_fit.set_ylim(-1, 2 * self.best_slope + 1)
        ax_fit.set_xlabel("step")
        ax_fit.set_ylabel("slope w")
        ax_fit.legend(fontsize=8)
        self.show_figure(fig)
        self.show_message(f"{verdict}: the loss goes from {losses[0]:.3g} to {losses[-1]:.3g} in "
                          f"{len(losses) - 1} steps. Diverges above lr = 2/λmax = {self.critical_lr:.3g}.")
