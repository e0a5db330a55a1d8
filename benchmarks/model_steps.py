"""Training steps of the course's models against PyTorch CPU, each library in its own process.

Models (one training step each: forward, loss, backward, optimizer step):

* ``lenet``: the LeNet of ``lenet_step.py`` (1x28x28 digits, batch 64, SGD);
* ``widecnn``: 3x32x32 images, batch 128, conv 32-64-64 (3x3, padding 1) each followed by ReLU
  and 2x2 max-pooling, then a linear layer to 10 classes (SGD);
* ``transformer``: notebook 12's ``TransformerLM`` (d_model 32, 4 heads, 2 blocks, context 8)
  on batches of 64 arithmetic problems, AdamW;
* ``rnn``: notebook 11's character model (embedding 32, RNN 128, linear head) on 32 windows
  of 48 characters, Adam with gradient clipping; ``lstm``: the same with an LSTM.

Both libraries start from the same weights and data, and the parent checks that their
first losses agree.  Once PyTorch has run, NumPy code in the same process runs slower on
some machines (see README.md), so every measurement runs in a fresh process with the same
number of threads for NumPy's BLAS and PyTorch; the parent alternates the two libraries for
several rounds and keeps each one's fastest.

``--baseline DIR`` also times backproplab from another checkout (a git worktree of an earlier
commit, say), in the same alternation, so that a change is measured against the code before
it in the same minutes of a shared machine.

``--as-avx2`` runs both libraries as they would run on a CPU without AVX-512 (OpenBLAS's
Haswell kernels, PyTorch's AVX2 kernels with oneDNN and MKL capped at AVX2, and backproplab's
choices for such a CPU). The CPU itself stays what it is, and so do NumPy's own loops.

Run:  python benchmarks/model_steps.py [--threads 2] [--rounds 5] [--models lenet,widecnn] [--as-avx2]
      [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from machine import describe, fastest_block  # noqa: E402

AS_AVX2 = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
           "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
GOALS = {"lenet": 1.2, "widecnn": 1.3, "transformer": 1.5, "rnn": 1.5, "lstm": 1.5}


# ---- the problems, built the same way in both kinds of process ------------------------------

def lenet_problem():
    import backproplab as bp
    from lenet_step import lenet

    X, y = bp.datasets.make_digits(64, seed=0)
    return lenet(), X.astype(np.float32), y


def widecnn(seed=0):
    """The wider CNN in backproplab."""
    import backproplab as bp

    nn, layers, channels = bp.nn, [], (3, 32, 64, 64)
    for i, (c_in, c_out) in enumerate(zip(channels, channels[1:])):
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1, seed=seed + i), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 4 * 4, 10, seed=seed + 3))


def widecnn_problem():
    rng = np.random.default_rng(0)
    return widecnn(), rng.standard_normal((128, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, 128)


def transformer_problem():
    import backproplab as bp
    from backproplab.datasets import ARITHMETIC_VOCAB, make_arithmetic

    data = make_arithmetic("add", 4000, seed=0)
    batch = data[np.random.default_rng(0).integers(0, len(data), 64)]
    model = bp.nn.TransformerLM(len(ARITHMETIC_VOCAB), context=8, d_model=32, n_heads=4, n_layers=2, seed=0)
    return model, batch[:, :-1], batch[:, 6:]


def recurrent_problem(kind):
    import backproplab as bp

    tokenizer = bp.datasets.CharTokenizer(text := bp.datasets.load_corpus())
    data = tokenizer.encode(text)
    starts = np.random.default_rng(0).integers(0, len(data) - 49, 32)
    x = np.stack([data[s:s + 48] for s in starts])
    y = np.stack([data[s + 1:s + 49] for s in starts])
    vocab = tokenizer.vocab_size

    class CharModel(bp.nn.Module):
        def __init__(self):
            self.embed = bp.nn.Embedding(vocab, 32, seed=0)
            self.rnn = (bp.nn.RNN if kind == "rnn" else bp.nn.LSTM)(32, 128, seed=1)
            self.head = bp.nn.Linear(128, vocab, seed=2)

        def forward(self, ids):
            return self.head(self.rnn(self.embed(ids))[0])

    return CharModel(), x, y


PROBLEMS = {"lenet": lenet_problem, "widecnn": widecnn_problem, "transformer": transformer_problem,
            "rnn": lambda: recurrent_problem("rnn"), "lstm": lambda: recurrent_problem("lstm")}


# ---- one library's step ------------------------------------------------------------------

def backproplab_step(name, model, x, y):
    import backproplab as bp

    if name == "transformer":
        opt = bp.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    elif name in ("rnn", "lstm"):
        opt = bp.optim.Adam(model.parameters(), lr=0.005)
    else:
        opt = bp.optim.SGD(model.parameters(), lr=0.01)
    xb = x if name in ("transformer", "rnn", "lstm") else bp.Tensor(x)

    def step():
        out = model(xb)
        loss = bp.losses.cross_entropy(out[:, 5:] if name == "transformer" else out, y)
        opt.zero_grad()
        loss.backward()
        if name in ("rnn", "lstm"):
            bp.optim.clip_grad_norm(model.parameters(), max_norm=0.5)
        opt.step()
        return loss.item()

    return step


def torch_model(name, model):
    """The same network in PyTorch, with backproplab's weights."""
    import torch
    from torch_models import torch_cnn, torch_recurrent, torch_transformer

    if name in ("lenet", "widecnn"):
        net = torch_cnn(model)
    elif name == "transformer":
        net = torch_transformer(model)
    else:
        net = torch_recurrent(model, name)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.state_dict().items()}
    if name in ("rnn", "lstm"):
        state = {k.replace("rnn.weight_ih", "rnn.weight_ih_l0").replace("rnn.weight_hh", "rnn.weight_hh_l0")
                 .replace("rnn.bias_ih", "rnn.bias_ih_l0").replace("rnn.bias_hh", "rnn.bias_hh_l0"): v
                 for k, v in state.items()}
    net.load_state_dict(state)
    return net


