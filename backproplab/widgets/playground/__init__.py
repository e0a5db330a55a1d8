"""TensorFlow Playground's controls inside Jupyter, with the gradients made visible.

``settings.py`` checks the settings, ``data.py`` makes the data sets and features,
``core.py`` trains (no widget; the tests drive it), ``drawing.py`` draws the network
picture fast enough to redraw live, ``ui.py`` is the widget.
"""

from .core import PlaygroundCore
from .data import DATASETS, FEATURES, PLANE
from .drawing import PlaygroundPicture
from .settings import ACTIVATIONS, DEFAULTS, MAX_LAYERS, MAX_NEURONS, REGULARIZATIONS
from .ui import Playground

__all__ = ["Playground", "PlaygroundCore", "PlaygroundPicture", "DATASETS", "FEATURES", "ACTIVATIONS",
           "REGULARIZATIONS", "DEFAULTS", "MAX_LAYERS", "MAX_NEURONS", "PLANE"]
