"""The stored notebook outputs are what another CPU computes, not only this one.

The suite already runs every notebook under nbval on this machine's BLAS. Here each notebook
runs again in a fresh pytest process whose OpenBLAS uses another kernel (Prescott: plain SSE
instead of AVX2/AVX-512) on one thread, so every matrix product rounds differently, as on a
learner's laptop. A training result printed more precisely than its run-to-run spread fails
here. ``scripts/check_notebooks.py`` checks more configurations outside the suite.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OTHER_BLAS = {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_gives_its_stored_outputs_under_another_blas_kernel(path):
    env = {**os.environ, **OTHER_BLAS}
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "--color=no",
         str(path.relative_to(ROOT))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    failed = re.findall(r"^FAILED \S+::(Cell \d+)", result.stdout, re.M)
    if result.returncode != 0:
        pytest.fail(f"{path.name} under OPENBLAS_CORETYPE=Prescott OPENBLAS_NUM_THREADS=1: "
                    f"{', '.join(failed) or 'pytest failed'} differ from the stored outputs.\n"
                    f"{result.stdout[-3000:]}", pytrace=False)
