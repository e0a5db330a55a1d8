"""Draw a computation graph with matplotlib alone (no graphviz binary needed).

Each box is a node: its name and operation, its value and its gradient.  The forward pass
reads along the arrows (left to right, or top to bottom with ``direction="TB"``); the
backward pass runs against them.  Each edge is coloured by the gradient it carries back,
*upstream gradient x local derivative*, on a scale from 0 to the largest such gradient in
the picture.  The layout itself (columns, wires, order, coordinates) is in ``layered.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import matplotlib
from matplotlib import colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, PathPatch
from matplotlib.path import Path

from .. import backend
from ..autograd import topological_order
from ..scalar import Value
from ..tensor import _FREED, Tensor
from .layered import layered_layout
from .names import node_name_map, node_title

__all__ = ["draw_graph", "graph_layout", "GraphTooLarge", "node_text", "edge_gradients", "as_values",
           "scalar_matmul", "GRADIENT_COLORMAP"]

MAX_NODES = 120   # a 2-4-4-1 network written node by node (107 nodes) still reads at 9 pt
FONT_SIZE = 9.0
MIN_READABLE_FONT = 8.0
MARGIN = 10.0          # points around the drawing
TITLE_BAND = 22.0      # points above the graph for the title
COLORBAR_BAND = 44.0   # points below the graph for the colour scale
GRADIENT_COLORMAP = colors.ListedColormap(matplotlib.colormaps["plasma"](np.linspace(0.0, 0.85, 256)),
                                          name="gradient")  # the last 15% (pale yellow) vanish on white
UNKNOWN_EDGE = "0.72"


class GraphTooLarge(ValueError):
    """The graph has more nodes than a drawing can show legibly."""



def _fmt(x) -> str:
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.2e}"


def node_text(node, grad=None, show_grad: bool = True, names: dict | None = None,
              grad_kept: bool = True) -> str:
    """The text inside a node's box: title, value, gradient (``grad``; None if unknown).

    Tensors show their shape and the norm of their gradient, ``‖grad‖``.  ``grad_kept=False``
    says why a tensor's gradient is missing: tensor graphs keep ``.grad`` only on leaves.
    """
    lines = [node_title(node, names or {})]
    if isinstance(node, Tensor):
        scalar = node.size == 1
        if scalar:
            lines.append(f"data {_fmt(node.item())}")
        else:  # the shape joins the title: long tensor chains need low boxes
            lines[0] += f"  {node.shape}"
        if grad is not None:
            g = backend.to_host(grad).astype(np.float64)
            if scalar:
                grad_text = f"grad {_fmt(float(g.reshape(-1)[0]))}"
            else:
                grad_text = f"‖grad‖ {_fmt(float(np.linalg.norm(g)))}"
        else:
            grad_text = "grad ?" if grad_kept else "grad not kept"
    else:
        lines.append(f"data {_fmt(node.data)}")
        grad_text = "grad ?" if grad is None else f"grad {_fmt(grad)}"
    if show_grad:
        lines.append(grad_text)
    return "\n".join(lines)


def _known_grad(node, grads: dict | None):
    """The gradient to show for ``node``: from ``grads`` if given, else its ``.grad``."""
    if grads is not None:
        return grads.get(node)
    return node.grad


def edge_gradients(node, upstream) -> list:
    """What ``node`` sends back to each of its inputs: |upstream x local derivative|.

    One number per entry of ``node._parents`` (the norm, for tensors); ``None`` where it
    cannot be known (no upstream gradient yet, or a tensor graph already freed).
    """
    if upstream is None:
        return [None] * len(node._parents)
    if not isinstance(node, Tensor):
        return [abs(upstream * local) for local in node._local_grads]
    if node._ctx is None or node._ctx is _FREED or not node._parents:
        return [None] * len(node._parents)
    # The op's own backward, run again on the gradient it received: exact, and cheap for
    # the small graphs drawn here.
    sent = node._input_grads(upstream)
    return [None if g is None else float(np.linalg.norm(backend.to_host(g).astype(np.float64)))
            for g in sent]


def _measure(texts: dict, fontsize: float) -> dict:
    """Width and height in points of each node's text box (text plus padding)."""
    fig = Figure(dpi=72)
    renderer = FigureCanvasAgg(fig).get_renderer()
    sizes = {}
    for node, text in texts.items():
        artist = fig.text(0, 0, text, fontsize=fontsize, linespacing=1.25, ha="center", va="center")
        box = artist.get_window_extent(renderer)
        sizes[node] = (box.width + 1.1 * fontsize, box.height + 0.8 * fontsize)
        artist.remove()
    return sizes


