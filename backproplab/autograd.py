"""The one backward traversal that scalar mode and tensor mode share, and the node it walks.

``Node`` is the contract in code.  Every node holds

``_parents``
    the nodes it was computed from (a tuple; empty for a leaf): a field of a ``Tensor``;
    a ``Value`` keeps its inputs in fields of its own and builds the tuple when asked;
``_hooks``
    the functions called with the node's gradient (``None`` when there are none);
``_pass_grad``
    scratch space where the gradients of one pass are summed (``None`` otherwise);

and implements three methods that the traversal calls:

``_chain(upstream)``
    the chain rule at this node (a leaf sends nothing): given d(root)/d(node), each parent receives
    ``upstream x local derivative`` (a vector-Jacobian product for tensors), added to what
    it has received in its ``_pass_grad`` (a node used twice gets the sum of both paths);
    returns the gradients sent, one per parent;
``_accumulate(gradient)``
    adds this pass's gradient into ``node.grad`` when the node keeps one;
``_free()``
    drops what the chain rule needed, once it is no longer needed.

``Value`` (scalar mode) and ``Tensor`` (tensor mode) both inherit ``Node``, so the
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

__all__ = ["Node", "HookHandle", "topological_order", "run_backward", "BackwardStep",
           "record_backward_steps"]


class HookHandle:
    """Returned by every ``register_*hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Stop calling the hook (removing it twice is harmless)."""
        for i, registered in enumerate(self._hooks):
            if registered is self._hook:
                del self._hooks[i]
                return


class Node:
    """A node of a computation graph: what the backward traversal needs from ``Value`` and ``Tensor``.

    Subclasses set ``_hooks`` and ``_pass_grad`` in their one set-up method, provide
    ``_parents`` (a field or a property), and implement ``_chain``, ``_accumulate`` and
    ``_free`` (see the module docstring).
    """

    __slots__ = ("_hooks", "_pass_grad")  # ``_parents`` is left to each mode (see above)

    def register_hook(self, hook) -> HookHandle:
        """Call ``hook(gradient)`` when this node's gradient is known; it may return a new one.

        Returns a handle whose ``remove()`` takes the hook off again.
        """
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    def _chain(self, upstream) -> list:
        """Send ``upstream x local derivative`` to each parent; return what was sent."""
        raise NotImplementedError

    def _accumulate(self, gradient) -> None:
        """Add this pass's gradient into ``.grad`` if this node keeps one."""
        raise NotImplementedError

    def _free(self) -> None:
        """Drop what ``_chain`` needed; called once it will not run again."""
        raise NotImplementedError


def topological_order(root) -> list:
    """Return every node that ``root`` depends on, parents before children.

    Iterative depth-first search: a node met for the first time goes back on the stack
    under an ``_EMIT`` marker, and its parents go on top; once they are all done, the
    marker comes back to the top and the node is emitted.
    """
    order = []
    visited = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
            continue
        if node in visited:  # reached again by another path
            continue
        visited.add(node)
        stack.append(node)
        stack.append(_EMIT)
        stack.extend(node._parents)
    return order


_EMIT = object()  # a marker: the node beneath it has had all its parents emitted


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
    root._pass_grad = seed
    try:
        for index, node in enumerate(reversed(order)):
            upstream = node._pass_grad  # complete: every child has sent its part
            if upstream is None:  # no path from root carries a gradient here
                continue
            node._pass_grad = None
            if node._hooks:
                upstream = apply_hooks(node._hooks, upstream)
            node._accumulate(upstream)
            grads = node._chain(upstream)  # a leaf sends nothing
            if on_step is not None:
                on_step(BackwardStep(index, node, upstream, list(zip(node._parents, grads))))
            if not retain_graph:
                node._free()
    except BaseException:
        for node in order:  # leave no partial sums behind
            node._pass_grad = None
        raise


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
