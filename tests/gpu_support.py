"""Running a test on a real GPU, or on the guard device in its place.

``KINDS`` parametrizes a test over two kinds of "gpu": the guard (it runs everywhere, so CI
exercises every GPU test without a GPU) and CuPy on a real GPU (marked ``gpu``, so ``-m gpu``
selects it; skipped, with the reason, where no GPU is usable).  Setting
``BACKPROPLAB_GPU_TESTS=guard`` runs the real-GPU variants on the guard as well:
``benchmarks/gpu_check.py --simulate`` uses it to rehearse a GPU run on any machine.
"""

import contextlib
import os

import pytest

from backproplab import backend

SIMULATE = os.environ.get("BACKPROPLAB_GPU_TESTS") == "guard"
_usable, _reason = backend.gpu_status()
needs_gpu = pytest.mark.skipif(not ((_usable and backend._cupy is not None) or SIMULATE),
                               reason=f"no usable GPU: {_reason}")
KINDS = [pytest.param("guard", id="guard"),
         pytest.param("cuda", id="cuda", marks=[pytest.mark.gpu, needs_gpu])]


def gpu(test):
    """Mark a test as needing a real GPU (``-m gpu`` selects it); skipped without one."""
    return pytest.mark.gpu(needs_gpu(test))


@contextlib.contextmanager
def gpu_device(kind: str):
    """Within the block, "gpu" is the guard (kind "guard", or when simulating) or the real GPU."""
    if kind == "guard" or SIMULATE:
        with backend.simulate_gpu():
            yield
    else:
        yield
