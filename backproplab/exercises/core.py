"""What an exercise is, and how an answer is judged.

An exercise is either a *value* question (a number, a list, a word: compared with the expected
answer) or a *code* question (the learner writes a function or a class; a checker runs it on
inputs it picks and compares with the package's own result).  Every exercise carries:

* its hints, the first of which is shown as long as the exercise is not solved;
* a reference solution, as the source code a learner would type in the exercise's cell;
* a typical wrong answer, as source code, so that the test suite can prove it is marked wrong.

A learner's answer has one of three verdicts: *not solved yet* (``None``, or a function that
still returns ``None`` or raises ``NotImplementedError``), *correct*, or *not yet* with a hint that
says what is wrong.
"""

from __future__ import annotations

import math
import numbers
import textwrap

__all__ = ["Exercise", "NotSolved", "Wrong", "verdict"]

NOT_SOLVED, CORRECT, WRONG = "not solved yet", "correct", "not yet"


class NotSolved(Exception):
    """Raised by a checker when the learner's code still is the stub it started as."""


class Wrong(Exception):
    """Raised by a checker with a message that says what is wrong with the learner's code."""


class Exercise:
    """One exercise of the course.

    Give ``answer`` for a value question, or ``checker`` for a code question: a function that takes
    the learner's object and returns normally when it is right, raises ``Wrong("what is wrong")``
    when it is not, and ``NotSolved`` when it is still the stub.  ``solution`` and ``wrong`` are
    source code that define ``name`` (``answer`` by default) in a namespace where ``np``, ``math`` and
    ``bp`` are imported and ``setup`` has run.
    """

    _NO_ANSWER = object()

    def __init__(self, exercise_id: str, question: str, *, hints, solution: str, wrong: str,
                 answer=_NO_ANSWER, checker=None, name: str = "answer", setup: str = ""):
        if (answer is Exercise._NO_ANSWER) == (checker is None):
            raise ValueError(f"Exercise {exercise_id}: give either an expected answer or a checker.")
        if isinstance(hints, str):
            hints = [hints]
        if not hints:
            raise ValueError(f"Exercise {exercise_id}: give at least one hint.")
        self.id, self.question, self.hints = exercise_id, question, list(hints)
        self.answer, self.checker = answer, checker
        self.solution, self.wrong = textwrap.dedent(solution).strip(), textwrap.dedent(wrong).strip()
        self.name, self.setup = name, textwrap.dedent(setup).strip()

    @property
    def kind(self) -> str:
        """``"code"`` when the learner writes code that a checker runs, ``"value"`` otherwise."""
        return "code" if self.checker is not None else "value"

    @property
    def notebook(self) -> str:
        """The notebook's number, e.g. ``"03b"`` for exercise ``"03b.2"``."""
        return self.id.split(".")[0]

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, {self.kind}: {self.question!r})"


def verdict(exercise: Exercise, answer) -> tuple[str, str]:
    """``(status, message)``: status is "correct", "not solved yet" or "not yet"."""
    if answer is None:
        return NOT_SOLVED, exercise.hints[0]
    if exercise.checker is None:
        if matches(answer, exercise.answer):
            return CORRECT, ""
        return WRONG, _shape_note(answer, exercise.answer) + exercise.hints[0]
    try:
        exercise.checker(answer)
    except NotSolved:
        return NOT_SOLVED, exercise.hints[0]
    except Wrong as wrong:
        return WRONG, str(wrong)
    except NotImplementedError:
        return NOT_SOLVED, exercise.hints[0]
    except Exception as error:  # the learner's code failed: say where, as a hint
        return WRONG, f"your code raised {type(error).__name__}: {error}"
    return CORRECT, ""


def _shape_note(answer, expected) -> str:
    plain = plain_value(answer, expected)
    if isinstance(plain, list) and not isinstance(expected, (list, tuple)):
        return f"The answer is one number; yours has {len(plain)} values. "
    return ""


def plain_value(answer, expected):
    """Tensors, Values and arrays as the Python numbers or lists they hold."""
    from ..tensor import Tensor   # late: the package imports this module while it loads
    from ..scalar import Value
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


def matches(answer, expected) -> bool:
    """Whether ``answer`` is ``expected``: numbers to 1e-3 relative, counts exactly, words ignoring
    case and surrounding spaces, lists element by element."""
    answer = plain_value(answer, expected)
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected
    if isinstance(expected, (list, tuple)):
        try:
            items = list(answer)
        except TypeError:
            return False
        return len(items) == len(expected) and all(matches(a, e) for a, e in zip(items, expected))
    if isinstance(expected, bool):  # a yes/no question takes True or False, not a number
        return isinstance(answer, bool) and answer == expected
    if isinstance(answer, (str, bytes)):
        return False
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        try:
            answer = float(answer)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, int):  # counts and shapes must be exact
        return float(answer) == expected
    return math.isclose(float(answer), expected, rel_tol=1e-3, abs_tol=1e-9)
