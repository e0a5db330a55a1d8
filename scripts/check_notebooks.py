"""Run the course under nbval on several CPU/BLAS configurations and report which cells differ.

A learner's machine rounds differently from the one that stored the outputs: another BLAS
kernel (Apple Accelerate, MKL, another OpenBLAS kernel), another thread count, another set of
SIMD instructions in NumPy's own loops. OpenBLAS (as bundled with NumPy's wheels) lets us
imitate the first two with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_NUM_THREADS``, and NumPy the
third with ``NPY_DISABLE_CPU_FEATURES``. The test suite runs the notebooks twice (as they are,
and under ``prescott-1t``); this script checks the whole matrix below.

    python scripts/check_notebooks.py                       # every notebook, every configuration
    python scripts/check_notebooks.py notebooks/04_*.ipynb  # some notebooks
    python scripts/check_notebooks.py --configs default,prescott-1t --jobs 2

Exit status 0 when every notebook passes strict nbval under every configuration chosen.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Kernel families that OpenBLAS's DYNAMIC_ARCH build tells apart on x86-64: Prescott (plain
# SSE, reported as "Katmai"), Nehalem (SSE4), Sandybridge (AVX), Haswell (AVX2, also chosen
# for Zen) and SkylakeX (AVX-512).
CONFIGS: dict[str, dict[str, str]] = {
    "default": {},
    "prescott-1t": {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"},
    "nehalem-2t-sse-numpy": {"OPENBLAS_CORETYPE": "Nehalem", "OPENBLAS_NUM_THREADS": "2",
                             "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
    "sandybridge-3t": {"OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_NUM_THREADS": "3"},
    "haswell-4t-avx2-numpy": {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "4",
                              "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"},
    "skylakex-1t": {"OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_NUM_THREADS": "1"},
}


def _available_cpu_features() -> set[str]:
    """NumPy's dispatchable CPU features this machine has (disabling any other one warns)."""
    output = subprocess.run(
        [sys.executable, "-c", "from numpy._core._multiarray_umath import __cpu_features__ as f;"
                               "print(' '.join(k for k, v in f.items() if v))"],
        capture_output=True, text=True, check=True).stdout
    return set(output.split())


def environment(config: str, available: set[str]) -> dict[str, str]:
    """The process environment for one configuration, with unusable NumPy features dropped."""
    env = dict(os.environ)
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES"):
        env.pop(key, None)
    for key, value in CONFIGS[config].items():
        if key == "NPY_DISABLE_CPU_FEATURES":
            value = " ".join(f for f in value.split() if f in available)
            if not value:
                continue
        env[key] = value
    return env


def run(config: str, notebooks: list[str], available: set[str]) -> tuple[str, int, list[str], float]:
    """Run nbval on the notebooks under one configuration; return the failing cells."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nbcheck-") as state:
        env = environment(config, available)
        for var in ("MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[var] = os.path.join(state, var.lower())
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "--color=no",
             *notebooks],
            cwd=ROOT, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (\S+::Cell \d+)", result.stdout, re.M)
    if result.returncode != 0 and not failed:
        failed = [f"pytest exited {result.returncode}: {result.stdout[-400:]}{result.stderr[-400:]}"]
    return config, result.returncode, failed, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to check (default: all)")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, from: {', '.join(CONFIGS)}")
    parser.add_argument("--jobs", type=int, default=1, help="configurations run at the same time")
    args = parser.parse_args()
    stored = (ROOT / "notebooks").glob("*.ipynb")
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in stored)
    configs = args.configs.split(",")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {unknown}; choose from {list(CONFIGS)}")
    available = _available_cpu_features()
    failures = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for config, code, failed, seconds in pool.map(lambda c: run(c, notebooks, available), configs):
            status = "passed" if code == 0 else f"FAILED ({len(failed)} cells)"
            print(f"{config:24} {status:18} {seconds:6.0f} s", flush=True)
            for cell in failed:
                print(f"    {cell}", flush=True)
            failures += code != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
