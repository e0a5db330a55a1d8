"""The Playground's engine without any widget: settings, the network, training, readings.

``PlaygroundCore`` is what the widget drives and what the tests drive without a browser.
It trains with the package's own pieces only: a ``bp.nn.MLP`` in tensor mode,
``bp.losses`` (binary cross-entropy from one score for the classification sets, mean
squared error for the regression set), ``bp.optim.SGD`` and ``bp.data.DataLoader``.

**Regularisation** is a penalty added to the loss before ``backward()``, on the weights
only (biases are never penalised, as in TensorFlow Playground):

- L2: ``rate/2 · Σ w²``, whose gradient ``rate · w`` is exactly what ``SGD(weight_decay=rate)``
  adds, so the update is PyTorch's weight decay (a test checks the two agree);
- L1: ``rate · Σ |w|``, whose gradient ``rate · sign(w)`` pushes every weight towards zero
  by the same amount, so small weights reach zero and stay near it (sparsity).

Written as a loss term, the penalty reaches ``.grad`` through the same backward pass as
the data's gradient, so the gradient picture shows what the update really used, and no
second update rule is needed.  The loss curves show the data loss alone, so training and
test loss stay comparable.
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend, losses
from ...data import DataLoader
from ...grad_mode import no_grad
from ...nn.layers import MLP
from ...optim import SGD
from ...tensor import Tensor
from .data import CLASSIFICATION, FEATURES, PLANE, feature_columns, make_dataset
from .settings import (DEFAULTS, MAX_LAYERS, MAX_NEURONS, NEW_DATA, NEW_LAYER_WIDTH, NEW_NETWORK,
                       check_layer_index, checked)

__all__ = ["PlaygroundCore"]


class PlaygroundCore:
    """Settings, data, a tensor-mode MLP and its training, readable without a browser.

    ``configure(**settings)`` checks every value and raises ``ValueError`` with a reason
    (the widget shows it in its message line); nothing is clamped.  ``step()`` trains one
    epoch; ``play()`` / ``pause()`` / ``tick()`` are what the widget's Play button drives;
    ``reset()`` starts again from fresh weights.  Readings: ``epoch``, ``train_loss`` and
    ``test_loss`` (one entry per epoch, starting with the untrained network),
    ``accuracy()``, ``neuron_outputs()``, ``weights()``, ``edge_gradients()`` and
    ``neuron_gradients()``.
    """

    def __init__(self, **settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"Unknown Playground setting(s) {', '.join(sorted(unknown))}; "
                            f"the settings are {', '.join(DEFAULTS)}.")
        self.settings = checked({**DEFAULTS, **settings})
        self.playing = False
        self.problem: str | None = None  # why training stopped (a diverged loss), if it did
        self.data_version = 0
        self._make_data()
        self.reset()

    # ------------------------------------------------------------------ settings

    @property
    def is_classification(self) -> bool:
        """True for the five classification sets, False for the regression set."""
        return self.settings["dataset"] in CLASSIFICATION

    @property
    def hidden(self) -> tuple:
        """Neurons per hidden layer, e.g. (4, 2); () for no hidden layer."""
        return self.settings["hidden"]

    @property
    def features(self) -> tuple:
        """The enabled input features, in the fixed order of ``FEATURES``."""
        return self.settings["features"]

    def configure(self, **changes) -> str:
        """Change settings; returns what that did: 'data', 'network' or 'live'.

        All values are checked before any is applied, so a bad value changes nothing.
        New data or a new network resets training (epoch 0, fresh weights); the learning
        rate, batch size and regularisation apply from the next step on.
        """
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"Unknown setting(s) {', '.join(sorted(unknown))}; "
                            f"the settings are {', '.join(DEFAULTS)}.")
        new = checked({**self.settings, **changes})
        changed = {key for key in changes if new[key] != self.settings[key]}
        self.settings = new
        if changed & NEW_DATA:
            self._make_data()
            self.reset()
            return "data"
        if changed & NEW_NETWORK:
            self.reset()
            return "network"
        if "lr" in changed:
            self.optimizer.lr = new["lr"]
        if "batch_size" in changed:
            self._loader = self._make_loader()
        return "live"

    def add_layer(self) -> None:
        """Append a hidden layer of 4 neurons (at most 6 hidden layers)."""
        if len(self.hidden) >= MAX_LAYERS:
            raise ValueError(f"The network already has {MAX_LAYERS} hidden layers, the most the "
                             "Playground draws; remove one before adding another.")
        self.configure(hidden=(*self.hidden, NEW_LAYER_WIDTH))

    def remove_layer(self) -> None:
        """Remove the last hidden layer (with none left, the inputs feed the output directly)."""
        if not self.hidden:
            raise ValueError("There is no hidden layer left to remove: the inputs already feed "
                             "the output neuron directly (a linear model).")
        self.configure(hidden=self.hidden[:-1])

    def add_neuron(self, layer: int) -> None:
        """One more neuron in hidden layer ``layer`` (0 is the first; at most 8)."""
        sizes = list(self.hidden)
        check_layer_index(layer, sizes)
        sizes[layer] += 1
        if sizes[layer] > MAX_NEURONS:
            raise ValueError(f"Hidden layer {layer + 1} already has {MAX_NEURONS} neurons, the most "
                             "the Playground draws.")
        self.configure(hidden=tuple(sizes))

    def remove_neuron(self, layer: int) -> None:
        """One neuron fewer in hidden layer ``layer`` (at least 1; remove the layer instead)."""
        sizes = list(self.hidden)
        check_layer_index(layer, sizes)
        if sizes[layer] == 1:
            raise ValueError(f"Hidden layer {layer + 1} has a single neuron; a layer needs at least "
                             "one. Remove the whole layer instead.")
        sizes[layer] -= 1
        self.configure(hidden=tuple(sizes))

    def set_feature(self, name: str, enabled: bool) -> None:
        """Switch input feature ``name`` (e.g. 'x1^2', 'sin(x1)') on or off."""
        if name not in FEATURES:
            raise ValueError(f"Unknown feature {name!r}; the features are {', '.join(FEATURES)}.")
        wanted = set(self.features) | {name} if enabled else set(self.features) - {name}
        self.configure(features=tuple(f for f in FEATURES if f in wanted))

    # ------------------------------------------------------------------ data and model

    def _make_data(self) -> None:
        s = self.settings
        X, y = make_dataset(s["dataset"], s["n_points"], s["noise"], s["seed"])
        n_train = int(round(s["train_ratio"] * len(X)))
        self.X_train, self.X_test = X[:n_train], X[n_train:]  # the generators already shuffled
        self.y_train, self.y_test = y[:n_train], y[n_train:]
        self.data_version += 1  # tells the picture that the points moved

    def _inputs(self, X) -> np.ndarray:
        return feature_columns(X, self.features).astype(np.float32)

    def _targets(self, y) -> np.ndarray:
        # one output per point, so targets are a column: labels 0/1 or regression values
        return backend.to_host(y).astype(np.float32).reshape(-1, 1)

    def _make_loader(self) -> DataLoader:
        return DataLoader((self._train_inputs, self._targets(self.y_train)),
                          batch_size=self.settings["batch_size"], seed=self.settings["seed"] + self.epoch)

    def reset(self) -> None:
        """Start again, paused: epoch 0, empty loss curves, the starting weights of ``seed``.

        The same seed gives the same starting weights, so two runs that differ in one
        setting can be compared; ``configure(seed=...)`` draws other weights (and data).
        """
        s = self.settings
        self.playing = False
        self.problem = None
        self.epoch = 0
        self.model = MLP(len(self.features), [*self.hidden, 1], activation=s["activation"], seed=s["seed"])
        self.optimizer = SGD(self.model.parameters(), lr=s["lr"])
        self._train_inputs = self._inputs(self.X_train)
        self._test_inputs = self._inputs(self.X_test)
        self._loader = self._make_loader()
        self.has_gradients = False
        self.train_loss, self.test_loss = [], []
        self._record_losses()

    # ------------------------------------------------------------------ training

    def data_loss(self, scores: Tensor, targets):
        """The loss of one batch: BCE from the score (classification) or MSE (regression)."""
        if self.is_classification:
            return losses.binary_cross_entropy_with_logits(scores, targets)
        return losses.mse(scores, targets)

    def penalty(self):
        """The regularisation term added to the loss (None without regularisation)."""
        kind, rate = self.settings["regularization"], self.settings["reg_rate"]
        if kind == "none" or rate == 0:
            return None
        total = None
        for layer in self.model.layers:
            w = layer.weight
            term = w.abs().sum() if kind == "L1" else (w * w).sum() * 0.5
            total = term if total is None else total + term
        return total * rate

    def train_step(self, inputs, targets) -> float:
        """One update on one batch: forward, loss (+ penalty), backward, SGD step; the batch's data loss."""
        loss = self.data_loss(self.model(inputs), targets)
        penalty = self.penalty()
        objective = loss if penalty is None else loss + penalty
        self.optimizer.zero_grad()
        objective.backward()
        self.optimizer.step()
        self.has_gradients = True
        return loss.item()

    def step(self, epochs: int = 1) -> bool:
        """Train ``epochs`` epochs (one pass over the training points each, in batches).

        Returns False (and sets ``problem``) if the loss stops being a finite number;
        training then pauses until ``reset()``.
        """
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}.")
        if self.problem:
            return False
        # A too-large learning rate overflows on the way to inf; that is not a bug here but
        # a lesson, reported in the message line, so NumPy's warnings are kept quiet.
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(epochs):
                for xb, yb in self._loader:
                    value = self.train_step(xb, yb)
                    if not math.isfinite(value):
                        return self._diverged(value)
                self.epoch += 1
                self._record_losses()
                if not math.isfinite(self.train_loss[-1]):
                    return self._diverged(self.train_loss[-1])
        return True

    def _diverged(self, value) -> bool:
        self.playing = False
        self.problem = (f"The loss became {value} in epoch {self.epoch + 1}: the steps are too large. "
                        f"Lower the learning rate (now {self.settings['lr']:g}) and press reset.")
        return False

    def play(self) -> None:
        """Start playing: from now on every ``tick()`` trains."""
        self.playing = self.problem is None

    def pause(self) -> None:
        """Stop playing; ``tick()`` does nothing until ``play()``."""
        self.playing = False

    def tick(self) -> bool:
        """What one beat of the Play button does: train ``epochs_per_tick`` epochs if playing.

        Returns whether it trained.
        """
        if not self.playing:
            return False
        return self.step(self.settings["epochs_per_tick"])

    def _record_losses(self) -> None:
        with no_grad():
            for X, y, out in ((self._train_inputs, self.y_train, self.train_loss),
                              (self._test_inputs, self.y_test, self.test_loss)):
                out.append(self.data_loss(self.model(X), self._targets(y)).item() if len(y) else math.nan)

    # ------------------------------------------------------------------ readings

    def predict(self, X) -> np.ndarray:
        """The model's score for each point of the plane (n, 2): a logit, or the regression value."""
        with no_grad():
            return self.model(self._inputs(backend.to_host(X).astype(np.float64))).numpy()[:, 0]

    def accuracy(self, split: str = "train") -> float:
        """Share of points of ``split`` ('train' or 'test') on the right side (classification only)."""
        if not self.is_classification:
            raise ValueError("Accuracy needs classes; the regression set is measured by its loss (MSE).")
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_test, self.y_test)
        return float(((self.predict(X) > 0) == (y == 1)).mean()) if len(y) else math.nan

    def neuron_outputs(self, resolution: int = 24) -> list:
        """Every neuron's output over a ``resolution``² grid of the plane, column by column.

        A list: the enabled features (n_features, r, r), each hidden layer's activations
        (n_neurons, r, r), then the output score (1, r, r).  Row 0 is the bottom of the plane.
        """
        xs = np.linspace(-PLANE, PLANE, resolution)
        gx, gy = np.meshgrid(xs, xs)
        h = self._inputs(np.stack([gx.ravel(), gy.ravel()], axis=1))
        columns = [h.T.reshape(-1, resolution, resolution)]
        *hidden, last = self.model.layers
        with no_grad():
            # the model's own layers and activation, one at a time, to keep every column
            x = Tensor(h)
            for layer in hidden:
                x = self.model._act(layer(x))
                columns.append(x.numpy().T.reshape(-1, resolution, resolution))
            columns.append(last(x).numpy().T.reshape(-1, resolution, resolution))
        return columns

    def weights(self) -> list:
        """Each layer's weight matrix (out, in) as NumPy arrays, inputs → output."""
        return [layer.weight.numpy().copy() for layer in self.model.layers]

    def edge_gradients(self) -> list | None:
        """d(loss)/d(weight) of every edge in the last step, one (out, in) array per layer.

        These are the model's own ``weight.grad`` (penalty included); None before the first step.
        """
        if not self.has_gradients:
            return None
        return [backend.to_host(layer.weight.grad).astype(np.float64) for layer in self.model.layers]

    def neuron_gradients(self) -> list | None:
        """d(loss)/d(bias) of every neuron in the last step: its error signal, batch-averaged.

        The bias enters a neuron's sum with weight 1, so its gradient is the neuron's
        backpropagated error δ averaged over the batch.  None before the first step.
        """
        if not self.has_gradients:
            return None
        return [backend.to_host(layer.bias.grad).astype(np.float64) for layer in self.model.layers]

    def layer_gradient_sizes(self) -> list | None:
        """The median |d(loss)/d(weight)| of each layer in the last step, inputs → output.

        Falling from the output back to the inputs means the gradient vanishes on its way
        back; rising means it explodes.  None before the first step.
        """
        edges = self.edge_gradients()
        return None if edges is None else [float(np.median(np.abs(g))) for g in edges]

    def summary(self) -> str:
        """One line: epoch, losses and (for classification) accuracies."""
        line = (f"epoch {self.epoch}: training loss {self.train_loss[-1]:.3f}, "
                f"test loss {self.test_loss[-1]:.3f}")
        if self.is_classification:
            line += f"; accuracy {self.accuracy('train'):.0%} training, {self.accuracy('test'):.0%} test"
        return line + "."
