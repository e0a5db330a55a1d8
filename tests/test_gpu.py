"""The package on a GPU, each part against its CPU result.

Every test runs twice (``gpu_support.KINDS``): on the guard device, everywhere, and with CuPy on a
real GPU, marked ``gpu`` (``pytest -m gpu`` selects those; without a GPU they are skipped with
the reason).  Computations are in float64, so the GPU must agree with the CPU to rounding.
"""

import numpy as np
import pytest

import backproplab as bp
from backproplab import backend
from gpu_support import KINDS, gpu_device

pytestmark = pytest.mark.parametrize("kind", KINDS)
RTOL, ATOL = 1e-9, 1e-12  # float64: a GPU sums in another order, nothing more


def _close(gpu_values, cpu_values):
    for g, c in zip(gpu_values, cpu_values, strict=True):
        np.testing.assert_allclose(backend.to_host(g), backend.to_host(c), rtol=RTOL, atol=ATOL)


def _on_both(kind, run):
    """``run(device)`` on the CPU and on the GPU; results as NumPy arrays (lists of them)."""
    cpu = run("cpu")
    with gpu_device(kind):
        gpu = run("gpu")
        assert bp.backend.gpu_available()
        return [backend.to_host(v) for v in gpu], [backend.to_host(v) for v in cpu]


def _forward_backward(model, x, device, target=None):
    """Output and every gradient of one forward and backward pass of ``model`` on ``device``."""
    model.to(device)
    out = model(bp.Tensor(x, dtype="float64").to(device))
    loss = (out * out).mean() if target is None else bp.losses.cross_entropy(out, target)
    loss.backward()
    return [out] + [p.grad for p in model.parameters()]


def test_mlp_training(kind):
    X, y = bp.data.make_spirals(120, seed=0)

    def run(device):
        model = bp.nn.MLP(2, [32, 3], activation="relu", seed=0, dtype="float64").to(device)
        opt = bp.optim.Adam(model.parameters(), lr=0.01)
        xb, yb = bp.Tensor(X, dtype="float64").to(device), bp.Tensor(y).to(device)
        for _ in range(5):
            loss = bp.losses.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return [p.data for p in model.parameters()]

    _close(*_on_both(kind, run))


def test_gradcheck_and_indexing(kind):
    with gpu_device(kind):
        x = bp.Tensor(np.random.default_rng(0).standard_normal((3, 4)), dtype="float64").to("gpu")
        x = x.detach().requires_grad_()
        assert bp.gradcheck(lambda t: (t[[0, 0, 2]] ** 2).sum() + t.gelu("none").mean(), [x])


def test_convolution_and_pooling(kind):
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8))
    signal = np.random.default_rng(2).standard_normal((2, 2, 12))

    def run(device):
        nn = bp.nn
        cnn = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=0, dtype="float64"), nn.ReLU(),
                            nn.MaxPool2d(2),
                            nn.Conv2d(3, 4, 3, stride=1, seed=1, dtype="float64"), nn.AvgPool2d(2),
                            nn.Flatten(), nn.Linear(4, 3, seed=2, dtype="float64"))
        conv1d = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1, seed=3, dtype="float64"), nn.MaxPool1d(2))
        return (_forward_backward(cnn, x, device, bp.Tensor([0, 2]).to(device))
                + _forward_backward(conv1d, signal, device))

    _close(*_on_both(kind, run))


def test_lstm_and_rnn(kind):
    x = np.random.default_rng(3).standard_normal((2, 6, 3))

    def run(device):
        results = []
        for layer in (bp.nn.LSTM(3, 4, seed=0, dtype="float64"), bp.nn.RNN(3, 4, seed=1, dtype="float64")):
            layer.to(device)
            outputs, state = layer(bp.Tensor(x, dtype="float64").to(device))
            last = state[1] if isinstance(state, tuple) else state  # the LSTM's cell state
            ((outputs * outputs).sum() + last.sum()).backward()
            results += [outputs, last] + [p.grad for p in layer.parameters()]
        return results

    _close(*_on_both(kind, run))


def test_attention_and_the_transformer_language_model(kind):
    ids = np.random.default_rng(4).integers(0, 11, (3, 5))
    x = np.random.default_rng(5).standard_normal((2, 4, 8))

    def run(device):
        attention = bp.nn.MultiHeadSelfAttention(8, 2, seed=0, dtype="float64")
        results = _forward_backward(attention, x, device) + [attention.last_weights]
        lm = bp.nn.TransformerLM(11, 6, d_model=8, n_heads=2, n_layers=2, seed=1, dtype="float64").to(device)
        logits = lm(bp.Tensor(ids).to(device))
        bp.losses.cross_entropy(logits, bp.Tensor(np.roll(ids, -1, axis=1)).to(device)).backward()
        return results + [logits] + [p.grad for p in lm.parameters()]

    _close(*_on_both(kind, run))


