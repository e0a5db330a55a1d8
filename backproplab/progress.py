"""One switch for every progress bar the package draws.

Bars come from ``tqdm.auto`` (a widget in Jupyter, text elsewhere) when tqdm is
installed.  ``set_progress_bars(False)`` turns them all off, as does the environment
variable ``BACKPROPLAB_PROGRESS=0``; ``fit(progress=False)`` turns off one.
"""

from __future__ import annotations

import os

__all__ = ["set_progress_bars", "progress_bar"]

_enabled = os.environ.get("BACKPROPLAB_PROGRESS", "1") != "0"


def set_progress_bars(enabled: bool) -> None:
    """Switch every progress bar of the package on or off."""
    global _enabled
    _enabled = bool(enabled)


class _NoBar:
    """Stands in for a bar when bars are off: accepts the same calls, draws nothing."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


def progress_bar(total: int, description: str, enabled: bool = True):
    """A tqdm.auto bar over ``total`` steps, or a silent stand-in when bars are off."""
    if not (enabled and _enabled):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return _NoBar()
    return tqdm(total=total, desc=description, leave=True)
