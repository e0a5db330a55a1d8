"""Turn a matplotlib figure into PNG bytes (what the widgets show in an Image)."""

from __future__ import annotations

import io

__all__ = ["figure_png"]


def figure_png(fig) -> bytes:
    """The figure rendered as PNG bytes, without pyplot and without a display."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
