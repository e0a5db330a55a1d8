"""The training loop: the four stages repeated over batches and epochs, with a record.

``fit`` works in both modes.  In scalar mode each sample goes through the model on its
own (``model(list(x))``); in tensor mode the whole batch goes through at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .grad_mode import no_grad
from .hooks import UpdateRatioTracker, gradient_norms
from .predict import classes_from_outputs, forward_batch, is_scalar_model
from .progress import progress_bar
from .tensor import Tensor

__all__ = ["History", "fit", "accuracy"]


@dataclass
class History:
    """What happened during training: per epoch, per step and per parameter."""

    loss: list = field(default_factory=list)           # mean training loss per epoch
    metric: list = field(default_factory=list)         # training metric per epoch
    val_loss: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)      # loss of every batch
    grad_norms: dict = field(default_factory=dict)     # parameter name -> norm per step
    update_ratios: dict = field(default_factory=dict)  # parameter name -> |dw|/|w| per step
    metric_name: str = "accuracy"
    stopped: str | None = None                         # why training stopped early, if it did


def accuracy(preds, targets) -> float:
    """Share of correct class predictions (argmax of several outputs, or one score > 0)."""
    targets = targets.numpy() if isinstance(targets, Tensor) else np.asarray(targets)
    return float((classes_from_outputs(preds) == targets.reshape(-1)).mean())


def _default_metric(loss_fn):
    classify = (losses.cross_entropy, losses.binary_cross_entropy_with_logits)
    return accuracy if loss_fn in classify else None


def fit(model, loss_fn, optimizer, loader, epochs: int = 1, metric="auto", val_data=None,
        progress: bool = True, record_gradients: bool = True, record_updates: bool = False,
        on_divergence: str = "stop", callback=None) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader`` and return a ``History``.

    ``loss_fn(predictions, targets)`` gives the loss; ``metric`` is ``"auto"`` (accuracy
    for the classification losses), ``None`` or a function of (predictions, targets).
    ``val_data=(X, y)`` is evaluated after each epoch.  ``callback(epoch, history)`` runs
    after each epoch (the dashboard redraws there).  If the loss becomes NaN or inf,
    training stops with a message naming the step (``on_divergence="raise"`` raises
    ``FloatingPointError`` instead).
    """
    if on_divergence not in ("stop", "raise"):
        raise ValueError("on_divergence must be 'stop' or 'raise'.")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    metric_fn = _default_metric(loss_fn) if metric == "auto" else metric
    scalar_mode = is_scalar_model(model)
    history = History(metric_name=getattr(metric_fn, "__name__", "metric"))
    tracker = UpdateRatioTracker(model) if record_updates else None
    bar = progress_bar(epochs * len(loader), "training", enabled=progress)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            total, metric_total, seen = 0.0, 0.0, 0
            for xb, yb in loader:
                step += 1
                preds = forward_batch(model, xb, scalar_mode)
                loss = loss_fn(preds, yb)
                value = float(loss.data) if not isinstance(loss, Tensor) else loss.item()
                if not math.isfinite(value):
                    message = (f"The loss became {value} at epoch {epoch}, step {step}. The updates "
                               f"are too large: try a smaller learning rate (now {optimizer.lr:g}).")
                    if on_divergence == "raise":
                        raise FloatingPointError(message)
                    history.stopped = message
                    print(message)
                    return history
                optimizer.zero_grad()
                loss.backward()
                if record_gradients:
                    for name, norm in gradient_norms(model).items():
                        history.grad_norms.setdefault(name, []).append(norm)
                if tracker:
                    tracker.before()
                optimizer.step()
                if tracker:
                    tracker.after()
                n = len(yb)
                history.step_loss.append(value)
                total += value * n
                seen += n
                if metric_fn:
                    metric_total += metric_fn(preds, yb) * n
                bar.update()
                bar.set_postfix_str(f"epoch {epoch} loss {value:.4f}")
            history.loss.append(total / seen)
            if metric_fn:
                history.metric.append(metric_total / seen)
            if val_data is not None:
                _evaluate(model, loss_fn, metric_fn, val_data, scalar_mode, history)
            if callback is not None:
                callback(epoch, history)
    finally:
        bar.close()
        if tracker:
            history.update_ratios = tracker.history
    return history


def _evaluate(model, loss_fn, metric_fn, val_data, scalar_mode, history):
    X, y = val_data
    model.eval()
    with no_grad():
        preds = forward_batch(model, X, scalar_mode)
        loss = loss_fn(preds, y)
    history.val_loss.append(float(loss.data) if not isinstance(loss, Tensor) else loss.item())
    if metric_fn:
        history.val_metric.append(metric_fn(preds, y))
    model.train()
