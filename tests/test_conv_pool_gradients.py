"""Convolution and pooling against PyTorch over strides, paddings, odd sizes and ties.

The layers store their outputs batch last ((C, H, W, N) in memory, see conv.py); these
tests check that the numbers do not depend on that choice, whatever layout the input has.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backproplab as bp
from backproplab import conv, pooling

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t64(array):
    return bp.Tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=True)


def conv_against_torch(x, w, b, stride, padding):
    ours = [t64(a) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = conv.Conv2dFn.apply(*ours, stride=stride, padding=padding)
    tout = F.conv2d(*theirs, stride=stride, padding=padding)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for name, a, ta in zip("xwb", ours, theirs):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 4), h=st.integers(1, 11),
       w=st.integers(1, 11), k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       seed=st.integers(0, 2**16))
def test_conv2d_matches_torch_for_any_stride_padding_and_size(n, c, f, h, w, k, stride, padding, seed):
    if h + 2 * padding < k or w + 2 * padding < k:
        return  # the kernel does not fit: an error, tested elsewhere
    rng = np.random.default_rng(seed)
    conv_against_torch(rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, k, k)),
                       rng.standard_normal(f), stride, padding)


def pool_against_torch(ours, theirs, x, kernel, stride, padding=0):
    X, tx = t64(x), torch.tensor(x, requires_grad=True)
    out = ours.apply(X, kernel=kernel, stride=stride, padding=padding)
    tout = theirs(tx, kernel, stride, padding)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 11), w=st.integers(1, 11),
       kernel=st.integers(1, 4), stride=st.one_of(st.none(), st.integers(1, 4)), padding=st.integers(0, 2),
       levels=st.sampled_from([3, 1000]), seed=st.integers(0, 2**16))
def test_pooling_matches_torch_for_any_stride_padding_and_size_with_ties(n, c, h, w, kernel, stride, padding,
                                                                         levels, seed):
    """``levels=3``: few distinct values, so most windows hold their maximum more than once."""
    padding = min(padding, kernel // 2)
    if h + 2 * padding < kernel or w + 2 * padding < kernel:
        return
    x = np.random.default_rng(seed).integers(0, levels, (n, c, h, w)).astype(np.float64) - levels // 2
    pool_against_torch(pooling.MaxPool2dFn, F.max_pool2d, x, kernel, stride, padding)
    pool_against_torch(pooling.AvgPool2dFn, F.avg_pool2d, x, kernel, stride, padding)


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 1), (2, 1, 1), (4, 3, 2), (5, 1, 2)])
def test_padded_max_pooling_of_minus_infinity_gives_the_first_pixel_the_gradient(kernel, stride, padding):
    """The padding is the lowest value too, yet a window of -inf pixels sends its gradient to one."""
    x = np.random.default_rng(7).standard_normal((2, 2, 7, 6))
    x[0] = -np.inf  # whole images of -inf
    x[1, 0, :3, :3] = -np.inf  # and a corner
    x[1, 1, 0, 0] = np.nan
    pool_against_torch(pooling.MaxPool2dFn, F.max_pool2d, x, kernel, stride, padding)
    finite = np.nan_to_num(x, neginf=-3.0)
    pool_against_torch(pooling.AvgPool2dFn, F.avg_pool2d, finite, kernel, stride, padding)


def test_padded_pooling_hands_back_a_gradient_of_its_own_not_a_view_of_the_padded_array():
    x = t64(np.random.default_rng(9).standard_normal((2, 3, 6, 6)))
    for pool in (pooling.MaxPool2dFn, pooling.AvgPool2dFn):
        x.grad = None
        pool.apply(x, kernel=2, padding=1).sum().backward()
        assert x.grad.shape == (2, 3, 6, 6) and (x.grad.base is None or x.grad.base.size == x.grad.size)


def test_average_pooling_of_whole_numbers_gives_fractions():
    x = np.arange(2 * 1 * 4 * 4, dtype=np.uint8).reshape(2, 1, 4, 4)
    out = pooling.AvgPool2dFn.apply(bp.Tensor(x, dtype="uint8"), kernel=2, padding=1)
    expected = F.avg_pool2d(torch.tensor(x, dtype=torch.float32), 2, padding=1).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_pooling_layers_take_pytorchs_padding_and_refuse_more_than_half_a_window():
    x = np.random.default_rng(8).standard_normal((2, 3, 9, 9))
    pairs = ((bp.nn.MaxPool2d(3, stride=2, padding=1), torch.nn.MaxPool2d(3, stride=2, padding=1)),
             (bp.nn.AvgPool2d(3, 1, 1), torch.nn.AvgPool2d(3, 1, 1)))
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(t64(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
        assert "padding 1" in repr(ours)
    with pytest.raises(ValueError, match="at most 1"):
        bp.nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match="more than half the 2x2 window"):
        pooling.AvgPool2dFn.apply(t64(x), kernel=2, padding=2)
    for bad, error in (((1, 1), TypeError), (None, TypeError), (-1, ValueError)):
        with pytest.raises(error, match="MaxPool2d: padding"):
            pooling.MaxPool2dFn.apply(t64(x), kernel=3, padding=bad)
    with pytest.raises(ValueError, match="MaxPool2d: stride must be positive"):
        pooling.MaxPool2dFn.apply(t64(x), kernel=3, stride=0)


def test_max_pooling_of_relu_zeros_gives_the_first_zero_the_gradient():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 3, 3] = 2.0  # two windows with a maximum, two of only zeros
    pool_against_torch(pooling.MaxPool2dFn, F.max_pool2d, x, 2, None)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), (3, 2)])
def test_max_pooling_gives_a_nan_window_its_nan_and_the_gradient_to_the_last_nan_as_torch(kernel, stride):
    x = np.random.default_rng(5).standard_normal((2, 2, 6, 7))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[1, 1, 4, 4] = np.nan
    x[0, 1, 2, 2], x[1, 0, 3, 5] = np.inf, -np.inf
    pool_against_torch(pooling.MaxPool2dFn, F.max_pool2d, x, kernel, stride)


@pytest.mark.parametrize("needs_grad, grad_mode", [(True, True), (True, False), (False, True)])
def test_max_pooling_keeps_its_winners_only_for_a_backward_pass(needs_grad, grad_mode):
    x = np.random.default_rng(6).standard_normal((2, 3, 8, 8))
    fn = pooling.MaxPool2dFn()
    fn.needs_grad = (needs_grad,)
    with bp.enable_grad() if grad_mode else bp.no_grad():
        out = fn.forward(x, kernel=2)
    np.testing.assert_array_equal(out, x.reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5)))
    assert hasattr(fn, "winner") == (needs_grad and grad_mode)


def batch_last_copy(x):
    """The same numbers as ``x``, stored (C, H, W, N) as the layers store their outputs."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("layout", ["batch first", "batch last", "strided view"])
