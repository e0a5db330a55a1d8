"""What the benchmarks ran on: the CPU, its vector extensions, and the BLAS kernels in use."""

from __future__ import annotations

import platform
import time

import numpy as np

VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "amx_tile", "amx_bf16")


def cpu_description() -> str:
    """The CPU's model name and which vector extensions it has (from /proc/cpuinfo)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name") and ":" in line:
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and ":" in line:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:  # not Linux: the model name is all there is
        pass
    present = [f for f in VECTOR_FLAGS if f in flags]
    return f"{model}; vector flags: {' '.join(present) or 'unknown'}"


def blas_description() -> str:
    """NumPy's BLAS library and the kernel it chose for this CPU (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not blas:
        return "NumPy BLAS: unknown"
    b = blas[0]
    return f"NumPy BLAS: {b.get('internal_api')} {b.get('version')}, kernel {b.get('architecture')}"


def torch_description() -> str:
    """PyTorch's version and the CPU kernels it dispatches to."""
    try:
        import torch
    except ImportError:
        return "PyTorch: not installed"
    capability = torch.backends.cpu.get_cpu_capability()
    return (f"PyTorch {torch.__version__}: CPU capability {capability}, "
            f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")


def threads_from_command_line(description: str) -> int:
    """Read ``--threads`` (default 2), limit NumPy's BLAS to it, print the machine, return it."""
    import argparse

    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=2)
    threads = parser.parse_args().threads
    threadpool_limits(threads)
    print(describe(threads))
    return threads


def describe(threads: int) -> str:
    """All of the above in a few lines, for the top of a benchmark's output."""
    return "\n".join([f"CPU: {cpu_description()}", blas_description(), torch_description(),
                      f"Python {platform.python_version()}, NumPy {np.__version__}, {threads} threads"])


def fastest_run(fn, runs: int, calls: int) -> float:
    """Seconds per call of ``fn``: the fastest of ``runs`` runs of ``calls`` consecutive calls."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def fastest_block(fn, seconds: float, blocks: int, calibrate: float) -> float:
    """Seconds per call of ``fn``: the fastest of ``blocks`` blocks of consecutive calls.

    Calls ``fn`` for ``calibrate`` seconds first to size the blocks so that all of them
    together take about ``seconds``.  The fastest block is the one least disturbed by the
    rest of a shared machine (as ``timeit`` recommends).
    """
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < calibrate:
        fn()
        calls += 1
    return fastest_run(fn, blocks, max(1, int(calls * seconds / blocks / calibrate)))


if __name__ == "__main__":
    print(describe(2))
