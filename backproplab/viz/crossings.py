"""Step 3 of the layered graph drawing: order each column so that few edges cross.

Barycentre sweeps sort each column by the mean position of each item's neighbours; sifting
then moves each item to its best place in its column; seeded restarts from shuffled orders
escape poor local optima.  Everything is deterministic: a graph is always drawn the same way.
"""

from __future__ import annotations

import random

__all__ = ["order_columns"]

MAX_RESTARTS, RESTART_BUDGET = 64, 2400   # orderings tried while edges still cross


def _pair_crossings(left, right, down) -> int:
    """Edge crossings between two neighbouring columns (pairs of edges whose ends swap order)."""
    pos = {item: i for i, item in enumerate(right)}
    ends = [pos[b] for a in left for b in sorted(down[a], key=pos.__getitem__)]
    return sum(1 for i in range(len(ends)) for j in range(i + 1, len(ends)) if ends[j] < ends[i])


def _count_crossings(layers, down) -> int:
    return sum(_pair_crossings(a, b, down) for a, b in zip(layers, layers[1:]))


def order_columns(layers, up, down):
    """The order of each column with the fewest crossings found: from the given order and from
    seeded shuffles of it.  ``up[item]`` / ``down[item]`` list its neighbours in the columns
    before / after it.  Returns ``(layers, crossings)``.

    The heuristic alone often stops in a poor local optimum (a 2x2 matrix product: 20
    crossings, where 12 are possible); restarts find better ones.  Seeded, so a graph is
    always drawn the same way; fewer restarts for larger graphs, to keep drawing fast.
    """
    best, best_crossings = _order_from(layers, up, down)
    restarts = min(MAX_RESTARTS, max(8, RESTART_BUDGET // sum(len(layer) for layer in layers)))
    for seed in range(restarts if best_crossings else 0):
        rng = random.Random(seed)
        shuffled = [rng.sample(layer, len(layer)) for layer in layers]
        candidate, crossings = _order_from(shuffled, up, down)
        if crossings < best_crossings:
            best, best_crossings = candidate, crossings
    return best, best_crossings


def _order_from(layers, up, down, sweeps=4):
    """Barycentre sweeps, then sifting (each item moved to its best place in its column).

    Sweeps alternate between sorting by the neighbours on one side and on both sides.
    """
    layers = [list(layer) for layer in layers]
    best, best_crossings = [list(layer) for layer in layers], _count_crossings(layers, down)
    for sweep in range(2 * sweeps):
        forward = sweep % 2 == 0
        for k in (range(len(layers)) if forward else range(len(layers) - 1, -1, -1)):
            pos = {item: i for layer in layers[max(k - 1, 0):k + 2] for i, item in enumerate(layer)}

            def barycentre(item):
                ns = (up[item] + down[item]) if sweep < sweeps else (up[item] if forward else down[item])
                return sum(pos[n] for n in ns) / len(ns) if ns else pos[item]
            layers[k].sort(key=barycentre)
        crossings = _count_crossings(layers, down)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    layers = best

    for _ in range(8):  # sifting: move each item to its best place in its column
        improved = False
        for k, layer in enumerate(layers):
            sides = [(up, layers[k - 1])] if k > 0 else []
            sides += [(down, layers[k + 1])] if k + 1 < len(layers) else []
            improved |= _sift(layer, sides)
        if not improved:
            break
    return layers, _count_crossings(layers, down)


def _sift(layer, sides) -> bool:
    """Move each item of ``layer`` to the place with the fewest crossings; True if any moved.

    ``cost[u][v]`` counts the crossings between u's edges and v's edges when u is above v
    (``sides``: the neighbour lists and the fixed column on each side), so trying every
    place for one item takes one pass over the column.
    """
    ends = {}
    for item in layer:
        ends[item] = []
        for neighbours, column in sides:
            pos = {n: i for i, n in enumerate(column)}
            ends[item].append([pos[n] for n in neighbours[item]])
    cost = {u: {v: sum(1 for eu, ev in zip(ends[u], ends[v]) for a in eu for b in ev if a > b)
                for v in layer if v is not u} for u in layer}
    moved = False
    for item in list(layer):
        i = next(j for j, other in enumerate(layer) if other is item)
        del layer[i]
        here = sum(cost[item][y] for y in layer)  # item first, then the rest
        best_j, best_c, at_i = 0, here, None
        for j, y in enumerate(layer):
            if j == i:
                at_i = here
            here += cost[y][item] - cost[item][y]
            if here < best_c:
                best_j, best_c = j + 1, here
        at_i = here if at_i is None else at_i
        if best_c < at_i:
            moved = True
        else:
            best_j = i
        layer.insert(best_j, item)
    return moved