def test_conv_relu_pool_conv_chain_matches_torch_in_any_input_layout(layout):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 2, 13, 11))
    x = {"batch first": x, "batch last": batch_last_copy(x),
         "strided view": rng.standard_normal((5, 2, 26, 11))[:, :, ::2]}[layout]
    w1, b1 = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((3, 4, 2, 2)), rng.standard_normal(3)
    ours = [t64(a) for a in (x, w1, b1, w2, b2)]
    theirs = [torch.tensor(np.array(a), requires_grad=True) for a in (x, w1, b1, w2, b2)]

    def chain(lib, x, w1, b1, w2, b2):
        if lib == "bp":
            h = conv.Conv2dFn.apply(x, w1, b1, stride=1, padding=1).relu()
            h = pooling.MaxPool2dFn.apply(h, kernel=2)
            return conv.Conv2dFn.apply(h, w2, b2, stride=2, padding=1)
        h = F.max_pool2d(F.conv2d(x, w1, b1, padding=1).relu(), 2)
        return F.conv2d(h, w2, b2, stride=2, padding=1)

    out, tout = chain("bp", *ours), chain("torch", *theirs)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    for a, ta in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_layers_hand_each_other_batch_last_arrays_without_copying():
    x = bp.Tensor(np.random.default_rng(4).standard_normal((8, 3, 12, 12)))
    h = bp.nn.MaxPool2d(2)(bp.nn.ReLU()(bp.nn.Conv2d(3, 4, 3, seed=0)(x)))
    stored = h.numpy().transpose(1, 2, 3, 0)
    assert stored.flags.c_contiguous  # the pooled output is batch last too
    assert np.shares_memory(conv.batch_last(h.numpy()), h.numpy())  # the next conv reads it in place


