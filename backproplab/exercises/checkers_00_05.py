"""The checkers of the code exercises of notebooks 00–05 (the catalogue is ``notebooks_00_05.py``).

Each checker runs the learner's function on inputs drawn with a fixed seed, several cases each,
and compares with what the package computes (``bp.Value``, ``bp.nn.Neuron``, ``bp.losses``,
``bp.optim``), so that an answer right for one input only is marked wrong.  The first thing that
differs is reported, with a word on the typical cause where one is recognisable.
"""

import math

import numpy as np

from .. import backend
from .checks import call, expect_close, expect_equal
from .core import Wrong

__all__ = [
    "PLANTED_BUG",
    "check_cross_entropy_gradient",
    "check_division_local_grads",
    "check_early_stop",
    "check_epoch_batches",
    "check_momentum_step",
    "check_mse_gradient",
    "check_neuron_output",
    "check_train_step",
]


def _number(result, what: str) -> float:
    """``result`` as a float: a number, a ``bp.Value`` or a one-element array; Wrong otherwise."""
    from ..scalar import Value  # late: the package imports this module while it loads
    if isinstance(result, Value):
        result = result.data
    try:
        number = float(backend.to_host(result).astype(np.float64).reshape(-1)[0]) \
            if np.size(result) == 1 else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise Wrong(f"{what} should be one number, got {type(result).__name__} {result!r:.60}.")
    if not math.isfinite(number):
        raise Wrong(f"{what} is {number}: somewhere a step divides by zero or overflows.")
    return number


def _array(result, what: str) -> np.ndarray:
    """``result`` as a float64 array, with a clear message for what cannot be one."""
    try:
        array = backend.to_host(result).astype(np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a NumPy array, got {type(result).__name__}.") from None
    if not np.all(np.isfinite(array)):
        raise Wrong(f"{what} contains NaN or infinity.")
    return array


# ---------------------------------------------------------------------------- 00: the four stages

def check_train_step(train_step):
    """Exercise 00.2: one step of tanh(w·x) against (· − target)², compared with bp.Value."""
    from .. import Value
    rng = np.random.default_rng(0)
    for _ in range(6):
        # plain floats: a NumPy scalar on the left of `*` would not hand over to Value
        w0, x, target = (float(v) for v in (rng.uniform(-1, 1), rng.uniform(-2, 2), rng.uniform(-0.9, 0.9)))
        lr = float(rng.choice([0.05, 0.1, 0.3]))
        w = Value(w0)
        (((w * x).tanh() - target) ** 2).backward()
        expected = w0 - lr * w.grad
        got = _number(call(train_step, w0, x, target, lr), "train_step's result")
        if abs(got - expected) > 1e-9 + 1e-6 * abs(expected):
            hint = ""
            if abs(got - (w0 + lr * w.grad)) < 1e-9:
                hint = " Your step goes up the loss: subtract lr times the gradient."
            raise Wrong(f"from w = {w0:.4f} (x = {x:.4f}, target = {target:.4f}, lr = {lr}) the new w "
                        f"should be {expected:.6g}, got {got:.6g}.{hint}")


# ---------------------------------------------------------------------------- 01: the forward pass

def check_neuron_output(neuron_output):
    """Exercise 01.3: tanh(w·x + b) for 1 to 5 inputs, compared with bp.nn.Neuron."""
    from ..nn import Neuron
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5):
        case = f"{n} input" + ("s" if n > 1 else "")
        weights, inputs, bias = rng.uniform(-1.5, 1.5, n), rng.uniform(-2, 2, n), rng.uniform(-1, 1)
        neuron = Neuron(n, activation="tanh")
        for value, w in zip(neuron.weight, weights):
            value.data = float(w)
        neuron.bias.data = float(bias)
        expected = neuron([float(x) for x in inputs]).data
        got = _number(call(neuron_output, [float(w) for w in weights], [float(x) for x in inputs],
                           float(bias)), f"the output for {case}")
        if abs(got - expected) > 1e-9:
            weighted_sum = float(weights @ inputs + bias)
            if abs(got - weighted_sum) < 1e-9:
                raise Wrong(f"for {case} you return the weighted sum {got:.6g}; the neuron still "
                            "has to pass it through its activation, tanh.")
            if abs(got - math.tanh(weighted_sum - bias)) < 1e-9:
                raise Wrong(f"for {case} expected {expected:.6g}, got {got:.6g}: the bias is "
                            "missing from the sum.")
            raise Wrong(f"for {case} expected tanh(w·x + b) = {expected:.6g}, got {got:.6g}.")


# ---------------------------------------------------------------------------- 02: loss gradients

