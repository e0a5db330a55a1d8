"""Draw a computation graph with matplotlib alone (no graphviz binary needed).

Nodes are laid out left to right in topological order: each node's column is one more
than its deepest parent's, so the forward pass reads left to right and the backward pass
right to left.  Each box shows the node's label, op, value and gradient; each edge is
coloured by the size of the gradient it carries backward (upstream x local derivative).
"""

from __future__ import annotations

import math

import numpy as np
import matplotlib
from matplotlib import cm, colors
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from .. import backend
from ..autograd import topological_order
from ..scalar import Value

__all__ = ["draw_graph", "graph_layout", "GraphTooLarge", "as_values", "scalar_matmul"]

MAX_NODES = 60


class GraphTooLarge(ValueError):
    """The graph has more nodes than a drawing can show legibly."""


def _is_tensor(node) -> bool:
    return getattr(node, "_is_tensor", False)


def _op_name(node) -> str:
    if _is_tensor(node):
        ctx = node._ctx
        return "" if ctx is None else ctx.name
    return node.op


def _fmt(x) -> str:
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.2e}"


def node_text(node, grad=None, show_grad: bool = True) -> str:
    """The text inside a node's box: label / op, value, gradient (``grad``, if known)."""
    if _is_tensor(node):
        title = node.name or _op_name(node) or "tensor"
        value = f"shape {node.shape}" if node.size > 1 else f"data {_fmt(node.item())}"
        norm = None if grad is None else float(np.linalg.norm(node._to_host(grad)))
        grad_text = "grad ?" if grad is None else f"|grad| {_fmt(norm)}"
    else:
        title = node.label or ""
        if node.op:
            title = f"{title} = {node.op}" if title else node.op
        value = f"data {_fmt(node.data)}"
        grad_text = "grad ?" if grad is None else f"grad {_fmt(grad)}"
    lines = [title or "leaf", value]
    if show_grad:
        lines.append(grad_text)
    return "\n".join(lines)


def graph_layout(root) -> tuple[list, dict]:
    """``(nodes, positions)``: nodes in topological order and their (column, row) places.

    A node's column is one more than its deepest parent's.  Within a column, nodes are
    sorted a few times by the mean row of their neighbours (the barycentre heuristic),
    which removes most edge crossings.
    """
    nodes = topological_order(root)
    column, children = {}, {node: [] for node in nodes}
    for node in nodes:
        column[node] = 1 + max((column[p] for p in node._parents), default=-1)
        for p in node._parents:
            children[p].append(node)
    columns: dict[int, list] = {}
    for node in nodes:
        columns.setdefault(column[node], []).append(node)
    row = {node: i for col in columns.values() for i, node in enumerate(col)}

    def barycentre(node, neighbours):
        return sum(row[n] for n in neighbours) / len(neighbours) if neighbours else row[node]

    for _ in range(4):
        for c in sorted(columns)[1:]:
            columns[c].sort(key=lambda n: barycentre(n, n._parents))
            row.update({n: i for i, n in enumerate(columns[c])})
        for c in sorted(columns, reverse=True)[1:]:
            columns[c].sort(key=lambda n: barycentre(n, children[n]))
            row.update({n: i for i, n in enumerate(columns[c])})
    positions = {}
    for c, col in columns.items():
        for i, node in enumerate(col):
            positions[node] = (c, i - (len(col) - 1) / 2)  # centre each column vertically
    return nodes, positions


def _known_grad(node, grads: dict | None):
    """The gradient to show for ``node``: from ``grads`` if given, else its ``.grad``."""
    if grads is not None:
        return grads.get(node)
    return node.grad


def _edge_gradient(parent_index: int, node, grads: dict | None):
    """|upstream x local derivative| along one edge of a Value (None when unknown)."""
    upstream = _known_grad(node, grads)
    if _is_tensor(node) or upstream is None:
        return None
    return abs(upstream * node._local_grads[parent_index])


