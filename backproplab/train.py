"""The training loop: the four stages repeated over batches and epochs, with a record.

``fit`` works in both modes.  In scalar mode each sample goes through the model on its
own (``model(list(x))``); in tensor mode the whole batch goes through at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import backend, losses
from .grad_mode import no_grad
from .hooks import UpdateRatioTracker, gradient_norm_vector
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
    """Share of correct class predictions (argmax of several outputs, or one score > 0).

    For predictions on a GPU it is counted there and only the share is read back.
    """
    if isinstance(preds, Tensor) and preds.device != "cpu":
        scores = preds._data.reshape(len(preds._data), -1)
        classes = scores[:, 0] > 0 if scores.shape[1] == 1 else scores.argmax(axis=1)
        labels = targets._data if isinstance(targets, Tensor) else targets
        labels = backend.to_device(labels, preds.device).reshape(-1)
        return float(backend.to_host((classes == labels).sum())) / len(labels)
    return float((classes_from_outputs(preds) == backend.to_host(targets).reshape(-1)).mean())


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
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    _check_arguments(model, loss_fn, optimizer, loader, metric)
    if val_data is not None and (not isinstance(val_data, (tuple, list)) or len(val_data) != 2):
        raise TypeError("val_data must be a pair (X_val, y_val).")
    for what, columns in (("training data", getattr(loader, "columns", None)),
                          ("validation data", val_data)):
        problem = _non_finite(columns, what)
        if problem:  # before training: NaN inputs would otherwise look like a diverging run
            raise ValueError(problem)
    metric_fn = _default_metric(loss_fn) if metric == "auto" else metric
    scalar_mode = is_scalar_model(model)
    history = History(metric_name=getattr(metric_fn, "__name__", "metric"))
    tracker = UpdateRatioTracker(model) if record_updates else None
    norms = _NormRecorder(history) if record_gradients else None
    batches = len(loader) if hasattr(loader, "__len__") else None
    if batches == 0:
        raise ValueError("The loader has no batches: the data set is empty, or drop_last=True with "
                         "fewer samples than batch_size.")
    bar = progress_bar(epochs * batches if batches else None, "training", enabled=progress)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            total, metric_total, seen = 0.0, 0.0, 0
            for xb, yb in loader:
                step += 1
                preds, value = _train_batch(model, loss_fn, optimizer, xb, yb, scalar_mode, norms, tracker)
                if not math.isfinite(value):
                    error = _divergence(value, (xb, yb), epoch, step, optimizer)
                    if on_divergence == "raise":
                        raise error
                    history.stopped = str(error)
                    print(history.stopped)
                    return history  # the finally block writes the recorded norms
                n = len(yb)
                history.step_loss.append(value)
                total += value * n
                seen += n
                if metric_fn:
                    metric_total += metric_fn(preds, yb) * n
                bar.update()
                bar.set_postfix_str(f"epoch {epoch} loss {value:.4f}")
            if seen == 0:
                raise ValueError(f"The loader gave no batches in epoch {epoch} (a generator is used up "
                                 "after one pass; use bp.data.DataLoader, which starts again each epoch).")
            if norms:
                norms.write()  # before the callback: the dashboard draws them
            history.loss.append(total / seen)
            if metric_fn:
                history.metric.append(metric_total / seen)
            if val_data is not None:
                _evaluate(model, loss_fn, metric_fn, val_data, scalar_mode, history)
            if callback is not None:
                callback(epoch, history)
    finally:
        bar.close()
        if norms:
            norms.write()
        if tracker:
            history.update_ratios = tracker.history
    return history


def _train_batch(model, loss_fn, optimizer, xb, yb, scalar_mode, norms, tracker):
    """One step on one batch: forward, loss, backward, update; returns (predictions, loss value).

    A loss that is NaN or inf changes nothing: it is returned before backward runs.
    """
    preds = forward_batch(model, xb, scalar_mode)
    loss = loss_fn(preds, yb)
    value = loss.item()
    if not math.isfinite(value):
        return preds, value
    optimizer.zero_grad()
    loss.backward()
    if norms:
        norms.record(model)
    if tracker:
        tracker.before()
    optimizer.step()
    if tracker:
        tracker.after()
    return preds, value


def _divergence(value: float, batch, epoch: int, step: int, optimizer) -> Exception:
    """The error for a loss of NaN or inf: bad data in the batch (ValueError), or a diverging run."""
    bad_data = _non_finite(batch, f"batch of epoch {epoch}, step {step}")
    if bad_data:
        return ValueError(bad_data)
    return FloatingPointError(f"The loss became {value} at epoch {epoch}, step {step}. The updates are "
                              f"too large: try a smaller learning rate (now {optimizer.lr:g}).")


class _NormRecorder:
    """Gradient norms of every step, kept on the device and written to the history per epoch.

    Copying every gradient to the host (or even reading one norm) each step would make a GPU
    wait every step; the norms of an epoch are read back in one copy instead.
    """

    def __init__(self, history: History):
        self.history, self.names, self.steps = history, None, []

    def record(self, model) -> None:
        """Compute this step's norms where the gradients are; nothing is read."""
        self.names, vector = gradient_norm_vector(model)
        self.steps.append(vector)

    def write(self) -> None:
        """Read the recorded norms (one copy) and append them to ``history.grad_norms``."""
        if not self.steps:
            return
        xp = backend.array_module(self.steps[0])
        rows = backend.to_host(xp.stack(self.steps)).tolist()
        self.steps = []
        for row in rows:
            for name, norm in zip(self.names, row):
                self.history.grad_norms.setdefault(name, []).append(norm)


