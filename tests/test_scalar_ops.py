"""Scalar mode: every op's gradient against central differences, and its edge cases."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backproplab as bp
from backproplab.scalar import weighted_sum

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
positive = st.floats(0.1, 3, allow_nan=False)
away_from_zero = finite.filter(lambda x: abs(x) > 0.1)

UNARY = {
    "neg": (lambda a: -a, finite),
    "exp": (lambda a: a.exp(), finite),
    "log": (lambda a: a.log(), positive),
    "tanh": (lambda a: a.tanh(), finite),
    "sigmoid": (lambda a: a.sigmoid(), finite),
    "relu": (lambda a: a.relu(), away_from_zero),  # not differentiable at 0
    "square": (lambda a: a**2, finite),
    "cube": (lambda a: a**3, finite),
    "reciprocal": (lambda a: a**-1, away_from_zero),
    "sqrt": (lambda a: a**0.5, positive),
    "radd": (lambda a: 2.5 + a, finite),
    "rsub": (lambda a: 2.5 - a, finite),
    "rmul": (lambda a: 2.5 * a, finite),
    "rdiv": (lambda a: 2.5 / a, away_from_zero),
    "rpow": (lambda a: 2.0**a, finite),
}

BINARY = {
    "add": (lambda a, b: a + b, finite, finite),
    "sub": (lambda a, b: a - b, finite, finite),
    "mul": (lambda a, b: a * b, finite, finite),
    "div": (lambda a, b: a / b, finite, away_from_zero),
    "pow_value": (lambda a, b: a**b, positive, finite),
}


def relative_error(a, b):
    return abs(a - b) / max(1e-8, abs(a) + abs(b))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradient_matches_central_difference(name):
    fn, strategy = UNARY[name]

    @settings(max_examples=40, deadline=None)
    @given(strategy)
    def check(x):
        a = bp.Value(x)
        fn(a).backward()
        numeric = bp.numerical_grad(fn, [bp.Value(x)])[0]
        assert relative_error(a.grad, numeric) < 1e-6 or abs(a.grad - numeric) < 1e-8

    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradient_matches_central_difference(name):
    fn, sa, sb = BINARY[name]

    @settings(max_examples=40, deadline=None)
    @given(sa, sb)
    def check(x, y):
        a, b = bp.Value(x), bp.Value(y)
        fn(a, b).backward()
        na, nb = bp.numerical_grad(fn, [bp.Value(x), bp.Value(y)])
        for analytic, numeric in ((a.grad, na), (b.grad, nb)):
            assert relative_error(analytic, numeric) < 1e-6 or abs(analytic - numeric) < 1e-8

    check()


def test_gradcheck_on_a_composite_expression():
    def f(a, b, c):
        return ((a * b + c.exp()) / (1 + a**2)).tanh() * c.sigmoid() - (b**2 + 1).log() + a**b.relu()

    assert bp.gradcheck(f, [0.7, 1.3, -0.4])


def test_gradcheck_reports_a_wrong_gradient():
    def wrong(a):
        out = a * a
        out._local_grads = (a.data, 0.0)  # forgets one of the two paths
        return out

    with pytest.raises(bp.GradcheckError, match="finite difference"):
        bp.gradcheck(wrong, [1.5])


def test_weighted_sum_equals_the_chain_of_products():
    w = [bp.Value(v) for v in (0.5, -1.2, 2.0)]
    x = [bp.Value(v) for v in (1.5, 0.3, -0.7)]
    b = bp.Value(0.1)
    out = weighted_sum(w, x, b).tanh()
    out.backward()
    fused = [v.grad for v in w + x + [b]]
    for v in w + x + [b]:
        v.grad = 0.0
    total = b
    for wi, xi in zip(w, x):
        total = total + wi * xi
    total.tanh().backward()
    assert fused == pytest.approx([v.grad for v in w + x + [b]], rel=1e-12)


def test_local_derivatives_are_readable_on_each_node():
    a, b = bp.Value(2.0, label="a"), bp.Value(-3.0, label="b")
    c = a * b
    assert c.op == "*" and c.parents == (a, b) and c.local_grads == (-3.0, 2.0)
    d = c.tanh()
    assert d.parents == (c,) and d.local_grads[0] == pytest.approx(1 - math.tanh(-6.0) ** 2)


def test_weighted_sums_node_reads_like_any_other():
    w, x = [bp.Value(0.5), bp.Value(-1.2)], [bp.Value(1.5), 2.0]
    out = weighted_sum(w, x, bp.Value(0.1))
    assert out.parents == (out.parents[0], w[0], x[0], w[1]) and out.local_grads == (1.0, 1.5, 0.5, 2.0)
    out._local_grads = (1.0, 0.0, 0.5, 2.0)  # a planted wrong derivative is used by backward
    out.backward()
    assert (w[0].grad, x[0].grad, w[1].grad) == (0.0, 0.5, 2.0)
    with pytest.raises(ValueError, match="4 parent"):
        out._local_grads = (1.0,)


def test_a_result_node_is_one_object_for_the_garbage_collector():
    # The design choice of scalar.py: inputs live in the node's own fields, not in tuples,
    # so the collector has one object per node to examine on a big graph.
    import gc

    a, b = bp.Value(2.0), bp.Value(-3.0)
    for node in (a * b, (a * b).relu(), a + 1.0, a.tanh()):
        held = [r for r in gc.get_referents(node) if not isinstance(r, (bp.Value, type))]
        assert not [r for r in held if gc.is_tracked(r)]


def test_backward_is_upstream_times_local_summed_over_paths():
    a = bp.Value(3.0)
    y = a * a + a  # two paths through *, one through +
    y.backward()
    assert a.grad == pytest.approx(2 * 3.0 + 1)


def test_gradients_accumulate_until_zeroed():
    a = bp.Value(2.0)
    b = a * a
    y = b + 1
    y.backward()
    y.backward()  # the intermediate b must not double-count
    assert a.grad == pytest.approx(2 * 4.0)
    a.zero_grad()
    y.backward()
    assert a.grad == pytest.approx(4.0)


def test_million_operation_chain_has_no_recursion_error():
    x = bp.Value(0.5)
    z = x
    for _ in range(1_000_000):
        z = -z
    z.backward()
    assert x.grad == 1.0
    del z  # freeing a deep chain must not overflow the C stack either


def test_backward_steps_replay_the_chain_rule():
    a, b = bp.Value(2.0, label="a"), bp.Value(-1.0, label="b")
    y = (a * b).tanh()
    steps = y.backward_steps()
    assert [s.node for s in steps[:2]] == [y, y.parents[0]]
    mul_step = steps[1]
    upstream = 1 - math.tanh(-2.0) ** 2
    assert mul_step.upstream == pytest.approx(upstream)
    assert [g for _, g in mul_step.contributions] == pytest.approx([upstream * -1.0, upstream * 2.0])


def test_hook_sees_and_can_replace_the_gradient():
    a = bp.Value(1.0)
    b = a * 3
    seen = []
    b.register_hook(lambda g: seen.append(g) or g * 10)
    (b * 2).backward()
    assert seen == [2.0] and a.grad == pytest.approx(60.0)


def test_numpy_scalars_mix_with_values():
    import numpy as np

    a = bp.Value(2.0)
    out = np.float64(3.0) * a + np.float32(1.0)
    assert isinstance(out, bp.Value) and out.data == pytest.approx(7.0)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: bp.Value("3"), TypeError, "real number"),
        (lambda: bp.Value([1.0]), TypeError, "bp.Tensor"),
        (lambda: bp.Value(float("nan")), ValueError, "NaN"),
        (lambda: bp.Value(0.0).log(), ValueError, "positive"),
        (lambda: bp.Value(-2.0).log(), ValueError, "positive"),
        (lambda: bp.Value(-2.0) ** bp.Value(2.0), ValueError, "positive base"),
        (lambda: bp.Value(0.0) ** bp.Value(2.0), ValueError, "positive base"),
        (lambda: (-2.0) ** bp.Value(0.5), ValueError, "positive base"),
        (lambda: bp.Value(1.0) / bp.Value(0.0), ZeroDivisionError, "exactly 0"),
        (lambda: 1.0 / bp.Value(0.0), ZeroDivisionError, "exactly 0"),
        (lambda: bp.Value(0.0) ** -1, ZeroDivisionError, "division by zero"),
        (lambda: bp.Value(-8.0) ** (1 / 3), ValueError, "not a real number"),
        (lambda: bp.Value(1000.0).exp(), OverflowError, "learning rate"),
        (lambda: bp.Value(float("inf")) - bp.Value(float("inf")), ValueError, "NaN"),
        (lambda: bp.Value(1.0) + "x", TypeError, "real number"),
        (lambda: bp.Value(bp.Value(3.0)), TypeError, "already a bp.Value"),
        (lambda: bp.Value(1.0).backward(bp.Value(1.0)), TypeError, "already a bp.Value"),
        (lambda: weighted_sum([bp.Value(float("inf"))], [bp.Value(0.0)]), ValueError, "NaN"),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_sigmoid_is_stable_for_large_inputs():
    assert bp.Value(-800.0).sigmoid().data == 0.0
    assert bp.Value(800.0).sigmoid().data == 1.0