def test_a_retained_graph_and_two_forward_passes_keep_their_own_columns():
    """The column workspace is reused only once an op is gone: graphs alive at once stay apart."""
    rng = np.random.default_rng(5)
    layer = bp.nn.Conv2d(2, 3, 3, seed=0, dtype="float64")
    xa, xb = t64(rng.standard_normal((4, 2, 7, 7))), t64(rng.standard_normal((4, 2, 7, 7)))
    loss_a, loss_b = (layer(xa) ** 2).sum(), (layer(xb) ** 2).sum()
    loss_a.backward(retain_graph=True)
    first = layer.weight.grad.copy()
    layer.weight.grad = None
    loss_b.backward()
    layer.weight.grad = None
    loss_a.backward()  # the retained graph still holds xa's columns
    np.testing.assert_allclose(layer.weight.grad, first, rtol=1e-12)
    tw = torch.tensor(layer.weight.numpy(), requires_grad=True)
    (F.conv2d(torch.tensor(xa.numpy()), tw, torch.tensor(layer.bias.numpy())) ** 2).sum().backward()
    np.testing.assert_allclose(first, tw.grad.numpy(), rtol=1e-10)


def test_column_matrices_with_rows_apart_in_memory_give_the_same_numbers(monkeypatch):
    """im2col writes into, and col2im reads from, matrices whose rows are padded in memory."""
    rng = np.random.default_rng(6)
    image = conv.batch_last(rng.standard_normal((3, 2, 9, 8)), padding=1)
    for pad in (0, 5):
        monkeypatch.setattr(conv, "ROW_PAD", pad)
        cols, memory = conv.padded_rows(image, 2 * 3 * 3, 9 * 8 * 3, image.dtype)
        assert memory.shape == (18, 9 * 8 * 3 + pad) and np.shares_memory(cols, memory)
        conv.im2col(image, 3, 3, 1, out=cols)
        np.testing.assert_array_equal(cols, conv.im2col(image, 3, 3, 1)[0])
        np.testing.assert_array_equal(conv.col2im(cols, image.shape, 3, 3, 1, 9, 8),
                                      conv.col2im(np.ascontiguousarray(cols), image.shape, 3, 3, 1, 9, 8))
    # 8 images of 32 x 32: columns long enough for BLAS's blocked kernels
    x, w, b = rng.standard_normal((8, 3, 32, 32)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    results = []
    for pad in (0, 16):  # the padding moves the rows in memory, never the numbers
        monkeypatch.setattr(conv, "ROW_PAD", pad)
        tensors = [bp.Tensor(a, dtype="float32", requires_grad=True) for a in (x, w, b)]
        out = conv.Conv2dFn.apply(*tensors, stride=1, padding=1)
        out.backward(np.cos(np.arange(out.size, dtype=np.float32)).reshape(out.shape))
        results.append([out.numpy()] + [t.grad for t in tensors])
    for unpadded, padded in zip(*results):
        np.testing.assert_array_equal(unpadded, padded)
    conv_against_torch(x, w, b, 1, 1)


@settings(max_examples=60, deadline=None)
@given(kernel=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 4),
       height=st.integers(1, 9), width=st.integers(1, 9))
