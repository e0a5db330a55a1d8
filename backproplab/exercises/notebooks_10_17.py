"""Exercises of notebook notebooks_10_17."""

from .core import Exercise  # noqa: F401

EXERCISES = []