def graph_layout(root, direction: str = "LR", names=None, show_grad: bool = True,
                 fontsize: float = FONT_SIZE):
    """``(nodes, positions)``: nodes in topological order and their box centres in points.

    Parents lie before their children along the flow (x for ``"LR"``, -y for ``"TB"``).
    """
    nodes = topological_order(root)
    names = node_name_map(names)
    texts = {n: node_text(n, _known_grad(n, None), show_grad, names) for n in nodes}
    layout = layered_layout(nodes, lambda n: n._parents, _measure(texts, fontsize), direction)
    return nodes, layout.centres


def _wire_path(points, curved, direction: str) -> Path:
    """A path through ``points``: S-curves where ``curved`` says so, straight lines elsewhere."""
    vertices, codes = [points[0]], [Path.MOVETO]
    for (x0, y0), (x1, y1), bend in zip(points, points[1:], curved):
        if abs(x1 - x0) + abs(y1 - y0) < 1e-6:
            continue  # a piece of length 0 would leave an arrowhead without a direction
        if bend:  # leave and arrive along the flow, so the curve never cuts into a box
            if direction == "LR":
                mid = (x0 + x1) / 2
                vertices += [(mid, y0), (mid, y1), (x1, y1)]
            else:
                mid = (y0 + y1) / 2
                vertices += [(x0, mid), (x1, mid), (x1, y1)]
            codes += [Path.CURVE4] * 3
        else:
            vertices.append((x1, y1))
            codes.append(Path.LINETO)
    return Path(vertices, codes)


