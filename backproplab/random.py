"""One seeded random generator for the whole package, so notebooks are repeatable.

``bp.manual_seed(0)`` resets it; anything that takes ``seed=None`` draws from it, and
an explicit ``seed=`` gives that call its own independent generator.
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "get_rng", "rng_for"]

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the package's random generator (weights, dropout, shuffling) to ``seed``."""
    global _rng
    _rng = np.random.default_rng(seed)


def get_rng() -> np.random.Generator:
    """The package-wide generator that calls without an explicit seed draw from."""
    return _rng


def rng_for(seed: int | None) -> np.random.Generator:
    """A generator for ``seed``, or the package-wide one when ``seed`` is None."""
    return _rng if seed is None else np.random.default_rng(seed)
