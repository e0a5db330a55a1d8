"""Optimizers: the same update rules as torch.optim, on floats (Values) and arrays."""

import math

import numpy as np
import pytest

import backproplab as bp

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("AdaGrad", dict(lr=0.1)),
    ("AdaGrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("RMSProp", dict(lr=0.01)),
    ("RMSProp", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5)),
    ("RMSProp", dict(lr=0.01, centered=True, momentum=0.9)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, eps=1e-6)),
]
TORCH_NAMES = {"SGD": "SGD", "AdaGrad": "Adagrad", "RMSProp": "RMSprop", "Adam": "Adam", "AdamW": "AdamW"}


def gradient_sequence(steps=25, size=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1 + t % 4, size) for t in range(steps)]


def run_torch(name, kwargs, w0, grads):
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, TORCH_NAMES[name])([w], **kwargs)
    history = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        history.append(w.detach().numpy().copy())
    return np.array(history)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_value_updates_equal_torch(name, kwargs):
    w0, grads = np.array([0.5, -1.0, 2.0]), gradient_sequence()
    params = [bp.Value(x) for x in w0]
    opt = getattr(bp.optim, name)(params, **kwargs)
    history = []
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = float(gi)
        opt.step()
        history.append([p.data for p in params])
    np.testing.assert_allclose(np.array(history), run_torch(name, kwargs, w0, grads), rtol=1e-12, atol=1e-14)


class ArrayParam:
    """A stand-in for a tensor parameter: array data and array grad."""

    def __init__(self, data):
        self.data, self.grad = data, None

    def zero_grad(self):
        self.grad = None


@pytest.mark.parametrize("name, kwargs", CASES)
def test_array_updates_equal_torch(name, kwargs):
    w0, grads = np.array([0.5, -1.0, 2.0]), gradient_sequence(seed=1)
    p = ArrayParam(w0.copy())
    opt = getattr(bp.optim, name)([p], **kwargs)
    history = []
    for g in grads:
        p.grad = g
        opt.step()
        history.append(p.data.copy())
    np.testing.assert_allclose(np.array(history), run_torch(name, kwargs, w0, grads), rtol=1e-12, atol=1e-14)


def test_state_is_readable_under_torch_names():
    p = bp.Value(1.0)
    opt = bp.optim.Adam([p], lr=0.1)
    p.grad = 2.0
    opt.step()
    state = opt.state[p]
    assert state["step"] == 1 and state["exp_avg"] == pytest.approx(0.2)
    assert state["exp_avg_sq"] == pytest.approx(0.001 * 4)
    sgd = bp.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = 1.0
    sgd.step()
    assert sgd.state[p]["momentum_buffer"] == 1.0


def test_zero_grad_resets_values():
    params = [bp.Value(1.0), bp.Value(2.0)]
    (params[0] * params[1]).backward()
    bp.optim.SGD(params, lr=0.1).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: bp.optim.SGD([], lr=0.1), ValueError, "no parameters"),
        (lambda: bp.optim.Adam(iter([]), lr=0.1), ValueError, "no parameters"),
        (lambda: bp.optim.SGD([bp.Value(1.0)], lr=-0.1), ValueError, "learning rate must be >= 0"),
        (lambda: bp.optim.SGD([bp.Value(1.0)], lr="fast"), TypeError, "learning rate"),
        (lambda: bp.optim.SGD([bp.Value(1.0)], lr=0.1, nesterov=True), ValueError, "Nesterov"),
        (lambda: bp.optim.SGD([1.0], lr=0.1), TypeError, "Values or Tensors"),
        (lambda: bp.optim.Adam([bp.Value(1.0)], betas=(1.0, 0.9)), ValueError, r"betas\[0\]"),
        (lambda: bp.optim.RMSProp([bp.Value(1.0)], weight_decay=-1), ValueError, "weight_decay"),
    ],
)
def test_bad_optimizer_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_schedules_match_torch():
    w = torch.zeros(1, requires_grad=True)
    for ours_cls, theirs_cls, kwargs in [
        (bp.optim.StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=3, gamma=0.5)),
        (bp.optim.CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
         dict(T_max=10, eta_min=0.01)),
    ]:
        topt = torch.optim.SGD([w], lr=0.2)
        tsched = theirs_cls(topt, **kwargs)
        opt = bp.optim.SGD([bp.Value(0.0)], lr=0.2)
        sched = ours_cls(opt, **kwargs)
        for _ in range(10):
            topt.step()
            tsched.step()
            sched.step()
            assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-9)


def test_clip_grad_norm_matches_torch():
    grads = [np.array([3.0, -4.0]), np.array([12.0])]
    params = [ArrayParam(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    tparams = [torch.zeros(len(g), dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(tparams, grads):
        p.grad = torch.tensor(g)
    total = bp.optim.clip_grad_norm(params, 5.0)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, 5.0)
    assert total == pytest.approx(13.0) and total == pytest.approx(float(ttotal))
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)
    values = [bp.Value(0.0)]
    values[0].grad = math.inf
    with pytest.raises(FloatingPointError, match="NaN/inf"):
        bp.optim.clip_grad_norm(values, 1.0)
