"""The one backward traversal that scalar mode and tensor mode share.

A *node* is any object that offers four things:

``_parents``
    the nodes it was computed from (a tuple; empty for a leaf);
``_chain(upstream)``
    the chain rule for this node: given d(root)/d(node) it returns one gradient
    per parent, ``upstream x local derivative`` (a vector-Jacobian product for tensors);
``_accumulate(gradient)``
    adds this pass's gradient into ``node.grad`` when the node keeps one;
``_free()``
    drops what the chain rule needed, once it is no longer needed;
``_hooks``
    a list of functions called with the node's gradient (or ``None``);
``_pass_grad``
    scratch space for the gradient being summed during a pass (``None`` otherwise).

``Value`` (scalar mode) and ``Tensor`` (tensor mode) both implement these, so the
traversal below, the hooks and the step-by-step replay serve both modes.

Backward runs in two phases:

1. **order** the graph topologically with an explicit stack (no recursion, so a chain
   of a million operations is fine);
2. **sweep** it from the root back to the leaves.  Each node's upstream gradient is the
   sum of what its children sent it; it is complete by the time the node is reached,
   because every child comes before its parents in the reversed order.

Gradients of one pass are summed in each node's ``_pass_grad`` first and only then
added to ``.grad``.  That keeps repeated ``backward()`` calls correct: ``.grad`` accumulates
*whole* gradients across calls (until ``zero_grad()``), never partial sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["topological_order", "run_backward", "BackwardStep", "record_backward_steps"]


def topological_order(root) -> list:
    """Return every node that ``root`` depends on, parents before children.

    Iterative depth-first search: each node is pushed once to be *expanded* (its
    parents pushed) and once more to be *emitted* after all its parents.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._parents:
            if parent not in visited:
                stack.append((parent, False))
    return order


@dataclass
class BackwardStep:
    """One node's turn in the backward sweep, recorded for replay and teaching.

    ``upstream`` is d(root)/d(node); ``contributions`` holds, for each parent,
    the gradient this node sends it (upstream x local derivative).
    """

    index: int
    node: Any
    upstream: Any
    contributions: list = field(default_factory=list)


def run_backward(
    root,
    seed,
    retain_graph: bool = True,
    on_step: Callable[[BackwardStep], None] | None = None,
) -> None:
    """Backpropagate ``seed`` (d(root)/d(root)) from ``root`` to every node upstream.

    ``retain_graph=False`` frees each node's saved values as soon as its chain rule
    has run.  ``on_step`` (if given) is called once per node with a ``BackwardStep``.
    """
    order = topological_order(root)
    # Each node's ``_pass_grad`` collects what its children send it during this pass.
    root._pass_grad = seed
    try:
        for index, node in enumerate(reversed(order)):
            upstream = node._pass_grad
            if upstream is None:  # no path from root carries a gradient here
                continue
            node._pass_grad = None
            if node._hooks:
                upstream = apply_hooks(node._hooks, upstream)
            node._accumulate(upstream)
            parents = node._parents
            grads = node._chain(upstream) if parents else ()
            for parent, grad in zip(parents, grads):
                if grad is not None:
                    previous = parent._pass_grad
                    parent._pass_grad = grad if previous is None else previous + grad
            if on_step is not None:
                on_step(BackwardStep(index, node, upstream, list(zip(parents, grads))))
            if not retain_graph:
                node._free()
    finally:
        for node in order:  # leave no partial sums behind if a step raised
            node._pass_grad = None


def record_backward_steps(root, seed) -> list[BackwardStep]:
    """Run a backward pass from ``root`` and return every step it took, in order."""
    steps: list[BackwardStep] = []
    run_backward(root, seed, retain_graph=True, on_step=steps.append)
    return steps


def apply_hooks(hooks: Iterable[Callable] | None, gradient):
    """Call each hook with the gradient; a hook may return a replacement gradient."""
    if hooks:
        for hook in hooks:
            replaced = hook(gradient)
            if replaced is not None:
                gradient = replaced
    return gradient
