"""Tensor mode against PyTorch CPU and a hand-written NumPy step, in one process.

One training step = forward (ReLU MLP), softmax cross-entropy, backward, plain SGD.
Sizes: 784-256-256-10 at batch 128 and 16, and 2-16-16-2 at batch 100 (pure overhead).
All three start from the same float32 weights and data, and the script checks that their
losses agree before timing.  Threads are set equal for NumPy's BLAS and PyTorch.

Also checks for graph leaks: traced memory after 1,000 steps is compared with after 100.

Run:  python benchmarks/mlp_step.py [--threads 2]
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc

import numpy as np

import backproplab as bp

CONFIGS = [((784, 256, 256, 10), 128), ((784, 256, 256, 10), 16), ((2, 16, 16, 2), 100)]
LR = 0.01


def make_problem(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    model = bp.nn.MLP(sizes[0], sizes[1:], activation="relu", seed=seed)
    weights = [(layer.weight.numpy().copy(), layer.bias.numpy().copy()) for layer in model.layers]
    return x, y, model, weights


class NumpyFloor:
    """The same step written by hand with NumPy: no graph, no Python objects per op."""

    def __init__(self, weights):
        self.params = [(w.copy(), b.copy()) for w, b in weights]

    def step(self, x, y):
        acts, h = [x], x
        for i, (w, b) in enumerate(self.params):
            h = h @ w.T + b
            if i < len(self.params) - 1:
                h = np.maximum(h, 0)
            acts.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(y))
        loss = -log_probs[rows, y].mean()
        g = np.exp(log_probs)
        g[rows, y] -= 1
        g /= len(y)
        for i in reversed(range(len(self.params))):
            w, b = self.params[i]
            gw, gb = g.T @ acts[i], g.sum(axis=0)
            if i > 0:
                g = (g @ w) * (acts[i] > 0)
            w -= LR * gw
            b -= LR * gb
        return float(loss)


class BackproplabStep:
    def __init__(self, model):
        self.model, self.opt = model, bp.optim.SGD(model.parameters(), lr=LR)

    def step(self, x, y):
        loss = bp.losses.cross_entropy(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class TorchStep:
    def __init__(self, weights):
        import torch

        self.torch = torch
        layers = []
        for i, (w, b) in enumerate(weights):
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(weights) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x, y):
        loss = self.torch.nn.functional.cross_entropy(self.model(x), y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def interleaved_step_times(runners, seconds=3.0, blocks=9):
    """Seconds per step for each ``(step, x, y)``: the fastest of alternating blocks.

    Alternating the runners block by block exposes them to the same machine load, and the
    fastest block of each (as ``timeit`` recommends) is the least disturbed by other work
    on a shared machine.
    """
    per_block = []
    for step, x, y in runners:
        for _ in range(3):
            step(x, y)  # warm up
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.1:
            step(x, y)
            n += 1
        per_block.append(max(1, int(n * seconds / len(runners) / blocks / 0.1)))
    times = [[] for _ in runners]
    for _ in range(blocks):
        for k, (step, x, y) in enumerate(runners):
            t0 = time.perf_counter()
            for _ in range(per_block[k]):
                step(x, y)
            times[k].append((time.perf_counter() - t0) / per_block[k])
    return [min(t) for t in times]


def leak_check(sizes=(2, 16, 16, 2), batch=100):
    x, y, model, _ = make_problem(sizes, batch)
    runner = BackproplabStep(model)
    tracemalloc.start()
    for _ in range(100):
        runner.step(x, y)
    gc.collect()
    after_100 = tracemalloc.get_traced_memory()[0]
    for _ in range(900):
        runner.step(x, y)
    gc.collect()
    after_1000 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after_100, after_1000


def limit_threads(threads: int) -> None:
    """Give NumPy's BLAS and PyTorch the same number of threads."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    limit_threads(args.threads)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__}, {args.threads} threads")
    print(f"{'sizes':>18} {'batch':>5} {'numpy µs':>9} {'torch µs':>9} {'bp µs':>9} "
          f"{'bp/numpy':>8} {'bp/torch':>8}")
    for sizes, batch in CONFIGS:
        x, y, model, weights = make_problem(sizes, batch)
        floor, ours, theirs = NumpyFloor(weights), BackproplabStep(model), TorchStep(weights)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        xb = bp.Tensor(x)
        losses = [floor.step(x, y), ours.step(xb, y), theirs.step(xt, yt)]
        assert max(losses) - min(losses) < 1e-4 * max(1.0, abs(losses[0])), losses
        t_np, t_bp, t_torch = interleaved_step_times(
            [(floor.step, x, y), (ours.step, xb, y), (theirs.step, xt, yt)])
        name = "-".join(map(str, sizes))
        print(f"{name:>18} {batch:>5} {t_np * 1e6:9.1f} {t_torch * 1e6:9.1f} {t_bp * 1e6:9.1f} "
              f"{t_bp / t_np:8.2f} {t_bp / t_torch:8.2f}")
    before, after = leak_check()
    print(f"traced memory after 100 steps: {before / 1024:.1f} KiB, after 1000: {after / 1024:.1f} KiB "
          f"({'no growth' if after <= before * 1.02 else 'GROWS'})")


if __name__ == "__main__":
    main()
