"""Exercises of notebooks 10–17: CNNs, RNNs, transformers, diffusion, GANs, encoder–decoders, signals, the GPU."""

from .core import Exercise  # noqa: F401

EXERCISES = []
