"""Capture every node's gradient during a backward pass, for pictures.

A tensor graph keeps ``.grad`` only on its leaves: the gradients of inner nodes are summed,
used and dropped during the pass.  ``capture_gradients`` puts a hook on every node of a
graph that records the gradient the node receives, d(root)/d(node), as the pass reaches it.
"""

from __future__ import annotations

from ..autograd import topological_order

__all__ = ["capture_gradients"]


class capture_gradients:  # noqa: N801 - used like a function: ``with capture_gradients(loss) as grads``
    """Record d(root)/d(node) for every node of ``root``'s graph during the next backward pass.

    Use it as a context manager around ``backward``; inside, ``grads`` (a dict) fills in, and
    on leaving, the hooks are removed again (so later training is not slowed or changed)::

        with bp.viz.capture_gradients(loss) as grads:
            loss.backward(retain_graph=True)
        grads[some_node]     # the gradient that node received (a copy)

    The hooks only read: they never change a gradient.  If several passes run inside the
    block, ``grads`` holds those of the last one.
    """

    def __init__(self, root):
        if not hasattr(root, "_parents"):
            raise TypeError(f"capture_gradients needs a Value or a Tensor, got {type(root).__name__}.")
        self.grads: dict = {}
        self._hooked = []
        for node in topological_order(root):
            self._hooked.append((node, node.register_hook(self._recorder(node))))

    def _recorder(self, node):
        def record(gradient):
            copy = getattr(gradient, "copy", None)  # arrays may be changed later (clipping)
            self.grads[node] = copy() if copy is not None else gradient
        return record

    def remove(self) -> None:
        """Take the hooks off the graph's nodes (``grads`` stays)."""
        for node, handle in self._hooked:
            handle.remove()
            if not node._hooks:  # the graph is left as it was found
                node._hooks = None
        self._hooked = []

    def __enter__(self) -> dict:
        return self.grads

    def __exit__(self, *exc) -> None:
        self.remove()
