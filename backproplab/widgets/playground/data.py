"""The Playground's data sets and input features, all on one input plane.

Every data set lives on the square [-PLANE, PLANE]², so the features and the neuron
pictures mean the same thing whatever data is chosen.  Classification sets have labels
0 and 1; the regression set has targets in about [-1, 1].  Moons, circles and spirals
come from ``bp.data`` (scaled onto the plane); XOR, two Gaussians and the regression
bumps are generated here because they only make sense on this plane.

``noise`` is the standard deviation of a Gaussian jitter in plane units (0 = clean;
0.5 already mixes neighbouring classes); for the regression set it is added to the
targets instead, at half that size.
"""

from __future__ import annotations

import numpy as np

from ... import backend
from ... import data as bp_data
from ...random import rng_for

__all__ = ["PLANE", "DATASETS", "CLASSIFICATION", "FEATURES", "FEATURE_LABELS", "make_dataset",
           "feature_columns"]

PLANE = 3.0  # half-width of the input plane: x₁, x₂ ∈ [-3, 3]


def _jitter(X, noise, rng):
    return X + rng.normal(0.0, noise, X.shape) if noise > 0 else X


def circle(n, noise, rng):
    """A disc of class 1 inside a ring of class 0 (bp.data.make_circles, scaled)."""
    X, y = bp_data.make_circles(n, noise=0.0, factor=0.4, seed=int(rng.integers(2**31)))
    return _jitter(X * 0.8 * PLANE, noise, rng), y


def xor(n, noise, rng):
    """Class 1 where x₁ and x₂ have the same sign: no single line separates the classes."""
    X = rng.uniform(-PLANE, PLANE, (n, 2))
    X += np.sign(X) * 0.1 * PLANE  # keep the points off the axes, where the label flips
    X = np.clip(X, -PLANE, PLANE)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _jitter(X, noise, rng), y


def gaussians(n, noise, rng):
    """Two round clouds, class 0 around (-1.2, -1.2) and class 1 around (1.2, 1.2): linearly separable."""
    y = np.arange(n) % 2
    centres = np.where(y[:, None] == 1, 1.2, -1.2) * np.ones((n, 2))
    X = centres + rng.normal(0.0, 0.5 + noise, (n, 2))
    order = rng.permutation(n)
    return X[order], y[order].astype(np.int64)


def spiral(n, noise, rng):
    """Two interleaved spiral arms (bp.data.make_spirals with two classes, scaled)."""
    X, y = bp_data.make_spirals(n, classes=2, noise=0.0, seed=int(rng.integers(2**31)))
    return _jitter(X * 0.9 * PLANE, noise, rng), y


def moons(n, noise, rng):
    """Two interleaving half circles (bp.data.make_moons, centred and scaled)."""
    X, y = bp_data.make_moons(n, noise=0.0, seed=int(rng.integers(2**31)))
    X = (X - np.array([0.5, 0.25])) * 1.6
    return _jitter(X, noise, rng), y


def bumps(n, noise, rng):
    """Regression: a positive and a negative bump, y = exp(-|x-a|²/2) - exp(-|x+a|²/2) (+ noise)."""
    X = rng.uniform(-PLANE, PLANE, (n, 2))
    a = np.array([1.2, 1.0])
    y = np.exp(-((X - a) ** 2).sum(axis=1) / 2) - np.exp(-((X + a) ** 2).sum(axis=1) / 2)
    if noise > 0:
        y = y + rng.normal(0.0, noise / 2, n)
    return X, y


DATASETS = {"circle": circle, "xor": xor, "gaussians": gaussians, "spiral": spiral,
            "moons": moons, "regression": bumps}
CLASSIFICATION = {"circle", "xor", "gaussians", "spiral", "moons"}

# name -> function of the (n, 2) input plane; the network sees only the enabled ones
FEATURES = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂",
                  "sin(x1)": "sin x₁", "sin(x2)": "sin x₂"}


def make_dataset(name: str, n: int, noise: float, seed: int | None):
    """``(X, y)``: ``n`` points of data set ``name`` on the plane; y int labels or float targets."""
    X, y = DATASETS[name](n, noise, rng_for(seed))
    return backend.to_host(X).astype(np.float64), y


def feature_columns(X, features) -> np.ndarray:
    """The network's input: one column per enabled feature, computed from the plane's x₁, x₂."""
    return np.stack([FEATURES[f](X) for f in features], axis=1)
