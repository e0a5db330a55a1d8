"""Optimizers: stage 4, the weight update, in both modes with one code.

Every rule below is written with ``+ - * / **`` only, so the same line updates a
``Value`` (whose ``data`` and ``grad`` are floats) and a ``Tensor`` (whose ``data``
and ``grad`` are arrays, on the CPU or the GPU).  The formulas, defaults and the order
of weight decay / momentum / bias correction are those of PyTorch's ``torch.optim``.

Each optimizer keeps its per-parameter state in ``opt.state[param]`` under PyTorch's
names (``momentum_buffer``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``, ``sum``,
``step``) so that widgets can plot velocities and moment estimates.

**L2 penalty versus decoupled weight decay.**  ``weight_decay`` in SGD, AdaGrad,
RMSProp and Adam adds ``weight_decay * w`` to the gradient; that is the gradient of an
L2 penalty ``weight_decay/2 * |w|^2`` added to the loss.  Adaptive optimizers then divide
that term by their running gradient scale, so weights with large gradients are barely
decayed.  ``AdamW`` instead shrinks every weight directly, ``w <- w * (1 - lr * wd)``,
outside the adaptive step ("decoupled"), so every weight decays at the same rate.
"""

from __future__ import annotations

import math
import numbers

from .tensor import Tensor

__all__ = [
    "Optimizer", "SGD", "AdaGrad", "RMSProp", "Adam", "AdamW",
    "LRSchedule", "StepLR", "CosineAnnealingLR", "clip_grad_norm",
]


def _sqrt(x):
    # ``** 0.5`` works for floats and for NumPy / CuPy arrays alike.
    return x ** 0.5


def _squared_norm(g) -> float:
    return float((g * g).sum()) if hasattr(g, "sum") else float(g * g)


def _parameter_list(params, owner: str) -> list:
    """``params`` as a list of distinct Values / leaf Tensors, or an error that says what to pass."""
    if hasattr(params, "named_parameters"):  # a Module
        raise TypeError(f"{owner} got a model ({type(params).__name__}); pass its parameters: "
                        f"{owner}(model.parameters(), lr=...).")
    if callable(params):
        raise TypeError(f"{owner} got a function; call it: {owner}(model.parameters(), lr=...).")
    if hasattr(params, "grad") and hasattr(params, "data"):  # one Value or Tensor
        raise TypeError(f"{owner} needs a list of parameters; got one {type(params).__name__}. "
                        f"Wrap it in a list: {owner}([w], lr=...).")
    try:
        params = list(params) if not isinstance(params, (str, bytes, dict)) else None
    except TypeError:
        params = None
    if params is None:
        raise TypeError(f"{owner} needs a list of parameters, such as model.parameters().")
    seen = {}
    for i, p in enumerate(params):
        if isinstance(p, dict):
            raise TypeError(f"{owner}: parameter groups (dicts) are not supported; every parameter "
                            "shares one learning rate. Make one optimizer per group instead.")
        if hasattr(p, "named_parameters"):
            raise TypeError(f"{owner}: item {i} is a model ({type(p).__name__}), not a parameter; "
                            "pass model.parameters() (add the lists of several models together).")
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(f"{owner} updates Values or Tensors; got {type(p).__name__} (item {i}).")
        if isinstance(p, Tensor):
            if not p.requires_grad:
                raise ValueError(f"A parameter (item {i}, shape {p.shape}) has requires_grad=False, so "
                                 "it never gets a gradient. Create it with requires_grad=True.")
            if not p.is_leaf:
                raise ValueError(f"{owner} can't optimize a non-leaf tensor: item {i} was computed "
                                 "from other tensors, so it never gets a .grad. Optimize the tensors "
                                 "it was computed from, or make it a leaf: x.detach().requires_grad_().")
        if id(p) in seen:
            raise ValueError(f"{owner}: item {i} is the same parameter as item {seen[id(p)]}; it would "
                             "be updated twice per step. Pass each parameter once (model.parameters() "
                             "lists a shared weight once).")
        seen[id(p)] = i
    if not params:
        raise ValueError(f"{owner} got no parameters. Pass model.parameters() "
                         "(and check the model has weights).")
    return params


