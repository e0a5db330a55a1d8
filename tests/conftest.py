"""Shared test set-up: a headless matplotlib and per-run Jupyter/IPython state."""

import os
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
_state = tempfile.mkdtemp(prefix="backproplab-test-")
for var in ("MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
    os.environ.setdefault(var, os.path.join(_state, var.lower()))
