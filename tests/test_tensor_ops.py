"""Tensor ops: gradients against central differences (float64) and against PyTorch."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backproplab as bp

torch = pytest.importorskip("torch")

SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=3)


def tensor(array, grad=True):
    return bp.Tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=grad)


def torch_of(array):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def assert_matches_torch(ours_fn, torch_fn, *arrays, rtol=1e-10, atol=1e-12):
    ours = [tensor(a) for a in arrays]
    theirs = [torch_of(a) for a in arrays]
    out, tout = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    seed = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(seed)
    tout.backward(torch.tensor(seed))
    for a, ta in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=rtol, atol=atol)


UNARY = {
    "neg": (lambda x: -x, lambda x: -x, None),
    "exp": (lambda x: x.exp(), torch.exp, None),
    "log": (lambda x: x.log(), torch.log, "positive"),
    "tanh": (lambda x: x.tanh(), torch.tanh, None),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, None),
    "relu": (lambda x: x.relu(), torch.relu, "nonzero"),
    "abs": (lambda x: x.abs(), torch.abs, "nonzero"),
    "gelu_tanh": (lambda x: x.gelu(), lambda x: torch.nn.functional.gelu(x, approximate="tanh"), None),
    "gelu_exact": (lambda x: x.gelu("none"), torch.nn.functional.gelu, None),
    "pow_scalar": (lambda x: x**3, lambda x: x**3, None),
    "sqrt": (lambda x: x.sqrt(), torch.sqrt, "positive"),
    "rpow": (lambda x: 2.0**x, lambda x: 2.0**x, None),
    "rdiv": (lambda x: 1.5 / x, lambda x: 1.5 / x, "nonzero"),
    "rsub": (lambda x: 1.5 - x, lambda x: 1.5 - x, None),
    "clip": (lambda x: x.clip(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), "off_bounds"),
    "softmax0": (lambda x: x.softmax(0), lambda x: torch.softmax(x, 0), "ndim1"),
    "softmax_last": (lambda x: x.softmax(-1), lambda x: torch.softmax(x, -1), "ndim1"),
    "log_softmax": (lambda x: x.log_softmax(-1), lambda x: torch.log_softmax(x, -1), "ndim1"),
    "transpose": (lambda x: x.T, lambda x: x.permute(tuple(reversed(range(x.ndim)))), None),
    "reshape": (lambda x: x.reshape(-1), lambda x: x.reshape(-1), None),
}


def draw_input(data, condition):
    shape = data.draw(hnp.array_shapes(**{**SMALL, "min_dims": 1 if condition == "ndim1" else 0}))
    values = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    if condition == "positive":
        values = np.abs(values) + 0.2
    elif condition == "nonzero":
        values = np.where(np.abs(values) < 0.1, 0.5, values)
    elif condition == "off_bounds":
        values = np.where(np.abs(np.abs(values - 0.1) - 0.6) < 0.05, 0.0, values)
    return values


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_against_finite_differences_and_torch(name):
    ours, theirs, condition = UNARY[name]

    @settings(max_examples=15, deadline=None)
    @given(st.data())
    def check(data):
        x = draw_input(data, condition)
        assert bp.gradcheck(ours, [tensor(x)])
        assert_matches_torch(ours, theirs, x)

    check()


@pytest.mark.parametrize("name", ["neg", "tanh", "sigmoid", "relu", "abs", "gelu_tanh", "gelu_exact", "clip"])
def test_activations_at_infinities_zeros_and_nan_give_torchs_values(name):
    """No value here is a silent NaN where PyTorch gives a number (relu(-inf) is 0, not -inf * 0)."""
    ours, theirs, _ = UNARY[name]
    values = np.array([-np.inf, -1e30, -3.0, -0.0, 0.0, 2.0, 1e30, np.inf, np.nan])
    with np.errstate(all="ignore"):  # only the values are compared here
        out = ours(tensor(values, grad=False)).numpy()
    np.testing.assert_allclose(out, theirs(torch.tensor(values)).numpy(), rtol=1e-12, atol=0)
    if name in ("relu", "neg", "clip"):  # and these slopes too (0 or 1, NaN included)
        x, tx = tensor(values), torch_of(values)
        with np.errstate(all="ignore"):
            ours(x).sum().backward()
        theirs(tx).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())


BINARY = {
    "add": (lambda a, b: a + b, None),
    "sub": (lambda a, b: a - b, None),
    "mul": (lambda a, b: a * b, None),
    "div": (lambda a, b: a / b, "b_nonzero"),
    "pow": (lambda a, b: a**b, "a_positive"),
    "where": (lambda a, b: bp.where(a > 0, a, b), "a_nonzero"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_with_broadcasting(name):
    fn, condition = BINARY[name]

    @settings(max_examples=25, deadline=None)
    @given(hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL), st.data())
    def check(shapes, data):
        a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=st.floats(-2, 2)))
        b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=st.floats(-2, 2)))
        if condition == "b_nonzero":
            b = np.where(np.abs(b) < 0.2, 1.0, b)
        if condition == "a_positive":
            a = np.abs(a) + 0.2
        if condition == "a_nonzero":
            a = np.where(np.abs(a) < 0.1, 0.5, a)
        ta, tb = tensor(a), tensor(b)
        out = fn(ta, tb)
        assert out.shape == shapes.result_shape
        assert bp.gradcheck(fn, [ta, tb])
        out = fn(tensor(a), tensor(b))
        assert out.shape == np.broadcast_shapes(a.shape, b.shape)

    check()


def test_binary_ops_match_torch_including_python_scalars():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3,)) + 3
    for ours, theirs in [
        (lambda x, y: x + y * 2 - 1, lambda x, y: x + y * 2 - 1),
        (lambda x, y: (x / y) ** 2, lambda x, y: (x / y) ** 2),
        (lambda x, y: 3 - x * y / 2, lambda x, y: 3 - x * y / 2),
        (lambda x, y: y**x, lambda x, y: y**x),
    ]:
        assert_matches_torch(ours, theirs, a, b)


@pytest.mark.parametrize("shapes", [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)),
])
def test_matmul_shapes_match_torch(shapes):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    assert_matches_torch(lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    assert bp.gradcheck(lambda x, y: x @ y, [tensor(a), tensor(b)])


def all_axis_choices(ndim):
    yield None
    for r in range(1, ndim + 1):
        for axes in itertools.combinations(range(ndim), r):
            yield axes if r > 1 else axes[0]
    yield -1


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_reductions_over_every_axis_combination(reduction):
    rng = np.random.default_rng(3)
    x = rng.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: max has no ties
    for axis in all_axis_choices(3):
        for keepdims in (False, True):
            ours = lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims)  # noqa: E731

            def theirs(t):
                dims = tuple(range(3)) if axis is None else axis
                if reduction == "max":
                    return torch.amax(t, dim=dims, keepdim=keepdims)
                return getattr(torch, reduction)(t, dim=dims, keepdim=keepdims)

            assert_matches_torch(ours, theirs, x)
            assert bp.gradcheck(ours, [tensor(x)])


def test_max_shares_the_gradient_between_ties():
    x = tensor([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0, 0.5, 0.5, 0])


@pytest.mark.parametrize("index", [
    (slice(None), 1), (slice(1, None), slice(None, None, 2)), 0, -1, ([0, 2, 2, 0],),
    (np.array([1, 1, 1]), slice(None)), (slice(None), [2, 0, 2]), (np.array([0, 2]), np.array([3, 3])),
    "mask", (Ellipsis, 0), (None, 1),
])
def test_indexing_matches_torch_and_repeated_indices_add_up(index):
    x = np.arange(12.0).reshape(3, 4) / 3
    if isinstance(index, str):
        index = x > 1.5
    torch_index = tuple(torch.tensor(i) if isinstance(i, (np.ndarray, list)) else i
                        for i in (index if isinstance(index, tuple) else (index,)))
    assert_matches_torch(lambda t: t[index], lambda t: t[torch_index], x)
    assert bp.gradcheck(lambda t: t[index], [tensor(x)])


def test_index_with_a_tensor_of_indices():
    x = tensor(np.arange(6.0))
    idx = bp.Tensor([5, 5, 1])
    x[idx].sum().backward()
    np.testing.assert_allclose(x.grad, [0, 1, 0, 0, 0, 2])


@pytest.mark.parametrize("table_shape, ids_shape, dtype", [
    ((7, 3), (5,), "int64"), ((4, 2, 3), (2, 6), "int32"), ((300, 5), (9,), "uint8"),
    ((1, 4), (3, 2), "int64"), ((0, 4), (0,), "int64"), ((6, 3), (4,), "negative"),
])
def test_scatter_add_of_whole_rows_is_exactly_add_at(table_shape, ids_shape, dtype):
    # backend.scatter_add takes a faster, flat route for one integer array of row ids
    rng = np.random.default_rng(0)
    ids = rng.integers(-table_shape[0] if dtype == "negative" else 0, max(table_shape[0], 1),
                       ids_shape).astype("int64" if dtype == "negative" else dtype)
    values = rng.standard_normal(ids_shape + table_shape[1:]).astype(np.float32)
    ours = rng.standard_normal(table_shape).astype(np.float32)
    expected = ours.copy()
    np.add.at(expected, ids, values)
    bp.backend.scatter_add(ours, ids, values)
    np.testing.assert_array_equal(ours, expected)


def test_concatenate_and_stack_match_torch():
    rng = np.random.default_rng(4)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((1, 3)), rng.standard_normal((2, 3))
    assert_matches_torch(lambda x, y: bp.concatenate([x, y], axis=0), lambda x, y: torch.cat([x, y], 0), a, b)
    assert_matches_torch(lambda x, y: bp.stack([x, y], axis=1), lambda x, y: torch.stack([x, y], 1), a, c)
    assert bp.gradcheck(lambda x, y: bp.concatenate([x, y * 2]), [tensor(a), tensor(b)])


def test_transpose_with_axes_and_reshape_round_trip():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_matches_torch(lambda t: t.transpose(2, 0, 1).reshape(4, 6) * 2,
                         lambda t: t.permute(2, 0, 1).reshape(4, 6) * 2, x)


def test_losses_match_torch():
    rng = np.random.default_rng(5)
    logits, targets = rng.standard_normal((6, 4)) * 30, np.array([0, 3, 1, 1, 2, 0])
    assert_matches_torch(lambda z: bp.losses.cross_entropy(z, targets),
                         lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(targets)), logits)
    assert_matches_torch(lambda z: bp.losses.cross_entropy(z, bp.Tensor(targets)),
                         lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(targets)), logits)
    seq = rng.standard_normal((2, 3, 4))
    seq_targets = np.array([[0, 1, 2], [3, 2, 1]])
    assert_matches_torch(lambda z: bp.losses.cross_entropy(z, seq_targets),
                         lambda z: torch.nn.functional.cross_entropy(
                             z.reshape(-1, 4), torch.tensor(seq_targets).reshape(-1)), seq)
    pred, target = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    assert_matches_torch(lambda p: bp.losses.mse(p, target),
                         lambda p: torch.nn.functional.mse_loss(p, torch.tensor(target)), pred)
    scores, labels = rng.standard_normal(7) * 20, rng.integers(0, 2, 7).astype(float)
    assert_matches_torch(lambda s: bp.losses.binary_cross_entropy_with_logits(s, labels),
                         lambda s: torch.nn.functional.binary_cross_entropy_with_logits(
                             s, torch.tensor(labels)), scores)
    assert bp.gradcheck(lambda z: bp.losses.cross_entropy(z, targets), [tensor(logits / 30)])


def test_gradients_accumulate_and_graph_is_freed():
    x = tensor([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()
    x.zero_grad()
    assert x.grad is None


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = tensor([1.0, 2.0])
    with bp.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    z = (x.detach() * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0])


def test_hooks_and_retain_grad():
    x = tensor([1.0, -1.0])
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, [6.0, -6.0])
    np.testing.assert_allclose(seen[0], [6.0, -6.0])


def test_deep_chain_backward_is_iterative():
    x = tensor([0.5])
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_dtype_defaults_and_scalars_keep_float32():
    x = bp.Tensor([[1.0, 2.0]], requires_grad=True)
    assert x.dtype == np.float32 and x.device == "cpu"
    y = (x * 2.5 + np.float64(1.0) - np.ones(2)) / 3
    assert y.dtype == np.float32
    assert bp.Tensor([1, 2]).dtype.kind == "i"
    assert bp.Tensor([1, 2], dtype="float64").dtype == np.float64
    assert (bp.Tensor([1.0, 2.0]) > 1.5).dtype == bool


def test_data_is_assignable_with_the_same_shape():
    x = bp.Tensor([1.0, 2.0], requires_grad=True)
    x.data = np.array([3.0, 4.0])
    assert x.dtype == np.float32 and x.tolist() == [3.0, 4.0]
    with pytest.raises(ValueError, match="keep the shape"):
        x.data = np.zeros(3)


class BrokenSum(bp.Function):
    def forward(self, a):
        return a.sum()

    def backward(self, g):
        return (g * np.ones(7),)


@pytest.mark.parametrize("call, error, message", [
    (lambda: bp.Tensor(np.ones((2, 3))) @ bp.Tensor(np.ones((2, 4))), ValueError, r"\(2, 3\) and \(2, 4\)"),
    (lambda: bp.Tensor(np.ones((2, 3))) + bp.Tensor(np.ones(4)), ValueError, r"\(2, 3\) and \(4,\)"),
    (lambda: bp.Tensor([1.0, 2.0], requires_grad=True).backward(), RuntimeError, "shape \\(2,\\)"),
    (lambda: bp.Tensor([1, 2], requires_grad=True), TypeError, "floating-point"),
    (lambda: bp.Tensor([1.0, 2.0]).item(), ValueError, "one element"),
    (lambda: bp.Tensor("abc"), TypeError, "numeric"),
    (lambda: bp.Tensor([1.0]).backward(), RuntimeError, "does not require grad"),
    (lambda: bp.Tensor([-1.0, 1.0], requires_grad=True).log(), ValueError, "log of zero or negative"),
    (lambda: bp.Tensor(np.ones(6)).reshape(4, 2), ValueError, "Cannot reshape"),
    (lambda: bp.Tensor(np.ones((2, 3))).sum(axis=2), ValueError, "out of range"),
    (lambda: bp.Tensor(np.ones(3))[5], IndexError, "shape \\(3,\\)"),
    (lambda: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0, 3]), IndexError, "outside 0..2"),
    (lambda: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0]), ValueError, "2 predictions but 1"),
    (lambda: bp.losses.cross_entropy(bp.Tensor(np.ones((2, 3))), [0.0, 1.0]), TypeError, "integer class"),
    (lambda: bp.losses.mse(bp.Tensor(np.ones((4, 1))), np.ones(4)), ValueError, "reshape"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_gradient_of_the_wrong_shape_names_the_op():
    x = tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="BrokenSum.backward returned a gradient of shape"):
        BrokenSum.apply(x).backward()


def test_detect_anomaly_names_the_op_that_made_nan():
    x = tensor([0.0, 1.0])
    y = (x.sqrt() * 0 + x).sum()  # sqrt's gradient at 0 is inf, times 0 is NaN
    with np.errstate(all="ignore"), bp.detect_anomaly():
        with pytest.raises(FloatingPointError, match="Pow"):
            y.backward()
