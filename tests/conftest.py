"""Shared test set-up: per-run Jupyter, IPython and matplotlib state."""

import os
import tempfile

_state = tempfile.mkdtemp(prefix="backproplab-test-")
for var in ("MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
    os.environ.setdefault(var, os.path.join(_state, var.lower()))
