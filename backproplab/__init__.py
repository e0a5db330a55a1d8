"""backproplab: learn backpropagation by running it.

Scalar mode (``Value``) shows every derivative; tensor mode (``Tensor``) trains real
networks.  Both share the four stages: forward pass, loss, backward pass, update.
"""

from . import data, losses, nn, optim
from .autograd import BackwardStep
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .random import manual_seed
from .scalar import Value

__version__ = "0.1.0"

__all__ = [
    "Value", "BackwardStep", "gradcheck", "numerical_grad", "GradcheckError",
    "manual_seed", "data", "losses", "nn", "optim",
]
