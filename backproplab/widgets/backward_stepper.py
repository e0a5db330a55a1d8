"""Step through a backward pass node by node, watching the chain rule fill in gradients."""

from __future__ import annotations

import ipywidgets as W

from .._checks import whole_number
from ..autograd import topological_order
from ..scalar import Value
from ..viz.graph import GraphTooLarge, draw_graph
from ..viz.names import expression, node_name
from .base import WidgetBase

__all__ = ["BackwardStepper"]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _factor(x: float) -> str:
    """A number as the second factor of a product: negative ones in parentheses."""
    return f"({_fmt(x)})" if x < 0 else _fmt(x)


def _describe(node) -> str:
    """A node in a sentence: ``L = d × f``, ``y = a × a + a``, ``x1 × w1``, ``a``."""
    name = node.label
    if name and node.parents:
        return f"{name} = {expression(node, {}, depth=3)}"
    return node_name(node)


def _in_derivative(node) -> str:
    """How ``node`` reads in ∂L/∂(...): a bare name, or an expression in parentheses."""
    name = node_name(node)
    return name if name.isidentifier() else f"({name})"


class BackwardStepper(WidgetBase):
    """Replay ``value.backward()`` one node at a time.

    Core (no browser needed): ``step()``, ``back()``, ``reset()``, ``run_all()``,
    ``position`` (steps done), ``current`` (the last ``BackwardStep``), ``known_grads()``
    and ``explanation()``.  The gradients of the graph are left as they were.
    """

    def __init__(self, value, max_nodes: int = 40):
        max_nodes = whole_number(max_nodes, "BackwardStepper: max_nodes")
        super().__init__()
        self.root, self.max_nodes, self.steps, self.position = value, max_nodes, [], 0
        self.problem = None
        if not isinstance(value, Value):
            self.problem = (f"BackwardStepper steps through scalar graphs (bp.Value); got "
                            f"{type(value).__name__}. Build the expression from Values to step through it.")
        else:
            nodes = topological_order(value)
            if len(nodes) > max_nodes:
                self.problem = (f"This graph has {len(nodes)} nodes; the stepper shows at most "
                                f"{max_nodes}. Step through a smaller expression (one neuron).")
            else:
                saved = [(n, n.grad) for n in nodes]
                self.steps = value.backward_steps()
                for n, g in saved:  # replaying must not change the learner's gradients
                    n.grad = g
        self._build_ui()
        self.refresh()

    # ---------------------------------------------------------------- core

    @property
    def current(self):
        """The step just taken (None before the first)."""
        return self.steps[self.position - 1] if self.position else None

    def step(self) -> None:
        """Process the next node: its gradient is complete; send it on to its parents."""
        self.position = min(self.position + 1, len(self.steps))
        self.refresh()

    def back(self) -> None:
        """Undo the last step."""
        self.position = max(self.position - 1, 0)
        self.refresh()

    def reset(self) -> None:
        """Go back to the start (no gradient known)."""
        self.position = 0
        self.refresh()

    def run_all(self) -> None:
        """Finish the backward pass."""
        self.position = len(self.steps)
        self.refresh()

    def known_grads(self) -> dict:
        """d(root)/d(node) for every node processed so far."""
        return {s.node: s.upstream for s in self.steps[: self.position]}

    def explanation(self) -> str:
        """The chain-rule arithmetic of the current step, in words.

        Before the first step: where the pass starts (∂L/∂L = 1).  At each step: the node,
        its now complete gradient, and what it sends to each input, upstream × local
        derivative; at a leaf, that its gradient is final.
        """
        if self.problem:
            return self.problem
        out = _in_derivative(self.root)
        if self.position == 0:
            return (f"The backward pass visits {len(self.steps)} nodes, from the output "
                    f"{node_name(self.root)} back to the inputs. It starts with ∂{out}/∂{out} = 1. "
                    "Press 'step ▶'.")
        s = self.current
        name = _in_derivative(s.node)
        received = [g for step in self.steps[: self.position - 1]
                    for p, g in step.contributions if p is s.node]
        total = (f"the sum of what its {len(received)} paths sent, {' + '.join(map(_factor, received))} = "
                 if len(received) > 1 else "")
        head = (f"Step {self.position} of {len(self.steps)}: node {_describe(s.node)}. Its gradient is "
                f"complete: ∂{out}/∂{name} = {total}{_fmt(s.upstream)}.")
        if not s.contributions:
            tail = " It is an input (a leaf): nothing lies further back, so this gradient is final."
        else:
            parts = [f"to {_in_derivative(p)}: {_fmt(s.upstream)} × {_factor(local)} = {_fmt(g)}"
                     for (p, g), local in zip(s.contributions, s.node.local_grads)]
            tail = " It sends upstream × local derivative to each input: " + "; ".join(parts) + "."
        if self.position == len(self.steps):
            tail += " The backward pass is complete."
        return head + tail

    # ---------------------------------------------------------------- view

    def _build_ui(self):
        buttons = []
        for label, action in (("⟲ reset", self.reset), ("◀ back", self.back), ("step ▶", self.step),
                              ("run all ▶▶", self.run_all)):
            button = W.Button(description=label, layout=W.Layout(width="110px"))
            button.on_click(lambda _b, act=action: act())
            buttons.append(button)
        self.buttons = buttons
        self.ui = W.VBox([W.HBox(buttons), self.message, self.image])
        self._finish_ui("bp-backward-stepper")

    def refresh(self) -> None:
        """Redraw the graph and the explanation for the current position."""
        if self.problem:
            self.show_message(self.problem, problem=True)
            return
        self.show_message(self.explanation())
        # Boxes are sized for the finished pass, so the picture does not move while gradients fill in.
        final = {s.node: s.upstream for s in self.steps}
        try:
            ax = draw_graph(self.root, grads=self.known_grads(), size_grads=final,
                            highlight=self.current.node if self.current else None, max_nodes=self.max_nodes)
        except GraphTooLarge as exc:
            self.show_message(str(exc), problem=True)
            return
        self.show_figure(ax.figure)