def test_col2im_leaves_out_the_padding_and_is_the_adjoint_of_im2col(kernel, stride, padding, height, width):
    """<im2col(padded x), cols> = <x, col2im(cols)>, with any padding, even one wider than the kernel."""
    oh = conv.output_size(height, kernel, stride, padding)
    ow = conv.output_size(width, kernel, stride, padding)
    if oh < 1 or ow < 1:
        return
    rng = np.random.default_rng(kernel * 1000 + stride * 100 + padding * 10 + height + width)
    image = rng.standard_normal((2, height, width, 3))  # (C, H, W, N), batch last
    padded = conv.batch_last(image.transpose(3, 0, 1, 2), padding)
    cols, _ = conv.im2col(padded, kernel, kernel, stride)
    upstream = rng.standard_normal(cols.shape)
    grad = conv.col2im(upstream, image.shape, kernel, kernel, stride, oh, ow, padding)
    assert grad.shape == image.shape and grad.flags.c_contiguous
    np.testing.assert_allclose(np.sum(cols * upstream), np.sum(image * grad), rtol=1e-10)
    whole = conv.col2im(upstream, padded.shape, kernel, kernel, stride, oh, ow)  # onto the padding too
    np.testing.assert_array_equal(grad, whole[:, padding:padding + height, padding:padding + width])