def draw_graph(root, ax=None, grads: dict | None = None, highlight=None, show_grad: bool = True,
               max_nodes: int = MAX_NODES, title: str | None = None):
    """Draw the graph that produced ``root`` (a Value or a Tensor) and return the Axes.

    ``grads`` maps nodes to gradients to show instead of their ``.grad`` (the backward
    stepper shows the gradients known so far; a node missing from it shows "grad ?").
    ``highlight`` is a node to outline.  Graphs with more than ``max_nodes`` nodes are
    refused with ``GraphTooLarge``: draw a smaller expression instead.
    """
    nodes, positions = graph_layout(root)
    if len(nodes) > max_nodes:
        raise GraphTooLarge(
            f"This graph has {len(nodes)} nodes; draw_graph draws at most {max_nodes} legibly. "
            "Draw a smaller expression (one neuron, a 2x2 example), or pass max_nodes= to try anyway."
        )
    n_cols = 1 + max(c for c, _ in positions.values())
    n_rows = max(1, max(sum(1 for c2, _ in positions.values() if c2 == c) for c in range(n_cols)))
    if ax is None:
        fig = Figure(figsize=(min(2.2 * n_cols + 1, 18), min(1.1 * n_rows + 1, 12)), dpi=90)
        ax = fig.add_subplot()
    edge_values = {(parent, node): _edge_gradient(i, node, grads)
                   for node in nodes for i, parent in enumerate(node._parents)}
    finite = [v for v in edge_values.values() if v is not None and math.isfinite(v) and v > 0]
    norm = colors.LogNorm(vmin=min(finite), vmax=max(max(finite), min(finite) * 10)) if finite else None
    cmap = matplotlib.colormaps["plasma"]
    for (parent, child), value in edge_values.items():
        (x0, y0), (x1, y1) = positions[parent], positions[child]
        drawn = value is not None and norm is not None and value > 0
        color = cmap(norm(value) * 0.85) if drawn else "0.6"
        width = 1.0 + 2.5 * norm(value) if drawn else 1.0
        ax.add_patch(FancyArrowPatch((x0 + 0.32, -y0), (x1 - 0.32, -y1), arrowstyle="-|>",
                                     mutation_scale=10, color=color, lw=width, zorder=1))
    for node in nodes:
        x, y = positions[node]
        grad = _known_grad(node, grads)
        text = node_text(node, grad, show_grad) if grad is not None else _unknown_grad_text(node, show_grad)
        face = "#ffe08a" if node is highlight else ("#dbeafe" if not node._parents else "#f1f5f9")
        edge = "#d97706" if node is highlight else "#475569"
        ax.text(x, -y, text, ha="center", va="center", fontsize=7.5, family="monospace", zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec=edge, lw=2 if node is highlight else 1))
    ax.set_xlim(-0.6, n_cols - 0.4)
    ys = [-y for _, y in positions.values()]
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    if norm is not None:
        sm = cm.ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(sm, ax=ax, fraction=0.025, pad=0.01, label="|gradient along edge|")
    return ax


def _unknown_grad_text(node, show_grad: bool) -> str:
    return node_text(node, None, show_grad=False) + ("\ngrad ?" if show_grad else "")


def as_values(array, name: str) -> list:
    """A 2-D array as a nested list of labelled Values (``name[i,j]``)."""
    array = backend.to_host(array).astype(float)
    return [[Value(float(array[i, j]), label=f"{name}{i}{j}") for j in range(array.shape[1])]
            for i in range(array.shape[0])]


def scalar_matmul(a: list, b: list) -> list:
    """The matrix product of two nested lists of Values, one ``*`` and ``+`` node at a time.

    This is what a single tensor ``@`` stands for: every output element is a sum of
    products, and its backward pass is many small scalar chain-rule steps.
    """
    n, k, m = len(a), len(b), len(b[0])
    if len(a[0]) != k:
        raise ValueError(f"shapes ({n}, {len(a[0])}) and ({k}, {m}) do not fit for @.")
    out = []
    for i in range(n):
        row = []
        for j in range(m):
            total = a[i][0] * b[0][j]
            for t in range(1, k):
                total = total + a[i][t] * b[t][j]
            total.label = f"c{i}{j}"
            row.append(total)
        out.append(row)
    return out
