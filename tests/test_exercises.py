"""The exercise checker marks every reference solution right and a typical wrong answer wrong.

Each exercise's reference solution and wrong answer are source code, run here as a learner's cell
would run them (with ``np``, ``math`` and ``bp`` imported and the exercise's set-up done first).
"""

import math

import numpy as np
import pytest

import backproplab as bp
from backproplab.exercises import EXERCISES

IDS = sorted(EXERCISES)


def run_cell(exercise, source):
    """The learner's object that ``source`` defines (``answer`` or the function the cell checks)."""
    namespace = {"np": np, "math": math, "bp": bp}
    exec(exercise.setup, namespace)
    exec(source, namespace)
    return namespace[exercise.name]


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_reference_solution_is_marked_correct(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    answer = run_cell(exercise, exercise.solution)
    bp.exercises.check(exercise_id, answer)
    assert capsys.readouterr().out == f"Exercise {exercise_id}: correct!\n"
    assert bp.exercises.is_correct(exercise_id, answer)


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_typical_wrong_answer_is_marked_wrong_with_a_hint(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    answer = run_cell(exercise, exercise.wrong)
    assert not bp.exercises.is_correct(exercise_id, answer)
    bp.exercises.check(exercise_id, answer)
    out = capsys.readouterr().out
    assert out.startswith(f"Exercise {exercise_id}: not yet. Hint: ") and len(out) > 40, out


@pytest.mark.parametrize("exercise_id", IDS)
def test_no_answer_is_not_solved_yet_and_shows_the_first_hint(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    assert not bp.exercises.is_correct(exercise_id, None)
    bp.exercises.check(exercise_id, None)
    assert capsys.readouterr().out == f"Exercise {exercise_id}: not solved yet. Hint: {exercise.hints[0]}\n"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_a_question_hints_and_a_solution_that_is_not_the_wrong_answer(exercise_id):
    exercise = EXERCISES[exercise_id]
    assert exercise.question and all(h.strip() for h in exercise.hints)
    assert exercise.solution and exercise.wrong and exercise.solution != exercise.wrong


def test_a_code_stub_is_not_solved_yet():
    code = [e for e in EXERCISES.values() if e.kind == "code"]
    assert code, "the course has code exercises"
    for exercise in code:
        def stub(*args, **kwargs):
            return None

        def unwritten(*args, **kwargs):
            raise NotImplementedError

        for answer in (stub, unwritten):
            verdict = bp.exercises.core.verdict(exercise, answer)[0]
            assert verdict in ("not solved yet", "not yet"), (exercise.id, verdict)
            assert not bp.exercises.is_correct(exercise.id, answer)


def test_numbers_are_compared_with_a_tolerance_and_words_ignore_case():
    number = next(e for e in EXERCISES.values() if isinstance(e.answer, float))
    assert bp.exercises.is_correct(number.id, number.answer * (1 + 5e-4))
    assert not bp.exercises.is_correct(number.id, number.answer * (1 + 5e-3))
    assert bp.exercises.is_correct(number.id, bp.Value(number.answer))
    assert bp.exercises.is_correct(number.id, bp.Tensor([number.answer]))
    assert not bp.exercises.is_correct(number.id, str(number.answer))
    word = next(e for e in EXERCISES.values() if isinstance(e.answer, str))
    assert bp.exercises.is_correct(word.id, f"  {word.answer.upper()} ")


def test_an_unknown_id_says_what_ids_look_like():
    with pytest.raises(KeyError, match="ids look like"):
        bp.exercises.check("99.9", 1)


def test_solution_and_hint_print_and_return_nothing(capsys):
    assert bp.exercises.solution("03.1") is None
    assert "b.grad" in capsys.readouterr().out
    assert bp.exercises.hint("03.1") is None
    assert capsys.readouterr().out.startswith("Hint 1: ")
