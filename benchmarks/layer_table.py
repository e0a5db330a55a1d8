"""Forward and backward time per layer type against PyTorch CPU, each library in its own process.

Layers: Conv2d, MaxPool2d, AvgPool2d, Linear, LayerNorm, Embedding, one LSTM step and
causal multi-head self-attention, each at a small size (LeNet / notebook scale) and a
larger one.  Every input asks for its gradient, so the backward time includes the
input's gradient.  backproplab's pooling layers get their input and upstream gradient in
the batch-last layout a convolution hands them (see ``backproplab/conv.py``); the rest gets
ordinary C-ordered arrays.  Each library runs in fresh processes with the same number of
threads; the parent alternates them for several rounds and keeps each entry's fastest.
The backward time is (forward + backward) minus forward.

Run:  python benchmarks/layer_table.py [--threads 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, fastest_block  # noqa: E402

# name -> (small size, large size); each size is the arguments of the builders below
CASES = {
    "Conv2d": ((64, 6, 12, 16, 5, 0), (128, 32, 16, 64, 3, 1)),  # N, C, H(=W), F, k, padding
    "MaxPool2d": ((64, 6, 24), (128, 32, 32)),  # N, C, H(=W); 2x2 windows
    "AvgPool2d": ((64, 6, 24), (128, 32, 32)),
    "Linear": ((64, 256, 120), (128, 1024, 512)),  # N, in, out
    "LayerNorm": ((64, 8, 32), (128, 64, 256)),  # N, T, features
    "Embedding": ((64, 8, 14, 32), (128, 64, 5000, 256)),  # N, T, vocabulary, dim
    "LSTM step": ((32, 32, 128), (128, 256, 512)),  # N, in, hidden
    "attention": ((64, 8, 32, 4), (32, 64, 256, 8)),  # N, T, d_model, heads
}


def backproplab_case(name, size, rng):
    """(layer as a function of its input, the input, the parameters) in backproplab."""
    import backproplab as bp
    from backproplab.conv import batch_last

    nn, f32 = bp.nn, np.float32

    def tensor(shape, grad=True):
        return bp.Tensor(rng.standard_normal(shape).astype(f32), requires_grad=grad)

    if name == "Conv2d":
        n, c, h, f, k, p = size
        layer = nn.Conv2d(c, f, k, padding=p, seed=0)
        return layer, tensor((n, c, h, h)), layer.parameters()
    if name in ("MaxPool2d", "AvgPool2d"):
        n, c, h = size
        x = rng.standard_normal((n, c, h, h)).astype(f32)
        stored = batch_last(x).transpose(3, 0, 1, 2)  # as a convolution hands it over
        return getattr(nn, name)(2), bp.Tensor(stored, requires_grad=True), []
    if name == "Linear":
        n, i, o = size
        layer = nn.Linear(i, o, seed=0)
        return layer, tensor((n, i)), layer.parameters()
    if name == "LayerNorm":
        n, t, d = size
        layer = nn.LayerNorm(d)
        return layer, tensor((n, t, d)), layer.parameters()
    if name == "Embedding":
        n, t, v, d = size
        layer = nn.Embedding(v, d, seed=0)
        return layer, rng.integers(0, v, (n, t)), layer.parameters()
    if name == "LSTM step":
        n, i, h = size
        layer = nn.LSTM(i, h, seed=0)
        return (lambda x: layer(x)[0]), tensor((n, 1, i)), layer.parameters()
    n, t, d, heads = size
    layer = nn.MultiHeadSelfAttention(d, heads, seed=0)
    return layer, tensor((n, t, d)), layer.parameters()


def pytorch_case(name, size, rng):
    """The same in PyTorch."""
    import torch
    from torch import nn
    from torch_models import Attention

    def tensor(shape, grad=True):
        return torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)

    if name == "Conv2d":
        n, c, h, f, k, p = size
        layer = nn.Conv2d(c, f, k, padding=p)
        return layer, tensor((n, c, h, h)), list(layer.parameters())
    if name in ("MaxPool2d", "AvgPool2d"):
        n, c, h = size
        return getattr(nn, name)(2), tensor((n, c, h, h)), []
    if name == "Linear":
        n, i, o = size
        layer = nn.Linear(i, o)
        return layer, tensor((n, i)), list(layer.parameters())
    if name == "LayerNorm":
        n, t, d = size
        layer = nn.LayerNorm(d)
        return layer, tensor((n, t, d)), list(layer.parameters())
    if name == "Embedding":
        n, t, v, d = size
        layer = nn.Embedding(v, d)
        return layer, torch.from_numpy(rng.integers(0, v, (n, t))), list(layer.parameters())
    if name == "LSTM step":
        n, i, h = size
        layer = nn.LSTM(i, h, batch_first=True)
        return (lambda x: layer(x)[0]), tensor((n, 1, i)), list(layer.parameters())
    n, t, d, heads = size
    layer = Attention(d, heads)
    return layer, tensor((n, t, d)), list(layer.parameters())


def best_time(fn, seconds=0.15, blocks=5):
    """Seconds per call after one warm-up call: the fastest of ``blocks`` timed blocks."""
    fn()
    return fastest_block(fn, seconds, blocks, calibrate=0.03)


def worker(lib: str, threads: int) -> dict:
    """Forward and backward microseconds of every case, in this process."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
    results = {}
    for name, sizes in CASES.items():
        for which, size in zip(("small", "large"), sizes):
            rng = np.random.default_rng(0)
            layer, x, params = (pytorch_case if lib == "torch" else backproplab_case)(name, size, rng)
            grad = rng.standard_normal(tuple(layer(x).shape)).astype(np.float32)
            if lib == "bp" and name.endswith("Pool2d"):  # as the next convolution sends it back
                grad = np.ascontiguousarray(grad.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
            if lib == "torch":
                import torch

                grad = torch.from_numpy(grad)
            inputs = params + ([x] if getattr(x, "requires_grad", False) else [])

            def forward():
                return layer(x)

            def forward_backward():
                for p in inputs:
                    p.grad = None
                layer(x).backward(grad)

            fwd, both = best_time(forward), best_time(forward_backward)
            results[f"{name}|{which}"] = (fwd * 1e6, max(both - fwd, 0.0) * 1e6)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=("bp", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads)))
        return
    print(describe(args.threads))
    print(f"fastest of {args.rounds} alternating rounds, each library in a fresh process; microseconds\n")
    best: dict = {"bp": {}, "torch": {}}
    for _ in range(args.rounds):
        for lib in ("bp", "torch"):
            cmd = [sys.executable, __file__, "--worker", lib, "--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            for key, times in json.loads(out.strip().splitlines()[-1]).items():
                old = best[lib].get(key, (float("inf"), float("inf")))
                best[lib][key] = (min(old[0], times[0]), min(old[1], times[1]))
    print("| layer | size | PyTorch fwd | bp fwd | fwd ratio | PyTorch bwd | bp bwd | bwd ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, sizes in CASES.items():
        for which, size in zip(("small", "large"), sizes):
            (tf, tb), (bf, bb) = best["torch"][f"{name}|{which}"], best["bp"][f"{name}|{which}"]
            print(f"| {name} | {which} {size} | {tf:.0f} | {bf:.0f} | {bf / tf:.2f}x | {tb:.0f} | {bb:.0f} "
                  f"| {bb / max(tb, 1e-9):.2f}x |")


if __name__ == "__main__":
    main()
