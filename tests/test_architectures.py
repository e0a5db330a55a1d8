"""Layers for CNNs, RNNs and transformers: gradients, PyTorch oracles, bad input."""

import numpy as np
import pytest

import backproplab as bp
from backproplab import conv, pooling

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t64(array, grad=True):
    return bp.Tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=grad)


def direct_conv(x, w, b, stride, padding):
    """A convolution written as loops over every output pixel: the slow, obvious reference."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 0), (2, 2), (3, 1)])
def test_conv2d_matches_a_direct_loop_and_finite_differences(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    x, w, b = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    out = conv.Conv2dFn.apply(t64(x), t64(w), t64(b), stride=stride, padding=padding)
    np.testing.assert_allclose(out.numpy(), direct_conv(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)
    small_x, small_w = t64(rng.standard_normal((1, 2, 5, 4))), t64(rng.standard_normal((3, 2, 2, 3)))
    assert bp.gradcheck(lambda x, w, b: conv.Conv2dFn.apply(x, w, b, stride=stride, padding=padding),
                        [small_x, small_w, t64(rng.standard_normal(3))])


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv2d_gradients_match_torch(stride, padding):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    ours = [t64(a) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = conv.Conv2dFn.apply(*ours, stride=stride, padding=padding)
    tout = F.conv2d(*theirs, stride=stride, padding=padding)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for a, ta in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), (2, 1)])
def test_pooling_matches_torch_and_finite_differences(kernel, stride):
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7) / 10.0  # distinct: no ties in max
    for ours, theirs in ((pooling.MaxPool2dFn, F.max_pool2d), (pooling.AvgPool2dFn, F.avg_pool2d)):
        X, tx = t64(x), torch.tensor(x, requires_grad=True)
        out, tout = ours.apply(X, kernel=kernel, stride=stride), theirs(tx, kernel, stride)
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
        assert bp.gradcheck(lambda t: ours.apply(t, kernel=kernel, stride=stride), [t64(x[:1, :1])])


def test_layer_norm_embedding_rnn_lstm_match_torch():
    rng = np.random.default_rng(2)
    ln = bp.nn.LayerNorm(5, dtype="float64")
    x = t64(rng.standard_normal((3, 4, 5)))
    tl = torch.nn.LayerNorm(5).double()
    out, tout = ln(x), tl(torch.tensor(x.numpy(), requires_grad=True))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert bp.gradcheck(lambda t, w: ln(t) * w, [t64(rng.standard_normal((2, 5))), ln.weight])
    for cls, tcls in ((bp.nn.RNN, torch.nn.RNN), (bp.nn.LSTM, torch.nn.LSTM)):
        ours = cls(3, 4, seed=0, dtype="float64")
        theirs = tcls(3, 4, batch_first=True).double()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(theirs, f"{name}_l0").copy_(torch.tensor(getattr(ours, name).numpy()))
        xs = rng.standard_normal((2, 6, 3))
        X, tx = t64(xs), torch.tensor(xs, requires_grad=True)
        out, _ = ours(X)
        tout, _ = theirs(tx)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight_hh.grad, theirs.weight_hh_l0.grad.numpy(),
                                   rtol=1e-9, atol=1e-12)
        assert bp.gradcheck(lambda t: ours(t)[0], [t64(rng.standard_normal((1, 3, 3)))])


@pytest.mark.parametrize("shape, grads", [((7,), "xwb"), ((3, 9), "xwb"), ((2, 3, 4, 6), "xwb"),
                                          ((4, 5), "x"), ((4, 5), "wb"), ((4, 5), "b"), ((0, 5), "xwb")])
def test_layer_norm_gradients_match_torch(shape, grads):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape[::-1]).T * 4 + 2  # not C-contiguous, mean far from 0
    w, b, g = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1]), rng.standard_normal(shape)
    ours = [bp.Tensor(a, dtype="float64", requires_grad=name in grads) for a, name in zip((x, w, b), "xwb")]
    theirs = [torch.tensor(a, requires_grad=name in grads) for a, name in zip((x, w, b), "xwb")]
    out = bp.normalization.LayerNormFn.apply(*ours, eps=1e-5)
    tout = F.layer_norm(theirs[0], shape[-1:], theirs[1], theirs[2], eps=1e-5)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for mine, reference, name in zip(ours, theirs, "xwb"):
        if name in grads:
            assert mine.grad.shape == reference.shape
            np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-9, atol=1e-12)
        else:
            assert mine.grad is None


def test_layer_norm_of_integers_is_computed_in_floating_point():
    pixels = np.array([[200, 100, 250, 3]], dtype=np.uint8)  # row sums overflow uint8
    out = bp.nn.LayerNorm(4)(bp.Tensor(pixels)).numpy()
    x = pixels.astype(np.float64)
    expected = (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 3)])
def test_conv1d_and_maxpool1d_match_torch(stride, padding):
    rng = np.random.default_rng(5)
    layer = bp.nn.Conv1d(3, 4, 5, stride=stride, padding=padding, seed=0, dtype="float64")
    theirs = torch.nn.Conv1d(3, 4, 5, stride=stride, padding=padding).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.weight.numpy()))
        theirs.bias.copy_(torch.tensor(layer.bias.numpy()))
    x = rng.standard_normal((2, 3, 17))
    X, tx = t64(x), torch.tensor(x, requires_grad=True)
    out, tout = bp.nn.MaxPool1d(2)(layer(X)), F.max_pool1d(theirs(tx), 2)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert bp.gradcheck(lambda t: layer(t), [t64(rng.standard_normal((1, 3, 9)))])


def test_embedding_gradient_adds_up_for_repeated_ids():
    emb = bp.nn.Embedding(5, 2, seed=0, dtype="float64")
    emb([[1, 1, 4], [1, 0, 0]]).sum().backward()
    np.testing.assert_allclose(emb.weight.grad[:, 0], [2, 3, 0, 0, 1])


def test_attention_is_causal_and_gradient_checked():
    rng = np.random.default_rng(3)
    att = bp.nn.MultiHeadSelfAttention(6, 2, seed=0, dtype="float64")
    x = rng.standard_normal((2, 4, 6))
    out = att(t64(x, grad=False))
    changed = x.copy()
    changed[:, 3] += 5.0  # the last position must not influence earlier ones
    out2 = att(t64(changed, grad=False))
    np.testing.assert_allclose(out.numpy()[:, :3], out2.numpy()[:, :3], rtol=1e-12)
    assert not np.allclose(out.numpy()[:, 3], out2.numpy()[:, 3])
    weights = att.last_weights.numpy()
    assert np.allclose(np.triu(weights[0, 0], k=1), 0) and np.allclose(weights.sum(-1), 1)
    assert bp.gradcheck(lambda t: att(t), [t64(rng.standard_normal((1, 3, 6)))])


def test_attention_matches_torch_scaled_dot_product():
    rng = np.random.default_rng(4)
    att = bp.nn.MultiHeadSelfAttention(8, 2, seed=0, dtype="float64")
    x = rng.standard_normal((2, 5, 8))
    ours = att(t64(x, grad=False)).numpy()
    tx = torch.tensor(x)
    qkv = tx @ torch.tensor(att.qkv.weight.numpy()).T + torch.tensor(att.qkv.bias.numpy())
    q, k, v = qkv.reshape(2, 5, 3, 2, 4).permute(2, 0, 3, 1, 4)
    mixed = F.scaled_dot_product_attention(q, k, v, is_causal=True).permute(0, 2, 1, 3).reshape(2, 5, 8)
    theirs = mixed @ torch.tensor(att.proj.weight.numpy()).T + torch.tensor(att.proj.bias.numpy())
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_transformer_lm_shapes_and_gradcheck():
    lm = bp.nn.TransformerLM(7, context=5, d_model=8, n_heads=2, n_layers=1, seed=0, dtype="float64")
    ids = np.array([[1, 2, 3, 4], [0, 6, 5, 1]])
    logits = lm(ids)
    assert logits.shape == (2, 4, 7)
    target = np.array([[2, 3, 4, 5], [6, 5, 1, 0]])
    assert bp.gradcheck(lambda w: bp.losses.cross_entropy(lm(ids), target) * w.sum(),
                        [lm.blocks[0].fc.weight])


@pytest.mark.parametrize("call, error, message", [
    (lambda: bp.nn.Conv2d(3, 4, 3)(bp.Tensor(np.ones((2, 1, 8, 8)))), ValueError,
     r"expects 3 input channels.*\(2, 1, 8, 8\)"),
    (lambda: bp.nn.Conv2d(3, 4, 3)(bp.Tensor(np.ones((3, 8, 8)))), ValueError,
     r"batch, channels, height, width"),
    (lambda: bp.nn.Conv2d(1, 4, 5)(bp.Tensor(np.ones((1, 1, 3, 3)))), ValueError, "does not fit"),
    (lambda: bp.nn.Conv2d(1, 4, 3, stride=0), ValueError, "positive"),
    (lambda: bp.nn.MaxPool2d(4)(bp.Tensor(np.ones((1, 1, 3, 3)))), ValueError, "does not fit"),
    (lambda: bp.nn.Embedding(5, 2)([0, 5]), IndexError, "outside the vocabulary 0..4"),
    (lambda: bp.nn.Embedding(5, 2)([0.5]), TypeError, "integer token ids"),
    (lambda: bp.nn.TransformerLM(5, context=4, d_model=8, n_heads=2)(np.zeros((1, 6), dtype=int)),
     ValueError, "context is 4"),
    (lambda: bp.nn.TransformerLM(5, context=4, d_model=8, n_heads=2)(np.full((1, 3), 7)),
     IndexError, "outside the vocabulary"),
    (lambda: bp.nn.MultiHeadSelfAttention(6, 4), ValueError, "divisible"),
    (lambda: bp.nn.RNN(3, 4)(bp.Tensor(np.ones((2, 5, 2)))), ValueError, r"\(batch, time, 3\)"),
    (lambda: bp.nn.LayerNorm(4)(bp.Tensor(np.ones((2, 3)))), ValueError, "last axis has 3"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_new_layers_run_on_the_guard_device():
    with bp.backend.simulate_gpu():
        model = bp.nn.Sequential(bp.nn.Conv2d(1, 2, 3, padding=1, seed=0), bp.nn.ReLU(), bp.nn.MaxPool2d(2),
                                 bp.nn.AvgPool2d(2), bp.nn.Flatten(), bp.nn.Linear(8, 3, seed=1)).to("gpu")
        padded = bp.nn.Sequential(bp.nn.MaxPool2d(3, stride=2, padding=1), bp.nn.AvgPool2d(3, 1, padding=1))
        image = np.random.default_rng(1).standard_normal((2, 1, 7, 7))
        x = bp.Tensor(image, device="gpu", requires_grad=True)
        padded(x).sum().backward()
        assert x.grad is not None and padded(x).shape == (2, 1, 4, 4)
        x = bp.Tensor(np.random.default_rng(0).standard_normal((2, 1, 8, 8))).to("gpu")
        loss = bp.losses.cross_entropy(model(x), [0, 2])
        loss.backward()
        lm = bp.nn.TransformerLM(6, 4, d_model=8, n_heads=2, seed=0).to("gpu")
        bp.losses.cross_entropy(lm(np.array([[1, 2, 3]])), np.array([[2, 3, 4]])).backward()
        lstm = bp.nn.LSTM(2, 3, seed=0).to("gpu")
        lstm(bp.Tensor(np.ones((1, 4, 2))).to("gpu"))[0].sum().backward()
        assert all(p.grad is not None and p.device == "gpu" for p in lm.parameters() + lstm.parameters())


def test_generated_data_sets():
    X, y = bp.datasets.make_digits(50, seed=0)
    assert X.shape == (50, 1, 28, 28) and 0 <= X.min() and X.max() <= 1 and sorted(set(y)) == list(range(10))
    X2, _ = bp.datasets.make_digits(50, seed=0)
    assert np.array_equal(X, X2)
    text = bp.datasets.load_corpus()
    tok = bp.datasets.CharTokenizer(text)
    assert tok.decode(tok.encode(text[:100])) == text[:100] and len(text) > 2000
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.encode("Ü")
    problems = bp.datasets.arithmetic_strings("sub", 20, seed=0)
    assert all(int(s[:2]) - int(s[3:5]) == int(s[6:]) for s in problems)
    assert bp.datasets.make_arithmetic("add", 5).shape == (5, 9)
