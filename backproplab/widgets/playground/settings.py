"""The Playground's settings: their defaults, their limits and the checks that explain them.

Every value is checked before it is used; a bad one raises ``ValueError`` with the reason
and the allowed range, which the widget shows in its message line.  Nothing is clamped.
"""

from __future__ import annotations

import math

import numpy as np

from .data import DATASETS, FEATURES

__all__ = ["DEFAULTS", "ACTIVATIONS", "REGULARIZATIONS", "MAX_LAYERS", "MAX_NEURONS", "checked"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
MAX_LAYERS, MAX_NEURONS = 6, 8
NEW_LAYER_WIDTH = 4

DEFAULTS = dict(dataset="circle", noise=0.0, train_ratio=0.5, batch_size=10, features=("x1", "x2"),
                hidden=(4, 2), activation="tanh", lr=0.03, regularization="none", reg_rate=0.0,
                n_points=400, seed=0, epochs_per_tick=1)
# What a change of each setting forces: new data (and so a new network), a new network,
# or nothing (it applies from the next step on, as in TensorFlow Playground).
NEW_DATA = {"dataset", "noise", "train_ratio", "n_points", "seed"}
NEW_NETWORK = {"features", "hidden", "activation"}


# how messages name each setting: words first, then the keyword to pass
NAMES = {"noise": "noise", "train_ratio": "training share (train_ratio)", "lr": "learning rate (lr)",
         "reg_rate": "regularisation rate (reg_rate)", "n_points": "number of points (n_points)",
         "epochs_per_tick": "epochs per tick (epochs_per_tick)", "seed": "seed",
         "batch_size": "batch size (batch_size)"}


def checked(s: dict) -> dict:
    """The settings with every value checked (ValueError with the reason otherwise)."""
    s = dict(s)
    _choice("data set", s["dataset"], DATASETS)
    _choice("activation", s["activation"], ACTIVATIONS)
    _choice("regularisation", s["regularization"], REGULARIZATIONS)
    _number("noise", s["noise"], 0.0, 1.0)
    _number("train_ratio", s["train_ratio"], 0.1, 0.9, why="keep at least 10% of the points on each side")
    _number("lr", s["lr"], 0.0, 10.0, low_open=True,
            why="a step of zero learns nothing and a negative one climbs the loss")
    _number("reg_rate", s["reg_rate"], 0.0, 10.0)
    s["n_points"] = _integer("n_points", s["n_points"], 20, 5000)
    s["epochs_per_tick"] = _integer("epochs_per_tick", s["epochs_per_tick"], 1, 100)
    s["seed"] = _integer("seed", s["seed"], 0, 2**31 - 1)
    s["noise"], s["train_ratio"], s["lr"], s["reg_rate"] = (
        float(s["noise"]), float(s["train_ratio"]), float(s["lr"]), float(s["reg_rate"]))
    n_train = int(round(s["train_ratio"] * s["n_points"]))
    s["batch_size"] = _integer("batch_size", s["batch_size"], 1, 10**6)
    if s["batch_size"] > n_train:
        raise ValueError(f"A batch of {s['batch_size']} points is more than the training set holds "
                         f"({n_train} points at {s['train_ratio']:.0%} training): choose a batch size "
                         f"of at most {n_train}, or a larger training share.")
    features = tuple(s["features"]) if not isinstance(s["features"], str) else (s["features"],)
    for f in features:
        if f not in FEATURES:
            raise ValueError(f"Unknown feature {f!r}; the features are {', '.join(FEATURES)}.")
    if not features:
        raise ValueError("The network needs at least one input feature; switch one on (x1 or x2).")
    s["features"] = tuple(f for f in FEATURES if f in features)
    hidden = tuple(s["hidden"])
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"{len(hidden)} hidden layers asked for; the Playground has 0 to {MAX_LAYERS}.")
    s["hidden"] = tuple(_integer(f"neurons in hidden layer {i + 1}", n, 1, MAX_NEURONS)
                        for i, n in enumerate(hidden))
    return s


def _choice(name, value, options) -> None:
    if value not in options:
        raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(options)}.")


def _number(key, value, low, high, low_open=False, why="") -> None:
    name = NAMES.get(key, key)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ValueError(f"The {name} must be a number, got {value!r}.")
    if value < low or value > high or (low_open and value == low):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"The {name} must lie in {interval}, got {value:g}" + (f": {why}." if why else "."))


def _integer(key, value, low, high) -> int:
    name = NAMES.get(key, key)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"The {name} must be a whole number, got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"The {name} must be between {low} and {high}, got {value}.")
    return int(value)


def check_layer_index(layer, sizes) -> None:
    """A ValueError unless ``layer`` numbers one of the hidden layers ``sizes`` (from 0)."""
    if not sizes:
        raise ValueError("The network has no hidden layer; add one first.")
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < len(sizes):
        raise ValueError(f"There is no hidden layer {layer!r}; the hidden layers are numbered "
                         f"0 to {len(sizes) - 1}.")
