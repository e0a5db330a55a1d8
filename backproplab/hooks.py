"""Instruments built on hooks: what flows through a network, without touching the engine.

``ActivationRecorder``   forward and backward hooks on every layer: activations and the
                         gradients of each layer's output.
``gradient_norms``       the L2 norm of each parameter's gradient, by name.
``UpdateRatioTracker``   |change of a weight| / |weight| per step: about 1e-3 is healthy;
                         much smaller means learning stalls, much larger means chaos.
Both modes are supported where the notion exists (scalar layers have no tensor output to
hook, so ``ActivationRecorder`` is tensor mode only).
"""

from __future__ import annotations

import math

import numpy as np

from . import backend
from .nn.module import Module, flatten_values
from .tensor import Tensor

__all__ = ["ActivationRecorder", "gradient_norms", "parameter_norms", "UpdateRatioTracker"]


def _as_host(param, attr: str):
    """A parameter's data or grad as a float64 NumPy array (either mode)."""
    if isinstance(param, Tensor):
        value = getattr(param, attr if attr == "grad" else "_data")
        return None if value is None else backend.to_host(value).astype(np.float64)
    values = flatten_values(param)
    return np.array([getattr(v, "grad" if attr == "grad" else "data") for v in values], dtype=np.float64)


def gradient_norm_vector(model: Module):
    """``(names, norms)``: the L2 norm of each parameter's gradient as one float64 array.

    For tensor models the norms are computed where the gradients are and stay there (on a
    GPU: no copy, no waiting); ``backend.to_host(norms)`` reads them.  Scalar-mode models,
    or parameters on several devices, give a NumPy array.
    """
    named = list(model.named_parameters())
    names = [name for name, _ in named]
    params = [p for _, p in named]
    devices = {p.device for p in params if isinstance(p, Tensor)}
    if len(devices) != 1 or not all(isinstance(p, Tensor) for p in params):
        norms = []
        for param in params:
            grad = _as_host(param, "grad")
            norms.append(0.0 if grad is None else float(np.sqrt((grad * grad).sum())))
        return names, np.array(norms, dtype=np.float64)
    xp = params[0].xp
    norms = []
    for param in params:  # the same float64 arithmetic as on the host, on the gradient's device
        grad = None if param.grad is None else param.grad.astype(xp.float64)
        norms.append(xp.zeros((), dtype=xp.float64) if grad is None else xp.sqrt((grad * grad).sum()))
    return names, xp.stack(norms)


def gradient_norms(model: Module) -> dict:
    """``{parameter name: L2 norm of its gradient}`` (0.0 where no gradient was computed)."""
    names, norms = gradient_norm_vector(model)
    return dict(zip(names, backend.to_host(norms).tolist()))


def parameter_norms(model: Module) -> dict:
    """``{parameter name: L2 norm of its values}``."""
    return {name: float(np.linalg.norm(_as_host(p, "data"))) for name, p in model.named_parameters()}


class UpdateRatioTracker:
    """Measure |w_after - w_before| / |w_before| for each parameter around ``optimizer.step()``.

    Call ``before()`` just before the step and ``after()`` just after; ``after`` returns
    the ratios by name and appends them to ``history``.
    """

    def __init__(self, model: Module):
        self.model = model
        self.history: dict[str, list] = {name: [] for name, _ in model.named_parameters()}
        self._snapshot: dict | None = None

    def before(self) -> None:
        """Remember the current weights."""
        self._snapshot = {name: _as_host(p, "data").copy() for name, p in self.model.named_parameters()}

    def after(self) -> dict:
        """Ratios of the update just made, by parameter name."""
        if self._snapshot is None:
            raise RuntimeError("Call before() before the optimizer step, then after().")
        ratios = {}
        for name, p in self.model.named_parameters():
            old, new = self._snapshot[name], _as_host(p, "data")
            scale = float(np.linalg.norm(old))
            ratios[name] = float(np.linalg.norm(new - old)) / scale if scale > 0 else math.inf
            self.history[name].append(ratios[name])
        self._snapshot = None
        return ratios


class ActivationRecorder:
    """Record each layer's output and the gradient of that output (tensor mode).

    ``layers`` defaults to every module that has parameters of its own.  After a forward
    pass ``activations[name]`` holds the output (NumPy); after backward,
    ``output_grads[name]`` holds d(loss)/d(output).  ``remove()`` detaches the hooks.
    """

    def __init__(self, model: Module, layers: list[str] | None = None):
        self.activations: dict[str, np.ndarray] = {}
        self.output_grads: dict[str, np.ndarray] = {}
        self._handles = []
        for name, module in model.named_modules():
            if (layers is None and module._own_parameters()) or (layers is not None and name in layers):
                self._handles.append(module.register_forward_hook(self._forward_hook(name)))
                self._handles.append(module.register_backward_hook(self._backward_hook(name)))

    def _forward_hook(self, name):
        def record(module, inputs, output):
            if isinstance(output, Tensor):
                self.activations[name] = output.numpy().copy()
        return record

    def _backward_hook(self, name):
        def record(module, grad):
            self.output_grads[name] = backend.to_host(grad).copy()
        return record

    def remove(self) -> None:
        """Unregister every hook this recorder added."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
