"""What every widget shares: a picture that updates in place and a message line.

The picture is an ``ipywidgets.Image`` whose PNG bytes are replaced on each update, so
nothing flickers and no new figure piles up below the cell.  Problems (an unsupported
model, a graph too large to draw) are shown in the message line instead of a traceback.
"""

from __future__ import annotations

import html

import ipywidgets as W
from matplotlib.figure import Figure

from ..viz.render import figure_png

__all__ = ["WidgetBase"]


class WidgetBase:
    """A widget with a pure-Python core; ``ui`` is the ipywidgets layout shown in Jupyter."""

    figsize = (8, 3.6)

    def __init__(self):
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.message = W.HTML()
        self.ui = None  # built by each widget

    def new_figure(self, ncols: int = 1) -> tuple[Figure, list]:
        """A fresh stand-alone figure (not pyplot's) with ``ncols`` axes."""
        fig = Figure(figsize=self.figsize, dpi=90)
        axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
        return fig, axes

    def show_figure(self, fig) -> None:
        """Replace the picture with ``fig``."""
        self.image.value = figure_png(fig)

    def show_message(self, text: str, problem: bool = False) -> None:
        """Write a line of text under the controls (red when it reports a problem)."""
        color = "#b91c1c" if problem else "#1e293b"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _finish_ui(self, css_class: str) -> None:
        """Tag the layout with a CSS class (browser tests find each widget by it)."""
        self.ui.add_class("bp-widget")
        self.ui.add_class(css_class)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.ui._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        # A short, stable text form: the default one lists every control's state.
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self):
        return f"<{type(self).__name__} widget>"
