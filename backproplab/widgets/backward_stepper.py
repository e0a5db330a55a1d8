"""Step through a backward pass node by node, watching the chain rule fill in gradients."""

from __future__ import annotations

import ipywidgets as W

from .._checks import whole_number
from ..autograd import topological_order
from ..scalar import Value
from ..viz.graph import GraphTooLarge, draw_graph
from .base import WidgetBase

__all__ = ["BackwardStepper"]


def _describe(node) -> str:
    name = node.label or (f"({node.op})" if node.op else "leaf")
    return f"{name} = {node.op}" if node.label and node.op else name


class BackwardStepper(WidgetBase):
    """Replay ``value.backward()`` one node at a time.

    Core (no browser needed): ``step()``, ``back()``, ``reset()``, ``run_all()``,
    ``position`` (steps done), ``current`` (the last ``BackwardStep``), ``known_grads()``
    and ``explanation()``.  The gradients of the graph are left as they were.
    """

    figsize = (9, 4)

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
        """The chain-rule arithmetic of the current step, in words."""
        if self.problem:
            return self.problem
        if self.position == 0:
            return (f"Backward pass over {len(self.steps)} nodes. It starts at the output: "
                    f"d{_describe(self.root)}/d itself = 1. Press 'step'.")
        s = self.current
        head = (f"Step {self.position} of {len(self.steps)}: {_describe(s.node)} has its full gradient "
                f"{s.upstream:.4g}.")
        if not s.contributions:
            return head + " It is a leaf: nothing further back."
        parts = [f"to {_describe(p)}: {s.upstream:.4g} × local {local:.4g} = {g:.4g}"
                 for (p, g), local in zip(s.contributions, s.node.local_grads)]
        return head + " Upstream × local derivative, " + "; ".join(parts) + "."

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
        fig, (ax,) = self.new_figure()
        try:
            draw_graph(self.root, ax=ax, grads=self.known_grads(),
                       highlight=self.current.node if self.current else None, max_nodes=self.max_nodes)
        except GraphTooLarge as exc:
            self.show_message(str(exc), problem=True)
            return
        self.show_figure(fig)
