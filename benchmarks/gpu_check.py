"""GPU check: run the GPU tests, then time training steps with NumPy, CuPy and PyTorch on CUDA.

On a machine with an NVIDIA GPU, from the repository's root, one command does everything:

    python benchmarks/gpu_check.py --install     # first pip install -e ".[gpu,bench,test]"

(leave out ``--install`` when those are installed).  The check

1. says what is missing (packages, driver, CUDA libraries) and exits with status 2 if anything is;
2. runs the GPU-marked tests (``tests/test_gpu.py``, with ``-o addopts=`` because the project's
   addopts turn on nbval) and stops with status 1 if pytest fails, if any test is skipped, or if
   none ran;
3. times one training step (forward, cross-entropy, backward, SGD) of an MLP, a CNN and a
   transformer at several sizes with backproplab on NumPy, backproplab on CuPy and PyTorch on
   CUDA, and prints the CuPy / PyTorch ratio per model;
4. writes ``benchmarks/gpu_results.md``: the table, the card, driver, CUDA, CuPy and PyTorch
   versions, and the precision both libraries computed in.

Like with like: PyTorch is set to strict FP32 (no TF32 in matrix products or cuDNN), as CuPy
computes by default (``CUPY_TF32`` unset); the PyTorch models have the same layers and parameter
counts as backproplab's (the transformer: token and position embeddings, pre-norm blocks with
tanh-GELU, a final LayerNorm, a linear head).

``--simulate`` rehearses all of it on any machine: the GPU tests run on the guard device
(``BACKPROPLAB_GPU_TESTS=guard``), "GPU" timings are the guard's and PyTorch runs on the CPU.
Nothing it measures is a GPU result; it writes a file only when given ``--output``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's backproplab, also when it is not installed

import backproplab as bp  # noqa: E402

EXTRAS = ".[gpu,bench,test]"
INSTALL = f'pip install -e "{EXTRAS}"'
TEST_FILES = ["tests/test_gpu.py"]
GOAL = 1.5  # CuPy / PyTorch at the largest size of each model


# ---------------------------------------------------------------- set-up and the tests


def missing_packages() -> list:
    """The packages this check needs that cannot be imported."""
    missing = []
    for module, package in (("cupy", "cupy-cuda12x[ctk]"), ("torch", "torch"), ("pytest", "pytest")):
        try:
            __import__(module)
        except Exception:  # noqa: BLE001 - a broken install counts as missing
            missing.append(package)
    return missing


def pytest_command(junit: str) -> list:
    """The pytest run of the GPU tests: only their files, nbval's addopts cleared, skips listed."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-m", "gpu",
            "-rs", f"--junitxml={junit}", *TEST_FILES]


def junit_counts(path) -> dict:
    """Tests, failures, errors and skips in a JUnit XML report, with the skip reasons."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "reasons": []}
    root = ET.parse(path).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        for key in ("tests", "failures", "errors", "skipped"):
            counts[key] += int(suite.get(key, 0))
        counts["reasons"] += [s.get("message", "") for s in suite.iter("skipped")]
    return counts


def judge(returncode: int, counts: dict | None) -> list:
    """Everything wrong with a run of the GPU tests (empty when all of them ran and passed)."""
    problems = [] if returncode == 0 else [f"pytest exited with status {returncode}"]
    if counts is None:
        return problems + ["pytest wrote no report"]
    if counts["tests"] == 0:
        problems.append("no GPU test ran")
    if counts["failures"] or counts["errors"]:
        problems.append(f"{counts['failures']} failed, {counts['errors']} errors")
    if counts["skipped"]:
        reasons = sorted(set(counts["reasons"]))
        problems.append(f"{counts['skipped']} skipped (a GPU check must run every test): "
                        f"{'; '.join(reasons)}")
    return problems


def run_gpu_tests(simulate: bool) -> str:
    """Run the GPU tests; exit with status 1 and the output if anything is wrong."""
    env = dict(os.environ)
    env.pop("BACKPROPLAB_GPU_TESTS", None)
    if simulate:
        env["BACKPROPLAB_GPU_TESTS"] = "guard"  # the gpu-marked tests run on the guard
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "gpu-tests.xml")
        done = subprocess.run(pytest_command(junit), cwd=ROOT, env=env, capture_output=True, text=True)
        counts = junit_counts(junit) if os.path.exists(junit) else None
    problems = judge(done.returncode, counts)
    if problems:
        print((done.stdout + done.stderr)[-4000:])
        sys.exit("GPU TESTS FAILED: " + "; ".join(problems))
    return f"{counts['tests']} passed" + (" (on the guard: simulated)" if simulate else "")


# ---------------------------------------------------------------- like with like


def strict_fp32(torch) -> str:
    """Switch TF32 off in PyTorch's matrix products and cuDNN; return the settings in words."""
    backends = torch.backends
    if hasattr(backends.cuda.matmul, "fp32_precision"):  # PyTorch >= 2.9: only the new API
        backends.fp32_precision = "ieee"
        backends.cuda.matmul.fp32_precision = "ieee"
        backends.cudnn.conv.fp32_precision = "ieee"
        backends.cudnn.rnn.fp32_precision = "ieee"
        return (f"PyTorch fp32_precision: matmul {backends.cuda.matmul.fp32_precision}, cuDNN conv "
                f"{backends.cudnn.conv.fp32_precision} (IEEE FP32, no TF32)")
    backends.cuda.matmul.allow_tf32 = False
    backends.cudnn.allow_tf32 = False
    return "PyTorch allow_tf32 off for matmul and cuDNN (IEEE FP32, no TF32)"


