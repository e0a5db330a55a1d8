"""The LSTM's one-op forward and backward through time against PyTorch and finite differences."""

import numpy as np
import pytest

import backproplab as bp

torch = pytest.importorskip("torch")


def t64(array):
    return bp.Tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=True)


@pytest.mark.parametrize("n, steps, features, hidden", [(2, 5, 3, 4), (1, 1, 2, 3), (3, 7, 1, 2)])
def test_lstm_outputs_state_and_every_gradient_match_torch(n, steps, features, hidden):
    rng = np.random.default_rng(steps)
    ours = bp.nn.LSTM(features, hidden, seed=0, dtype="float64")
    theirs = torch.nn.LSTM(features, hidden, batch_first=True).double()
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    with torch.no_grad():
        for name in names:
            getattr(theirs, f"{name}_l0").copy_(torch.tensor(getattr(ours, name).numpy()))
    xs, h0, c0 = (rng.standard_normal(s) for s in ((n, steps, features), (n, hidden), (n, hidden)))
    X, H0, C0 = t64(xs), t64(h0), t64(c0)
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in (xs, h0, c0))
    out, (h, c) = ours(X, (H0, C0))
    tout, (th, tc) = theirs(tx, (th0[None], tc0[None]))
    g_out, g_h, g_c = (rng.standard_normal(s) for s in (out.shape, h.shape, c.shape))
    ((out * g_out).sum() + (h * g_h).sum() + (c * g_c).sum()).backward()
    ((tout * torch.tensor(g_out)).sum() + (th[0] * torch.tensor(g_h)).sum()
     + (tc[0] * torch.tensor(g_c)).sum()).backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), tc[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, ta in ((X, tx), (H0, th0), (C0, tc0)):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name in names:
        np.testing.assert_allclose(getattr(ours, name).grad, getattr(theirs, f"{name}_l0").grad.numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=name)


def test_lstm_gradients_match_finite_differences_through_the_state():
    rng = np.random.default_rng(1)
    lstm = bp.nn.LSTM(2, 3, seed=0, dtype="float64")

    def final_state(x, h0, c0, w_hh):
        lstm.weight_hh = w_hh
        _, (h, c) = lstm(x, (h0, c0))
        return h * c

    assert bp.gradcheck(final_state, [t64(rng.standard_normal((2, 4, 2))), t64(rng.standard_normal((2, 3))),
                                      t64(rng.standard_normal((2, 3))), t64(lstm.weight_hh.numpy())])


def test_lstm_step_by_step_equals_whole_sequence():
    """Feeding the state back one step at a time gives the same outputs (as in generation)."""
    rng = np.random.default_rng(2)
    lstm = bp.nn.LSTM(3, 4, seed=0, dtype="float64")
    xs = bp.Tensor(rng.standard_normal((2, 6, 3)), dtype="float64")
    whole, _ = lstm(xs)
    state, steps = None, []
    for t in range(6):
        out, state = lstm(xs[:, t:t + 1], state)
        steps.append(out.numpy())
    np.testing.assert_allclose(np.concatenate(steps, axis=1), whole.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_float32_lstm_matches_torch_also_with_saturated_gates(scale):
    """The sigmoids are computed as (1 + tanh(z/2)) / 2; with weights scaled up the gates sit at
    0 and 1, where a sigmoid written carelessly overflows (e^-z) or gives NaN (inf / inf)."""
    rng = np.random.default_rng(3)
    ours = bp.nn.LSTM(3, 5, seed=0)
    theirs = torch.nn.LSTM(3, 5, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ours, name)._data *= scale
            getattr(theirs, f"{name}_l0").copy_(torch.tensor(getattr(ours, name).numpy()))
    xs = rng.standard_normal((4, 9, 3)).astype(np.float32)
    X, tx = bp.Tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
    out, (h, c) = ours(X)
    tout, (th, tc) = theirs(tx)
    g_out = rng.standard_normal(out.shape).astype(np.float32)
    ((out * g_out).sum() + c.sum()).backward()
    ((tout * torch.tensor(g_out)).sum() + tc.sum()).backward()
    assert out.dtype == np.float32 and np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), tc[0].detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight_hh.grad, theirs.weight_hh_l0.grad.numpy(), rtol=1e-4,
                               atol=1e-5)


def test_lstm_output_type_follows_its_weights():
    """float32 inputs into a float64 layer give float64 outputs, as a matrix product would."""
    lstm = bp.nn.LSTM(2, 3, seed=0, dtype="float64")
    out, (h, c) = lstm(np.ones((2, 4, 2), dtype=np.float32))
    assert out.dtype == h.dtype == c.dtype == np.float64


@pytest.mark.parametrize("hidden", [1, 3])
def test_the_gradient_handed_to_the_lstm_op_is_left_as_it_came(hidden):
    """With one sequence in the batch, c_T's gradient row is already contiguous; the op must
    copy it before updating it, not write into its caller's array (nor fail on a read-only one)."""
    from backproplab.recurrent import LSTMFn

    lstm = bp.nn.LSTM(2, hidden, seed=0, dtype="float64")
    x = t64(np.random.default_rng(4).standard_normal((1, 3, 2)))
    zeros = np.zeros((1, hidden))
    states = LSTMFn.apply(x, zeros, zeros, lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh)
    upstream = np.ones(states.shape)
    states.backward(upstream)
    assert np.array_equal(upstream, np.ones(states.shape))
    first = x.grad.copy()
    x.grad = None
    LSTMFn.apply(x, zeros, zeros, lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh).sum().backward()
    np.testing.assert_allclose(x.grad, first, rtol=1e-12)  # .sum() hands over a read-only broadcast


def test_an_lstm_over_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients():
    lstm = bp.nn.LSTM(2, 3, seed=0)
    x = bp.Tensor(np.zeros((0, 4, 2), np.float32), requires_grad=True)
    out, (h, c) = lstm(x)
    assert out.shape == (0, 4, 3) and h.shape == c.shape == (0, 3)
    (out.sum() + c.sum()).backward()
    assert x.grad.shape == (0, 4, 2)
    assert lstm.weight_hh.grad.shape == (12, 3) and not lstm.weight_hh.grad.any()
