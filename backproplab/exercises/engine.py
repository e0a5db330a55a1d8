"""Exercises of notebook 03b: build your own engine."""

from .core import Exercise  # noqa: F401

EXERCISES = []
