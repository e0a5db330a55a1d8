"""Exercises of notebooks 00–05: the four stages, the forward pass, losses, the backward pass,
weight updates and the training loop.

The code exercises are checked on inputs drawn with a fixed seed and compared with what the
package computes (``bp.Value``, ``bp.nn.Neuron``, ``bp.losses``, ``bp.optim``), so that an
answer right for one input only is marked wrong.
"""

import math

import numpy as np

from .checks import call, expect_close, expect_equal
from .core import Exercise, Wrong


def _number(result, what: str) -> float:
    """``result`` as a float: a number, a ``bp.Value`` or a one-element array; Wrong otherwise."""
    from ..scalar import Value  # late: the package imports this module while it loads
    if isinstance(result, Value):
        result = result.data
    try:
        number = float(np.asarray(result, dtype=np.float64).reshape(-1)[0]) \
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
    from .. import backend
    try:
        array = backend.to_host(result).astype(np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a NumPy array, got {type(result).__name__}.") from None
    if not np.all(np.isfinite(array)):
        raise Wrong(f"{what} contains NaN or infinity.")
    return array


# ---------------------------------------------------------------------------- 00: the four stages

def _check_train_step(train_step):
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

def _check_neuron_output(neuron_output):
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
    from .. import Tensor
    t = Tensor(data, dtype="float64", requires_grad=True)
    loss_fn(t, *targets).backward()
    return _array(t.grad, "the package's gradient")


def _compare_gradient(got, expected, what):
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


def _check_mse_gradient(mse_gradient):
    from .. import losses
    rng = np.random.default_rng(2)
    for n in (1, 4, 7):
        predictions, targets = rng.normal(size=n), rng.normal(size=n)
        expected = _tensor_grad(losses.mse, predictions, targets)
        what = f"the gradient for {n} prediction" + ("s" if n > 1 else "")
        got = _array(call(mse_gradient, predictions.copy(), targets.copy()), what)
        _compare_gradient(got, expected, what)


def _check_cross_entropy_gradient(cross_entropy_gradient):
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

def _check_division_local_grads(division_local_grads):
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

def _check_momentum_step(momentum_step):
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
                expect_close(velocity, reference.state[w]["momentum_buffer"], f"the velocity after step {step}")
            except Wrong as wrong:
                raise Wrong(f"{wrong} The new velocity is momentum · velocity + grad.") from None
            expect_close(mine, w.numpy(), f"w after step {step} (lr {lr}, momentum {momentum})")


# ---------------------------------------------------------------------------- 05: the training loop

def _check_epoch_batches(epoch_batches):
    for n_samples, batch_size in ((100, 32), (10, 3), (64, 64), (7, 10), (50, 1)):
        batches = call(epoch_batches, n_samples, batch_size, np.random.default_rng(6))
        try:
            batches = [np.asarray(b).reshape(-1) for b in batches]
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
    first = [np.asarray(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(7))]
    second = [np.asarray(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(8))]
    if first == second:
        raise Wrong("two different random generators gave the same batches: draw the order from rng.")
    again = [np.asarray(b).tolist() for b in call(epoch_batches, 30, 8, np.random.default_rng(7))]
    if again != first:
        raise Wrong("the same seed gave different batches: draw the order from rng only, so that a "
                    "seed repeats the epoch.")


def _early_stop_reference(val_losses, patience):
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch


def _check_early_stop(early_stop):
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


EXERCISES = [
    Exercise("00.1", "The six-line loop with one line deleted: w.grad is 0.0 at every step and w never "
                     "moves. Which stage's line was deleted?",
             answer="backward",
             hints=["w.grad is set to 0.0 at each step; which line would have filled it?",
                    "The update does run, but it moves w by 0.1 × w.grad = 0."],
             solution='answer = "backward"', wrong='answer = "update"'),
    Exercise("00.2", "Write train_step(w, x, target, lr): one training step of the one-weight model "
                     "prediction = tanh(w·x) with loss (prediction − target)²; return the new w.",
             checker=_check_train_step, name="train_step",
             hints=["Follow the four stages of the loop above: forward, loss, backward, update.",
                    "Make w a bp.Value, build the loss from it, call loss.backward(), then w.grad is dL/dw.",
                    "Return w.data - lr * w.grad (a number)."],
             solution="""
                 def train_step(w, x, target, lr):
                     w = bp.Value(w)
                     loss = ((w * x).tanh() - target) ** 2
                     loss.backward()
                     return w.data - lr * w.grad
             """,
             wrong="""
                 def train_step(w, x, target, lr):
                     w = bp.Value(w)
                     loss = ((w * x).tanh() - target) ** 2
                     loss.backward()
                     return w.data + lr * w.grad
             """),
    Exercise("01.1", "Output of a tanh neuron with weights [1.5, -2], bias 0.25, input [0.5, 0.25].",
             answer=math.tanh(1.5 * 0.5 - 2 * 0.25 + 0.25),
             hints=["First the weighted sum w·x + b, then the activation.",
                    "w·x + b = 0.75 − 0.5 + 0.25 = 0.5; now apply tanh."],
             solution="import math\nanswer = math.tanh(1.5 * 0.5 + (-2) * 0.25 + 0.25)",
             wrong="answer = 1.5 * 0.5 + (-2) * 0.25 + 0.25"),
    Exercise("01.2", "How many parameters does MLP(3, [4, 2]) have?", answer=3 * 4 + 4 + 4 * 2 + 2,
             hints="Each layer has n_in x n_out weights plus n_out biases.",
             solution="answer = 3 * 4 + 4 + 4 * 2 + 2", wrong="answer = 3 * 4 + 4 * 2"),
    Exercise("01.3", "Write neuron_output(weights, inputs, bias): a tanh neuron's forward pass for "
                     "any number of inputs.",
             checker=_check_neuron_output, name="neuron_output",
             hints=["Multiply each input by its weight, add the products and the bias, then apply tanh.",
                    "math.tanh(sum(w * x for w, x in zip(weights, inputs)) + bias)"],
             solution="""
                 import math

                 def neuron_output(weights, inputs, bias):
                     weighted_sum = sum(w * x for w, x in zip(weights, inputs)) + bias
                     return math.tanh(weighted_sum)
             """,
             wrong="""
                 import math

                 def neuron_output(weights, inputs, bias):
                     return math.tanh(sum(w * x for w, x in zip(weights, inputs)))
             """),
    Exercise("02.1", "MSE of predictions [1, 2] against targets [0, 4].", answer=(1 + 4) / 2,
             hints="Square each difference, then take the mean.",
             solution="answer = ((1 - 0) ** 2 + (2 - 4) ** 2) / 2", wrong="answer = (1 + 4)"),
    Exercise("02.2", "Cross-entropy of logits [0, 0, 0] for class 1.", answer=math.log(3),
             hints=["Equal logits give every class the same probability.",
                    "Each of the 3 classes gets probability 1/3; the loss is −log(1/3)."],
             solution="import math\nanswer = -math.log(1 / 3)", wrong="answer = 1 / 3"),
    Exercise("02.3", "Write mse_gradient(predictions, targets): the gradient of the MSE with respect "
                     "to each prediction, as a NumPy array.",
             checker=_check_mse_gradient, name="mse_gradient",
             hints=["Differentiate (1/n)·Σ (ŷᵢ − yᵢ)² with respect to one ŷᵢ: only one term depends on it.",
                    "The result is 2·(ŷᵢ − yᵢ)/n for each prediction; n = len(predictions)."],
             solution="""
                 def mse_gradient(predictions, targets):
                     return 2 * (predictions - targets) / len(predictions)
             """,
             wrong="""
                 def mse_gradient(predictions, targets):
                     return (predictions - targets) / len(predictions)
             """),
    Exercise("02.4", "Write cross_entropy_gradient(logits, labels): the gradient of the mean "
                     "cross-entropy with respect to the logits (n samples × k classes).",
             checker=_check_cross_entropy_gradient, name="cross_entropy_gradient",
             hints=["Per sample the gradient is p − y: the softmax probabilities minus the one-hot "
                    "vector of the true class.",
                    "p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True); subtract 1 at "
                    "p[np.arange(n), labels].",
                    "The loss is the mean over the n samples, so divide the result by n."],
             solution="""
                 def cross_entropy_gradient(logits, labels):
                     shifted = logits - logits.max(axis=1, keepdims=True)  # no overflow
                     p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
                     n = len(labels)
                     p[np.arange(n), labels] -= 1
                     return p / n
             """,
             wrong="""
                 def cross_entropy_gradient(logits, labels):
                     p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                     p[np.arange(len(labels)), labels] -= 1
                     return p
             """),
    Exercise("03.1", "dL/db for L = (a*b + b*c)*f at a=3, b=2, c=-1, f=-2 (b is used twice).",
             answer=-4.0,
             hints=["b reaches L along two paths, through a*b and through b*c; add what each sends back.",
                    "Along a*b the local derivative toward b is a, along b*c it is c; both then meet f."],
             solution="""
                 a, b, c, f = (bp.Value(v) for v in (3.0, 2.0, -1.0, -2.0))
                 L = (a * b + b * c) * f
                 L.backward()
                 answer = b.grad
             """, wrong="answer = 3.0 * -2.0"),
    Exercise("03.2", "The derivative of sigmoid at 0.", answer=0.25,
             hints=["Build x = bp.Value(0.0), call x.sigmoid().backward() and read x.grad.",
                    "sigmoid′(x) = s(x)·(1 − s(x)), and s(0) = 0.5."],
             solution="""
                 x = bp.Value(0.0)
                 x.sigmoid().backward()
                 answer = x.grad
             """, wrong="answer = 0.5"),
    Exercise("03.3", "Write division_local_grads(a, b): the local derivatives (∂c/∂a, ∂c/∂b) of "
                     "c = a / b.",
             checker=_check_division_local_grads, name="division_local_grads",
             hints=["Treat the other input as a constant: c = a · (1/b) for ∂c/∂a, c = a · b⁻¹ for ∂c/∂b.",
                    "The derivative of b⁻¹ is −b⁻²."],
             solution="""
                 def division_local_grads(a, b):
                     return 1 / b, -a / b**2
             """,
             wrong="""
                 def division_local_grads(a, b):
                     return 1 / b, a / b**2
             """),
    Exercise("03.4", "Which of log_sum_exp, normalised and swish computes wrong gradients? Find it "
                     "with bp.gradcheck.", answer="normalised", setup=PLANTED_BUG,
             hints=["Call bp.gradcheck(f, [0.7, -1.2], raise_exception=False) for each of the three "
                    "functions: it returns False where backprop and finite differences disagree.",
                    "A number taken out with .data is a constant for the backward pass. That is "
                    "harmless only when the result does not depend on it."],
             solution="""
                 answer = None
                 for f in (log_sum_exp, normalised, swish):
                     if not bp.gradcheck(f, [0.7, -1.2], raise_exception=False):
                         answer = f.__name__
             """, wrong='answer = "log_sum_exp"'),
    Exercise("04.1", "One SGD step from w = 1 with gradient 0.5 and learning rate 0.1.", answer=0.95,
             hints="w_new = w - lr * gradient.", solution="answer = 1 - 0.1 * 0.5",
             wrong="answer = 1 + 0.1 * 0.5"),
    Exercise("04.2", "SGD with momentum 0.9, lr 0.1: w after two steps from w = 1 with gradients 1, "
                     "then 1.", answer=1 - 0.1 * 1 - 0.1 * (0.9 * 1 + 1),
             hints="The velocity is v1 = g1, then v2 = 0.9 v1 + g2; each step subtracts lr * v.",
             solution="""
                 w, v = 1.0, 0.0
                 for g in (1.0, 1.0):
                     v = 0.9 * v + g
                     w = w - 0.1 * v
                 answer = w
             """, wrong="answer = 1 - 0.1 * 1 - 0.1 * 1"),
    Exercise("04.3", "Write momentum_step(w, grad, velocity, lr, momentum) for NumPy arrays: one step "
                     "of SGD with momentum; return (new w, new velocity).",
             checker=_check_momentum_step, name="momentum_step",
             hints=["First the velocity: v ← momentum·v + g. Then the weight: w ← w − lr·v.",
                    "The gradient enters the velocity whole, not as (1 − momentum)·g: that would be "
                    "a running mean, as in Adam's m."],
             solution="""
                 def momentum_step(w, grad, velocity, lr, momentum):
                     velocity = momentum * velocity + grad
                     return w - lr * velocity, velocity
             """,
             wrong="""
                 def momentum_step(w, grad, velocity, lr, momentum):
                     velocity = momentum * velocity + (1 - momentum) * grad
                     return w - lr * velocity, velocity
             """),
    Exercise("05.1", "Weight updates in 3 epochs of 1,000 samples with batch size 64 (the last, "
                     "smaller batch kept).", answer=3 * math.ceil(1000 / 64),
             hints=["One update per batch. How many batches does one epoch have?",
                    "15 full batches hold 960 samples; the other 40 make a 16th batch."],
             solution="import math\nanswer = 3 * math.ceil(1000 / 64)",
             wrong="answer = 3 * (1000 // 64)"),
    Exercise("05.2", "Write epoch_batches(n_samples, batch_size, rng): one epoch's batches, a list of "
                     "index arrays in a shuffled order, the last batch smaller if need be.",
             checker=_check_epoch_batches, name="epoch_batches",
             hints=["Shuffle the indices 0 … n−1 with rng.permutation(n_samples), then cut them into "
                    "pieces of batch_size.",
                    "range(0, n_samples, batch_size) gives each batch's start; keep the last, "
                    "shorter piece."],
             solution="""
                 def epoch_batches(n_samples, batch_size, rng):
                     order = rng.permutation(n_samples)
                     return [order[start:start + batch_size] for start in range(0, n_samples, batch_size)]
             """,
             wrong="""
                 def epoch_batches(n_samples, batch_size, rng):
                     order = rng.permutation(n_samples)
                     return [order[i * batch_size:(i + 1) * batch_size] for i in range(n_samples // batch_size)]
             """),
    Exercise("05.3", "Write early_stop(val_losses, patience): the epoch after which early stopping "
                     "ends training, and the best epoch (both counted from 1).",
             checker=_check_early_stop, name="early_stop",
             hints=["Walk through the losses, remembering the lowest so far and its epoch; count the "
                    "epochs since it last fell.",
                    "A loss lower than the best resets the count to 0; when the count reaches "
                    "patience, stop at that epoch. If it never does, training runs all epochs.",
                    "Compare with the best so far, not with the previous epoch."],
             solution="""
                 def early_stop(val_losses, patience):
                     best, best_epoch, waited = float("inf"), 0, 0
                     for epoch, loss in enumerate(val_losses, start=1):
                         if loss < best:
                             best, best_epoch, waited = loss, epoch, 0
                         else:
                             waited += 1
                             if waited == patience:
                                 return epoch, best_epoch
                     return len(val_losses), best_epoch
             """,
             wrong="""
                 def early_stop(val_losses, patience):
                     best, best_epoch, waited = float("inf"), 0, 0
                     for epoch, loss in enumerate(val_losses, start=1):
                         if loss < best:
                             best, best_epoch, waited = loss, epoch, 0
                         else:
                             waited += 1
                             if waited > patience:
                                 return epoch, best_epoch
                     return len(val_losses), best_epoch
             """),
]
