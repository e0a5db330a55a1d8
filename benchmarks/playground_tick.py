"""How long one tick of the Playground takes: a few training steps plus a redraw.

A tick is what one beat of the Play button asks of the kernel: ``epochs_per_tick`` epochs
(one by default: 200 training points in batches of 10 = 20 SGD steps through the
package's own MLP, losses and optimizer) and a new picture (every neuron's heat map, the
edges, the decision surface, the loss curves, encoded as PNG).  The network is 4 hidden
layers of 8 neurons (a 4 × 8 network), tanh, on the spiral set.  The goal is at most
150 ms per tick on 2 cores, so that training looks live.

Timed on the real widget, headless (``Playground.tick()``), with the picture's two modes
(weights and "show gradients").  Each configuration runs in blocks of ticks after a
warm-up; the script prints the median tick of every block and takes the fastest block
(the one least disturbed by other work on a shared machine), with its training / drawing
split.  CPU time against wall time shows whether the machine was busy with other work:
near 1.0 the process had a core to itself; well below, it waited for one, and the CPU
time per tick (the lowest block mean) is then the better estimate of an idle machine.

Run:  python benchmarks/playground_tick.py [--threads 2] [--blocks 5] [--ticks 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import backproplab
from backproplab.widgets import Playground


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def limit_threads(threads: int) -> str:
    """Limit NumPy's BLAS to ``threads`` (with threadpoolctl, if installed)."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "BLAS threads not limited (threadpoolctl is not installed)"
    threadpool_limits(threads)
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']} threads" for p in threadpool_info())
    return pools or "no BLAS thread pool found"


def time_ticks(pg: Playground, ticks: int) -> tuple[list, list, float, float]:
    """Per-tick wall times, per-tick training times, and the block's wall and CPU seconds."""
    walls, trains = [], []
    core_step = pg.core.step

    def timed_step(epochs=1):  # measure the training part of each tick on its own
        t = time.perf_counter()
        result = core_step(epochs)
        trains.append(time.perf_counter() - t)
        return result

    pg.core.step = timed_step
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(ticks):
        t = time.perf_counter()
        assert pg.tick(), "the tick did not train"
        walls.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    pg.core.step = core_step
    return walls, trains, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--ticks", type=int, default=20, help="ticks per block")
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    pools = limit_threads(args.threads)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPU: {cpu_name()}; {cores} cores usable, {os.cpu_count()} in the machine; {pools}")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"backproplab {backproplab.__version__}; "
          f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'mode':>10} {'block medians (ms)':>36} {'best ms':>8} {'train ms':>9} {'draw ms':>8} "
          f"{'max ms':>7} {'cpu/wall':>8} {'cpu ms/tick':>11}")
    results = {}
    for mode in ("weights", "gradients"):
        pg = Playground(dataset="spiral", hidden=(8, 8, 8, 8), activation="tanh", batch_size=10)
        pg.gradient_switch.value = mode == "gradients"
        pg.play()
        time_ticks(pg, args.warmup)
        blocks = [time_ticks(pg, args.ticks) for _ in range(args.blocks)]
        medians = [statistics.median(walls) for walls, *_ in blocks]
        best = min(range(len(blocks)), key=medians.__getitem__)
        walls, trains, wall, cpu = blocks[best]
        train = statistics.median(trains)
        results[mode] = medians[best]
        cpu_per_tick = min(b[3] / len(b[0]) for b in blocks)
        print(f"{mode:>10} {' '.join(f'{m * 1e3:6.1f}' for m in medians):>36} {medians[best] * 1e3:8.1f} "
              f"{train * 1e3:9.1f} {(medians[best] - train) * 1e3:8.1f} {max(walls) * 1e3:7.1f} "
              f"{cpu / wall:8.2f} {cpu_per_tick * 1e3:11.1f}")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    worst = max(results.values())
    verdict = "met" if worst <= 0.150 else "NOT met"
    print(f"goal: one tick of a 4 x 8 network in at most 150 ms -- {verdict} ({worst * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