def draw_graph(root, ax=None, grads: dict | None = None, highlight=None, show_grad: bool = True,
               max_nodes: int = MAX_NODES, title: str | None = None, names=None,
               direction: str = "LR", fontsize: float = FONT_SIZE, size_grads: dict | None = None):
    """Draw the graph that produced ``root`` (a Value or a Tensor) and return the Axes.

    Where the gradients come from.  A scalar graph keeps ``.grad`` on every node, so after
    ``root.backward()`` each box shows its gradient.  A tensor graph keeps ``.grad`` only on
    leaves (to save memory, as PyTorch does): its inner boxes say "grad not kept".  To see
    them, capture the gradients *during* the backward pass and pass them as ``grads``::

        with bp.viz.capture_gradients(loss) as grads:
            loss.backward(retain_graph=True)   # keep the graph, to draw it
        bp.viz.draw_graph(loss, grads=grads)

    Capturing (rather than replaying a backward pass inside the drawing) shows exactly what
    the real pass computed, whatever its seed and hooks, and costs nothing extra.

    ``grads`` maps nodes to the gradients to show (the backward stepper passes those known
    so far; a missing node shows "grad ?").  ``names`` names nodes: a Module (its parameter
    names) or a dict ``{name: node}``.  ``highlight`` is a node to outline.  ``direction``
    is ``"LR"`` (left to right) or ``"TB"`` (top to bottom, for long chains).  Without
    ``ax`` a figure of the right size is made.  A given ``ax`` alone in its figure is
    stretched over the whole figure; the drawing is scaled down to fit the Axes if needed,
    with a warning if text would drop below 8 pt.  ``size_grads`` sizes the boxes for
    other gradients than those shown (so a stepped picture does not move).  Graphs with more
    than ``max_nodes`` nodes raise ``GraphTooLarge``: draw a smaller expression instead.
    """
    if not hasattr(root, "_parents"):
        raise TypeError(f"draw_graph draws a Value or a Tensor, got {type(root).__name__}.")
    if isinstance(root, Tensor) and root._ctx is _FREED:
        raise ValueError("This graph was freed by backward(), so there is nothing left to draw. Call "
                         "backward(retain_graph=True) to draw the graph afterwards.")
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise GraphTooLarge(
            f"This graph has {len(nodes)} nodes; draw_graph draws at most {max_nodes} legibly. "
            "Draw a smaller expression (one neuron, a 2x2 example), or pass max_nodes= to try anyway."
        )
    names = node_name_map(names)
    shown = {n: _known_grad(n, grads) for n in nodes}
    kept = {n: grads is not None or not isinstance(n, Tensor) or n._ctx is None for n in nodes}
    texts = {n: node_text(n, shown[n], show_grad, names, kept[n]) for n in nodes}
    sizing = texts if size_grads is None else {
        n: node_text(n, _known_grad(n, size_grads), show_grad, names, kept[n]) for n in nodes}
    layout = layered_layout(nodes, lambda n: n._parents, _measure(sizing, fontsize), direction)

    sent = {n: edge_gradients(n, shown[n]) for n in nodes if n._parents} if show_grad else {}
    known = [g for gs in sent.values() for g in gs if g is not None and np.isfinite(g)]
    # No scale when nothing flows yet (all zero, e.g. before backward): it would have no range.
    norm = colors.Normalize(vmin=0.0, vmax=max(known)) if known and max(known) > 0 else None

    top = layout.height + (TITLE_BAND if title else 0.0) + MARGIN
    bottom = -(COLORBAR_BAND if norm is not None else 0.0) - MARGIN
    need_w, need_h = layout.width + 2 * MARGIN, top - bottom
    if ax is None:
        fig = Figure(figsize=(need_w / 72, need_h / 72), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    if fig.axes == [ax]:  # alone in its figure: a graph needs no axis labels, so take it all
        ax.set_position((0, 0, 1, 1))
    box = ax.get_position()
    have_w, have_h = box.width * fig.get_figwidth() * 72, box.height * fig.get_figheight() * 72
    scale = min(1.0, have_w / need_w, have_h / need_h)
    if fontsize * scale < MIN_READABLE_FONT - 1e-9:
        warnings.warn(f"draw_graph: this graph needs an Axes of {need_w / 72:.1f} x {need_h / 72:.1f} inches "
                      f"for {fontsize:g} pt text; it was shrunk to {fontsize * scale:.1f} pt. Leave out ax= "
                      "to get a figure of the right size.", stacklevel=2)
    cx, cy = layout.width / 2, (top + bottom) / 2
    ax.set_xlim(cx - have_w / scale / 2, cx + have_w / scale / 2)
    ax.set_ylim(cy - have_h / scale / 2, cy + have_h / scale / 2)
    ax.axis("off")

    def line_width(g):
        return (1.0 + 2.2 * norm(g)) * min(1.0, scale + 0.2)

    for parent, wire in layout.trunks.items():  # shared wires: neutral, their branches coloured
        ax.add_patch(PathPatch(_wire_path(wire.points, wire.curved, direction), fill=False,
                               ec="0.35", lw=1.4 * min(1.0, scale + 0.2), zorder=1, capstyle="round"))
    for route in layout.edges:
        g = sent.get(route.child, [None] * (route.slot + 1))[route.slot]
        drawn = g is not None and norm is not None and np.isfinite(g)
        color = GRADIENT_COLORMAP(norm(g)) if drawn else UNKNOWN_EDGE
        ax.add_patch(FancyArrowPatch(path=_wire_path(route.wire.points, route.wire.curved, direction),
                                     arrowstyle="-|>", mutation_scale=10 * scale, color=color,
                                     lw=line_width(g) if drawn else 1.0, zorder=2 if drawn else 1.5))
    for node in nodes:
        (x, y), (w, h) = layout.centres[node], layout.sizes[node]
        lit = node is highlight
        face = "#ffe08a" if lit else ("#dbeafe" if not node._parents else "#f1f5f9")
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle=f"round,pad=0,rounding_size={3 * scale}", fc=face,
                                    ec="#d97706" if lit else "#475569", lw=2.2 if lit else 0.9, zorder=3))
        ax.text(x, y, texts[node], ha="center", va="center", fontsize=fontsize * scale, linespacing=1.25,
                zorder=4)
    if title:
        ax.text(cx, layout.height + MARGIN + TITLE_BAND / 2, title, ha="center", va="center",
                fontsize=(fontsize + 1) * scale, zorder=4)
    if norm is not None:
        _colour_scale(ax, norm, layout, scale, fontsize, tensor=isinstance(root, Tensor))
    return ax


def _colour_scale(ax, norm, layout, scale, fontsize, tensor: bool) -> None:
    """A horizontal colour bar under the graph, from 0 to the largest gradient drawn."""
    width = min(max(150.0, 0.45 * layout.width), 260.0)
    cax = ax.inset_axes((layout.width - width, -MARGIN - 26.0, width, 8.0), transform=ax.transData)
    bar = Colorbar(cax, cmap=GRADIENT_COLORMAP, norm=norm, orientation="horizontal")
    ticks = np.linspace(0.0, norm.vmax, 3)
    bar.set_ticks(ticks)
    bar.ax.set_xticklabels([f"{t:.3g}" for t in ticks])
    bar.ax.tick_params(labelsize=(fontsize - 0.5) * scale, length=3, pad=2)
    what = "‖gradient‖" if tensor else "|gradient|"
    cax.set_title(f"{what} sent back along an edge: upstream × local derivative",
                  fontsize=(fontsize - 0.5) * scale, pad=3)


def as_values(array, name: str) -> list:
    """A 2-D array as a nested list of labelled Values (``name[i,j]``)."""
    array = backend.to_host(array).astype(float)
    if array.ndim != 2:
        raise ValueError(f"as_values expects a 2-D array, got shape {array.shape}.")
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
