"""What pictures and messages call a node: its name, or the expression that made it.

A labelled Value is called by its label (``e``); an unlabelled one by the expression
that made it (``x1 × w1``), so a reader can tell nodes apart without naming every one.
Tensors are called by a name given in ``names`` (a Module's parameter names), their own
``.name``, or their operation (``Linear``).
"""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["node_name_map", "node_title", "node_name", "expression"]

_BINARY = {"+": "+", "*": "×", "-": "−", "/": "/"}



def node_name_map(names) -> dict:
    """``{node: name}`` from a Module (its named parameters) or a dict ``{name: node}``."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        pairs = names.named_parameters()
    elif isinstance(names, dict):
        pairs = names.items()
    else:
        raise TypeError(f"names must be a Module or a dict {{name: node}}, got {type(names).__name__}.")
    out = {}
    pending = list(pairs)
    while pending:
        name, node = pending.pop()
        if isinstance(node, (list, tuple)):  # a scalar layer's weights: name each Value
            pending.extend((f"{name}[{i}]", item) for i, item in enumerate(node))
        elif hasattr(node, "_parents"):
            out[node] = name
        else:
            raise TypeError(f"names[{name!r}] is a {type(node).__name__}, not a node (a Value or a Tensor).")
    return out


def _own_name(node, names: dict) -> str:
    if node in names:
        return names[node]
    return (node.name if isinstance(node, Tensor) else node.label) or ""


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def expression(node, names: dict, depth: int = 1) -> str:
    """The operation that made ``node``, with its inputs named (``a × b``, ``tanh(n)``).

    Unnamed inputs are spelled out ``depth`` levels deep, then shown as ``·``.
    """
    if isinstance(node, Tensor):
        return "" if node._ctx is None else node._ctx.name
    op, parents = node.op, node._parents

    def operand(p, wrap: bool) -> str:
        name = _own_name(p, names)
        if name:
            return name
        if not p._parents:
            return _fmt(p.data)  # an unlabelled constant
        if depth <= 1:
            return "·"
        inner = expression(p, names, depth - 1)
        return f"({inner})" if wrap and len(p._parents) == 2 and p.op in _BINARY else inner

    if len(parents) == 2 and op in _BINARY:
        wrap_left = op in "*/" and parents[0].op in "+-"
        wrap_right = op != "+" and parents[1].op in _BINARY
        return f"{operand(parents[0], wrap_left)} {_BINARY[op]} {operand(parents[1], wrap_right)}"
    if len(parents) == 1:
        inner = operand(parents[0], True)
        if op == "neg":
            return f"−{inner}"
        if op.startswith("**"):
            return f"{inner}{op}"
        return f"{op}({inner})"
    return f"{op}({', '.join(operand(p, False) for p in parents)})"


TITLE_CHARS = 22  # an unnamed node's title spells out unnamed inputs while it stays this short


def node_title(node, names: dict) -> str:
    """The first line of a node's box: ``e = a × b``, ``x1 × w1``, ``weight_hh``, ``h1 = Tanh``."""
    name = _own_name(node, names)
    if not node._parents:
        if name:
            return name
        return "tensor" if isinstance(node, Tensor) else "constant"
    expr = expression(node, names)
    for depth in (2, 3) if not name else ():  # a named node: its name says enough
        longer = expression(node, names, depth)
        if len(longer) > TITLE_CHARS:
            break
        expr = longer
    return f"{name} = {expr}" if name and expr else (name or expr)


def node_name(node, names: dict | None = None, depth: int = 3) -> str:
    """A short name for ``node`` in a sentence or in ∂L/∂(...): its name or its expression."""
    names = names or {}
    name = _own_name(node, names)
    if name:
        return name
    if not node._parents:
        return "tensor" if isinstance(node, Tensor) else _fmt(node.data)
    return expression(node, names, depth)
