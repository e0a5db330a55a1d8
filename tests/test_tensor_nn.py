"""Tensor-mode networks: parity with scalar mode, saving and loading, training."""

import os

import numpy as np
import pytest

import backproplab as bp

torch = pytest.importorskip("torch")


def test_scalar_and_tensor_mlp_agree_to_1e_10():
    X, y = bp.data.make_spirals(12, classes=3, seed=0)
    for activation in ("tanh", "relu", "sigmoid"):
        scalar = bp.nn.ScalarMLP(2, [5, 4, 3], activation=activation, seed=3)
        tensor = bp.nn.MLP(2, [5, 4, 3], activation=activation, seed=3, dtype="float64")
        tensor.load_state_dict(scalar.state_dict())  # the same float64 weights, exactly
        for a, b in zip(scalar.state_dict().values(), tensor.state_dict().values()):
            np.testing.assert_array_equal(a, b)

        s_loss = bp.losses.cross_entropy([scalar(list(x)) for x in X], y)
        s_loss.backward()
        t_loss = bp.losses.cross_entropy(tensor(bp.Tensor(X, dtype="float64")), y)
        t_loss.backward()
        assert abs(s_loss.data - t_loss.item()) <= 1e-10 * abs(s_loss.data)
        for (name, s_param), t_param in zip(scalar.named_parameters(), tensor.parameters()):
            s_grad = np.array([v.grad for v in bp.nn.module.flatten_values(s_param)]).reshape(t_param.shape)
            rel = np.abs(s_grad - t_param.grad).max() / np.abs(t_param.grad).max()
            assert rel < 1e-10, (activation, name, rel)


def test_same_seed_gives_the_same_weights_in_both_modes():
    scalar = bp.nn.ScalarMLP(3, [4, 2], seed=11)
    tensor = bp.nn.MLP(3, [4, 2], seed=11, dtype="float64")
    for a, b in zip(scalar.state_dict().values(), tensor.state_dict().values()):
        np.testing.assert_array_equal(a, b)


def test_linear_matches_torch_names_shapes_and_gradients():
    layer = bp.nn.Linear(4, 3, seed=0, dtype="float64")
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    tl = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(layer.weight.numpy()))
        tl.bias.copy_(torch.tensor(layer.bias.numpy()))
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    out = layer(bp.Tensor(x, dtype="float64"))
    tout = tl(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
    (out**2).sum().backward()
    (tout**2).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, tl.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, tl.bias.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="expects inputs with 4 features"):
        layer(bp.Tensor(np.ones((2, 5))))


@pytest.mark.parametrize("x_shape, w_shape", [((7,), (3, 7)), ((2, 5, 4), (3, 4)), ((2, 3, 2, 4), (5, 4)),
                                              ((0, 4), (3, 4)), ((2, 0), (3, 0)), ((2, 4), (0, 4))])
def test_linear_over_any_leading_axes_and_empty_sizes_matches_torch(x_shape, w_shape):
    # LinearFn multiplies (..., in) as one (rows, in) matrix: the leading axes must come back
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[:1])
    ours = [bp.Tensor(a, dtype="float64", requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out, tout = bp.functional.linear(*ours), torch.nn.functional.linear(*theirs)
    assert out.shape == tuple(tout.shape)
    upstream = rng.standard_normal(out.shape)
    (out * upstream).sum().backward()
    (tout * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, ta in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_gradcheck_through_a_whole_mlp():
    model = bp.nn.MLP(3, [4, 2], activation="gelu", seed=0, dtype="float64")
    x = bp.Tensor(np.random.default_rng(1).standard_normal((5, 3)), dtype="float64", requires_grad=True)
    assert bp.gradcheck(lambda x, w: bp.losses.cross_entropy(model(x) * w.sum(), [0, 1, 1, 0, 1]),
                        [x, model.layers[0].weight])


def test_sequential_names_like_torch_and_modes_switch():
    net = bp.nn.Sequential(bp.nn.Linear(2, 3, seed=0), bp.nn.ReLU(), bp.nn.Dropout(0.5, seed=0),
                           bp.nn.Linear(3, 1, seed=1))
    assert list(net.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    x = bp.Tensor(np.ones((4, 2)))
    net.eval()
    assert not net.layers[2].training
    np.testing.assert_array_equal(net(x).numpy(), net(x).numpy())
    net.train()
    dropped = bp.nn.Dropout(0.5, seed=0)(bp.Tensor(np.ones((1000,))))
    values = set(np.round(dropped.numpy(), 6))
    assert values == {0.0, 2.0} and 400 < (dropped.numpy() == 0).sum() < 600


def test_save_and_load_round_trip_atomically(tmp_path):
    model = bp.nn.MLP(2, [8, 3], seed=0)
    path = tmp_path / "weights.npz"
    bp.save(model, path)
    assert sorted(os.listdir(tmp_path)) == ["weights.npz"]  # no temporary file left behind
    other = bp.load(bp.nn.MLP(2, [8, 3], seed=1), path)
    x = bp.Tensor(np.ones((2, 2)))
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_loading_mismatched_weights_lists_the_differences(tmp_path):
    path = tmp_path / "w.npz"
    bp.save(bp.nn.MLP(2, [8, 3], seed=0), path)
    with pytest.raises(ValueError) as info:
        bp.load(bp.nn.MLP(2, [5, 3, 1], seed=0), path)
    text = str(info.value)
    assert "layers.0.weight: model has (5, 2), given (8, 2)" in text
    assert "missing: layers.2.weight" in text


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.weight": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="not a weights file"):
        bp.load(bp.nn.MLP(2, [1], seed=0), path)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a weights file"):
        bp.load(bp.nn.MLP(2, [1], seed=0), tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError, match="No weights file"):
        bp.load(bp.nn.MLP(2, [1], seed=0), tmp_path / "missing.npz")


def test_tensor_optimizer_steps_equal_scalar_steps():
    values = [bp.Value(0.5), bp.Value(-1.0)]
    tensor = bp.Tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    opt_s = bp.optim.AdamW(values, lr=0.1)
    opt_t = bp.optim.AdamW([tensor], lr=0.1)
    for step in range(5):
        for opt in (opt_s, opt_t):
            opt.zero_grad()
        sum((v * v * (step + 1)) for v in values).backward()
        (tensor * tensor * (step + 1)).sum().backward()
        opt_s.step()
        opt_t.step()
    np.testing.assert_allclose([v.data for v in values], tensor.numpy(), rtol=1e-14)


def test_mlp_learns_spirals_with_cross_entropy_and_adam():
    X, y = bp.data.make_spirals(300, classes=3, noise=0.2, seed=0)
    model = bp.nn.MLP(2, [32, 32, 3], activation="relu", seed=0)
    opt = bp.optim.Adam(model.parameters(), lr=0.02)
    accuracy = lambda: (model(X).argmax(1).numpy() == y).mean()  # noqa: E731
    before = accuracy()
    losses = []
    for epoch in range(150):
        for xb, yb in bp.data.DataLoader((X, y), batch_size=50, seed=epoch):
            loss = bp.losses.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])
    assert accuracy() >= 0.95 > before


def test_dataloader_batches_tensors():
    X, y = bp.Tensor(np.arange(10.0).reshape(5, 2)), bp.Tensor(np.arange(5))
    batches = list(bp.data.DataLoader((X, y), batch_size=2, shuffle=False))
    assert isinstance(batches[0][0], bp.Tensor) and batches[-1][1].tolist() == [4]
