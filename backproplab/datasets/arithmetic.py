"""Arithmetic strings for a small transformer: related tasks for pre-training and fine-tuning.

Task ``"add"``: ``"23+45=068"``; task ``"sub"``: ``"45-23=022"`` (the larger number
first).  Operands have two digits, answers three, so every string has 9 characters.  A
model reads the first 6 and must produce the 3 answer digits.
"""

from __future__ import annotations

import numpy as np

from ..random import rng_for

__all__ = ["ARITHMETIC_VOCAB", "arithmetic_strings", "encode_arithmetic", "make_arithmetic",
           "ANSWER_START"]

ARITHMETIC_VOCAB = "0123456789+-="
ANSWER_START = 6  # index of the first answer digit
_ID = {ch: i for i, ch in enumerate(ARITHMETIC_VOCAB)}


def arithmetic_strings(task: str, n: int, seed: int | None = 0, max_operand: int = 49) -> list[str]:
    """``n`` random problems of ``task`` ("add" or "sub") with operands 0..max_operand."""
    if task not in ("add", "sub"):
        raise ValueError(f"task must be 'add' or 'sub', got {task!r}.")
    if not 0 < max_operand < 100:
        raise ValueError("max_operand must be between 1 and 99 (two digits).")
    rng = rng_for(seed)
    a = rng.integers(0, max_operand + 1, n)
    b = rng.integers(0, max_operand + 1, n)
    if task == "add":
        return [f"{x:02d}+{y:02d}={x + y:03d}" for x, y in zip(a, b)]
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    return [f"{x:02d}-{y:02d}={x - y:03d}" for x, y in zip(hi, lo)]


def encode_arithmetic(strings) -> np.ndarray:
    """Token ids, shape (len(strings), 9)."""
    try:
        return np.array([[_ID[ch] for ch in s] for s in strings], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"Character {exc} is not in the arithmetic vocabulary "
                         f"{ARITHMETIC_VOCAB!r}.") from None


def make_arithmetic(task: str, n: int, seed: int | None = 0, max_operand: int = 49) -> np.ndarray:
    """Encoded problems of ``task``: int64 array of shape (n, 9)."""
    return encode_arithmetic(arithmetic_strings(task, n, seed, max_operand))
