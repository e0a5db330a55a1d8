"""``Module``: the base of every network piece, in both modes.

A module holds parameters and other modules as ordinary attributes.  ``Module``
finds them by looking at its attributes in the order they were set, as PyTorch's
``nn.Module`` does, so that a layer is written as plain Python:

    class Neuron(Module):
        def __init__(self, n_in):
            self.weight = [Value(0.1) for _ in range(n_in)]
            self.bias = Value(0.0)

A *parameter* is a ``Value``, a list of Values (scalar mode), or a leaf ``Tensor`` with
``requires_grad=True`` (tensor mode).  ``named_parameters()`` yields them with
dotted names (``layers.0.weight``); ``parameters()`` yields the individual nodes an
optimizer updates (each ``Value``, each ``Tensor``), each once even if it is shared.

**Containers.**  Modules and tensor parameters kept in a plain list, tuple or dict are
found too, and named as ``torch.nn.ModuleList`` / ``ModuleDict`` / ``ParameterList``
would name them (``blocks.0.weight``, ``heads.left.weight``): nothing a model holds is
left out of training or saving.  Those containers also exist under their PyTorch names
(``containers.py``).  A *set* of modules or parameters is refused (it has no order, so
the names would change from run to run), and so is a tensor computed from others (not a
leaf, so it never gets a ``.grad``) assigned outside ``forward``: it looks like a
parameter but could never be trained.
"""

from __future__ import annotations

import sys
from typing import Iterator

import numpy as np

from .. import backend
from ..autograd import HookHandle
from ..inplace import snapshot
from ..scalar import Value
from ..tensor import Tensor

__all__ = ["Module", "HookHandle", "flatten_values"]


def _is_value_list(x) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(v, Value) or _is_value_list(v) for v in x
    )


def _is_parameter(x) -> bool:
    if isinstance(x, Value) or _is_value_list(x):
        return True
    return isinstance(x, Tensor) and x.requires_grad and x.is_leaf


def _scan(name: str, value, params: dict, children: dict, seen: set) -> None:
    """Sort what an attribute holds into parameters and sub-modules, with dotted names."""
    if isinstance(value, Module):
        children[name] = value
    elif _is_parameter(value):
        params[name] = value
    elif isinstance(value, (list, tuple, dict)) and id(value) not in seen:
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            key = str(key)
            if "." in key:
                raise ValueError(f"The dict key {key!r} in {name} contains '.', which separates the "
                                 "parts of parameter names (blocks.0.weight). Use another key.")
            _scan(f"{name}.{key}", item, params, children, seen)
    elif isinstance(value, (set, frozenset)) and any(
            isinstance(v, Module) or _is_parameter(v) for v in value):
        raise TypeError(f"{name} is a set of modules or parameters. A set has no order, so their "
                        "names (and the saved weights) would change from run to run: use a list, "
                        "or bp.nn.ModuleList / bp.nn.ParameterList.")


def flatten_values(x) -> list:
    """All Values inside a (nested) list of Values, row by row."""
    if isinstance(x, Value):
        return [x]
    out = []
    for item in x:
        out.extend(flatten_values(item))
    return out


