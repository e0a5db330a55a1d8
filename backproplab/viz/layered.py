"""A layered drawing of a computation graph, computed in points (1/72 inch) without graphviz.

The classic recipe for drawing a directed acyclic graph (Sugiyama et al.), in four steps:

1. **columns**: every node gets a column, parents before children, so the forward pass reads
   left to right.  Columns are chosen to keep edges short; edges that leave a *shared* leaf
   (a weight used at every time step) are cheap to stretch, so each step's own nodes stay
   together and the shared weight sends one long wire to all of them.
2. **wires**: an edge that skips columns runs through a waypoint in each column it crosses.
   All long edges leaving one node share these waypoints: one wire (a *trunk*) that branches
   off into each of its children, so a shared weight is drawn once, with a visible edge into
   every place it is used.
3. **order**: within each column, nodes and waypoints are sorted by the mean position of
   their neighbours (the barycentre heuristic), sweeping back and forth; then each one is
   moved to its best place (sifting).  Seeded restarts keep the order with the fewest
   edge crossings.
4. **coordinates**: each node is pulled toward its neighbours while keeping boxes apart
   (an exact small least-squares step per column), so chains come out straight.

Edges bend only in the gaps between columns, never inside a column, so no edge runs
through a box.  ``direction="TB"`` draws the same layout top to bottom (for long chains
such as an unrolled recurrent network, which are too wide for a page left to right).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .crossings import order_columns

__all__ = ["LayeredLayout", "layered_layout"]

SHARED_EDGE_WEIGHT = 0.25   # stretching a shared leaf's edges costs little (see step 1)
GAP_BETWEEN_COLUMNS = {"LR": 34.0, "TB": 22.0}
GAP_BETWEEN_BOXES = 12.0
GAP_BESIDE_WIRE = 7.0
ENTRY_SPACING = 7.0         # distance between arrowheads that enter one box


@dataclass
class Wire:
    """A drawn line: ``points`` in points, ``curved[i]`` tells if the piece ending at
    point i+1 is an S-curve (between columns) or straight (inside a column)."""

    points: list
    curved: list


@dataclass
class EdgeRoute:
    """How the edge from ``parent`` (its ``slot``-th input of ``child``) is drawn.

    ``wire`` is the part drawn for this edge alone (it ends at the child's box, where the
    arrowhead goes); ``trunk`` is the parent's shared wire it branches off (or ``None``).
    """

    parent: object
    child: object
    slot: int
    wire: Wire
    trunk: object = None


@dataclass
class LayeredLayout:
    """Positions (box centres, in points, y up), box sizes, columns, edges and trunks."""

    nodes: list
    centres: dict
    sizes: dict
    columns: dict
    edges: list
    trunks: dict = field(default_factory=dict)   # parent -> Wire (shared long edges)
    width: float = 0.0
    height: float = 0.0
    crossings: int = 0
    direction: str = "LR"


def _columns(nodes, parents, children, weight):
    """Step 1: integer columns with parents strictly left of children, edges kept short."""
    col = {}
    for node in nodes:  # as early as possible first
        col[node] = 1 + max((col[p] for p in parents[node]), default=-1)
    for _ in range(len(nodes)):  # coordinate descent on the weighted total edge length
        changed = False
        for node in reversed(nodes):
            lo = 1 + max((col[p] for p in parents[node]), default=-10 ** 6)
            hi = min((col[c] for c in children[node]), default=lo + 1) - 1
            if not children[node]:
                hi = lo
            if not parents[node]:
                lo = hi  # a leaf sits right before its first use
            def cost(k):
                return (sum(weight[(p, node)] * (k - col[p]) for p in parents[node])
                        + sum(weight[(node, c)] * (col[c] - k) for c in children[node]))
            best = min(range(lo, hi + 1), key=lambda k: (cost(k), -k))
            if best != col[node]:
                col[node], changed = best, True
        if not changed:
            break
    used = sorted(set(col.values()))  # drop empty columns
    rank = {c: i for i, c in enumerate(used)}
    return {node: rank[c] for node, c in col.items()}


class _Waypoint:
    """Where a long edge (a trunk) crosses a column."""

    __slots__ = ("source", "column")

    def __init__(self, source, column):
        self.source, self.column = source, column


def _place_in_order(desired, weights, gaps):
    """Least squares sum w_i (y_i - d_i)^2 subject to y_(i+1) >= y_i + gaps_i (exact).

    Subtracting the cumulative gaps turns it into isotonic regression, solved by pooling
    adjacent violators.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks = []  # [weight, weighted sum, count]
    for d, w, o in zip(desired, weights, offsets):
        blocks.append([w, w * (d - o), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, n2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += n2
    out = []
    for w, s, n in blocks:
        out.extend([s / w] * n)
    return [z + o for z, o in zip(out, offsets)]


def _across(layers, up, down, gap, sweeps=16) -> dict:
    """Step 4: each item's place across the flow, pulled toward its neighbours, boxes apart."""
    v = {}
    for layer in layers:
        y = 0.0
        for i, item in enumerate(layer):
            y += gap(layer[i - 1], item) if i else 0.0
            v[item] = y
    for sweep in range(sweeps):
        for layer in layers if sweep % 2 == 0 else layers[::-1]:
            desired, weights = [], []
            for item in layer:
                if isinstance(item, _Waypoint):  # a trunk stays straight: follow the trunk only
                    ns = up[item] + [n for n in down[item] if isinstance(n, _Waypoint)]
                else:
                    ns = up[item] + down[item]
                desired.append(sum(v[n] for n in ns) / len(ns) if ns else v[item])
                weights.append(4.0 if isinstance(item, _Waypoint) or not ns else 1.0)
            placed = _place_in_order(desired, weights, [gap(a, b) for a, b in zip(layer, layer[1:])])
            v.update(zip(layer, placed))
    return v


def _first_inputs_first(layers, reading: dict) -> list:
    """Flip the drawing if needed so that earlier nodes (first inputs first) are on top."""
    agreement = 0.0
    for layer in layers:
        real = [(i, reading[n]) for i, n in enumerate(layer) if not isinstance(n, _Waypoint)]
        if len(real) > 1:
            mi, mt = sum(i for i, _ in real) / len(real), sum(t for _, t in real) / len(real)
            agreement += sum((i - mi) * (t - mt) for i, t in real)
    return [layer[::-1] for layer in layers] if agreement < 0 else layers


def _reading_order(root, parents) -> dict:
    """Index of each node in a depth-first walk from ``root`` that takes first inputs first."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen[node] = len(seen)
        stack.extend(reversed(parents[node]))
    return seen


def _straighten_trunks(layers, waypoints, v, gap) -> None:
    """Put each trunk on one straight line where its neighbours leave room for it."""
    where = {}
    for layer in layers:
        for i, item in enumerate(layer):
            where[item] = (layer, i)
    trunks: dict = {}
    for (source, _), w in sorted(waypoints.items(), key=lambda kv: kv[0][1]):
        trunks.setdefault(source, [source]).append(w)
    for source, line in trunks.items():
        def fits(value, item):
            layer, i = where[item]
            return ((i == 0 or value >= v[layer[i - 1]] + gap(layer[i - 1], item) - 1e-6)
                    and (i == len(layer) - 1 or value <= v[layer[i + 1]] - gap(item, layer[i + 1]) + 1e-6))
        ws = line[1:]
        candidates = [v[source]] + sorted((v[w] for w in ws), key=lambda y: abs(y - v[source]))
        for value in candidates:
            if all(fits(value, w) for w in ws):
                for w in ws:
                    v[w] = value
                break


def layered_layout(nodes, parents_of, sizes: dict, direction: str = "LR") -> LayeredLayout:
    """Lay out ``nodes`` (parents before children) with boxes of ``sizes[node] = (w, h)`` points.

    ``parents_of(node)`` lists a node's inputs (repeats allowed: ``a * a``).  Returns a
    ``LayeredLayout`` whose centres have y pointing up, ready for an Axes in points.
    """
    if direction not in GAP_BETWEEN_COLUMNS:
        raise ValueError(f"direction must be 'LR' (left to right) or 'TB' (top to bottom), "
                         f"got {direction!r}.")
    parents = {n: list(parents_of(n)) for n in nodes}
    children = {n: [] for n in nodes}
    for n in nodes:
        for p in dict.fromkeys(parents[n]):
            children[p].append(n)
    shared = {n for n in nodes if not parents[n] and len(children[n]) > 1}
    weight = {(p, n): (SHARED_EDGE_WEIGHT if p in shared else 1.0) for n in nodes for p in parents[n]}
    col = _columns(nodes, parents, children, weight)

    # Step 2: one trunk of waypoints per node with long edges.
    waypoints, up, down = {}, {n: [] for n in nodes}, {n: [] for n in nodes}

    def link(a, b):
        up.setdefault(b, []).append(a)
        down.setdefault(a, []).append(b)

    for p in nodes:
        reach = max((col[c] for c in children[p] if col[c] > col[p] + 1), default=None)
        if reach is None:
            continue
        previous = p
        for k in range(col[p] + 1, reach):
            waypoints[(p, k)] = w = _Waypoint(p, k)
            up[w], down[w] = [], []
            link(previous, w)
            previous = w
    for c in nodes:
        for p in parents[c]:
            link(waypoints[(p, col[c] - 1)] if col[c] > col[p] + 1 else p, c)

    layers = [[] for _ in range(1 + max(col.values()))]
    for n in nodes:
        layers[col[n]].append(n)
    for (p, k), w in waypoints.items():
        layers[k].append(w)
    layers, crossings = order_columns(layers, up, down)
    layers = _first_inputs_first(layers, _reading_order(nodes[-1], parents))  # nodes end with the root

    # Step 4: coordinates. u runs along the flow (columns), v across it.
    main = {n: sizes[n][0] if direction == "LR" else sizes[n][1] for n in nodes}
    cross = {n: sizes[n][1] if direction == "LR" else sizes[n][0] for n in nodes}
    for w in waypoints.values():
        main[w] = cross[w] = 0.0
    gap_main = GAP_BETWEEN_COLUMNS[direction]
    depth = [max(main[item] for item in layer) for layer in layers]
    u_layer, u = [], 0.0
    for k, d in enumerate(depth):
        u += (depth[k - 1] / 2 + gap_main + d / 2) if k else d / 2
        u_layer.append(u)

    def gap(a, b):
        real = (not isinstance(a, _Waypoint)) + (not isinstance(b, _Waypoint))
        return (cross[a] + cross[b]) / 2 + (GAP_BETWEEN_BOXES if real == 2 else GAP_BESIDE_WIRE)

    v = _across(layers, up, down, gap)
    _straighten_trunks(layers, waypoints, v, gap)
    low = min(v[i] - cross[i] / 2 for i in v)
    v = {i: y - low for i, y in v.items()}
    extent_cross = max(v[i] + cross[i] / 2 for i in v)
    extent_main = u_layer[-1] + depth[-1] / 2

    def point(uu, vv):  # (u, v) -> drawing coordinates, y up
        return (uu, extent_cross - vv) if direction == "LR" else (vv, extent_main - uu)

    def column_edge(k, side):
        return u_layer[k] + side * depth[k] / 2

    def through(pts, curved, item, k):  # enter column k at item's height and cross it
        pts += [point(column_edge(k, -1), v[item]), point(column_edge(k, +1), v[item])]
        curved += [True, False]

    trunks = {}
    for p in nodes:
        ws = [waypoints[(p, k)] for k in range(col[p] + 1, len(layers)) if (p, k) in waypoints]
        if not ws:
            continue
        pts = [point(u_layer[col[p]] + main[p] / 2, v[p]), point(column_edge(col[p], +1), v[p])]
        curved = [False]
        for w in ws:
            through(pts, curved, w, w.column)
        trunks[p] = Wire(pts, curved)

    # Arrowheads entering one box are spread along its side, in the order of their sources.
    routes = []
    for c in nodes:
        k = col[c]
        sources = [(waypoints[(p, k - 1)] if k > col[p] + 1 else p, slot, p)
                   for slot, p in enumerate(parents[c])]
        sources.sort(key=lambda s: (v[s[0]], s[1]))
        spacing = min(ENTRY_SPACING, max(cross[c] - 8.0, 0.0) / max(len(sources) - 1, 1))
        for i, (source, slot, p) in enumerate(sources):
            offset = (i - (len(sources) - 1) / 2) * spacing
            end = [point(column_edge(k, -1), v[c] + offset), point(u_layer[k] - main[c] / 2, v[c] + offset)]
            if source is p:
                start = [point(u_layer[col[p]] + main[p] / 2, v[p]), point(column_edge(col[p], +1), v[p])]
                wire, trunk = Wire(start + end, [False, True, False]), None
            elif sum(1 for child in children[p] if col[child] > col[p] + 1) == 1:
                wire, trunk = Wire(trunks[p].points + end, trunks[p].curved + [True, False]), None
            else:  # a branch off the parent's shared trunk
                start = [point(column_edge(k - 1, +1), v[source])]
                wire, trunk = Wire(start + end, [True, False]), p
            routes.append(EdgeRoute(p, c, slot, wire, trunk))
    used = {route.trunk for route in routes if route.trunk is not None}
    trunks = {p: wire for p, wire in trunks.items() if p in used}  # single edges drew their own

    centres = {n: point(u_layer[col[n]], v[n]) for n in nodes}
    width, height = (extent_main, extent_cross) if direction == "LR" else (extent_cross, extent_main)
    return LayeredLayout(list(nodes), centres, dict(sizes), col, routes, trunks, width, height, crossings,
                         direction)