@pytest.mark.parametrize("block_bytes", [1, 12_000, 10 * 2**20])
@pytest.mark.parametrize("k, stride, padding", [(3, 1, 1), (3, 2, 1), (5, 1, 0), (2, 3, 2), (4, 2, 3)])
def test_the_input_gradient_made_a_few_output_rows_at_a_time_matches_torch(monkeypatch, block_bytes,
                                                                           k, stride, padding):
    """Blocks of one output row, of a few, and one block: the same gradient as PyTorch's."""
    monkeypatch.setattr(conv, "COLUMN_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(k * 100 + stride * 10 + padding)
    x, w, b = rng.standard_normal((3, 2, 11, 9)), rng.standard_normal((4, 2, k, k)), rng.standard_normal(4)
    oh = conv.output_size(11, k, stride, padding)
    blocks = conv.row_blocks(x, oh, bytes_per_row=2 * k * k * conv.output_size(9, k, stride, padding) * 3 * 8)
    assert [start for start, _ in blocks[1:]] == [stop for _, stop in blocks[:-1]]  # no gaps
    assert blocks[0][0] == 0 and blocks[-1][1] == oh
    assert len(blocks) == {1: oh, 10 * 2**20: 1}.get(block_bytes, len(blocks))
    conv_against_torch(x, w, b, stride, padding)


@pytest.mark.parametrize("blocks_on_this_cpu", [True, False])
def test_a_thin_filter_bank_multiplied_in_pixel_blocks_matches_torch(monkeypatch, blocks_on_this_cpu):
    """Few filters and many pixels: on an AVX-512 CPU the products go in blocks (the last partial)."""
    monkeypatch.setattr(conv, "BLOCK_THIN_PRODUCTS", blocks_on_this_cpu)
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((5, 1, 40, 41)), rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    columns = np.empty((1 * 3 * 3, 5 * 40 * 41))
    blocks = conv.pixel_blocks(columns, filters=3)
    if blocks_on_this_cpu:
        assert len(blocks) == 3 and blocks[-1].stop > columns.shape[1]  # 8200 pixels: 4096 + 4096 + 8
    else:
        assert blocks == [slice(None)]
    conv_against_torch(x, w, b, stride=1, padding=1)
    conv_against_torch(rng.standard_normal((5, 1, 80, 81)), w, b, stride=2, padding=1)  # 40 x 41 out
    assert conv.pixel_blocks(np.empty((64 * 9, 9000)), filters=64) == [slice(None)]  # a wide bank


def test_a_thin_filter_bank_on_the_guard_device_is_one_product(monkeypatch):
    """The blocks are for OpenBLAS; a GPU array is multiplied whole, and the layer still learns."""
    monkeypatch.setattr(conv, "BLOCK_THIN_PRODUCTS", True)
    x = np.random.default_rng(8).standard_normal((5, 1, 40, 41))
    layer = bp.nn.Conv2d(1, 3, 3, padding=1, seed=0, dtype="float64")
    expected = layer(t64(x)).numpy()
    with bp.backend.simulate_gpu():
        layer.to("gpu")
        out = layer(bp.Tensor(x, dtype="float64").to("gpu"))
        assert conv.pixel_blocks(out._data[:1, :1].reshape(1, -1), filters=3) == [slice(None)]
        (out * out).sum().backward()
        assert layer.weight.grad is not None and layer.weight.device == "gpu"
        np.testing.assert_allclose(out.to("cpu").numpy(), expected, rtol=1e-12)


def test_the_output_type_is_that_of_the_product():
    """uint8 images with float32 filters give float32 maps; float64 filters give float64."""
    rng = np.random.default_rng(9)
    pixels = rng.integers(0, 256, (2, 1, 30, 30)).astype(np.uint8)
    for dtype in ("float32", "float64"):
        layer = bp.nn.Conv2d(1, 3, 3, seed=0, dtype=dtype)
        out = layer(bp.Tensor(pixels, dtype="uint8"))
        assert out.dtype == np.dtype(dtype)
        w, b = (torch.tensor(p.numpy(), dtype=torch.float64) for p in (layer.weight, layer.bias))
        expected = F.conv2d(torch.tensor(pixels.astype(np.float64)), w, b).numpy()
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-3)  # values up to ~300


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("asks", ["x", "w", "b", "xw", "xb", "wb", "xwb"])
def test_conv2d_gives_exactly_the_gradients_asked_for(asks, with_bias):
    """The bias's gradient comes out of the weights' product, or alone when only it is asked."""
    if asks == "b" and not with_bias:
        return
    rng = np.random.default_rng(11)
    arrays = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    names = "xwb" if with_bias else "xw"
    ours = [bp.Tensor(a, dtype="float64", requires_grad=name in asks) for a, name in zip(arrays, names)]
    theirs = [torch.tensor(a, requires_grad=name in asks) for a, name in zip(arrays, names)]
    out = conv.Conv2dFn.apply(*ours, stride=2, padding=1)
    tout = F.conv2d(*theirs, stride=2, padding=1)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for name, a, ta in zip(names, ours, theirs):
        if name in asks:
            np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)
        else:
            assert a.grad is None, name


def test_a_float64_bias_keeps_its_digits_in_a_float64_output():
    x = bp.Tensor(np.zeros((1, 1, 2, 2)), dtype="float64")
    w, b = bp.Tensor(np.ones((1, 1, 1, 1)), dtype="float32"), bp.Tensor([0.1], dtype="float64")
    assert np.all(conv.Conv2dFn.apply(x, w, b).numpy() == 0.1)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pooling_a_batch_last_input_with_a_batch_first_gradient_matches_torch(pool):
    """A Flatten after the pooling hands back its gradient batch first; the input is batch last."""
    rng = np.random.default_rng(7)
    x = batch_last_copy(rng.standard_normal((6, 3, 8, 10)))
    weights = rng.standard_normal((6, 3 * 4 * 5))
    ours, theirs = pooling.MaxPool2dFn if pool == "max" else pooling.AvgPool2dFn, getattr(F, f"{pool}_pool2d")
    X, tx = t64(x), torch.tensor(np.array(x), requires_grad=True)
    (ours.apply(X, kernel=2).reshape(6, -1) * bp.Tensor(weights, dtype="float64")).sum().backward()
    (theirs(tx, 2).reshape(6, -1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
