"""The optimizer race on the rotated bowl, and the training dashboard's numbers."""

import math

import numpy as np
import pytest

import backproplab as bp
from backproplab import widgets
from backproplab.widgets import optimizer_race as race_module
from backproplab.widgets.optimizer_race import (LR_GRID, SURFACES, race_path, settled_value,
                                                tune_learning_rates)

DIAGONAL = math.sqrt(0.5)


def hessian(f, x, y, h=1e-4):
    """Second derivatives of f at (x, y) from differences of its backward() gradients."""
    def gradient(px, py):
        vx, vy = bp.Value(px), bp.Value(py)
        f(vx, vy).backward()
        return np.array([vx.grad, vy.grad])
    return np.column_stack([(gradient(x + h, y) - gradient(x - h, y)) / (2 * h),
                            (gradient(x, y + h) - gradient(x, y - h)) / (2 * h)])


def to_valley_coordinates(points):
    """(x, y) on the rotated bowl -> (along, across) its valley, i.e. the axis-aligned bowl's (x, y)."""
    points = np.asarray(points)
    return np.column_stack([DIAGONAL * (points[:, 0] + points[:, 1]),
                            DIAGONAL * (points[:, 1] - points[:, 0])])


def test_the_rotated_bowl_is_the_axis_aligned_bowl_turned_by_45_degrees():
    rotated, aligned = SURFACES["rotated bowl"], SURFACES["axis-aligned bowl"]
    eigenvalues, eigenvectors = np.linalg.eigh(hessian(rotated.function, 0.3, -0.7))
    np.testing.assert_allclose(eigenvalues, [1.0, 100.0], rtol=1e-6)
    # the flat direction (the valley floor) is the diagonal, not an axis
    np.testing.assert_allclose(np.abs(eigenvectors[:, 0]), [DIAGONAL, DIAGONAL], rtol=1e-6)
    np.testing.assert_allclose(np.diag(hessian(aligned.function, 0.3, -0.7)), [1.0, 100.0], rtol=1e-6)
    # both races start at the same place relative to the valley: 1.8 along it, 0.6 across
    np.testing.assert_allclose(to_valley_coordinates([rotated.start])[0], aligned.start)
    for x, y in [(0.3, -0.7), (-1.2, 0.4)]:
        u, v = to_valley_coordinates([(x, y)])[0]
        assert rotated.function(x, y) == pytest.approx(aligned.function(u, v))


def test_surfaces_still_index_like_tuples():
    f, start = SURFACES["rotated bowl"][:2]
    assert f is race_module.rotated_bowl and start == SURFACES["rotated bowl"].start
    assert SURFACES["rotated bowl"][4] == SURFACES["rotated bowl"].learning_rates


def test_bowl_learning_rates_are_each_optimizers_best_on_the_same_grid():
    tuned = tune_learning_rates("rotated bowl")
    assert {name: lr for name, (lr, _) in tuned.items()} == SURFACES["rotated bowl"].learning_rates
    assert SURFACES["axis-aligned bowl"].learning_rates == SURFACES["rotated bowl"].learning_rates
    for name, (lr, value) in tuned.items():
        scores = [settled_value("rotated bowl", race_path("rotated bowl", name, other)) for other in LR_GRID]
        assert value == min(scores) and lr in LR_GRID


def test_settled_value_is_the_worst_of_the_last_steps_and_infinite_after_divergence():
    path = np.zeros((101, 2))
    path[95] = (0.0, 0.1)  # one bump among the last 10 steps counts; a lucky last step does not
    assert settled_value("axis-aligned bowl", path) == pytest.approx(0.5 * 100 * 0.01)
    path[95] = 0.0
    path[80] = (0.0, 0.1)  # earlier than the last 10: ignored
    assert settled_value("axis-aligned bowl", path) == 0.0
    assert settled_value("axis-aligned bowl", path[:50]) == math.inf
    diverged = race_path("rotated bowl", "SGD", 0.05)
    assert len(diverged) < 101 and settled_value("rotated bowl", diverged) == math.inf


