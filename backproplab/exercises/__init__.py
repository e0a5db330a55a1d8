"""Exercises of the course, and the checker that marks them: ``bp.exercises.check("03.1", answer)``.

Every notebook ends with exercises.  Each one's cell starts unsolved (``answer = None``, or a
function whose body is still to be written) and ``check`` says "not solved yet" with a first hint.
Write your answer, run the cell again, and ``check`` prints "correct!" or what is still wrong.

* ``check(exercise_id, answer)`` prints the verdict (and returns nothing, so a cell shows only it);
* ``is_correct(exercise_id, answer)`` returns True or False;
* ``hint(exercise_id)`` prints every hint; ``solution(exercise_id)`` prints the reference solution,
  for when you are stuck or want to compare.

Value answers: numbers count to a relative 1e-3 (0.4621 counts for tanh(0.5)), counts and shapes
exactly, words ignoring case; a one-element ``Tensor`` or a ``Value`` counts as its number.  Code
answers are run on inputs the checker picks and compared with what the package computes.
"""

from __future__ import annotations

from . import engine, notebooks_00_05, notebooks_06_07, notebooks_08_09, notebooks_10_17
from .core import CORRECT, NOT_SOLVED, Exercise, verdict

__all__ = ["check", "is_correct", "hint", "solution", "for_notebook", "EXERCISES", "Exercise"]


def _registry() -> dict:
    exercises = {}
    for part in (notebooks_00_05, engine, notebooks_06_07, notebooks_08_09, notebooks_10_17):
        for exercise in part.EXERCISES:
            if exercise.id in exercises:
                raise RuntimeError(f"Exercise {exercise.id} is defined twice.")
            exercises[exercise.id] = exercise
    return exercises


EXERCISES: dict = _registry()


def _exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise KeyError(f"No exercise {exercise_id!r}; the ids look like '03.1' or '03b.2' "
                       "(notebook, then the exercise's number in it).")
    return EXERCISES[exercise_id]


def for_notebook(notebook: str) -> list:
    """The exercises of one notebook (``"03b"``), in order."""
    return [exercise for exercise in EXERCISES.values() if exercise.notebook == notebook]


def is_correct(exercise_id: str, answer) -> bool:
    """True when ``answer`` is right for exercise ``exercise_id``."""
    return verdict(_exercise(exercise_id), answer)[0] == CORRECT


def check(exercise_id: str, answer) -> None:
    """Print whether ``answer`` is right for exercise ``exercise_id``, with a hint if not."""
    status, message = verdict(_exercise(exercise_id), answer)
    if status == CORRECT:
        print(f"Exercise {exercise_id}: correct!")
    elif status == NOT_SOLVED:
        print(f"Exercise {exercise_id}: not solved yet. Hint: {message}")
    else:
        print(f"Exercise {exercise_id}: not yet. Hint: {message}")


def hint(exercise_id: str) -> None:
    """Print every hint of exercise ``exercise_id``, from gentle to explicit."""
    exercise = _exercise(exercise_id)
    for number, text in enumerate(exercise.hints, start=1):
        print(f"Hint {number}: {text}")


def solution(exercise_id: str) -> None:
    """Print the reference solution of exercise ``exercise_id`` (try it yourself first!)."""
    exercise = _exercise(exercise_id)
    print(f"Exercise {exercise_id}: {exercise.question}\n\n{exercise.solution}")
