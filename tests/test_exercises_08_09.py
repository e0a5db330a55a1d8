"""The checkers of notebooks 08–09b name the typical mistake, not just "wrong"."""

import numpy as np
import pytest

from backproplab.exercises import EXERCISES
from backproplab.exercises.core import verdict


def message(exercise_id, answer):
    status, text = verdict(EXERCISES[exercise_id], answer)
    assert status == "not yet", (status, text)
    return text


def test_clipping_each_gradient_on_its_own_is_named():
    def separately(grads, max_norm):
        return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    assert "together" in message("08.1", separately)


def test_clipping_must_not_scale_small_gradients_up():
    def always_to_max_norm(grads, max_norm):
        norm = np.sqrt(sum((g ** 2).sum() for g in grads))
        return [g * max_norm / norm for g in grads]
    assert "not be scaled up" in message("08.1", always_to_max_norm)


def test_k_fold_with_overlapping_parts_is_named():
    def overlapping(n, k):
        return [(np.arange(n), np.arange(n))] * k
    assert "both its training and its validation" in message("09.2", overlapping)


def test_k_fold_that_drops_the_remainder_is_named():
    def remainder_lost(n, k):
        size = n // k
        return [(np.setdiff1d(np.arange(n), np.arange(i * size, (i + 1) * size)),
                 np.arange(i * size, (i + 1) * size)) for i in range(k)]
    assert "never in a validation part" in message("09.2", remainder_lost)


@pytest.mark.parametrize("wrong, words", [
    (lambda x, p, rng: x * (rng.random(x.shape) >= p), "scaled by 1 / (1 - p)"),
    (lambda x, p, rng: x * (rng.random(x.shape) >= p) * (1 - p), "divide by it instead"),
    (lambda x, p, rng: x + 0 * rng.random(x.shape), "equals x"),
    (lambda x, p, rng: x * (rng.random(x.shape) > 0.9) / (1 - p), "compared with bp.nn.Dropout"),
])
def test_dropout_mistakes_are_named(wrong, words):
    assert words in message("09b.1", wrong)


def test_dropout_is_compared_with_the_package_element_by_element():
    from backproplab import Tensor, nn

    def with_the_package(x, p, rng):
        seed_free = nn.Dropout(p)               # the package's layer, but with its own random draw
        return seed_free(Tensor(x, dtype="float64")).numpy()
    assert verdict(EXERCISES["09b.1"], with_the_package)[0] == "not yet"


def test_early_stopping_mistakes_are_named():
    assert "off by one" in message("09b.2", lambda losses, patience: int(np.argmin(losses[:4])))
    assert "never seen" in message("09b.2", lambda losses, patience: int(np.argmin(losses)) + 1)
    assert "whole number" in message("09b.2", lambda losses, patience: 3.0)


def test_early_stopping_that_counts_a_tie_as_a_new_low_is_named():
    def ties_count(val_losses, patience):
        best_epoch, best = 1, val_losses[0]
        for epoch, loss in enumerate(val_losses, start=1):
            if loss <= best:
                best, best_epoch = loss, epoch
            elif epoch - best_epoch >= patience:
                break
        return best_epoch
    assert "strictly lower" in message("09b.2", ties_count)


def test_min_max_mistakes_are_named():
    def own_statistics(X_train, X_new):
        scale = lambda X: (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))  # noqa: E731
        return scale(X_train), scale(X_new)

    def one_minimum_for_all(X_train, X_new):
        low, span = X_train.min(), X_train.max() - X_train.min()
        return (X_train - low) / span, (X_new - low) / span
    assert "training set's" in message("09b.3", own_statistics)
    assert "axis=0" in message("09b.3", one_minimum_for_all)