class Optimizer:
    """Base class: holds the parameters, their state and the learning rate."""

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        self.params = _parameter_list(params, type(self).__name__)
        self.lr = _check_non_negative("learning rate", lr)
        self.weight_decay = _check_non_negative("weight_decay", weight_decay)
        self.state: dict = {p: {} for p in self.params}

    def zero_grad(self) -> None:
        """Reset the gradients of every parameter (gradients accumulate otherwise)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        for p in self.params:
            if p.grad is not None:
                p.data = self._update(p.data, p.grad, self.state[p])

    def _update(self, w, g, state):
        raise NotImplementedError

    def _l2(self, w, g):
        """Gradient of the L2 penalty added to the gradient (coupled weight decay)."""
        return g + self.weight_decay * w if self.weight_decay else g


def _check_number(name: str, value) -> float:
    """``value`` as a finite float (NumPy scalars welcome), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}.")
    return value


def _check_non_negative(name: str, value) -> float:
    value = _check_number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}. A negative rate would climb the loss."
                         if "rate" in name else f"{name} must be >= 0, got {value}.")
    return value


def _check_fraction(name: str, value) -> float:
    value = _check_number(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}.")
    return value


def _check_betas(betas) -> tuple:
    try:
        pair = tuple(betas)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}.")
    return _check_fraction("betas[0]", pair[0]), _check_fraction("betas[1]", pair[1])


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov and L2 weight decay.

    g = grad + wd * w;  v = momentum * v + (1 - dampening) * g  (v = g on the first step);
    step = g + momentum * v (Nesterov) or v;  w = w - lr * step.
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        momentum, dampening = _check_fraction("momentum", momentum), _check_number("dampening", dampening)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0.")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov

    def _update(self, w, g, state):
        g = self._l2(w, g)
        if self.momentum:
            v = state.get("momentum_buffer")
            v = g if v is None else self.momentum * v + (1 - self.dampening) * g
            state["momentum_buffer"] = v
            g = g + self.momentum * v if self.nesterov else v
        return w - self.lr * g


class AdaGrad(Optimizer):
    """Adaptive steps from the running *sum* of squared gradients.

    sum += g^2;  w = w - lr_t * g / (sqrt(sum) + eps), lr_t = lr / (1 + (t - 1) * lr_decay).
    """

    def __init__(self, params, lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, eps: float = 1e-10):
        super().__init__(params, lr, weight_decay)
        self.lr_decay, self.eps = _check_non_negative("lr_decay", lr_decay), _check_non_negative("eps", eps)

    def _update(self, w, g, state):
        state["step"] = t = state.get("step", 0) + 1
        g = self._l2(w, g)
        state["sum"] = s = state.get("sum", 0.0) + g * g
        lr_t = self.lr / (1 + (t - 1) * self.lr_decay)
        return w - lr_t * (g / (_sqrt(s) + self.eps))


