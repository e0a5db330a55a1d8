"""benchmarks/gpu_check.py, exercised without a GPU: its test run, its verdicts, its models."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import backproplab as bp

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)
torch = pytest.importorskip("torch")


def test_the_pytest_run_clears_nbval_and_collects_only_the_gpu_tests():
    command = gpu_check.pytest_command("report.xml")
    assert command[command.index("-o") + 1] == "addopts="  # the project's addopts turn on nbval
    assert command[command.index("-m", 3) + 1] == "gpu" and "--junitxml=report.xml" in command
    assert "no:nbval" not in " ".join(command)
    assert gpu_check.TEST_FILES and all((ROOT / f).exists() for f in gpu_check.TEST_FILES)
    assert gpu_check.EXTRAS == ".[gpu,bench,test]"


def _junit(tmp_path, tests=3, failures=0, errors=0, skipped=0):
    skips = "".join(f'<testcase name="t{i}"><skipped message="no usable GPU: none here"/></testcase>'
                    for i in range(skipped))
    path = tmp_path / "report.xml"
    path.write_text(f'<testsuites><testsuite tests="{tests}" failures="{failures}" errors="{errors}" '
                    f'skipped="{skipped}">{skips}</testsuite></testsuites>')
    return gpu_check.junit_counts(path)


def test_any_skip_failure_or_empty_run_fails_the_check(tmp_path):
    assert gpu_check.judge(0, _junit(tmp_path)) == []
    assert "skipped" in " ".join(gpu_check.judge(0, _junit(tmp_path, skipped=1)))
    assert "no usable GPU: none here" in " ".join(gpu_check.judge(0, _junit(tmp_path, skipped=1)))
    assert "no GPU test ran" in gpu_check.judge(5, _junit(tmp_path, tests=0))
    assert gpu_check.judge(1, _junit(tmp_path, failures=1))[0] == "pytest exited with status 1"
    assert gpu_check.judge(4, None) == ["pytest exited with status 4", "pytest wrote no report"]


def test_without_a_gpu_the_real_test_run_fails_loudly_on_its_skips(capsys):
    if bp.backend.gpu_available():
        pytest.skip("a GPU is usable here: the tests would run")
    with pytest.raises(SystemExit, match=r"GPU TESTS FAILED: .*skipped.*no usable GPU"):
        gpu_check.run_gpu_tests(simulate=False)


def test_pytorch_computes_in_strict_fp32():
    b = torch.backends
    before = (b.fp32_precision, b.cuda.matmul.fp32_precision, b.cudnn.conv.fp32_precision,
              b.cudnn.rnn.fp32_precision)
    try:
        assert "no TF32" in gpu_check.strict_fp32(torch)
        assert b.cuda.matmul.fp32_precision == "ieee" and b.cudnn.conv.fp32_precision == "ieee"
    finally:  # the other tests compare with PyTorch as it was
        b.fp32_precision, b.cuda.matmul.fp32_precision = before[:2]
        b.cudnn.conv.fp32_precision, b.cudnn.rnn.fp32_precision = before[2:]


def test_the_pytorch_models_are_the_same_as_ours():
    """Same layers, same parameter count: the transformer has position embeddings and a final norm."""
    for name, ours, theirs in gpu_check.QUICK:
        model, _ = ours("cpu")
        net, _ = theirs(torch, "cpu")
        assert sum(p.size for p in model.parameters()) == sum(p.numel() for p in net.parameters()), name
    lm = gpu_check.torch_transformer(torch, vocab=16, context=8, d_model=32)
    assert lm.positions.num_embeddings == 8 and isinstance(lm.ln, torch.nn.LayerNorm)
    assert all(block.norm_first for block in lm.blocks)
    out = lm(torch.randint(0, 16, (2, 5)))
    assert tuple(out.shape) == (2, 5, 16)


def test_the_report_names_versions_ratios_and_the_goal():
    rows = [("MLP small", 0.004, 0.002, 0.001), ("MLP large", 0.4, 0.003, 0.0025)]
    text = gpu_check.report(rows, ["Card: X"], "10 passed", "strict", simulate=False)
    assert "| MLP large | 400.00 | 3.00 | 2.50 | 133.3 | 1.20 |" in text
    assert "Goal CuPy / PyTorch <= 1.5 at the largest size, MLP large: 1.20 (met)." in text
    assert "NOT met" in gpu_check.report([("CNN x", None, 0.002, 0.001)], [], "", "", simulate=False)
    assert "SIMULATED" in gpu_check.report(rows, [], "", "", simulate=True)


def test_timing_waits_for_the_queued_work():
    calls = []
    seconds = gpu_check.time_steps(lambda: calls.append("step"), lambda: calls.append("sync"), 0.0)
    assert calls[:4] == ["step"] * 3 + ["sync"] and calls[-1] == "sync" and seconds >= 0


def test_a_simulated_run_end_to_end(tmp_path):
    out = tmp_path / "simulated.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--simulate",
                           "--seconds", "0.01", "--output", str(out)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = out.read_text()
    assert "SIMULATED" in text and "passed (on the guard: simulated)" in text
    assert text.count("| Transformer") == 1 and "no TF32" in text and "simulated: not judged" in text
    assert not (ROOT / "benchmarks" / "gpu_results.md").exists() or "SIMULATED" not in \
        (ROOT / "benchmarks" / "gpu_results.md").read_text()
    assert np.isfinite([float(c) for c in text.split("| Transformer")[1].split("|")[2:5]]).all()