def _tensor_grad(loss_fn, data, *targets):
    """The gradient of loss_fn(data, *targets) with respect to data, from the package's backward pass."""
    from .. import Tensor
    t = Tensor(data, dtype="float64", requires_grad=True)
    loss_fn(t, *targets).backward()
    return _array(t.grad, "the package's gradient")


def _compare_gradient(got, expected, what):
    """Wrong, naming a flipped sign, a missing 1/n or a missing factor 2 where that is the difference."""
    if got.shape == expected.shape and not np.allclose(got, expected, rtol=1e-6, atol=1e-10):
        n = expected.shape[0]
        if np.allclose(got, -expected, rtol=1e-6, atol=1e-10):
            raise Wrong(f"{what} has the wrong sign: it should point uphill, towards a larger loss.")
        if n > 1 and np.allclose(got, n * expected, rtol=1e-6, atol=1e-10):
            raise Wrong(f"{what} is {n} times too large: the loss is a mean over the {n} samples, "
                        "so each sample's gradient is divided by n.")
        if np.allclose(2 * got, expected, rtol=1e-6, atol=1e-10):
            raise Wrong(f"{what} is half as large as it should be: the derivative of a square "
                        "brings down a factor 2.")
    expect_close(got, expected, what)


def check_mse_gradient(mse_gradient):
    """Exercise 02.3: ∂MSE/∂ŷ for random arrays, compared with bp.losses.mse's backward pass."""
    from .. import losses
    rng = np.random.default_rng(2)
    for n in (1, 4, 7):
        predictions, targets = rng.normal(size=n), rng.normal(size=n)
        expected = _tensor_grad(losses.mse, predictions, targets)
        what = f"the gradient for {n} prediction" + ("s" if n > 1 else "")
        got = _array(call(mse_gradient, predictions.copy(), targets.copy()), what)
        _compare_gradient(got, expected, what)


def check_cross_entropy_gradient(cross_entropy_gradient):
    """Exercise 02.4: (p − y)/n for random batches, compared with bp.losses.cross_entropy's backward pass."""
    from .. import losses
    rng = np.random.default_rng(3)
    for n, k in ((1, 3), (4, 2), (5, 4)):
        logits, labels = rng.normal(scale=2.0, size=(n, k)), rng.integers(0, k, size=n)
        expected = _tensor_grad(losses.cross_entropy, logits, labels)
        what = f"the gradient for {n} sample{'s' if n > 1 else ''} of {k} classes"
        got = _array(call(cross_entropy_gradient, logits.copy(), labels.copy()), what)
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if got.shape == p.shape and (np.allclose(got, p) or np.allclose(got, p / n)):
            raise Wrong(f"{what} is the softmax p alone; subtract 1 at each sample's true class (p − y).")
        _compare_gradient(got, expected, what)


# ---------------------------------------------------------------------------- 03: local derivatives

def check_division_local_grads(division_local_grads):
    """Exercise 03.3: (1/b, −a/b²) at random a, b, compared with bp.Value's a / b."""
    from .. import Value
    rng = np.random.default_rng(4)
    for _ in range(6):
        a_value = float(rng.uniform(-3, 3))
        b_value = float(rng.choice([-1, 1]) * rng.uniform(0.5, 3))
        a, b = Value(a_value), Value(b_value)
        (a / b).backward()
        result = call(division_local_grads, a_value, b_value)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Wrong("return two numbers, (∂c/∂a, ∂c/∂b), as a tuple.")
        got_a = _number(result[0], "∂c/∂a")
        got_b = _number(result[1], "∂c/∂b")
        for name, got, expected in (("∂c/∂a", got_a, a.grad), ("∂c/∂b", got_b, b.grad)):
            if abs(got - expected) > 1e-9 + 1e-9 * abs(expected):
                sign = " Check the sign." if abs(got + expected) < 1e-9 else ""
                raise Wrong(f"{name} at a = {a_value:.4f}, b = {b_value:.4f} should be {expected:.6g}, "
                            f"got {got:.6g}.{sign}")


# Three functions of notebook 03 (defined in a cell of the notebook, and here for the tests);
# one of them takes a number out of the graph that its result depends on.
PLANTED_BUG = """
import math

def log_sum_exp(a, b):
    m = max(a.data, b.data)          # subtracted for safety, as cross_entropy does
    return ((a - m).exp() + (b - m).exp()).log() + m

def normalised(a, b):
    length = math.sqrt(a.data**2 + b.data**2)
    return a / length

def swish(a, b):
    return a * (a * b).sigmoid()
"""

# ---------------------------------------------------------------------------- 04: an optimizer step