def test_sgd_and_momentum_do_not_notice_the_rotation_but_rmsprop_does():
    lrs = SURFACES["rotated bowl"].learning_rates
    for name in ("SGD", "momentum"):
        rotated = race_path("rotated bowl", name, lrs[name])
        aligned = race_path("axis-aligned bowl", name, lrs[name])
        np.testing.assert_allclose(to_valley_coordinates(rotated), aligned, atol=1e-9)
    rms_rotated = settled_value("rotated bowl", race_path("rotated bowl", "RMSProp", lrs["RMSProp"]))
    rms_aligned = settled_value("axis-aligned bowl",
                                race_path("axis-aligned bowl", "RMSProp", lrs["RMSProp"]))
    assert rms_aligned < 1e-20 < 1e-2 < rms_rotated


def test_the_race_on_the_rotated_bowl_with_the_stated_learning_rates():
    settled = {name: settled_value("rotated bowl", race_path("rotated bowl", name, lr))
               for name, lr in SURFACES["rotated bowl"].learning_rates.items()}
    # momentum (and Adam, through its momentum) settle far below SGD and RMSProp
    assert settled["momentum"] < 0.01 and settled["Adam"] < 0.01
    assert settled["SGD"] > 100 * settled["momentum"] and settled["RMSProp"] > 10 * settled["Adam"]
    # Adam without momentum (beta1 = 0) loses its lead on the rotated bowl
    no_momentum = race_path("rotated bowl", "Adam", SURFACES["rotated bowl"].learning_rates["Adam"],
                            settings={"beta1": 0.0})
    assert settled_value("rotated bowl", no_momentum) > 10 * settled["Adam"]


def test_optimizer_race_widget_labels_learning_rates_and_rejects_unknown_names():
    race = widgets.OptimizerRace()
    assert race.surface == "rotated bowl"
    assert race.settings["lr"] == SURFACES["rotated bowl"].learning_rates
    paths = race.trajectories()
    np.testing.assert_array_equal(paths["Adam"],
                                  race_path("rotated bowl", "Adam", race.settings["lr"]["Adam"]))
    race.lr_sliders["SGD"].value = 0.001
    assert race.settings["lr"]["SGD"] == pytest.approx(0.001)
    race.surface_menu.value = "axis-aligned bowl"  # the sliders go back to the surface's rates
    assert race.settings["lr"] == pytest.approx(SURFACES["axis-aligned bowl"].learning_rates)
    assert race.image.value[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="Unknown surface 'bowl'.*rotated bowl"):
        widgets.OptimizerRace("bowl")
    with pytest.raises(ValueError, match="Unknown optimizer 'Adagrad'"):
        race_module.make_optimizer("Adagrad", [bp.Value(0.0)], 0.1)


def test_dashboard_numbers_are_the_current_weights_on_all_training_points():
    board = widgets.TrainingDashboard("moons", lr=0.03)
    board.train(3)
    board.train(2)
    assert len(board.history.loss) == len(board.history.metric) == 5
    outputs = board.model(bp.Tensor(board.X))
    direct_accuracy = bp.train.accuracy(outputs, board.y)
    direct_loss = bp.losses.cross_entropy(outputs, board.y).item()
    assert board.history.metric[-1] == board.accuracy() == direct_accuracy
    assert board.history.loss[-1] == pytest.approx(direct_loss, rel=1e-6)
    assert board.evaluate() == (pytest.approx(direct_loss, rel=1e-6), direct_accuracy)
    # the message and the picture's title say the same number
    assert f"accuracy {direct_accuracy:.1%}" in board.message.value
    assert f"{round(direct_accuracy * len(board.y))} right" in board.message.value


def test_dashboard_history_records_every_epoch_not_only_redrawn_ones():
    board = widgets.TrainingDashboard("circles", lr=0.03, redraw_every=5)
    recorded = []
    original = board.evaluate

    def spy():
        result = original()
        recorded.append(result)
        return result

    board.evaluate = spy
    board.train(4)
    # one measurement per epoch, plus the one drawn at the end
    assert board.history.loss == [loss for loss, _ in recorded[:4]]
    assert board.history.metric == [accuracy for _, accuracy in recorded[:4]]