def _check_arguments(model, loss_fn, optimizer, loader, metric) -> None:
    if not hasattr(model, "parameters"):
        raise TypeError(f"fit trains a bp.nn.Module; got {type(model).__name__} as the model.")
    if not model.parameters():
        raise ValueError(f"The model ({type(model).__name__}) has no parameters to train.")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function such as bp.losses.cross_entropy; got {loss_fn!r}.")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"optimizer must be an optimizer such as bp.optim.Adam(model.parameters()); "
                        f"got {type(optimizer).__name__}. (Argument order: fit(model, loss_fn, "
                        "optimizer, loader).)")
    if not hasattr(loader, "__iter__") or (isinstance(loader, tuple) and loader
                                           and all(hasattr(c, "shape") for c in loader)):
        raise TypeError(f"loader must give batches: wrap the data in bp.data.DataLoader((X, y), "
                        f"batch_size=...); got {type(loader).__name__}.")
    if metric not in ("auto", None) and not callable(metric):
        raise TypeError(f"metric must be 'auto', None or a function; got {metric!r}.")


def _non_finite(data, what: str, top: bool = True) -> str | None:
    """A sentence naming the rows of ``data`` (arrays, tensors or tuples of them) with NaN or inf."""
    if data is None:
        return None
    if isinstance(data, (tuple, list)) and not (data and isinstance(data[0], (int, float))):
        for i, part in enumerate(data):
            name = ("inputs" if i == 0 else "targets") if top and len(data) == 2 else f"part {i}"
            problem = _non_finite(part, f"{what} ({name})", top=False)
            if problem:
                return problem
        return None
    if not hasattr(data, "dtype") or data.dtype.kind != "f" or not data.size:
        return None
    array = backend.to_host(data)  # once per fit (and after a NaN loss), not every step
    finite = np.isfinite(array)
    if bool(finite.all()):
        return None
    rows = np.flatnonzero(~finite.reshape(len(array), -1).all(axis=1)) if array.ndim else np.array([0])
    shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
    return (f"Found NaN or inf in the {what}, rows {shown}. That is a problem with the data, not with "
            "the learning rate: remove or repair those rows first, e.g. "
            "keep = np.isfinite(X).reshape(len(X), -1).all(axis=1); X, y = X[keep], y[keep].")


def _evaluate(model, loss_fn, metric_fn, val_data, scalar_mode, history):
    X, y = val_data
    model.eval()
    with no_grad():
        preds = forward_batch(model, X, scalar_mode)
        loss = loss_fn(preds, y)
    history.val_loss.append(loss.item())
    if metric_fn:
        history.val_metric.append(metric_fn(preds, y))
    model.train()
