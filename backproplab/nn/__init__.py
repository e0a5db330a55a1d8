"""Network pieces for both modes: ``Module`` and the layers built on it.

Scalar mode: ``Neuron``, ``Layer``, ``ScalarMLP`` (Values).  Tensor mode: ``Linear``,
activations, ``Dropout``, ``Sequential``, ``MLP`` (Tensors); PyTorch's containers
``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.  Both MLPs share one
signature and give the same weights for the same seed; ``bp.nn.MLP`` is the tensor one,
``bp.nn.ScalarMLP`` (also ``bp.nn.scalar.MLP``) the scalar one.
"""

from . import scalar_layers as scalar
from .attention import MultiHeadSelfAttention, TransformerBlock, TransformerLM
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList
from .conv_layers import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d
from .init import INIT_SCHEMES
from .layers import GELU, MLP, Dropout, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module
from .normalization import LayerNorm
from .scalar_layers import MLP as ScalarMLP
from .scalar_layers import Layer, Neuron
from .sequence import LSTM, RNN, Embedding

__all__ = ["scalar", "Module", "Neuron", "Layer", "ScalarMLP", "INIT_SCHEMES", "Linear", "ReLU", "Tanh",
           "Sigmoid", "GELU", "Identity", "Dropout", "Sequential", "MLP", "Conv2d", "Conv1d", "MaxPool2d",
           "MaxPool1d",
           "AvgPool2d", "Flatten", "LayerNorm", "Embedding", "RNN", "LSTM", "MultiHeadSelfAttention",
           "TransformerBlock", "TransformerLM", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
