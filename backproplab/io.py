"""Saving and loading weights as ``.npz`` files: plain arrays, never pickled code.

``save`` writes to a temporary file beside the target and renames it, so an
interrupted save never leaves a half-written file.  ``load`` opens the file with
``allow_pickle=False`` (loading weights can never execute code) and checks every name
and shape against the model before copying anything.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load"]


def save(module, path) -> None:
    """Write ``module.state_dict()`` to ``path`` (an ``.npz`` file), atomically."""
    path = os.fspath(path)
    state = module.state_dict()
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".backproplab-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **state)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(module, path):
    """Load weights saved by ``save`` into ``module`` (in place) and return the module.

    Raises ``ValueError`` listing every missing, unexpected or mis-shaped entry.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            state = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"No weights file at {path!r}.") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValueError(f"{path!r} is not a weights file written by bp.save ({exc}).") from None
    module.load_state_dict(state)
    return module
