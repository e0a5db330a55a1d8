"""Scalar mode end to end: losses, the MLP, the data sets and the loader."""

import numpy as np
import pytest

import backproplab as bp

torch = pytest.importorskip("torch")


def test_mse_matches_torch_and_its_gradient():
    preds = [bp.Value(v) for v in (0.5, -1.0, 2.0)]
    loss = bp.losses.mse(preds, [1.0, 0.0, 1.5])
    loss.backward()
    t = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.mse_loss(t, torch.tensor([1.0, 0.0, 1.5], dtype=torch.float64))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-12)
    assert [p.grad for p in preds] == pytest.approx(t.grad.tolist(), rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_cross_entropy_matches_torch_even_for_huge_logits(scale):
    rows = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]]) * scale
    targets = [2, 0]
    logits = [[bp.Value(v) for v in row] for row in rows]
    loss = bp.losses.cross_entropy(logits, targets)
    loss.backward()
    t = torch.tensor(rows, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    tl.backward()
    assert np.isfinite(loss.data)
    assert loss.data == pytest.approx(tl.item(), rel=1e-10)
    grads = [[v.grad for v in row] for row in logits]
    np.testing.assert_allclose(grads, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_single_sample_and_numpy_targets():
    logits = [bp.Value(2.0), bp.Value(0.0)]
    single = bp.losses.cross_entropy(logits, 1)
    batch = bp.losses.cross_entropy([logits], np.array([1]))
    assert single.data == pytest.approx(batch.data) == pytest.approx(np.log1p(np.exp(2.0)))


def test_bce_with_logits_matches_torch():
    scores = [bp.Value(v) for v in (3.0, -40.0, 0.2)]
    loss = bp.losses.binary_cross_entropy_with_logits(scores, [1, 1, 0])
    loss.backward()
    t = torch.tensor([3.0, -40.0, 0.2], dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-12)
    assert [s.grad for s in scores] == pytest.approx(t.grad.tolist(), rel=1e-9)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: bp.losses.mse([bp.Value(1.0)] * 3, [1.0, 2.0]), ValueError, "3 predictions but 2 targets"),
        (lambda: bp.losses.mse([], []), ValueError, "empty"),
        (lambda: bp.losses.cross_entropy([[bp.Value(1.0)] * 3], [3]), IndexError, "outside 0..2"),
        (lambda: bp.losses.cross_entropy([[bp.Value(1.0)] * 3], [0.5]), TypeError, "not an integer"),
        (lambda: bp.losses.cross_entropy([[bp.Value(1.0)] * 3] * 2, [0]), ValueError, "2 predictions but 1"),
        (lambda: bp.losses.binary_cross_entropy_with_logits([bp.Value(0.0)], [2]), ValueError, r"\[0, 1\]"),
    ],
)
def test_bad_loss_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_mlp_parameters_names_and_state_dict_round_trip():
    model = bp.nn.ScalarMLP(3, [4, 2], activation="relu", seed=1)
    assert len(model.parameters()) == 3 * 4 + 4 + 4 * 2 + 2
    state = model.state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "layers.0.weight": (4, 3), "layers.0.bias": (4,),
        "layers.1.weight": (2, 4), "layers.1.bias": (2,),
    }
    other = bp.nn.ScalarMLP(3, [4, 2], activation="relu", seed=2)
    x = [0.1, -0.2, 0.3]
    assert [o.data for o in other(x)] != [o.data for o in model(x)]
    other.load_state_dict(state)
    assert [o.data for o in other(x)] == [o.data for o in model(x)]


def test_load_state_dict_lists_every_difference():
    model = bp.nn.ScalarMLP(3, [4, 2], seed=1)
    state = model.state_dict()
    state["layers.0.weight"] = np.zeros((5, 3))
    del state["layers.1.bias"]
    state["layers.9.weight"] = np.zeros(2)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    text = str(info.value)
    assert "missing: layers.1.bias" in text and "unexpected: layers.9.weight" in text
    assert "layers.0.weight: model has (4, 3), given (5, 3)" in text


def test_same_seed_same_weights_and_expand_gives_same_gradients():
    a = bp.nn.ScalarMLP(2, [5, 1], seed=7)
    b = bp.nn.ScalarMLP(2, [5, 1], seed=7, expand=True)
    for model in (a, b):
        model.zero_grad()
        (model([0.3, -0.8]) ** 2).backward()
    assert [p.grad for p in a.parameters()] == pytest.approx([p.grad for p in b.parameters()], rel=1e-12)


def test_wrong_input_size_is_explained():
    with pytest.raises(ValueError, match="Expected 2 inputs, got 3"):
        bp.nn.ScalarMLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Unknown activation"):
        bp.nn.ScalarMLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="Unknown init"):
        bp.nn.ScalarMLP(2, [3, 1], init="zeros")


def accuracy(model, X, y):
    return np.mean([(model(list(x)).data > 0) == (t == 1) for x, t in zip(X, y)])


def test_scalar_mlp_learns_two_moons():
    X, y = bp.data.make_moons(100, noise=0.1, seed=0)
    model = bp.nn.ScalarMLP(2, [16, 16, 1], activation="tanh", seed=0)
    opt = bp.optim.Adam(model.parameters(), lr=0.03)
    before = accuracy(model, X, y)
    losses = []
    for epoch in range(40):
        for xb, yb in bp.data.DataLoader((X, y), batch_size=25, seed=epoch):
            scores = [model(list(x)) for x in xb]
            loss = bp.losses.binary_cross_entropy_with_logits(scores, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.data)
    after = accuracy(model, X, y)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert after >= 0.95 > before


def test_dataset_generators_are_seeded_and_shaped():
    for make in (bp.data.make_moons, bp.data.make_circles, bp.data.make_spirals):
        X1, y1 = make(n=90, seed=3)
        X2, y2 = make(n=90, seed=3)
        X3, _ = make(n=90, seed=4)
        assert X1.shape == (90, 2) and y1.shape == (90,) and y1.dtype == np.int64
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2) and not np.array_equal(X1, X3)
    X, y = bp.data.make_spirals(n=100, classes=4, seed=0)
    assert sorted(np.bincount(y)) == [25, 25, 25, 25]
    X, y = bp.data.make_regression_1d(50, seed=0)
    assert X.shape == (50, 1) and y.shape == (50,)
    with pytest.raises(ValueError, match="n must be"):
        bp.data.make_moons(0)
    with pytest.raises(ValueError, match="noise"):
        bp.data.make_moons(10, noise=-1)


def test_dataloader_batches_every_sample_once_per_epoch():
    X = np.arange(10).reshape(10, 1)
    y = np.arange(10)
    loader = bp.data.DataLoader((X, y), batch_size=4, seed=0)
    assert len(loader) == 3
    epochs = [[yb.tolist() for _, yb in loader] for _ in range(3)]
    for batches in epochs:
        assert [len(b) for b in batches] == [4, 4, 2]
        assert sorted(sum(batches, [])) == list(range(10))
    assert epochs[0] != epochs[1]  # reshuffled each epoch
    again = bp.data.DataLoader((X, y), batch_size=4, seed=0)
    assert [yb.tolist() for _, yb in again] == epochs[0]
    dropped = bp.data.DataLoader((X, y), batch_size=4, shuffle=False, drop_last=True)
    assert len(dropped) == 2 and [yb.tolist() for _, yb in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="different lengths"):
        bp.data.DataLoader((X, y[:5]))
    with pytest.raises(ValueError, match="batch_size"):
        bp.data.DataLoader((X, y), batch_size=0)