def torch_transformer(torch, vocab: int, context: int, d_model: int, n_heads: int = 4, n_layers: int = 2):
    """bp.nn.TransformerLM in PyTorch: embeddings, pre-norm tanh-GELU blocks, final norm, head."""
    nn = torch.nn
    gelu = lambda x: nn.functional.gelu(x, approximate="tanh")  # noqa: E731 - bp's default GELU

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(vocab, d_model), nn.Embedding(context, d_model)
            self.blocks = nn.ModuleList([
                nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.0, activation=gelu,
                                           batch_first=True, norm_first=True) for _ in range(n_layers)])
            self.ln, self.head = nn.LayerNorm(d_model), nn.Linear(d_model, vocab)

        def forward(self, ids):
            t = ids.shape[1]
            x = self.tokens(ids) + self.positions(torch.arange(t, device=ids.device))
            mask = nn.Transformer.generate_square_subsequent_mask(t, device=ids.device)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.head(self.ln(x))

    return LM()


def mlp_case(width: int, batch: int):
    def ours(device):
        model = bp.nn.MLP(784, [width, width, 10], activation="relu", seed=0).to(device)
        return model, _data(device, (batch, 784), batch, 10)

    def theirs(torch, device):
        nn = torch.nn
        net = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                            nn.Linear(width, 10))
        data = (torch.randn(batch, 784, device=device), torch.randint(0, 10, (batch,), device=device))
        return net.to(device), data

    return f"MLP 784-{width}-{width}-10, batch {batch}", ours, theirs


