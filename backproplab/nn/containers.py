"""``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``: PyTorch's containers.

A ``Module`` already finds modules and parameters kept in plain lists, tuples and dicts
(see ``module.py``), so these are not needed to make training work.  They exist so that
code written for PyTorch runs unchanged, and they check what goes in: a ``ModuleList``
refuses a tensor, a ``ParameterList`` a module, each with the container to use instead.
Names follow PyTorch: ``blocks.0.weight`` for ``self.blocks = ModuleList([...])``.
"""

from __future__ import annotations

from ..scalar import Value
from ..tensor import Tensor
from .module import Module

__all__ = ["ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _check_module(item, container: str):
    if not isinstance(item, Module):
        hint = " Use bp.nn.ParameterList for tensors." if isinstance(item, Tensor) else ""
        raise TypeError(f"{container} holds modules (bp.nn.Module); got {type(item).__name__}.{hint}")
    return item


def _check_parameter(item, container: str):
    if isinstance(item, Value):
        return item
    if not isinstance(item, Tensor):
        hint = " Use bp.nn.ModuleList for modules." if isinstance(item, Module) else ""
        raise TypeError(f"{container} holds parameters (Tensors or Values); got "
                        f"{type(item).__name__}.{hint}")
    if not item.is_leaf:
        raise ValueError(f"{container} holds parameters, and this tensor was computed from others "
                         "(not a leaf), so it would never get a .grad. Create it directly with "
                         "requires_grad=True, or add .detach().requires_grad_().")
    return item.requires_grad_(True)  # as torch.nn.Parameter: a parameter is trained


def _check_key(key) -> str:
    if not isinstance(key, str) or "." in key or not key:
        raise KeyError(f"Keys must be non-empty strings without '.', which separates the parts "
                       f"of parameter names; got {key!r}.")
    return key


class _ListContainer(Module):
    _check = staticmethod(_check_module)

    def __init__(self, items=None):
        object.__setattr__(self, "_items", [])
        if items is not None:
            self.extend(items)

    def append(self, item) -> "_ListContainer":
        """Add ``item`` at the end."""
        self._items.append(self._check(item, type(self).__name__))
        return self

    def extend(self, items) -> "_ListContainer":
        """Add every item of ``items`` at the end."""
        if isinstance(items, (Module, Value, Tensor)):
            raise TypeError(f"{type(self).__name__}.extend needs a list of items; use append for one.")
        for item in items:
            self.append(item)
        return self

    def insert(self, index: int, item) -> None:
        """Insert ``item`` before position ``index``."""
        self._items.insert(index, self._check(item, type(self).__name__))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self._items[index])
        return self._items[index]

    def __setitem__(self, index: int, item):
        self._items[index] = self._check(item, type(self).__name__)

    def __delitem__(self, index):
        del self._items[index]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"A {type(self).__name__} only holds items; call them in your "
                                  "own forward (for block in self.blocks: x = block(x)).")


class ModuleList(_ListContainer):
    """A list of modules, registered so their parameters are trained and saved."""

    def _children(self) -> dict:
        return {str(i): m for i, m in enumerate(self._items)}


class ParameterList(_ListContainer):
    """A list of parameters (Tensors or Values), registered so they are trained and saved."""

    _check = staticmethod(_check_parameter)

    def _own_parameters(self) -> dict:
        return {str(i): p for i, p in enumerate(self._items)}

    def _children(self) -> dict:
        return {}


class _DictContainer(Module):
    _check = staticmethod(_check_module)

    def __init__(self, items=None):
        object.__setattr__(self, "_items", {})
        if items is not None:
            self.update(items)

    def update(self, items) -> None:
        """Add (or replace) every ``key: item`` of a dict or of a list of pairs."""
        pairs = items.items() if hasattr(items, "items") else items
        for key, item in pairs:
            self[key] = item

    def __getitem__(self, key):
        return self._items[key]

    def __setitem__(self, key, item):
        self._items[_check_key(key)] = self._check(item, type(self).__name__)

    def __delitem__(self, key):
        del self._items[key]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __contains__(self, key):
        return key in self._items

    def keys(self):
        """The keys, in insertion order."""
        return self._items.keys()

    def values(self):
        """The items, in insertion order."""
        return self._items.values()

    def items(self):
        """``(key, item)`` pairs, in insertion order."""
        return self._items.items()

    forward = _ListContainer.forward


class ModuleDict(_DictContainer):
    """Modules by name, registered so their parameters are trained and saved."""

    def _children(self) -> dict:
        return dict(self._items)


class ParameterDict(_DictContainer):
    """Parameters (Tensors or Values) by name, registered so they are trained and saved."""

    _check = staticmethod(_check_parameter)

    def _own_parameters(self) -> dict:
        return dict(self._items)

    def _children(self) -> dict:
        return {}
