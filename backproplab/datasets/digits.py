"""Handwritten-style digits, drawn on the fly: no download, any number of them.

Each digit 0-9 is a few pen strokes in a unit square.  Every image gets its own random
rotation, scale, shear, shift and pen width, is rendered by distance to the strokes
(anti-aliased), and gets a little noise.  The result looks like a coarse MNIST: 28 x 28
grey values in [0, 1], one channel.
"""

from __future__ import annotations

import numpy as np

from ..random import rng_for

__all__ = ["make_digits", "STROKES"]


def _arc(cx, cy, rx, ry, start_deg, end_deg, points=14):
    t = np.radians(np.linspace(start_deg, end_deg, points))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points):
    return np.array(points, dtype=float)


# x to the right, y downwards, in the unit square; each digit is a list of polylines.
STROKES = {
    0: [_arc(0.5, 0.5, 0.26, 0.38, 0, 360, 24)],
    1: [_line((0.36, 0.24), (0.52, 0.1), (0.52, 0.9))],
    2: [np.concatenate([_arc(0.5, 0.32, 0.24, 0.2, 200, 360),
                        _line((0.72, 0.42), (0.26, 0.9), (0.78, 0.9))])],
    3: [_arc(0.48, 0.3, 0.24, 0.19, 200, 450), _arc(0.48, 0.69, 0.27, 0.21, 270, 520)],
    4: [_line((0.64, 0.9), (0.64, 0.1), (0.2, 0.64), (0.82, 0.64))],
    5: [np.concatenate([_line((0.76, 0.1), (0.32, 0.1), (0.29, 0.45)),
                        _arc(0.5, 0.65, 0.26, 0.23, 240, 500)])],
    6: [np.concatenate([_line((0.7, 0.1), (0.4, 0.35)), _arc(0.5, 0.66, 0.23, 0.22, 200, 560)])],
    7: [_line((0.22, 0.12), (0.8, 0.12), (0.42, 0.9))],
    8: [_arc(0.5, 0.29, 0.19, 0.18, 0, 360, 20), _arc(0.5, 0.7, 0.24, 0.21, 0, 360, 20)],
    9: [np.concatenate([_arc(0.5, 0.33, 0.22, 0.21, -20, 340), _line((0.71, 0.3), (0.62, 0.9))])],
}


def _segments(polylines):
    starts = np.concatenate([p[:-1] for p in polylines])
    ends = np.concatenate([p[1:] for p in polylines])
    return starts, ends


_SEGMENTS = {d: _segments(p) for d, p in STROKES.items()}


def _render(digit: int, rng: np.random.Generator, size: int) -> np.ndarray:
    starts, ends = _SEGMENTS[digit]
    angle = np.radians(rng.uniform(-12, 12))
    scale = rng.uniform(0.75, 1.0)
    shear = rng.uniform(-0.25, 0.25)
    transform = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    transform = transform @ np.array([[1.0, shear], [0.0, 1.0]])
    shift = np.array([0.5, 0.5]) + rng.uniform(-0.07, 0.07, 2)
    a = (starts - 0.5) @ transform.T + shift
    b = (ends - 0.5) @ transform.T + shift
    a, b = a * size, b * size
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)                 # (P, 2)
    ab = b - a                                                            # (S, 2)
    t = ((pixels[:, None, :] - a[None]) * ab[None]).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9)
    closest = a[None] + np.clip(t, 0, 1)[..., None] * ab[None]            # (P, S, 2)
    distance = np.sqrt(((pixels[:, None, :] - closest) ** 2).sum(-1)).min(axis=1)
    width = rng.uniform(0.9, 1.7)
    image = np.clip(width + 0.5 - distance, 0.0, 1.0)                      # anti-aliased pen
    image = image + rng.normal(0, 0.04, image.shape)
    return np.clip(image, 0.0, 1.0).reshape(size, size)


def make_digits(n: int = 1000, seed: int | None = 0, size: int = 28):
    """``(X, y)``: X float64 of shape (n, 1, size, size) in [0, 1], y int64 labels 0-9 (balanced)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    rng = rng_for(seed)
    y = np.arange(n) % 10
    rng.shuffle(y)
    X = np.stack([_render(int(d), rng, size) for d in y])[:, None]
    return X, y.astype(np.int64)
