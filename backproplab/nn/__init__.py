"""Network pieces for both modes: ``Module`` and the layers built on it."""

from .init import INIT_SCHEMES
from .module import Module
from .scalar_layers import MLP as ScalarMLP
from .scalar_layers import Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "ScalarMLP", "INIT_SCHEMES"]