def cnn_case(channels: int, batch: int):
    def ours(device):
        nn = bp.nn
        model = nn.Sequential(nn.Conv2d(1, channels, 5, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(channels, 2 * channels, 5, seed=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(2 * channels * 16, 10, seed=2)).to(device)
        return model, _data(device, (batch, 1, 28, 28), batch, 10)

    def theirs(torch, device):
        nn = torch.nn
        net = nn.Sequential(nn.Conv2d(1, channels, 5), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(channels, 2 * channels, 5), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(2 * channels * 16, 10))
        x = torch.randn(batch, 1, 28, 28, device=device)
        return net.to(device), (x, torch.randint(0, 10, (batch,), device=device))

    return f"CNN {channels}/{2 * channels} filters, batch {batch}", ours, theirs


def transformer_case(d_model: int, batch: int, context: int = 32, vocab: int = 64):
    def ours(device):
        model = bp.nn.TransformerLM(vocab, context, d_model=d_model, n_heads=4, n_layers=2, seed=0).to(device)
        rng = np.random.default_rng(0)
        ids = [bp.Tensor(rng.integers(0, vocab, (batch, context))).to(device) for _ in range(2)]
        return model, (ids[0], ids[1])

    def theirs(torch, device):
        net = torch_transformer(torch, vocab, context, d_model).to(device)
        ids = [torch.randint(0, vocab, (batch, context), device=device) for _ in range(2)]
        return net, (ids[0], ids[1])

    return f"Transformer d={d_model}, 2 layers, batch {batch}x{context}", ours, theirs


def _data(device, shape, batch, classes):
    x = bp.Tensor(np.random.default_rng(0).standard_normal(shape)).to(device)
    return x, bp.Tensor(np.random.default_rng(1).integers(0, classes, batch)).to(device)


def our_step(model, data):
    """One training step of a backproplab model (the step the benchmark times)."""
    opt = bp.optim.SGD(model.parameters(), lr=0.01)
    x, y = data

    def step():
        loss = bp.losses.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step(torch, net, data):
    """The same step in PyTorch."""
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = data

    def step():
        out = net(x)
        loss = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


CASES = [mlp_case(256, 128), mlp_case(1024, 512), mlp_case(4096, 1024), cnn_case(6, 64), cnn_case(32, 256),
         transformer_case(64, 16), transformer_case(256, 64)]
QUICK = [mlp_case(64, 32), cnn_case(4, 8), transformer_case(32, 4, context=8, vocab=16)]


# ---------------------------------------------------------------- timing and the report


def time_steps(step, sync, seconds: float, min_steps: int = 3) -> float:
    """Mean seconds per step over about ``seconds``, after three warm-up steps.

    The warm-up compiles CuPy's kernels and fills the memory pools; ``sync`` waits for queued
    GPU work, so that the time measured includes it.
    """
    for _ in range(3):
        step()
    sync()
    n, start = 0, time.perf_counter()
    while n < min_steps or time.perf_counter() - start < seconds:
        step()
        n += 1
    sync()
    return (time.perf_counter() - start) / n


def versions(torch, simulate: bool) -> list:
    """Lines naming the card, driver, CUDA, CuPy, PyTorch, NumPy and Python."""
    lines = []
    try:
        import cupy

        tf32 = os.environ.get("CUPY_TF32", "0")
        precision = "strict FP32" if tf32 == "0" else "TF32 allowed"
        cupy_line = f"CuPy {cupy.__version__} (CUPY_TF32={tf32}: {precision})"
    except Exception as exc:  # noqa: BLE001
        cupy, cupy_line = None, f"CuPy not importable ({exc})"
    if simulate:
        lines.append("Card: none - SIMULATED on the CPU (guard arrays); no number below is a GPU result")
    else:
        runtime = cupy.cuda.runtime
        name = runtime.getDeviceProperties(0)["name"]
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True) if _has("nvidia-smi") else None
        driver = smi.stdout.strip().splitlines()[0] if smi and smi.returncode == 0 else "?"
        cuda = lambda v: f"{v // 1000}.{v % 1000 // 10}"  # noqa: E731
        lines.append(f"Card: {name.decode() if isinstance(name, bytes) else name}; driver {driver} "
                     f"(CUDA {cuda(runtime.driverGetVersion())}); "
                     f"CUDA runtime {cuda(runtime.runtimeGetVersion())}")
    lines.append(cupy_line)
    if torch is not None:
        cudnn = torch.backends.cudnn.version() if torch.cuda.is_available() else None
        lines.append(f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {cudnn})")
    lines.append(f"NumPy {np.__version__}, Python {platform.python_version()}, {platform.machine()}")
    return lines


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


def measure(cases, torch, simulate: bool, seconds: float, cpu: bool) -> list:
    """Rows (name, NumPy s, CuPy s, PyTorch s) for each case, printed as they come."""
    torch_device = "cpu" if simulate else "cuda"
    if simulate:
        gpu_sync = bp.backend.flush_checks
    else:
        import cupy

        def gpu_sync():
            bp.backend.flush_checks()
            cupy.cuda.Device().synchronize()
    torch_sync = (lambda: None) if simulate else torch.cuda.synchronize
    rows = []
    for name, ours, theirs in cases:
        cpu_time = time_steps(our_step(*ours("cpu")), lambda: None, seconds) if cpu else None
        with bp.backend.simulate_gpu() if simulate else contextlib.nullcontext():
            gpu_time = time_steps(our_step(*ours("gpu")), gpu_sync, seconds)
        torch.manual_seed(0)
        torch_time = time_steps(torch_step(torch, *theirs(torch, torch_device)), torch_sync, seconds)
        rows.append((name, cpu_time, gpu_time, torch_time))
        print(f"{name}: NumPy {_ms(cpu_time)} ms, CuPy {_ms(gpu_time)} ms, PyTorch {_ms(torch_time)} ms, "
              f"CuPy/PyTorch {gpu_time / torch_time:.2f}", flush=True)
    return rows


def _ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def report(rows, header: list, tests: str, precision: str, simulate: bool) -> str:
    """The Markdown table with the versions, the precision and the ratio goal."""
    title = "GPU check (SIMULATED on the CPU, not a GPU result)" if simulate else "GPU check"
    gpu, torch_where = ("guard (CPU)", "CPU") if simulate else ("GPU", "CUDA")
    lines = [f"# {title} - {datetime.date.today().isoformat()}", "", *[f"- {h}" for h in header],
             f"- Precision: {precision}", f"- GPU tests: {tests}", "",
             f"| model | NumPy CPU ms | CuPy {gpu} ms | PyTorch {torch_where} ms "
             "| CPU / CuPy | CuPy / PyTorch |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, cpu_time, gpu_time, torch_time in rows:
        speedup = f"{cpu_time / gpu_time:.1f}" if cpu_time else "-"
        lines.append(f"| {name} | {_ms(cpu_time)} | {_ms(gpu_time)} | {_ms(torch_time)} | {speedup} | "
                     f"{gpu_time / torch_time:.2f} |")
    largest = {}
    for name, _, gpu_time, torch_time in rows:  # the last (largest) case of each model
        largest[name.split()[0]] = (name, gpu_time / torch_time)
    lines.append("")
    for name, ratio in largest.values():
        verdict = "simulated: not judged" if simulate else "met" if ratio <= GOAL else "NOT met"
        lines.append(f"Goal CuPy / PyTorch <= {GOAL} at the largest size, {name}: {ratio:.2f} ({verdict}).")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """Run the check (see the module's docstring); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--install", action="store_true", help=f"first run {INSTALL}")
    parser.add_argument("--simulate", action="store_true",
                        help="rehearse on any machine (guard, torch on CPU)")
    parser.add_argument("--skip-tests", action="store_true", help="only time (not for a recorded result)")
    parser.add_argument("--no-cpu", action="store_true", help="do not time NumPy on the CPU")
    parser.add_argument("--quick", action="store_true", help="small sizes only (the default when simulating)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing time per measurement")
    parser.add_argument("--output", help="where to write the report (default: benchmarks/gpu_results.md; "
                                         "nothing is written when simulating without --output)")
    args = parser.parse_args(argv)
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-e", EXTRAS], cwd=ROOT, check=True)
    missing = [] if args.simulate else missing_packages()
    if missing:
        print(f"Missing: {', '.join(missing)}. Install everything this check needs with: {INSTALL}")
        return 2
    if not args.simulate:
        usable, reason = bp.backend.gpu_status()
        if not usable:
            print(f"No usable GPU: {reason}")
            return 2
    import torch

    if not args.simulate and not torch.cuda.is_available():
        print(f"PyTorch {torch.__version__} has no CUDA here; install the CUDA build of torch ({INSTALL}).")
        return 2
    precision = strict_fp32(torch)
    header = versions(torch, args.simulate)
    print("\n".join(header) + f"\n{precision}", flush=True)
    tests = "not run (--skip-tests)" if args.skip_tests else run_gpu_tests(args.simulate)
    print(f"GPU tests: {tests}", flush=True)
    cases = QUICK if (args.quick or args.simulate) else CASES
    rows = measure(cases, torch, args.simulate, args.seconds, cpu=not args.no_cpu)
    table = report(rows, header, tests, precision, args.simulate)
    print(table)
    output = args.output or (None if args.simulate else HERE / "gpu_results.md")
    if output:
        Path(output).write_text(table)
        print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
