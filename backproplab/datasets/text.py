"""A small character-level text corpus, written for this project, and a tokenizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_corpus", "CharTokenizer"]

CORPUS_FILE = Path(__file__).with_name("corpus.txt")


def load_corpus() -> str:
    """The course's text corpus (about 5 KB of plain English about how networks learn)."""
    return CORPUS_FILE.read_text(encoding="utf-8")


class CharTokenizer:
    """Maps each distinct character of a text to an integer id and back."""

    def __init__(self, text: str):
        if not text:
            raise ValueError("CharTokenizer needs a non-empty text to learn its characters from.")
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        """How many distinct characters there are."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text`` (int64)."""
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"Characters not in the vocabulary: {unknown!r}.")
        return np.array([self.index[ch] for ch in text], dtype=np.int64)

    def decode(self, ids) -> str:
        """The text for a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)