def pytorch_step(name, model, x, y):
    import torch

    net = torch_model(name, model)
    if name == "transformer":
        opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=0.0)
    elif name in ("rnn", "lstm"):
        opt = torch.optim.Adam(net.parameters(), lr=0.005)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    yt = torch.from_numpy(np.ascontiguousarray(y)).long().reshape(-1)

    def step():
        out = net(xt)
        if name == "transformer":
            out = out[:, 5:]
        loss = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), yt)
        opt.zero_grad()
        loss.backward()
        if name in ("rnn", "lstm"):
            torch.nn.utils.clip_grad_norm_(net.parameters(), 0.5)
        opt.step()
        return loss.item()

    return step


def worker(lib: str, name: str, threads: int, seconds: float, blocks: int = 7) -> dict:
    """Time one library on one model in this process: the fastest of ``blocks`` blocks."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    model, x, y = PROBLEMS[name]()
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        step = pytorch_step(name, model, x, y)
    else:
        if os.environ.get("OPENBLAS_CORETYPE") == AS_AVX2["OPENBLAS_CORETYPE"]:
            from backproplab import conv

            conv.BLOCK_THIN_PRODUCTS = False  # what backproplab chooses on a CPU without AVX-512
        step = backproplab_step(name, model, x, y)
    first = step()
    for _ in range(2):
        step()
    best = fastest_block(step, seconds, blocks, calibrate=0.2)
    return {"lib": lib, "model": name, "first_loss": first, "ms": best * 1e3}


def memory_check(name: str = "lenet", steps: int = 1000) -> str:
    """Traced Python memory and resident set size after 100 and after ``steps`` training steps."""
    import resource
    import tracemalloc

    model, x, y = PROBLEMS[name]()
    step = backproplab_step(name, model, x, y)
    tracemalloc.start()
    marks = []
    for i in range(1, steps + 1):
        step()
        if i in (100, steps):
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            marks.append(f"after {i} steps: traced {tracemalloc.get_traced_memory()[0] / 2**20:.2f} MiB, "
                         f"peak RSS {rss:.0f} MiB")
    tracemalloc.stop()
    return f"{name} memory: " + "; ".join(marks)


def use_checkout(directory: str) -> None:
    """Import backproplab from ``directory`` in this process, not from the installed copy."""
    # an editable install answers imports before sys.path is searched: set it aside
    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
    sys.path.insert(0, str(Path(directory).resolve()))
    import backproplab

    if not Path(backproplab.__file__).resolve().is_relative_to(Path(directory).resolve()):
        raise SystemExit(f"--baseline: backproplab still comes from {backproplab.__file__}")


def run_worker(lib, name, threads, seconds, baseline=None):
    cmd = [sys.executable, __file__, "--worker", lib, "--models", name, "--threads", str(threads),
           "--seconds", str(seconds)] + (["--baseline", baseline] if baseline else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{lib} on {name} failed{' (baseline ' + baseline + ')' if baseline else ''}:\n"
                         f"{done.stderr or done.stdout}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="timed seconds per process")
    parser.add_argument("--models", default=",".join(PROBLEMS))
    parser.add_argument("--memory", action="store_true", help="only the memory check (1,000 LeNet steps)")
    parser.add_argument("--as-avx2", action="store_true", help="both libraries as on a CPU without AVX-512")
    parser.add_argument("--baseline", metavar="DIR", help="a checkout of backproplab to time beside this one")
    parser.add_argument("--worker", choices=("bp", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_avx2 and any(os.environ.get(key) != value for key, value in AS_AVX2.items()):
        # the kernels are chosen when the libraries load: start again with the settings in place
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **AS_AVX2})
    if args.memory:
        print(memory_check())
        return
    if args.worker:
        if args.baseline:
            use_checkout(args.baseline)
        print(json.dumps(worker(args.worker, args.models, args.threads, args.seconds)))
        return
    print(describe(args.threads))
    print(f"fastest of {args.rounds} alternating rounds, each library in a fresh process\n")
    before = " baseline ms | baseline ratio |" if args.baseline else ""
    print(f"| model | PyTorch ms | backproplab ms | ratio |{before} goal |\n"
          f"| --- | ---: | ---: | ---: |{' ---: | ---: |' if args.baseline else ''} ---: |")
    runs = {"bp": None, "torch": None} | ({"baseline": args.baseline} if args.baseline else {})
    for name in args.models.split(","):
        best = dict.fromkeys(runs, float("inf"))
        losses = {}
        for _ in range(args.rounds):
            for label, checkout in runs.items():
                lib = "torch" if label == "torch" else "bp"
                result = run_worker(lib, name, args.threads, args.seconds, checkout)
                best[label] = min(best[label], result["ms"])
                losses[label] = result["first_loss"]
        tolerance = 1e-3 * max(1.0, abs(losses["torch"]))
        if any(abs(loss - losses["torch"]) > tolerance for loss in losses.values()):
            raise SystemExit(f"{name}: the first losses differ: {losses}")
        ratio = best["bp"] / best["torch"]
        mark = "met" if ratio <= GOALS[name] else "not met"
        then = f" {best['baseline']:.2f} | {best['baseline'] / best['torch']:.2f}x |" if args.baseline else ""
        print(f"| {name} | {best['torch']:.2f} | {best['bp']:.2f} | {ratio:.2f}x |{then} "
              f"<= {GOALS[name]}x, {mark} |", flush=True)


if __name__ == "__main__":
    main()
