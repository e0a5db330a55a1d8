"""backproplab: learn backpropagation by running it.

Scalar mode (``Value``) shows every derivative; tensor mode (``Tensor``) trains real
networks.  Both share the four stages: forward pass, loss, backward pass, update.
"""

import importlib

from ._allocator import keep_freed_memory
from . import backend, data, datasets, exercises, functional, hooks, losses, nn, optim, train
from .autograd import BackwardStep
from .backend import DeviceError, gpu_available
from .functional import concatenate, stack, where
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .io import load, save
from .progress import set_progress_bars
from .random import manual_seed
from .scalar import Value
from .tensor import Function, Tensor

keep_freed_memory()  # reuse freed large arrays between training steps (see _allocator.py)

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "gpu_available", "DeviceError", "save", "load", "set_progress_bars", "datasets", "exercises",
    "hooks", "train", "viz", "concatenate", "stack", "where", "backend", "functional", "BackwardStep",
    "gradcheck", "numerical_grad", "GradcheckError",
    "manual_seed", "data", "losses", "nn", "optim",
]


def __getattr__(name: str):
    # bp.viz is imported on first use: it needs matplotlib, which takes most of the import
    # time and adds tens of thousands of objects that every full garbage collection
    # re-examines (scalar graphs are large enough to trigger many of those).
    if name == "viz":
        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'backproplab' has no attribute {name!r}")
