"""Devices: the CPU-side guard that catches GPU mistakes, the structure rules, and real GPU tests.

More GPU tests, each against the CPU, are in ``test_gpu.py``; the defects the strict guard found
(issue 15) in ``test_gpu_defects.py``.
"""

import ast
from pathlib import Path

import numpy as np
import pytest

import backproplab as bp
from backproplab import backend
from backproplab._guard import GuardArray, HostDeviceMixError

PACKAGE = Path(bp.__file__).parent
# Modules whose code touches tensor data: they must take their array module from the data.
DEVICE_AGNOSTIC = ["ops.py", "functional.py", "optim.py", "inplace.py", "conv.py", "pooling.py",
                   "normalization.py", "nn/layers.py", "nn/containers.py", "nn/conv_layers.py",
                   "nn/sequence.py", "nn/attention.py", "nn/normalization.py", "recurrent.py"]
# Functions that turn data into NumPy arrays; given a CuPy array, each raises TypeError.
_CONVERTERS = {"asarray", "array", "asanyarray", "ascontiguousarray"}
# The calls outside backend.py whose argument is host data by construction, and why.
_HOST_DATA = {
    ("convert.py", "_host_array_and_device"): "Python data becoming a tensor; device arrays inside "
                                              "are refused there and copied with to_host",
    ("tensor.py", "_wrap"): "a NumPy scalar, which only host operations return",
    ("hooks.py", "gradient_norm_vector"): "Python floats (scalar mode, or several devices)",
    ("nn/module.py", "state_dict"): "the Python floats of scalar-mode parameters",
    ("datasets/digits.py", "_line"): "generated points (Python floats)",
    ("widgets/lr_explorer.py", "_verdict"): "a list of Python floats (losses)",
    ("widgets/optimizer_race.py", "race_path"): "a list of Python floats (points visited)",
}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_only_backend_imports_cupy():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p.name != "backend.py" and any(m.split(".")[0] in ("cupy", "cupyx")
                                                   for m in imported_modules(p))]
    assert offenders == []


@pytest.mark.parametrize("module", DEVICE_AGNOSTIC)
def test_device_agnostic_modules_never_name_numpy(module):
    path = PACKAGE / module
    assert "numpy" not in set(imported_modules(path)), f"{module} imports numpy; use backend.array_module"
    names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
    assert not names & {"np", "numpy"}


def _function_of(tree) -> dict:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                names.setdefault(id(inner), node.name)  # the innermost function wins (walked first)
    return names


def _is_host_by_construction(arg) -> bool:
    if isinstance(arg, (ast.List, ast.Tuple, ast.ListComp, ast.Constant, ast.GeneratorExp)):
        return True  # a literal or a list built right there
    func = getattr(arg, "func", None)
    return getattr(func, "attr", None) == "to_host" or getattr(func, "id", None) == "to_host"


def test_no_implicit_conversion_of_tensor_data_outside_backend():
    """np.asarray / np.array on a CuPy array raise TypeError: data reaches the host through
    backend.to_host, which copies explicitly; the few calls on host-only data are listed above."""
    offenders, used = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = str(path.relative_to(PACKAGE))
        if module in ("backend.py", "_guard.py"):
            continue
        tree = ast.parse(path.read_text())
        function_of = _function_of(tree)
        for node in ast.walk(tree):
            func = getattr(node, "func", None) if isinstance(node, ast.Call) else None
            if not (isinstance(func, ast.Attribute) and func.attr in _CONVERTERS
                    and getattr(func.value, "id", None) in ("np", "numpy")):
                continue
            if node.args and _is_host_by_construction(node.args[0]):
                continue
            key = (module, function_of.get(id(node)))
            if key in _HOST_DATA:
                used.add(key)
            else:
                offenders.append(f"{module}:{node.lineno} ({key[1]}): {ast.unparse(node)}")
    assert offenders == [], "use backend.to_host(...) instead:\n" + "\n".join(offenders)
    assert used == set(_HOST_DATA), f"stale entries: {set(_HOST_DATA) - used}"


def test_guard_refuses_host_arrays_like_cupy():
    with backend.simulate_gpu():
        device = backend.to_device(np.ones(3, dtype=np.float32), "gpu")
    with pytest.raises(HostDeviceMixError, match="host NumPy array"):
        device + np.ones(3)
    with pytest.raises(HostDeviceMixError):
        np.concatenate([device, np.ones(3)])
    assert isinstance(device * 2.0 + np.float32(1), GuardArray)
    assert isinstance(device.sum(), GuardArray)


@pytest.fixture
def simulated_gpu():
    with backend.simulate_gpu():
        yield


