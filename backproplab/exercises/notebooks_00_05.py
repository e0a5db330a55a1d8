"""Exercises of notebooks 00–05: the four stages, the forward pass, losses, the backward pass,
weight updates and the training loop.

The code exercises' checkers live in ``checkers_00_05.py``.
"""

import math

from . import checkers_00_05 as checkers
from .core import Exercise

EXERCISES = [
    Exercise("00.1", "The six-line loop with one line deleted: w.grad is 0.0 at every step and w never "
                     "moves. Which stage's line was deleted?",
             answer="backward",
             hints=["w.grad is set to 0.0 at each step; which line would have filled it?",
                    "The update does run, but it moves w by 0.1 × w.grad = 0."],
             solution='answer = "backward"', wrong='answer = "update"'),
    Exercise("00.2", "Write train_step(w, x, target, lr): one training step of the one-weight model "
                     "prediction = tanh(w·x) with loss (prediction − target)²; return the new w.",
             checker=checkers.check_train_step, name="train_step",
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
             checker=checkers.check_neuron_output, name="neuron_output",
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
             checker=checkers.check_mse_gradient, name="mse_gradient",
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
             checker=checkers.check_cross_entropy_gradient, name="cross_entropy_gradient",
             hints=[("Per sample the gradient is p − y: the softmax probabilities minus the one-hot "
                    "vector of the true class."),
                    ("p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True); subtract 1 at "
                    "p[np.arange(n), labels]."),
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
    Exercise("03.1", "dL/db for L = (a*b + b*c)*f at a=3, b=2, c=4, f=-3 (b is used twice).",
             answer=-21.0,
             hints=["b reaches L along two paths, through a*b and through b*c; add what each sends back.",
                    "Along a*b the local derivative toward b is a, along b*c it is c; both then meet f."],
             solution="""
                 a, b, c, f = (bp.Value(v) for v in (3.0, 2.0, 4.0, -3.0))
                 L = (a * b + b * c) * f
                 L.backward()
                 answer = b.grad
             """, wrong="answer = 3.0 * -3.0"),
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
             checker=checkers.check_division_local_grads, name="division_local_grads",
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
                     "with bp.gradcheck.", answer="normalised", setup=checkers.PLANTED_BUG,
             hints=[("Call bp.gradcheck(f, [0.7, -1.2], raise_exception=False) for each of the three "
                    "functions: it returns False where backprop and finite differences disagree."),
                    ("A number taken out with .data is a constant for the backward pass. That is "
                    "harmless only when the result does not depend on it.")],
             solution="""
                 answer = None
                 for f in (log_sum_exp, normalised, swish):
                     if not bp.gradcheck(f, [0.7, -1.2], raise_exception=False):
                         answer = f.__name__
             """, wrong='answer = "log_sum_exp"'),
    Exercise("04.1", "One SGD step from w = 2 with gradient -0.5 and learning rate 0.1.", answer=2.05,
             hints=["w_new = w - lr * gradient.",
                    "The gradient is negative: the loss falls as w grows, so the step increases w."],
             solution="answer = 2 - 0.1 * (-0.5)", wrong="answer = 2 - 0.1 * 0.5"),
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
             checker=checkers.check_momentum_step, name="momentum_step",
             hints=["First the velocity: v ← momentum·v + g. Then the weight: w ← w − lr·v.",
                    ("The gradient enters the velocity whole, not as (1 − momentum)·g: that would be "
                    "a running mean, as in Adam's m.")],
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
             checker=checkers.check_epoch_batches, name="epoch_batches",
             hints=[("Shuffle the indices 0 … n−1 with rng.permutation(n_samples), then cut them into "
                    "pieces of batch_size."),
                    ("range(0, n_samples, batch_size) gives each batch's start; keep the last, "
                    "shorter piece.")],
             solution="""
                 def epoch_batches(n_samples, batch_size, rng):
                     order = rng.permutation(n_samples)
                     return [order[start:start + batch_size] for start in range(0, n_samples, batch_size)]
             """,
             wrong="""
                 def epoch_batches(n_samples, batch_size, rng):
                     order = rng.permutation(n_samples)
                     full_batches = n_samples // batch_size
                     return [order[i * batch_size:(i + 1) * batch_size] for i in range(full_batches)]
             """),
    Exercise("05.3", "Write early_stop(val_losses, patience): the epoch after which early stopping "
                     "ends training, and the best epoch (both counted from 1).",
             checker=checkers.check_early_stop, name="early_stop",
             hints=[("Walk through the losses, remembering the lowest so far and its epoch, and count "
                    "the epochs since that best one."),
                    ("A loss lower than the best resets the count to 0; when the count reaches "
                    "patience, stop at that epoch. If it never does, training runs all epochs."),
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
