"""Exercises of notebook engine."""

from .core import Exercise  # noqa: F401

EXERCISES = []
