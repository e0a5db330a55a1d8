"""Issue 15: a guard as strict as CuPy, and the GPU defects it exposes, each on every device.

The guard device (``backend.simulate_gpu()``) refuses what CuPy refuses and wraps indices out of
range as CuPy does, so each test below failed on the code before the fix in CI, without a GPU.
"""

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import backproplab as bp
from backproplab import backend

DEVICES = ["cpu", "gpu"]


@pytest.fixture(autouse=True)
def guard_device():
    with backend.simulate_gpu():
        yield


def _leaf(array, device, dtype="float64"):
    """A leaf tensor created on ``device`` (its gradient stays there)."""
    return bp.Tensor(array, dtype=dtype).to(device).detach().requires_grad_()


# ---------------------------------------------------------------- the guard is as strict as CuPy


def test_guard_refuses_implicit_conversion_to_numpy():
    g = bp.Tensor([1.0, 2.0]).to("gpu").data
    for convert in (np.asarray, np.array, lambda a: np.array([a, a])):
        with pytest.raises(TypeError, match="Implicit conversion"):
            convert(g)
    with pytest.raises(TypeError):
        Figure().add_subplot().plot(g)  # matplotlib converts with np.asarray
    assert backend.to_host(g).tolist() == [1.0, 2.0]  # explicit copies work


def test_guard_refuses_python_lists_in_ufuncs():
    g = bp.Tensor([1.0, 2.0]).to("gpu").data
    for combine in (lambda: g > [0, 2], lambda: np.add(g, [1, 2]), lambda: g * (1, 2)):
        with pytest.raises(TypeError, match="Unsupported type"):
            combine()
    assert backend.to_host(g * 2 + np.float32(1)).tolist() == [3.0, 5.0]


def test_guard_wraps_integer_array_indices_as_cupy_does():
    g = backend.to_device(np.arange(3.0), "gpu")
    assert backend.to_host(g[np.array([5])]).tolist() == [2.0]  # silently row 2, as CuPy
    assert backend.to_host(g[[-4]]).tolist() == [2.0]
    backend.array_module(g).add.at(g, np.array([3]), 10.0)  # cupy.add.at wraps too
    assert backend.to_host(g).tolist() == [10.0, 1.0, 2.0]
    with pytest.raises(IndexError):
        g[5]  # a single integer is checked by CuPy as well


# ---------------------------------------------------------------- indices out of range are stopped


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("index", [[5], np.array([3]), ([0, 1], [0, 2]), (slice(None), [2]), [-4],
                                   (Ellipsis, np.array([[0], [7]]))])
def test_indexing_refuses_integer_arrays_out_of_range(device, index):
    t = _leaf(np.arange(6.0).reshape(3, 2), device)
    with pytest.raises(IndexError, match="out of bounds"):
        t[index]


@pytest.mark.parametrize("device", DEVICES)
def test_indices_already_on_the_device_are_checked_by_the_next_read(device):
    t = _leaf(np.arange(6.0).reshape(3, 2), device)
    index = bp.Tensor([0, 3]).to(device)
    with pytest.raises(IndexError, match="index 3 is out of bounds|Index 3 is out of bounds"):
        t[index].numpy()  # on the GPU the check waits for the next read, then names the index
    assert t[bp.Tensor([-1, 0]).to(device)].numpy().tolist() == [[4.0, 5.0], [0.0, 1.0]]


@pytest.mark.parametrize("device", DEVICES)
def test_a_gradient_never_lands_in_a_wrapped_row(device):
    t = _leaf(np.arange(6.0).reshape(3, 2), device)
    (t[[0, 2, 2]] * 1.0).sum().backward()
    assert backend.to_host(t.grad).tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]
    target = backend.to_device(np.zeros(3), device)
    with pytest.raises(IndexError, match="out of bounds"):
        backend.scatter_add(target, np.array([0, 3]), 1.0)
    with pytest.raises(IndexError, match="Index 4"):  # on the GPU: at the next read
        backend.scatter_add(target, backend.to_device(np.array([1, 4]), device), 1.0)
        backend.to_host(target)


