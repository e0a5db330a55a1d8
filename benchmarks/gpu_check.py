"""GPU check: run the GPU-marked tests, then time MLP, CNN and transformer steps.

For each model and size it times one training step (forward, loss, backward, SGD) with
backproplab on NumPy (CPU), backproplab on CuPy (GPU) and PyTorch on CUDA when present,
prints a table and writes it to ``benchmarks/gpu_results.md`` with the card's name and
the date.  Designed to finish in under 5 minutes on one GPU.

Run on a machine with an NVIDIA GPU and CuPy:  python benchmarks/gpu_check.py
Without a usable GPU it says why and exits with status 2.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import backproplab as bp

HERE = Path(__file__).resolve().parent


def no_sync() -> None:
    """CPU work is finished when the call returns."""


def cupy_sync() -> None:
    """Wait for CuPy's queued GPU work, so that timings measure it."""
    import cupy

    cupy.cuda.Device().synchronize()


def time_steps(step, sync=no_sync, seconds: float = 1.0, min_steps: int = 3) -> float:
    """Mean seconds per step over about ``seconds``, after two warm-up steps."""
    for _ in range(2):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while n < min_steps or time.perf_counter() - start < seconds:
        step()
        n += 1
    sync()
    return (time.perf_counter() - start) / n


# ---------------------------------------------------------------- the models, both libraries


def mlp_case(width: int, batch: int):
    sizes = (784, width, width, 10)

    def ours(device):
        model = bp.nn.MLP(784, sizes[1:], activation="relu", seed=0).to(device)
        opt = bp.optim.SGD(model.parameters(), lr=0.01)
        x = bp.Tensor(np.random.default_rng(0).standard_normal((batch, 784))).to(device)
        y = bp.Tensor(np.random.default_rng(1).integers(0, 10, batch)).to(device)
        return _our_step(model, opt, x, y)

    def theirs(torch):
        net = torch.nn.Sequential(torch.nn.Linear(784, width), torch.nn.ReLU(), torch.nn.Linear(width, width),
                                  torch.nn.ReLU(), torch.nn.Linear(width, 10)).cuda()
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        x, y = torch.randn(batch, 784, device="cuda"), torch.randint(0, 10, (batch,), device="cuda")
        return _torch_step(torch, net, opt, x, y)

    return f"MLP 784-{width}-{width}-10, batch {batch}", ours, theirs


def cnn_case(channels: int, batch: int):
    def ours(device):
        nn = bp.nn
        model = nn.Sequential(nn.Conv2d(1, channels, 5, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(channels, 2 * channels, 5, seed=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(2 * channels * 16, 10, seed=2)).to(device)
        opt = bp.optim.SGD(model.parameters(), lr=0.01)
        x = bp.Tensor(np.random.default_rng(0).standard_normal((batch, 1, 28, 28))).to(device)
        y = bp.Tensor(np.random.default_rng(1).integers(0, 10, batch)).to(device)
        return _our_step(model, opt, x, y)

    def theirs(torch):
        tnn = torch.nn
        net = tnn.Sequential(tnn.Conv2d(1, channels, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                             tnn.Conv2d(channels, 2 * channels, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                             tnn.Flatten(), tnn.Linear(2 * channels * 16, 10)).cuda()
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        x, y = torch.randn(batch, 1, 28, 28, device="cuda"), torch.randint(0, 10, (batch,), device="cuda")
        return _torch_step(torch, net, opt, x, y)

    return f"CNN {channels}/{2 * channels} filters, batch {batch}", ours, theirs


def transformer_case(d_model: int, batch: int, context: int = 32, vocab: int = 64):
    def ours(device):
        model = bp.nn.TransformerLM(vocab, context, d_model=d_model, n_heads=4, n_layers=2, seed=0).to(device)
        opt = bp.optim.SGD(model.parameters(), lr=0.01)
        rng = np.random.default_rng(0)
        x = bp.Tensor(rng.integers(0, vocab, (batch, context))).to(device)
        y = bp.Tensor(rng.integers(0, vocab, (batch, context))).to(device)
        return _our_step(model, opt, x, y)

    def theirs(torch):
        layer = torch.nn.TransformerEncoderLayer(d_model, 4, 4 * d_model, dropout=0.0, batch_first=True,
                                                 norm_first=True, activation="gelu")
        body = torch.nn.TransformerEncoder(layer, 2)
        emb, head = torch.nn.Embedding(vocab, d_model), torch.nn.Linear(d_model, vocab)
        modules = torch.nn.ModuleList([emb, body, head]).cuda()
        opt = torch.optim.SGD(modules.parameters(), lr=0.01)
        mask = torch.nn.Transformer.generate_square_subsequent_mask(context, device="cuda")
        x = torch.randint(0, vocab, (batch, context), device="cuda")
        y = torch.randint(0, vocab, (batch, context), device="cuda")

        def step():
            logits = head(body(emb(x), mask=mask, is_causal=True))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step

    return f"Transformer d={d_model}, 2 layers, batch {batch}x{context}", ours, theirs


def _our_step(model, opt, x, y):
    def step():
        loss = bp.losses.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def _torch_step(torch, net, opt, x, y):
    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


CASES = [mlp_case(256, 128), mlp_case(1024, 512), mlp_case(4096, 1024),
         cnn_case(6, 64), cnn_case(32, 256),
         transformer_case(64, 16), transformer_case(256, 64)]


def card_name() -> str:
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-tests", action="store_true", help="only time, do not run the GPU tests")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing time per measurement")
    args = parser.parse_args()
    usable, reason = bp.backend.gpu_status()
    if not usable:
        print(f"No usable GPU: {reason}")
        sys.exit(2)
    card = card_name()
    print(f"GPU: {card}")
    if not args.skip_tests:
        # The project's addopts turn on nbval; the GPU tests are plain tests, so clear them.
        tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-o", "addopts=",
                                str(HERE.parent / "tests")], capture_output=True, text=True)
        print(tests.stdout[-2000:])
        test_line = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else "no output"
    else:
        test_line = "skipped"
    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        torch, has_torch = None, False
    rows = []
    for name, ours, theirs in CASES:
        cpu = time_steps(ours("cpu"), no_sync, args.seconds)
        gpu = time_steps(ours("gpu"), cupy_sync, args.seconds)
        torch_time = time_steps(theirs(torch), torch.cuda.synchronize, args.seconds) if has_torch else None
        rows.append((name, cpu, gpu, torch_time))
        extra = f", PyTorch CUDA {torch_time * 1e3:.2f} ms" if torch_time else ""
        print(f"{name}: NumPy {cpu * 1e3:.2f} ms, CuPy {gpu * 1e3:.2f} ms{extra}", flush=True)
    lines = [
        f"# GPU check — {card}, {datetime.date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}"
        + (f", torch {torch.__version__}" if torch else "") + f". GPU tests: {test_line}",
        "",
        "| model | NumPy CPU ms | CuPy GPU ms | PyTorch CUDA ms | CPU / CuPy | CuPy / PyTorch |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, cpu, gpu, torch_time in rows:
        t = f"{torch_time * 1e3:.2f}" if torch_time else "—"
        ratio = f"{gpu / torch_time:.2f}" if torch_time else "—"
        lines.append(f"| {name} | {cpu * 1e3:.2f} | {gpu * 1e3:.2f} | {t} | {cpu / gpu:.1f} | {ratio} |")
    table = "\n".join(lines) + "\n"
    print(table)
    (HERE / "gpu_results.md").write_text(table)


if __name__ == "__main__":
    main()
