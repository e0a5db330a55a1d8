"""The exercise checker accepts the right answers and explains the wrong ones."""

import pytest

import backproplab as bp


@pytest.mark.parametrize("exercise_id", sorted(bp.exercises.EXERCISES))
def test_the_expected_answer_passes_and_a_wrong_one_fails(exercise_id, capsys):
    expected = bp.exercises.EXERCISES[exercise_id].answer
    assert bp.exercises.is_correct(exercise_id, expected)
    bp.exercises.check(exercise_id, expected)
    assert "correct!" in capsys.readouterr().out
    wrong = "nonsense" if isinstance(expected, str) else [0] if isinstance(expected, list) else expected + 1
    assert not bp.exercises.is_correct(exercise_id, wrong)
    bp.exercises.check(exercise_id, wrong)
    assert "Hint" in capsys.readouterr().out
    assert not bp.exercises.is_correct(exercise_id, None)
    bp.exercises.check(exercise_id, None)
    assert "no answer yet" in capsys.readouterr().out


def test_numbers_are_compared_with_a_tolerance_and_words_ignore_case():
    assert bp.exercises.is_correct("01.1", 0.4621)
    assert bp.exercises.is_correct("00.1", "  Backward ")
    with pytest.raises(KeyError, match="ids look like"):
        bp.exercises.check("99.9", 1)