def test_embedding_adds_the_gradients_of_repeated_tokens(kind):
    ids = np.array([[0, 3, 3], [5, 0, 3]])

    def run(device):
        embedding = bp.nn.Embedding(6, 4, seed=0, dtype="float64").to(device)
        out = embedding(bp.Tensor(ids).to(device))
        (out * bp.Tensor(np.arange(24.0).reshape(2, 3, 4), dtype="float64").to(device)).sum().backward()
        return [out, embedding.weight.grad]

    gpu, cpu = _on_both(kind, run)
    _close(gpu, cpu)
    assert np.count_nonzero(cpu[1].any(axis=1)) == 3  # rows 0, 3 and 5: summed, not overwritten


def test_dropout(kind):
    x = np.ones((300, 40))

    def run(device):
        layer = bp.nn.Dropout(0.25, seed=0)
        data = bp.Tensor(x, dtype="float64").to(device).detach().requires_grad_()
        train = layer(data)
        train.sum().backward()
        again = bp.nn.Dropout(0.25, seed=0)(data)
        layer.eval()
        return [train, data.grad, again, layer(data)]

    (train, grad, again, evaluated), (cpu_train, _, _, cpu_eval) = _on_both(kind, run)
    np.testing.assert_array_equal(train, again)  # the same seed draws the same mask on the GPU
    np.testing.assert_array_equal(grad, train)  # the gradient is the mask itself
    assert set(np.unique(train)) == {0.0, 1 / 0.75} and abs((train > 0).mean() - 0.75) < 0.01
    assert abs(train.mean() - cpu_train.mean()) < 0.02  # different masks, the same statistics
    np.testing.assert_array_equal(evaluated, cpu_eval)


def test_fit_end_to_end(kind):
    X, y = bp.data.make_moons(80, noise=0.1, seed=0)

    def run(device):
        model = bp.nn.MLP(2, [16, 2], activation="tanh", seed=0, dtype="float64").to(device)
        data = bp.data.DataLoader((bp.Tensor(X, dtype="float64").to(device), bp.Tensor(y).to(device)),
                                  batch_size=20, seed=0)
        history = bp.train.fit(model, bp.losses.cross_entropy, bp.optim.Adam(model.parameters(), lr=0.05),
                               data, epochs=3, progress=False, val_data=(X, y))
        assert history.stopped is None and len(history.step_loss) == 12
        return [np.array(history.step_loss), np.array(history.metric), np.array(history.val_loss),
                np.array(list(history.grad_norms.values()))] + [p.data for p in model.parameters()]

    _close(*_on_both(kind, run))


def test_save_and_load(kind, tmp_path):
    def run(device):
        model = bp.nn.MLP(2, [5, 2], seed=0, dtype="float64").to(device)
        bp.losses.cross_entropy(model(np.ones((2, 2))), [0, 1]).backward()
        bp.optim.SGD(model.parameters(), lr=0.5).step()
        path = tmp_path / f"{device}.npz"
        bp.save(model, path)
        on_cpu, on_device = bp.nn.MLP(2, [5, 2], seed=1, dtype="float64"), bp.nn.MLP(2, [5, 2], seed=1,
                                                                                    dtype="float64")
        bp.load(on_cpu, path)
        bp.load(on_device.to(device), path)
        assert all(p.device == device for p in on_device.parameters())
        return [p.data for p in model.parameters() + on_cpu.parameters() + on_device.parameters()]

    gpu, cpu = _on_both(kind, run)
    _close(gpu, cpu)
    half = len(gpu) // 3
    _close(gpu[half:2 * half], gpu[:half])


def test_decision_boundary_plot(kind):
    X, y = bp.data.make_moons(60, seed=1)

    def run(device):
        model = bp.nn.MLP(2, [8, 2], seed=0, dtype="float64").to(device)
        ax = bp.viz.plot_decision_boundary(model, bp.Tensor(X, dtype="float64").to(device),
                                           bp.Tensor(y).to(device), resolution=30)
        title = float(ax.get_title().split()[1].rstrip("%"))
        return [np.array([title]), bp.viz.predict_classes(model, X), ax.collections[-1].get_offsets()]

    _close(*_on_both(kind, run))
