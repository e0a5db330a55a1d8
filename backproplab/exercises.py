"""Exercise checker for the course notebooks: ``bp.exercises.check("03.1", answer)``.

Each exercise has an expected answer and a hint.  Numbers are compared with a relative
tolerance of 1e-3 (so 0.4621 counts for tanh(0.5)), counts exactly; words ignore case and surrounding
spaces; lists are compared element by element.  An answer may be what the package computes:
a one-element ``Tensor`` or a ``Value`` for a number, a ``Tensor`` or NumPy array for a list.
``check`` prints a verdict (and returns nothing, so a notebook cell shows only the verdict);
``is_correct`` returns True or False.
"""

from __future__ import annotations

import math
import numbers

from .scalar import Value
from .tensor import Tensor

__all__ = ["check", "is_correct", "EXERCISES", "Exercise"]


class Exercise:
    """One question: its expected answer and a hint for a wrong answer."""

    def __init__(self, question: str, answer, hint: str):
        self.question, self.answer, self.hint = question, answer, hint


EXERCISES = {
    "00.1": Exercise("Which of the four stages computes the gradient of the loss for every weight?",
                     "backward", "The chain rule runs from the loss back to the inputs."),
    "00.2": Exercise("Put the stages in order: 'update', 'loss', 'forward', 'backward'.",
                     ["forward", "loss", "backward", "update"],
                     "A prediction comes first, then how wrong it is, then who is to blame, then the fix."),
    "01.1": Exercise("Output of a tanh neuron with weights [0.5, -1], bias 0.5, input [2, 1].",
                     math.tanh(0.5 * 2 - 1 * 1 + 0.5), "w.x + b = 0.5, then apply tanh."),
    "01.2": Exercise("How many parameters does MLP(3, [4, 2]) have?", 3 * 4 + 4 + 4 * 2 + 2,
                     "Each layer has n_in x n_out weights plus n_out biases."),
    "02.1": Exercise("MSE of predictions [1, 2] against targets [0, 4].", (1 + 4) / 2,
                     "Square each difference, then take the mean."),
    "02.2": Exercise("Cross-entropy of logits [0, 0, 0] for class 1.", math.log(3),
                     "Equal logits give each class probability 1/3; the loss is -log(1/3)."),
    "03.1": Exercise("dL/db for L = (a*b + c)*f at a=2, b=-3, c=10, f=-2.", -4.0,
                     "The path from b to L multiplies the local derivatives a (through *) and f."),
    "03.2": Exercise("The derivative of sigmoid at 0.", 0.25, "sigmoid'(x) = s(x)(1 - s(x)) and s(0) = 0.5."),
    "04.1": Exercise("One SGD step from w = 1 with gradient 0.5 and learning rate 0.1.", 0.95,
                     "w_new = w - lr * gradient."),
    "04.2": Exercise("SGD with momentum 0.9, lr 0.1: w after two steps from w = 1 with gradients 1, then 1.",
                     1 - 0.1 * 1 - 0.1 * (0.9 * 1 + 1),
                     "The velocity is v1 = g1, then v2 = 0.9 v1 + g2; each step subtracts lr * v."),
    "05.1": Exercise("Batches per epoch for 100 samples and batch size 32 (the last batch kept).", 4,
                     "Three full batches of 32 and one of 4."),
    "05.2": Exercise("Weight updates in 5 epochs with those batches.", 20, "One update per batch."),
    "06.1": Exercise("Gradient of (x + b).sum() with respect to b, x of shape (4, 3), b of shape (3,).",
                     [4.0, 4.0, 4.0], "b was broadcast over 4 rows: each b[j] was used 4 times."),
    "06.2": Exercise("Shape of dL/dW for y = x @ W with x of shape (8, 5) and W of shape (5, 3).",
                     [5, 3], "A gradient always has the shape of what it is the gradient of."),
    "07.1": Exercise("Forward passes that central differences need for 1,000 parameters.", 2000,
                     "Two evaluations (+eps and -eps) for every parameter."),
    "07.2": Exercise("Forward plus backward passes that backpropagation needs for the same gradient.", 2,
                     "One forward pass and one backward pass, whatever the number of parameters."),
    "08.1": Exercise("The largest value of the sigmoid's derivative.", 0.25, "It peaks at x = 0."),
    "08.2": Exercise("Upper bound on the product of 10 sigmoid derivatives.", 0.25**10,
                     "Multiply the largest value by itself 10 times."),
    "09.1": Exercise("Best possible test accuracy when 20% of the test labels are flipped at random "
                     "(two classes).", 0.8, "A perfect model still disagrees with every flipped label."),
    "09.2": Exercise("With more training data, does the gap between training and validation "
                     "accuracy grow or shrink?", "shrink",
                     "Look at the learning curves: a bigger data set is harder to memorise."),
}


def _plain(answer, expected):
    """Tensors, Values and arrays as the Python numbers or lists they hold."""
    if isinstance(answer, Tensor):
        answer = answer.numpy()
    elif isinstance(answer, Value):
        answer = answer.data
    if hasattr(answer, "shape") and hasattr(answer, "tolist"):  # NumPy arrays and scalars
        flat = answer.reshape(-1).tolist() if hasattr(answer, "reshape") else [answer.tolist()]
        if isinstance(expected, (list, tuple)):
            return flat
        return flat[0] if len(flat) == 1 else answer.tolist()
    return answer


def _matches(answer, expected) -> bool:
    answer = _plain(answer, expected)
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected
    if isinstance(expected, (list, tuple)):
        try:
            items = list(answer)
        except TypeError:
            return False
        return len(items) == len(expected) and all(_matches(a, e) for a, e in zip(items, expected))
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        try:
            answer = float(answer)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, int):  # counts and shapes must be exact
        return float(answer) == expected
    return math.isclose(float(answer), expected, rel_tol=1e-3, abs_tol=1e-9)


def _exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise KeyError(f"No exercise {exercise_id!r}; the ids look like '03.1'.")
    return EXERCISES[exercise_id]


def is_correct(exercise_id: str, answer) -> bool:
    """True when ``answer`` is right for exercise ``exercise_id``."""
    return answer is not None and _matches(answer, _exercise(exercise_id).answer)


def check(exercise_id: str, answer) -> None:
    """Print whether ``answer`` is right for exercise ``exercise_id``, with a hint if not."""
    exercise = _exercise(exercise_id)
    if answer is None:
        print(f"Exercise {exercise_id}: no answer yet. Replace None with your answer and run the cell.")
    elif is_correct(exercise_id, answer):
        print(f"Exercise {exercise_id}: correct!")
    else:
        plain = _plain(answer, exercise.answer)
        note = ""
        if isinstance(plain, list) and not isinstance(exercise.answer, (list, tuple)):
            note = f" (the answer is one number; yours has {len(plain)} values)"
        print(f"Exercise {exercise_id}: not yet{note}. Hint: {exercise.hint}")