def test_to_gpu_and_back(simulated_gpu):
    x = bp.Tensor([[1.0, 2.0]], requires_grad=True)
    g = x.to("gpu")
    assert g.device == "gpu" and isinstance(g.data, GuardArray)
    y = (g * g).sum()
    assert y.device == "gpu"
    y.backward()
    assert x.device == "cpu" and isinstance(x.grad, np.ndarray) and not isinstance(x.grad, GuardArray)
    np.testing.assert_allclose(x.grad, [[2.0, 4.0]])
    assert isinstance(g.numpy(), np.ndarray)


def test_mixing_devices_names_both_and_the_fix(simulated_gpu):
    a = bp.Tensor([1.0, 2.0]).to("gpu")
    b = bp.Tensor([1.0, 2.0])
    with pytest.raises(bp.DeviceError, match=r"'gpu'.*'cpu'.*\.to\("):
        a + b
    with pytest.raises(bp.DeviceError):
        a + np.ones(2)  # a host array is data on the CPU, not silently moved


def test_model_and_data_on_different_devices_caught_before_the_matmul(simulated_gpu):
    model = bp.nn.MLP(2, [4, 2], seed=0).to("gpu")
    with pytest.raises(bp.DeviceError, match="model.to"):
        model(bp.Tensor(np.ones((3, 2))))


def test_full_training_step_runs_on_the_guard_device(simulated_gpu):
    X, y = bp.data.make_spirals(60, seed=0)
    cpu_model = bp.nn.MLP(2, [8, 3], activation="gelu", seed=0)
    gpu_model = bp.nn.MLP(2, [8, 3], activation="gelu", seed=0).to("gpu")
    for model in (cpu_model, gpu_model):
        model.zero_grad()
    losses = []
    for model, opt_cls in ((cpu_model, bp.optim.Adam), (gpu_model, bp.optim.Adam)):
        opt = opt_cls(model.parameters(), lr=0.01, weight_decay=0.01)
        device = model.layers[0].weight.device
        xb = bp.Tensor(X).to(device)
        yb = bp.Tensor(y).to(device)
        for _ in range(3):
            loss = bp.losses.cross_entropy(model(xb).softmax().log(), yb)
            opt.zero_grad()
            loss.backward()
            bp.optim.clip_grad_norm(model.parameters(), 1.0)
            opt.step()
        losses.append(loss.item())
        assert all(isinstance(p.data, GuardArray) == (device == "gpu") for p in model.parameters())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_every_op_runs_on_the_guard_device(simulated_gpu):
    x = bp.Tensor(np.linspace(0.1, 2.0, 12).reshape(3, 4), requires_grad=True)
    g = x.to("gpu")
    outs = [g.exp(), g.log(), g.tanh(), g.sigmoid(), g.relu(), g.gelu(), g.gelu("none"), g.abs(),
            g.clip(0.5, 1.5), g ** 2, 2.0 ** g, g @ g.T, g.sum(0), g.mean(1, keepdims=True), g.max(),
            g.reshape(4, 3), g.T, g[1:, [0, 0]], g[g > 1.0], g.softmax(), g.log_softmax(0),
            bp.concatenate([g, g]), bp.stack([g, g], 1), bp.where(g > 1, g, 0.0), g / (g + 1) - g,
            bp.losses.mse(g, g * 0), bp.losses.binary_cross_entropy_with_logits(g, g * 0),
            bp.losses.cross_entropy(g, bp.Tensor([0, 1, 3]).to("gpu")), bp.losses.cross_entropy(g, [0, 1, 3])]
    total = outs[0].sum()
    for out in outs[1:]:
        assert out.device == "gpu"
        total = total + out.sum()
    total.backward()
    assert x.grad.shape == (3, 4) and np.isfinite(x.grad).all()


def test_asking_for_a_missing_gpu_explains_why_and_how_to_continue():
    usable, reason = backend.gpu_status()
    if usable:
        pytest.skip("a GPU is usable here")
    with pytest.raises(bp.DeviceError, match="Continue on the CPU"):
        bp.Tensor([1.0]).to("gpu")
    assert reason


def test_save_and_load_work_for_gpu_models(simulated_gpu, tmp_path):
    model = bp.nn.MLP(2, [3, 1], seed=0).to("gpu")
    bp.save(model, tmp_path / "w.npz")
    other = bp.nn.MLP(2, [3, 1], seed=1)
    bp.load(other, tmp_path / "w.npz")
    np.testing.assert_array_equal(other.layers[0].weight.numpy(), model.layers[0].weight.numpy())
