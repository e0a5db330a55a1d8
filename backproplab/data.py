"""Built-in data sets (generated, never downloaded) and a ``DataLoader`` for batches.

Every generator takes ``n`` and ``seed`` and returns ``(X, y)`` NumPy arrays: ``X``
float64 of shape (n, features), ``y`` int64 class labels (or float64 targets for
regression).  The same seed always gives the same points, on every machine.
"""

from __future__ import annotations

import math

import numpy as np

from . import backend
from .random import rng_for
from .tensor import Tensor

__all__ = ["make_moons", "make_spirals", "make_circles", "make_regression_1d", "DataLoader"]


def _check_n(n: int, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"n must be an integer >= {minimum}, got {n!r}.")
    return int(n)


def _check_noise(noise: float) -> float:
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    return float(noise)


def make_moons(n: int = 200, noise: float = 0.1, seed: int | None = 0):
    """Two interleaving half circles (classes 0 and 1): not linearly separable."""
    n, noise, rng = _check_n(n, 2), _check_noise(noise), rng_for(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0, math.pi, n0)
    t1 = np.linspace(0, math.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    order = rng.permutation(n)
    return X[order], y[order]


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int | None = 0):
    """``classes`` arms of a spiral winding around the origin (cs231n's classic)."""
    n, noise, rng = _check_n(n, classes), _check_noise(noise), rng_for(seed)
    if classes < 2:
        raise ValueError(f"classes must be >= 2, got {classes}.")
    per_class = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    X, y = [], []
    for k, m in enumerate(per_class):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(k * 4.0, (k + 1) * 4.0, m) + rng.normal(0, noise, m)
        X.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        y.append(np.full(m, k, np.int64))
    X, y = np.concatenate(X), np.concatenate(y)
    order = rng.permutation(n)
    return X[order], y[order]


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0):
    """A small circle (class 1) inside a large one (class 0); ``factor`` is the radius ratio."""
    n, noise, rng = _check_n(n, 2), _check_noise(noise), rng_for(seed)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1, got {factor}.")
    n_outer = n // 2
    n_inner = n - n_outer
    t_out = np.linspace(0, 2 * math.pi, n_outer, endpoint=False)
    t_in = np.linspace(0, 2 * math.pi, n_inner, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner]) + rng.normal(0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    order = rng.permutation(n)
    return X[order], y[order]


def make_regression_1d(n: int = 100, noise: float = 0.1, seed: int | None = 0):
    """Points of y = sin(2x) + 0.3x on x in [-3, 3] with Gaussian noise; X has shape (n, 1)."""
    n, noise, rng = _check_n(n), _check_noise(noise), rng_for(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    y = np.sin(2 * x) + 0.3 * x + rng.normal(0, noise, n)
    return x.reshape(-1, 1), y


class DataLoader:
    """Cut a data set into batches, reshuffled every epoch.

    ``dataset`` is a tuple of *columns* with the same length, such as ``(X, y)``: arrays,
    Tensors or lists (``(list_X, list_y)`` batches samples, not the two lists); or a
    single array; or a list of samples, or any object with ``len()`` and ``[i]`` returning
    one sample.  Each pass of ``for xb, yb in loader`` is one epoch.  With ``seed`` the
    order of every epoch is repeatable; the epochs still differ from one another.
    """

    def __init__(self, dataset, batch_size: int = 32, shuffle: bool = True,
                 seed: int | None = None, drop_last: bool = False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None, got {seed!r}.")
        if isinstance(dataset, dict) or not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            hint = (" Pass the columns as a tuple: (data['x'], data['y'])."
                    if isinstance(dataset, dict) else "")
            raise TypeError(f"DataLoader needs a data set such as (X, y), an array or a list of samples; "
                            f"got {type(dataset).__name__}.{hint}")
        self.dataset = dataset
        self.columns = _columns(dataset)
        self.n = _common_length(dataset, self.columns)
        if self.n == 0:
            raise ValueError("The data set is empty; there is nothing to batch.")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else rng_for(None)

    def __len__(self) -> int:
        """Batches per epoch."""
        full, rest = divmod(self.n, self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def __iter__(self):
        order = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            if self.columns is not None:
                yield tuple(_take(col, idx) for col in self.columns)
            else:
                yield _collate([self.dataset[int(i)] for i in idx])


def _columns(dataset):
    """The columns of a column-wise data set (a tuple of arrays or lists), else None.

    A tuple of tuples stays a collection of samples: ``((x0, y0), (x1, y1))``.
    """
    if isinstance(dataset, tuple) and dataset and all(
            hasattr(c, "shape") or isinstance(c, list) for c in dataset):
        return tuple(c if hasattr(c, "shape") else _column_array(c, i) for i, c in enumerate(dataset))
    if hasattr(dataset, "shape"):
        if not dataset.shape:
            raise ValueError("The data set is a single number (a 0-d array); there is nothing to batch.")
        return (dataset,)
    return None


def _column_array(column: list, i: int):
    try:
        array = _stack_samples(column) if column and _on_device(column[0]) else backend.to_host(column)
    except ValueError:
        raise ValueError(f"Column {i} of the data set is a ragged list (its items have different "
                         "lengths); every sample needs the same shape.") from None
    if array.dtype == object:
        raise TypeError(f"Column {i} of the data set holds {type(column[0]).__name__} items, not numbers "
                        "or arrays (None, Values or mixed types?).")
    return array


def _common_length(dataset, columns) -> int:
    if columns is None:
        return len(dataset)
    lengths = {int(c.shape[0]) for c in columns}
    if len(lengths) != 1:
        raise ValueError(
            f"The arrays of the data set have different lengths {sorted(lengths)}; "
            "every input needs exactly one target."
        )
    return lengths.pop()


def _take(column, idx):
    if isinstance(column, Tensor):  # checked: CuPy would wrap an index out of range
        return Tensor._wrap(backend.take(column._data, idx))
    if backend.device_of(column) != "cpu":
        return backend.take(column, idx)  # the row numbers move to the column's device
    return column[idx]


def _on_device(item) -> bool:
    array = item._data if isinstance(item, Tensor) else item
    return hasattr(array, "shape") and backend.device_of(array) != "cpu"


def _stack_samples(samples):
    """One array of the samples, on their device: GPU samples are stacked on the GPU."""
    arrays = [s._data if isinstance(s, Tensor) else s for s in samples]
    on_device = [_on_device(a) for a in arrays]
    if all(on_device):
        return backend.array_module(arrays[0]).stack(arrays)
    if any(on_device):
        raise backend.DeviceError("The samples of this data set are on different devices (some on the "
                                  "GPU, some on the CPU); move them to one device first.")
    return np.stack([backend.to_host(a) for a in arrays])


def _collate(items):
    if isinstance(items[0], tuple):
        return tuple(_stack_samples([item[k] for item in items]) for k in range(len(items[0])))
    return _stack_samples(items)