@pytest.mark.parametrize("device", DEVICES)
def test_rows_taken_by_the_data_loader_are_checked(device):
    column = bp.Tensor(np.arange(4.0)).to(device)
    with pytest.raises(IndexError, match="out of bounds"):
        bp.data._take(column, np.array([1, 4]))
    batches = [b.numpy().tolist() for (b,) in bp.data.DataLoader((column,), batch_size=2, shuffle=False)]
    assert batches == [[0.0, 1.0], [2.0, 3.0]]


@pytest.mark.parametrize("device", DEVICES)
def test_class_indices_and_token_ids_out_of_range_are_reported(device):
    logits = _leaf(np.zeros((2, 3)), device)
    with pytest.raises(IndexError, match=r"class index 3 is outside 0..2"):
        bp.losses.cross_entropy(logits, [0, 3])  # host targets: checked before they move
    with pytest.raises(IndexError, match=r"class index 3 is outside 0..2"):
        bp.losses.cross_entropy(logits, bp.Tensor([0, 3]).to(device)).item()
    embedding = bp.nn.Embedding(4, 2, seed=0).to(device)
    with pytest.raises(IndexError, match="Token id 4 is outside the vocabulary 0..3"):
        embedding(bp.Tensor([[1, 4]]).to(device)).numpy()


def test_device_checks_are_immediate_under_detect_anomaly():
    t = _leaf(np.arange(3.0), "gpu")
    with bp.detect_anomaly(), pytest.raises(IndexError, match="out of bounds"):
        t[bp.Tensor([3]).to("gpu")]
    with pytest.raises(ValueError, match="log of zero"):
        with backend.simulate_gpu():
            bp.Tensor([0.0]).to("gpu").log()  # never read: reported when the block ends


# ---------------------------------------------------------------- data meeting the host


@pytest.mark.parametrize("device", DEVICES)
def test_accuracy_and_decision_boundary_take_device_data(device):
    X, y = bp.data.make_moons(40, seed=0)
    model = bp.nn.MLP(2, [8, 2], seed=0).to(device)
    preds = model(bp.Tensor(X).to(device))
    labels = bp.Tensor(y).to(device)
    expected = float((preds.numpy().argmax(axis=1) == y).mean())
    assert bp.train.accuracy(preds, labels) == expected
    assert bp.train.accuracy(preds, labels.data) == expected  # a bare device array
    ax = bp.viz.plot_decision_boundary(model, bp.Tensor(X).to(device), labels, resolution=20)
    assert ax.get_title() == f"accuracy {expected:.1%}"