def check_momentum_step(momentum_step):
    """Exercise 04.3: four momentum steps on random gradients, compared with bp.optim.SGD."""
    from .. import Tensor, optim
    rng = np.random.default_rng(5)
    for shape, lr, momentum in (((3,), 0.1, 0.9), ((2, 3), 0.05, 0.5)):
        start = rng.normal(size=shape)
        w = Tensor(start.copy(), dtype="float64", requires_grad=True)
        reference = optim.SGD([w], lr=lr, momentum=momentum)
        mine, velocity = start.copy(), np.zeros(shape)
        for step in range(1, 5):
            grad = rng.normal(size=shape)
            w.grad = grad.copy()
            reference.step()
            result = call(momentum_step, mine.copy(), grad.copy(), velocity.copy(), lr, momentum)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Wrong("return the new weight and the new velocity, as a tuple (w, velocity).")
            mine = _array(result[0], f"w after step {step}")
            velocity = _array(result[1], f"the velocity after step {step}")
            expect_equal(mine.shape, shape, f"the shape of w after step {step}")
            try:
                expect_close(velocity, reference.state[w]["momentum_buffer"],
                             f"the velocity after step {step}")
            except Wrong as wrong:
                raise Wrong(f"{wrong} The new velocity is momentum · velocity + grad.") from None
            expect_close(mine, w.numpy(), f"w after step {step} (lr {lr}, momentum {momentum})")


# ---------------------------------------------------------------------------- 05: the training loop

def check_epoch_batches(epoch_batches):
    """Exercise 05.2: shuffled batches that cover every index once, drawn from rng only."""
    for n_samples, batch_size in ((100, 32), (10, 3), (64, 64), (7, 10), (50, 1)):
        batches = call(epoch_batches, n_samples, batch_size, np.random.default_rng(6))
        try:
            batches = [backend.to_host(b).reshape(-1) for b in batches]
        except TypeError:
            raise Wrong("return a list of index arrays, one per batch.") from None
        case = f"for {n_samples} samples in batches of {batch_size}"
        expect_equal(len(batches), math.ceil(n_samples / batch_size), f"the number of batches {case}")
        sizes = [len(b) for b in batches]
        expected_sizes = [batch_size] * (n_samples // batch_size) + (
            [n_samples % batch_size] if n_samples % batch_size else [])
        expect_equal(sizes, expected_sizes, f"the batch sizes {case}")
        everything = np.concatenate(batches)
        if not np.issubdtype(everything.dtype, np.integer):
            raise Wrong(f"the batches {case} should hold sample indices (whole numbers).")
        if sorted(everything.tolist()) != list(range(n_samples)):
            raise Wrong(f"{case} every index 0 … {n_samples - 1} should appear exactly once in an epoch.")
        if n_samples >= 10 and everything.tolist() == list(range(n_samples)):
            raise Wrong(f"{case} the indices come in their original order: shuffle them with rng first.")
    first = [backend.to_host(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(7))]
    second = [backend.to_host(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(8))]
    if first == second:
        raise Wrong("two different random generators gave the same batches: draw the order from rng.")
    again = [backend.to_host(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(7))]
    if again != first:
        raise Wrong("the same seed gave different batches: draw the order from rng only, so that a "
                    "seed repeats the epoch.")


def _early_stop_reference(val_losses, patience):
    """(epoch training stops after, best epoch), both from 1: what early_stop should return."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch


def check_early_stop(early_stop):
    """Exercise 05.3: (stop epoch, best epoch) on noisy validation curves and several patiences."""
    rng = np.random.default_rng(9)
    cases = [([1.0, 0.8, 0.7, 0.6, 0.5], 2)]  # always improving: it never stops early
    for _ in range(8):
        n = int(rng.integers(12, 30))
        epochs = np.arange(n)
        curve = 1.0 / (1 + 0.4 * epochs) + 0.004 * (epochs - n / 3).clip(0) ** 1.5
        cases.append(((curve + rng.normal(scale=0.03, size=n)).round(4).tolist(), int(rng.integers(1, 5))))
    for losses, patience in cases:
        expected = _early_stop_reference(losses, patience)
        result = call(early_stop, list(losses), patience)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Wrong("return two epoch numbers, (the epoch training stops after, the best epoch).")
        got = tuple(int(_number(r, "an epoch number")) for r in result)
        shown = ", ".join(f"{x:.3f}" for x in losses)
        if got[0] != expected[0]:
            raise Wrong(f"with patience {patience} and validation losses [{shown}] training stops after "
                        f"epoch {expected[0]} (epochs count from 1), yours after {got[0]}.")
        if got[1] != expected[1]:
            raise Wrong(f"with validation losses [{shown}] the best epoch is {expected[1]} (epochs count "
                        f"from 1), yours is {got[1]}.")