class Module:
    """Base class for layers and networks: parameters, modes, saving and loading."""

    training = True

    def forward(self, *args, **kwargs):
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward().")

    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        hooks = self.__dict__.get("_hooks")
        if hooks:
            for hook in list(hooks["forward"]):
                replaced = hook(self, args, out)
                if replaced is not None:
                    out = replaced
            if hooks["backward"] and getattr(out, "requires_grad", False):
                out.register_hook(lambda grad: self._run_backward_hooks(grad))
        return out

    # -------------------------------------------------------------- hooks

    def register_forward_hook(self, hook) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward; it may return a new output."""
        return self._add_hook("forward", hook)

    def register_backward_hook(self, hook) -> HookHandle:
        """Call ``hook(module, grad_output)`` when the gradient of this module's output is known.

        Tensor mode only (a scalar-mode output is a list of Values; hook those directly).
        """
        return self._add_hook("backward", hook)

    def _add_hook(self, kind: str, hook) -> HookHandle:
        hooks = self.__dict__.setdefault("_hooks", {"forward": [], "backward": []})
        hooks[kind].append(hook)
        return HookHandle(hooks[kind], hook)

    def _run_backward_hooks(self, grad):
        for hook in list(self.__dict__["_hooks"]["backward"]):
            hook(self, grad)
        return None

    # -------------------------------------------------------------- discovery

    def __setattr__(self, name, value):
        if (isinstance(value, Tensor) and value.requires_grad and not value.is_leaf
                and not _inside_a_module_call()):
            raise ValueError(
                f"self.{name} is computed from other tensors (by {value._ctx.name}), so it is not a "
                "leaf: it never gets a .grad and could never be trained. Make the parameter "
                "directly, e.g. bp.Tensor(np_array * 0.1, requires_grad=True), or store "
                f"{name}.detach() if it is not meant to be trained."
            )
        object.__setattr__(self, name, value)

    def _members(self) -> tuple[dict, dict]:
        """``(parameters, sub-modules)`` held by this module's attributes, by dotted name."""
        params, children, seen = {}, {}, set()
        for name, value in vars(self).items():
            if name != "_hooks":
                _scan(name, value, params, children, seen)
        return params, children

    def _own_parameters(self) -> dict:
        """This module's own parameters by name (subclasses may group them differently)."""
        return self._members()[0]

    def _children(self) -> dict:
        """Direct sub-modules by name; those in a list get ``name.0``, ``name.1``..."""
        return self._members()[1]

    def named_modules(self, prefix: str = "", _seen: set | None = None) -> Iterator[tuple[str, "Module"]]:
        """Yield ``(name, module)`` for this module and every module inside it, each once."""
        seen = set() if _seen is None else _seen  # modules stay alive, so their ids are unique
        if id(self) in seen:  # a module shared by two parents, or a parent kept as an attribute
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._children().items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator["Module"]:
        """Yield this module and every module inside it."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, object]]:
        """Yield ``(dotted_name, parameter)``: a Tensor, a Value or a nested list of Values.

        A parameter shared by two layers (tied weights) is yielded once, under its first name.
        """
        seen = {}  # id -> parameter: holding it keeps the id from being reused
        for prefix, module in self.named_modules():
            for name, param in module._own_parameters().items():
                if id(param) not in seen:
                    seen[id(param)] = param
                    yield (f"{prefix}.{name}" if prefix else name), param

    def parameters(self) -> list:
        """Every trainable node (each Value, each Tensor), the list an optimizer takes."""
        params = []
        for _, p in self.named_parameters():
            params.extend([p] if isinstance(p, Tensor) else flatten_values(p))
        return params

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (0.0 for Values, None for Tensors)."""
        for p in self.parameters():
            p.zero_grad()

    # -------------------------------------------------------------- modes

    def train(self, mode: bool = True) -> "Module":
        """Switch to training mode (dropout active, batch statistics used)."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode (dropout off, running statistics used)."""
        return self.train(False)

    def to(self, device: str) -> "Module":
        """Move every parameter and buffer to ``device`` ('cpu' or 'gpu'), in place."""
        tensors = [p for _, p in self.named_parameters()]
        if not all(isinstance(p, Tensor) for p in tensors):
            raise TypeError("Scalar-mode modules live on the CPU; use tensor mode for the GPU.")
        tensors += [buffer for m in self.modules() for buffer in m._buffers()]
        for t in tensors:
            if t._shadow is True:  # a graph still needs the old data: keep it (see inplace.py)
                snapshot(t, replaced=True)
            t._data = backend.to_device(t._data, device)
            if t.grad is not None:
                t.grad = backend.to_device(t.grad, device)
        return self

    def _buffers(self) -> list:
        """Tensors a module keeps that are not trained (running means, for example)."""
        return [
            v for v in vars(self).values()
            if isinstance(v, Tensor) and not v.requires_grad
        ]

    # -------------------------------------------------------------- state

    def state_dict(self) -> dict:
        """Parameters as NumPy arrays (copies), by dotted name, in float64 for Values."""
        state = {}
        for name, p in self.named_parameters():
            if isinstance(p, Tensor):
                state[name] = np.array(backend.to_host(p._data))  # a copy
            elif isinstance(p, Value):
                state[name] = np.array(p.data)
            else:
                state[name] = np.array(_nested_data(p), dtype=np.float64)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Copy arrays into the parameters: all of them, or none if anything does not fit.

        Names, shapes, dtypes (real numbers) and values (finite) are checked first; a
        ``ValueError`` lists every problem and leaves the model as it was.
        """
        if not (hasattr(state, "keys") and hasattr(state, "items")):
            raise TypeError(f"load_state_dict takes a dict of arrays (such as model.state_dict()); got "
                            f"{type(state).__name__}. To read a file, use bp.load(model, path).")
        own = dict(self.named_parameters())
        shapes = {name: tuple(np.shape(array)) for name, array in state.items()}
        problems = self._state_problems(shapes)
        arrays = {}
        for name in own.keys() & state.keys():
            array = np.asarray(backend.to_host(getattr(state[name], "_data", state[name])))
            if array.dtype.kind not in "fiu":
                problems.append(f"dtype of {name}: {array.dtype}; weights must be real numbers")
            elif not bool(np.isfinite(array).all()):
                problems.append(f"{name} contains NaN or inf")
            arrays[name] = array
        if problems:
            raise ValueError(f"The weights do not fit this {type(self).__name__}:\n  "
                             + "\n  ".join(sorted(problems)))
        converted = {name: backend.to_device(arrays[name], p.device, dtype=p.dtype) if isinstance(p, Tensor)
                     else [float(x) for x in arrays[name].reshape(-1)] for name, p in own.items()}
        for name, p in own.items():  # nothing below can fail: the model changes all at once
            if isinstance(p, Tensor):
                p.data = converted[name]
            else:
                for value, x in zip(flatten_values(p), converted[name]):
                    value.data = x

    def _state_problems(self, shapes: dict) -> list:
        """Missing, unexpected and mis-shaped entries of a state with these ``{name: shape}``."""
        expected = {name: _param_shape(p) for name, p in self.named_parameters()}
        problems = [f"missing: {name} (shape {expected[name]})" for name in expected.keys() - shapes.keys()]
        problems += [f"unexpected: {name} (shape {shapes[name]})" for name in shapes.keys() - expected.keys()]
        for name in expected.keys() & shapes.keys():
            if tuple(shapes[name]) != expected[name]:
                problems.append(f"shape of {name}: model has {expected[name]}, given {tuple(shapes[name])}")
        return problems

    def __repr__(self):
        children = self._children()
        if not children:
            return f"{type(self).__name__}({self._extra_repr()})"
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in children.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def _extra_repr(self) -> str:
        return ""


def _inside_a_module_call() -> bool:
    """Whether a Module's ``__call__`` is running (an assignment there is a cache, not a parameter).

    Looked up on the call stack only in the rare case that needs it, so calling a module
    costs nothing extra.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is Module.__call__.__code__:
            return True
        frame = frame.f_back
    return False


def _nested_data(p):
    if isinstance(p, Value):
        return p.data
    return [_nested_data(x) for x in p]


def _param_shape(p) -> tuple:
    if isinstance(p, Tensor):
        return tuple(p.shape)
    return tuple(np.shape(_nested_data(p)))