@pytest.mark.parametrize("device", DEVICES)
def test_collating_device_samples_keeps_them_on_their_device(device):
    samples = [(backend.to_device(np.full(2, float(i)), device), backend.to_device(np.array(i), device))
               for i in range(4)]
    xb, yb = next(iter(bp.data.DataLoader(samples, batch_size=4, shuffle=False)))
    assert backend.device_of(xb) == device and backend.to_host(yb).tolist() == [0, 1, 2, 3]
    assert backend.to_host(xb)[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("device", DEVICES)
def test_a_tensor_from_a_list_of_device_arrays(device):
    a, b = bp.Tensor([1.0, 2.0]).to(device), bp.Tensor([3.0, 4.0]).to(device)
    t = bp.Tensor([a.data, b.data])
    assert t.device == device and t.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    if device == "gpu":
        with pytest.raises(bp.DeviceError, match="CPU and on the GPU"):
            bp.Tensor([a.data, np.array([5.0, 6.0])])


@pytest.mark.parametrize("device", DEVICES)
def test_python_lists_follow_the_tensor_to_its_device(device):
    t = bp.Tensor([1.0, 2.0, 3.0]).to(device)
    assert (t > [0, 2, 5]).numpy().tolist() == [True, False, False]
    assert (t + [1, 1, 1]).numpy().tolist() == [2.0, 3.0, 4.0]
    assert ([2, 2, 2] * t).numpy().tolist() == [2.0, 4.0, 6.0]
    assert bp.where(t > 1, t, [0.0, 0.0, 0.0]).numpy().tolist() == [0.0, 2.0, 3.0]
    assert 2.0 in t and [9.0] not in t
    if device == "gpu":
        with pytest.raises(bp.DeviceError):
            t > np.ones(3)  # a NumPy array is data on the CPU: not moved silently


# ---------------------------------------------------------------- no needless waits for the GPU


def test_cross_entropy_embedding_and_log_never_copy_to_or_from_the_device():
    from backproplab._guard import count_transfers

    logits = _leaf(np.random.default_rng(0).standard_normal((4, 3)), "gpu")
    targets, ids = bp.Tensor([0, 2, 1, 1]).to("gpu"), bp.Tensor([[0, 4], [1, 2]]).to("gpu")
    positive = _leaf(np.linspace(0.5, 2.0, 6), "gpu")
    embedding = bp.nn.Embedding(5, 3, seed=0).to("gpu")
    count = count_transfers()
    loss = (bp.losses.cross_entropy(logits, targets) + embedding(ids).sum() + positive.log().sum()
            + bp.losses.binary_cross_entropy_with_logits(positive, positive * 0))
    loss.backward()
    assert (count.downloads, count.uploads) == (0, 0)
    assert np.isfinite(loss.item()) and count.downloads > 0  # reading is the first copy


def test_dropout_draws_its_mask_on_the_device_and_repeatably():
    from backproplab._guard import count_transfers

    x = bp.Tensor(np.ones((200, 50))).to("gpu")
    first, second = bp.nn.Dropout(0.3, seed=7), bp.nn.Dropout(0.3, seed=7)
    count = count_transfers()
    out = first(x)
    assert (count.downloads, count.uploads) == (0, 0)
    kept = out.numpy()
    assert np.array_equal(kept, second(x).numpy())
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.7)} and abs((kept > 0).mean() - 0.7) < 0.02
    cpu = bp.nn.Dropout(0.3, seed=7)(bp.Tensor(np.ones((4, 5)))).numpy()  # as before issue 15
    expected = (np.random.default_rng(7).random((4, 5)) >= 0.3) / np.float32(0.7)
    np.testing.assert_array_equal(cpu, expected.astype(np.float32))


def test_recording_gradient_norms_reads_once_per_epoch_whatever_the_model_size():
    from backproplab._guard import count_transfers

    X, y = bp.data.make_spirals(60, seed=0)
    data = bp.data.DataLoader((bp.Tensor(X).to("gpu"), bp.Tensor(y).to("gpu")), batch_size=20, seed=0)
    downloads = []
    for hidden in ([8], [8, 8, 8, 8]):
        model = bp.nn.MLP(2, [*hidden, 3], seed=0).to("gpu")
        count = count_transfers()
        history = bp.train.fit(model, bp.losses.cross_entropy, bp.optim.SGD(model.parameters(), 0.1),
                               data, epochs=2, progress=False)
        downloads.append(count.downloads)
        assert list(history.grad_norms) == [name for name, _ in model.named_parameters()]
        assert all(len(norms) == 6 and min(norms) > 0 for norms in history.grad_norms.values())
    assert downloads[0] == downloads[1]  # not one copy per parameter and step


def test_gradient_norms_are_the_same_on_both_devices():
    model = bp.nn.MLP(2, [4, 3], seed=0, dtype="float64")
    bp.losses.cross_entropy(model(np.ones((2, 2))), [0, 2]).backward()
    on_cpu = bp.hooks.gradient_norms(model)
    assert len(on_cpu) == 4 and min(on_cpu.values()) > 0
    model.to("gpu")
    assert bp.hooks.gradient_norms(model) == on_cpu


# ---------------------------------------------------------------- CuPy itself: add.at, what is missing