class RMSProp(Optimizer):
    """Adaptive steps from a running *average* of squared gradients.

    square_avg = alpha * square_avg + (1 - alpha) * g^2;  w = w - lr * g / (sqrt(square_avg) + eps)
    (``centered`` subtracts the squared mean gradient; ``momentum`` smooths the step).
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr, weight_decay)
        self.alpha, self.eps = _check_fraction("alpha", alpha), _check_non_negative("eps", eps)
        self.momentum, self.centered = _check_fraction("momentum", momentum), centered

    def _update(self, w, g, state):
        state["step"] = state.get("step", 0) + 1
        g = self._l2(w, g)
        a = self.alpha
        state["square_avg"] = sq = state.get("square_avg", 0.0) * a + (1 - a) * g * g
        if self.centered:
            ga = state.get("grad_avg", 0.0)
            state["grad_avg"] = ga = ga + (1 - a) * (g - ga)
            avg = _sqrt(sq - ga * ga) + self.eps
        else:
            avg = _sqrt(sq) + self.eps
        if self.momentum:
            state["momentum_buffer"] = buf = state.get("momentum_buffer", 0.0) * self.momentum + g / avg
            return w - self.lr * buf
        return w - self.lr * (g / avg)


class Adam(Optimizer):
    """Momentum and RMSProp together, with bias correction for the first steps.

    m = m + (1 - b1)(g - m);  v = b2 v + (1 - b2) g^2;
    w = w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    ``weight_decay`` here is the coupled L2 form; see ``AdamW`` for decoupled decay.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = _check_betas(betas), _check_non_negative("eps", eps)

    def _decoupled_decay(self, w):
        return w

    def _update(self, w, g, state):
        b1, b2 = self.betas
        state["step"] = t = state.get("step", 0) + 1
        w = self._decoupled_decay(w)
        g = self._l2(w, g)
        m = state.get("exp_avg", 0.0)
        state["exp_avg"] = m = m + (1 - b1) * (g - m)
        state["exp_avg_sq"] = v = state.get("exp_avg_sq", 0.0) * b2 + (1 - b2) * g * g
        step_size = self.lr / (1 - b1**t)
        denom = _sqrt(v) / math.sqrt(1 - b2**t) + self.eps
        return w - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: w <- w * (1 - lr * weight_decay), then the Adam step."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr, betas, eps, weight_decay)

    def _decoupled_decay(self, w):
        return w * (1 - self.lr * self.weight_decay) if self.weight_decay else w

    def _l2(self, w, g):
        return g  # the decay already happened, directly on the weights


# ---------------------------------------------------------------- schedules


def _check_optimizer(optimizer, schedule: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{schedule} changes an optimizer's learning rate; got "
                        f"{type(optimizer).__name__}. Pass the optimizer, e.g. {schedule}(opt, ...).")


def _check_steps(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)


class LRSchedule:
    """Sets an optimizer's learning rate from the epoch count; subclasses define ``lr_at``.

    ``base_lr`` is the optimizer's learning rate when the schedule was made.
    """

    def __init__(self, optimizer: Optimizer):
        _check_optimizer(optimizer, type(self).__name__)
        self.optimizer, self.base_lr, self.epoch = optimizer, optimizer.lr, 0

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` calls of ``step()``."""
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch and return the new learning rate."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(LRSchedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` calls of ``step()``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        self.step_size = _check_steps("step_size", step_size)
        self.gamma = _check_non_negative("gamma", gamma)

    def lr_at(self, epoch: int) -> float:
        """``base_lr * gamma ** (epoch // step_size)``."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRSchedule):
    """Lower the learning rate along half a cosine, from its start to ``eta_min`` in ``T_max`` steps."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        super().__init__(optimizer)
        self.T_max = _check_steps("T_max", T_max)
        self.eta_min = _check_non_negative("eta_min", eta_min)

    def lr_at(self, epoch: int) -> float:
        """``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""
        cos = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cos


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients together so their joint L2 norm is at most ``max_norm``.

    Returns the norm before clipping (as ``torch.nn.utils.clip_grad_norm_``).  Clipping
    keeps the direction of the step and only limits its length: the usual cure for
    exploding gradients in RNNs.
    """
    max_norm = _check_non_negative("max_norm", max_norm)
    if hasattr(params, "named_parameters") or hasattr(params, "grad"):
        raise TypeError("clip_grad_norm needs a list of parameters: clip_grad_norm(model.parameters(), "
                        "max_norm).")
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(_squared_norm(p.grad) for p in params))
    if not math.isfinite(total):
        raise FloatingPointError(
            f"The gradient norm is {total}; clipping cannot repair NaN/inf gradients. "
            "Lower the learning rate or find the operation that overflowed."
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = p.grad * coef
    return total