class _FakeCupy:
    """Just enough of CuPy's surface to follow which calls the real-GPU path makes."""

    class ndarray:
        def __init__(self, array):
            self.array, self.shape, self.dtype = array, array.shape, array.dtype

    def __init__(self):
        self.calls = []
        fake = self

        class _Add:
            @staticmethod
            def at(target, index, values):
                fake.calls.append(("add.at", index.array.tolist()))

        self.add = _Add()

    def asarray(self, array, dtype=None):
        return self.ndarray(np.asarray(array, dtype=dtype))


def test_the_cupy_path_scatters_with_cupy_add_at(monkeypatch):
    fake = _FakeCupy()
    monkeypatch.setattr(backend, "_cupy", fake)
    monkeypatch.setattr(backend, "_simulated", False)
    monkeypatch.setattr(backend, "_gpu_checked", (True, "fake GPU"))
    backend.scatter_add(fake.ndarray(np.zeros(3)), np.array([2, 0]), 1.0)
    assert fake.calls == [("add.at", [2, 0])]  # not cupyx.scatter_add, deprecated since CuPy 13


def _cupy_failing(step: str, message: str, driver_version: int = 12020):
    class Runtime:
        @staticmethod
        def getDeviceCount():
            if step == "driver":
                raise RuntimeError(message)
            return 1

        getDeviceProperties = staticmethod(lambda i: {"name": b"Fake GPU"})
        driverGetVersion = staticmethod(lambda: driver_version)

    class Cupy:
        __version__, float32, is_available = "14.2.0", np.float32, staticmethod(lambda: step == "none")
        cuda = type("cuda", (), {"runtime": Runtime})

        @staticmethod
        def arange(n, dtype=None):
            if step == "nvrtc":
                raise RuntimeError(message)
            return np.arange(n, dtype=dtype)

        @staticmethod
        def ones(shape, dtype=None):
            if step == "cublas":
                raise RuntimeError(message)
            return np.ones(shape, dtype=dtype)

        random = type("random", (), {"default_rng": staticmethod(np.random.default_rng)})
    return Cupy


@pytest.mark.parametrize("step, message, driver, expected", [
    ("driver", "cudaErrorInsufficientDriver: CUDA driver version is insufficient", 0, "No NVIDIA driver"),
    ("driver", "cudaErrorInsufficientDriver: CUDA driver version is insufficient", 11040,
     "driver supports CUDA 11.4"),
    ("driver", "cudaErrorNoDevice: no CUDA-capable device is detected", 12020, "sees no GPU"),
    ("nvrtc", "libnvrtc.so.12: cannot open shared object file", 12020, r"NVRTC.*cupy-cuda12x\[ctk\]"),
    ("cublas", "DynamicLibNotFoundError: libcublas.so.12 not found", 12020, r"cuBLAS.*cupy-cuda12x\[ctk\]"),
])
def test_gpu_status_names_the_missing_part_and_its_fix(step, message, driver, expected):
    from backproplab._gpu_probe import diagnose

    usable, reason = diagnose(_cupy_failing(step, message, driver))
    assert not usable
    assert re.search(expected, reason, re.S), reason
    assert "no NVIDIA driver, or no device" not in reason


def test_gpu_status_when_everything_works_and_when_cupy_is_missing(monkeypatch):
    from backproplab._gpu_probe import diagnose

    assert diagnose(_cupy_failing("none", "")) == (True, "1 CUDA device(s), the first a Fake GPU")
    monkeypatch.setattr(backend, "_simulated", False)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", ImportError("No module named 'cupy'"))
    monkeypatch.setattr(backend, "_gpu_checked", None)
    assert 'pip install -e ".[gpu]"' in backend.gpu_status()[1]


def test_the_gpu_extra_brings_the_cuda_libraries():
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    gpu = re.search(r"^gpu = \[(.*)\]$", pyproject, re.M).group(1)
    assert re.fullmatch(r'"cupy-cuda12x\[ctk\]>=14(\.\d+)*"', gpu.strip()), gpu
