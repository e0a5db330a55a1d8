"""The Playground's core, drawing and widget, driven without a browser."""

import math

import numpy as np
import pytest

import backproplab as bp
from backproplab import widgets
from backproplab.widgets.playground import DATASETS, FEATURES, PLANE, PlaygroundCore, PlaygroundPicture
from backproplab.widgets.playground.data import feature_columns, make_dataset
from backproplab.widgets.playground.drawing import gradient_colour_scale

PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- data and features


@pytest.mark.parametrize("name", [n for n in DATASETS if n != "regression"])
def test_each_classification_set_has_two_balanced_classes_on_the_plane(name):
    X, y = make_dataset(name, 300, noise=0.1, seed=1)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype.kind == "i"
    assert set(np.unique(y)) == {0, 1}
    assert 0.4 < y.mean() < 0.6
    assert np.abs(X).max() < PLANE + 1.0  # on the plane, give or take the noise
    X2, y2 = make_dataset(name, 300, noise=0.1, seed=1)
    np.testing.assert_array_equal(X, X2)  # the same seed, the same points
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_dataset(name, 300, noise=0.3, seed=1)[0])


def test_the_regression_set_has_real_targets_of_both_signs():
    X, y = make_dataset("regression", 200, noise=0.0, seed=0)
    assert X.shape == (200, 2) and y.shape == (200,) and y.dtype == np.float64
    assert y.min() < -0.5 and y.max() > 0.5 and np.abs(y).max() <= 1.0
    noisy = make_dataset("regression", 200, noise=0.4, seed=0)[1]
    assert 0.05 < np.std(noisy - y) < 0.4  # noise goes into the targets, half its size


def test_xor_labels_are_the_signs_of_the_product():
    X, y = make_dataset("xor", 400, noise=0.0, seed=3)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))


def test_features_are_the_named_functions_of_x1_and_x2():
    X = np.array([[0.5, -2.0], [1.5, 3.0]])
    columns = feature_columns(X, tuple(FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    np.testing.assert_allclose(columns, expected)


def test_the_enabled_features_set_the_input_width_in_a_fixed_order():
    core = PlaygroundCore(features=("sin(x2)", "x1", "x1*x2"))
    assert core.features == ("x1", "x1*x2", "sin(x2)")
    assert core.model.layers[0].weight.shape == (core.hidden[0], 3)
    core.set_feature("x2^2", True)
    assert core.features == ("x1", "x2^2", "x1*x2", "sin(x2)")
    assert core.model.layers[0].weight.shape[1] == 4
    core.set_feature("x1", False)
    assert core.model.layers[0].weight.shape[1] == 3


def test_train_and_test_split_follows_the_ratio():
    core = PlaygroundCore(n_points=200, train_ratio=0.7)
    assert len(core.X_train) == 140 and len(core.X_test) == 60
    assert len(core.y_train) == 140 and len(core.y_test) == 60


# ---------------------------------------------------------------- architecture


def layer_shapes(core):
    return [tuple(layer.weight.shape) for layer in core.model.layers]


def test_adding_and_removing_layers_and_neurons_changes_the_model():
    core = PlaygroundCore(hidden=(4, 2))
    assert layer_shapes(core) == [(4, 2), (2, 4), (1, 2)]
    core.add_layer()
    assert core.hidden == (4, 2, 4)
    assert layer_shapes(core) == [(4, 2), (2, 4), (4, 2), (1, 4)]
    core.add_neuron(1)
    assert layer_shapes(core) == [(4, 2), (3, 4), (4, 3), (1, 4)]
    core.remove_neuron(0)
    assert layer_shapes(core) == [(3, 2), (3, 3), (4, 3), (1, 4)]
    for _ in range(3):
        core.remove_layer()
    assert core.hidden == () and layer_shapes(core) == [(1, 2)]  # inputs straight to the output
    core.step()  # a linear model still trains
    assert core.epoch == 1


def test_architecture_limits_are_refused_with_a_reason():
    core = PlaygroundCore(hidden=(8,) * 6)
    with pytest.raises(ValueError, match="already has 6 hidden layers"):
        core.add_layer()
    with pytest.raises(ValueError, match="already has 8 neurons"):
        core.add_neuron(0)
    core = PlaygroundCore(hidden=(1,))
    with pytest.raises(ValueError, match="single neuron.*Remove the whole layer"):
        core.remove_neuron(0)
    with pytest.raises(ValueError, match="no hidden layer 3"):
        core.add_neuron(3)
    core.remove_layer()
    with pytest.raises(ValueError, match="no hidden layer left"):
        core.remove_layer()
    assert core.hidden == ()


def test_a_new_network_resets_training_but_live_settings_do_not():
    core = PlaygroundCore(dataset="gaussians")
    core.step(3)
    weights = core.weights()
    assert core.configure(lr=0.1, batch_size=5, regularization="L2", reg_rate=0.001) == "live"
    assert core.epoch == 3 and core.optimizer.lr == 0.1
    for before, after in zip(weights, core.weights()):
        np.testing.assert_array_equal(before, after)
    assert core.configure(activation="relu") == "network"
    assert core.epoch == 0 and len(core.train_loss) == 1
    assert core.configure(noise=0.2) == "data"
    assert core.epoch == 0


# ---------------------------------------------------------------- training


def test_training_on_an_easy_set_lowers_the_loss_and_raises_the_accuracy():
    core = PlaygroundCore(dataset="circle", hidden=(6, 4), activation="tanh", lr=0.1, seed=2)
    loss0, acc0 = core.train_loss[-1], core.accuracy("test")
    for _ in range(30):
        core.play()
        assert core.tick()
    assert core.epoch == 30 and len(core.train_loss) == 31
    assert core.train_loss[-1] < 0.5 * loss0
    assert core.test_loss[-1] < 0.5 * loss0
    assert core.accuracy("train") > 0.95 and core.accuracy("test") > 0.9 > acc0 + 0.2
    assert all(math.isfinite(v) for v in core.test_loss)


def test_regression_trains_with_mse():
    core = PlaygroundCore(dataset="regression", hidden=(8, 8), lr=0.03)
    first = core.train_loss[-1]
    core.step(40)
    assert core.train_loss[-1] < 0.5 * first
    with pytest.raises(ValueError, match="regression"):
        core.accuracy()


def a_batch(core, n=8):
    return core._train_inputs[:n], core._targets(core.y_train[:n])


def data_gradients(core, xb, yb):
    """d(data loss)/d(parameter) on one batch, computed apart from the core's step."""
    core.model.zero_grad()
    core.data_loss(core.model(xb), yb).backward()
    grads = [np.array(p.grad) for p in core.model.parameters()]
    core.model.zero_grad()
    return grads


@pytest.mark.parametrize("kind", ["none", "L1", "L2"])
def test_regularisation_changes_the_update_as_the_formula_says(kind):
    lr, rate = 0.05, 0.01
    core = PlaygroundCore(hidden=(5, 3), lr=lr, regularization=kind, reg_rate=rate, seed=4)
    xb, yb = a_batch(core)
    before = [p.numpy().copy() for p in core.model.parameters()]
    grads = data_gradients(core, xb, yb)
    core.train_step(xb, yb)
    for (name, param), w, g in zip(core.model.named_parameters(), before, grads):
        if name.endswith("weight") and kind == "L1":
            expected = w - lr * (g + rate * np.sign(w))
        elif name.endswith("weight") and kind == "L2":
            expected = w - lr * (g + rate * w)
        else:  # biases are never penalised
            expected = w - lr * g
        np.testing.assert_allclose(param.numpy(), expected, rtol=1e-5, atol=1e-7, err_msg=name)


def test_the_l2_penalty_is_sgd_weight_decay_on_the_weights():
    core = PlaygroundCore(hidden=(4,), lr=0.1, regularization="L2", reg_rate=0.02, seed=5)
    twin = bp.nn.MLP(2, [4, 1], activation="tanh", seed=5)
    weights = [layer.weight for layer in twin.layers]
    biases = [layer.bias for layer in twin.layers]
    decayed, plain = bp.optim.SGD(weights, lr=0.1, weight_decay=0.02), bp.optim.SGD(biases, lr=0.1)
    xb, yb = a_batch(core, 16)
    for _ in range(3):
        core.train_step(xb, yb)
        for opt in (decayed, plain):
            opt.zero_grad()
        bp.losses.binary_cross_entropy_with_logits(twin(xb), yb).backward()
        decayed.step()
        plain.step()
    for mine, theirs in zip(core.model.parameters(), twin.parameters()):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-7)


def test_l1_drives_more_weights_towards_zero_than_l2():
    def small_weights(kind):
        core = PlaygroundCore(dataset="gaussians", hidden=(8, 8), lr=0.1, regularization=kind,
                              reg_rate=0.01, seed=0)
        core.step(40)
        w = np.concatenate([w.ravel() for w in core.weights()])
        return (np.abs(w) < 0.01).mean()

    assert small_weights("L1") > small_weights("L2") + 0.2


def test_edge_and_neuron_gradients_are_the_models_gradients_of_the_last_step():
    core = PlaygroundCore(hidden=(6, 3), regularization="L1", reg_rate=0.001, seed=6)
    assert core.edge_gradients() is None and core.neuron_gradients() is None
    xb, yb = a_batch(core, 10)
    weights_before = core.weights()
    core.train_step(xb, yb)
    edges, neurons = core.edge_gradients(), core.neuron_gradients()
    assert [g.shape for g in edges] == [(6, 2), (3, 6), (1, 3)]
    assert [g.shape for g in neurons] == [(6,), (3,), (1,)]
    for layer, g_edge, g_neuron in zip(core.model.layers, edges, neurons):
        np.testing.assert_array_equal(g_edge, layer.weight.grad)
        np.testing.assert_array_equal(g_neuron, layer.bias.grad)
    # and they are d(loss + penalty)/dw at the weights before the step
    twin = PlaygroundCore(hidden=(6, 3), regularization="L1", reg_rate=0.001, seed=6)
    for layer, w in zip(twin.model.layers, weights_before):
        np.testing.assert_array_equal(layer.weight.numpy(), w)
    objective = twin.data_loss(twin.model(xb), yb) + twin.penalty()
    objective.backward()
    for layer, g_edge in zip(twin.model.layers, edges):
        np.testing.assert_allclose(layer.weight.grad, g_edge, rtol=1e-6)


def test_neuron_outputs_are_each_neurons_activation_over_the_plane():
    core = PlaygroundCore(hidden=(3, 2), activation="relu", features=("x1", "x2", "x1*x2"), seed=7)
    columns = core.neuron_outputs(resolution=5)
    assert [c.shape for c in columns] == [(3, 5, 5), (3, 5, 5), (2, 5, 5), (1, 5, 5)]
    xs = np.linspace(-PLANE, PLANE, 5)
    row, col = 1, 3  # row = x2 index (bottom up), col = x1 index
    x = np.array([xs[col], xs[row], xs[col] * xs[row]])
    np.testing.assert_allclose(columns[0][:, row, col], x, rtol=1e-6)
    W1, W2, W3 = core.weights()
    b1, b2, b3 = (layer.bias.numpy() for layer in core.model.layers)
    h1 = np.maximum(W1 @ x + b1, 0)
    h2 = np.maximum(W2 @ h1 + b2, 0)
    np.testing.assert_allclose(columns[1][:, row, col], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(columns[2][:, row, col], h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(columns[3][0, row, col], W3 @ h2 + b3, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(columns[3][0], core.predict(np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2))
                               .reshape(5, 5), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- play, pause, step, reset


def test_play_pause_step_and_reset():
    core = PlaygroundCore(epochs_per_tick=2)
    assert not core.playing
    assert core.tick() is False and core.epoch == 0  # paused: a beat does nothing
    core.play()
    assert core.tick() and core.epoch == 2  # playing: each beat trains epochs_per_tick
    assert core.tick() and core.epoch == 4
    core.pause()
    assert core.tick() is False and core.epoch == 4
    assert core.step() and core.epoch == 5  # step trains one epoch, playing or not
    assert len(core.train_loss) == len(core.test_loss) == 6
    core.play()
    core.reset()
    fresh = PlaygroundCore(epochs_per_tick=2)
    assert core.epoch == 0 and not core.playing and core.train_loss == fresh.train_loss
    for mine, theirs in zip(core.weights(), fresh.weights()):
        np.testing.assert_array_equal(mine, theirs)  # reset: the seed's starting weights again
    assert core.edge_gradients() is None


def test_a_diverging_loss_pauses_with_a_message_until_reset():
    core = PlaygroundCore(dataset="regression", features=tuple(FEATURES), hidden=(8, 8, 8),
                          activation="relu", lr=10.0)
    core.play()
    for _ in range(5):
        core.tick()
    assert core.problem and "Lower the learning rate" in core.problem and "10" in core.problem
    assert not core.playing
    core.play()
    assert not core.playing and core.tick() is False  # refuses to play on
    picture = PlaygroundPicture()  # the broken network can still be drawn, in both modes
    assert picture.draw(core)[:8] == PNG and picture.draw(core, show_gradients=True)[:8] == PNG
    core.configure(lr=0.01)  # a live setting: the message stays until reset
    assert core.problem and not core.step()
    core.reset()
    assert core.problem is None and core.epoch == 0 and core.step()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("settings, message", [
    ({"dataset": "swirl"}, "Unknown data set 'swirl'; choose one of circle, xor"),
    ({"activation": "gelu"}, "Unknown activation 'gelu'"),
    ({"regularization": "L3"}, "Unknown regularisation 'L3'"),
    ({"lr": 0.0}, r"learning rate \(lr\) must lie in \(0, 10\], got 0"),
    ({"lr": -0.1}, "climbs the loss"),
    ({"lr": float("nan")}, "must be a number"),
    ({"noise": -0.1}, r"noise must lie in \[0, 1\]"),
    ({"train_ratio": 0.95}, "at least 10% of the points"),
    ({"batch_size": 0}, "batch size .* between 1"),
    ({"batch_size": 2.5}, "whole number"),
    ({"batch_size": 300}, "more than the training set holds .200 points"),
    ({"hidden": (4,) * 7}, "7 hidden layers asked for; the Playground has 0 to 6"),
    ({"hidden": (4, 9)}, "neurons in hidden layer 2 must be between 1 and 8, got 9"),
    ({"hidden": (0,)}, "between 1 and 8, got 0"),
    ({"features": ()}, "at least one input feature"),
    ({"features": ("x3",)}, "Unknown feature 'x3'"),
    ({"reg_rate": -1}, "regularisation rate"),
])
def test_bad_settings_are_refused_with_a_reason_and_change_nothing(settings, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundCore(**settings)
    core = PlaygroundCore()
    before = dict(core.settings)
    with pytest.raises(ValueError, match=message):
        core.configure(**settings)
    assert core.settings == before


def test_unknown_setting_names_are_type_errors():
    with pytest.raises(TypeError, match="Unknown Playground setting.*learning_rate"):
        PlaygroundCore(learning_rate=0.1)
    with pytest.raises(TypeError, match="Unknown setting"):
        PlaygroundCore().configure(layers=3)


# ---------------------------------------------------------------- picture


def test_gradient_colour_scale_spans_six_decades_below_the_largest_and_holds_still():
    assert gradient_colour_scale([np.array([1e-3, 5e-2]), np.array([0.0, 2e-3])]) == (-7, -1)
    assert gradient_colour_scale([np.array([1e-30, 1.0, np.nan, np.inf])]) == (-6, 0)
    assert gradient_colour_scale([np.zeros(3)]) == (-6, 0)
    # with the previous scale: a largest gradient one decade lower keeps the scale ...
    assert gradient_colour_scale([np.array([0.05])], previous=(-6, 0)) == (-6, 0)
    # ... two decades lower, or any higher, moves it
    assert gradient_colour_scale([np.array([0.005])], previous=(-6, 0)) == (-8, -2)
    assert gradient_colour_scale([np.array([5.0])], previous=(-6, 0)) == (-5, 1)


@pytest.mark.parametrize("settings", [
    dict(hidden=()), dict(hidden=(8,) * 6, features=tuple(FEATURES)), dict(dataset="regression"),
    dict(dataset="spiral", activation="relu", hidden=(1, 8, 1)),
])
def test_the_picture_draws_every_shape_in_both_modes(settings):
    core = PlaygroundCore(**settings)
    picture = PlaygroundPicture()
    first = picture.draw(core)
    assert first[:8] == PNG and picture.columns == len(core.hidden) + 2
    assert picture.draw(core, show_gradients=True)[:8] == PNG  # before any step: a note, no colours
    core.step()
    with_gradients = picture.draw(core, show_gradients=True)
    assert with_gradients[:8] == PNG and with_gradients != first
    assert picture.draw(core) != with_gradients


def test_the_picture_changes_as_the_network_learns_and_gains_a_column_per_layer():
    core = PlaygroundCore(dataset="xor")
    picture = PlaygroundPicture()
    before = picture.draw(core)
    core.step(2)
    assert picture.draw(core) != before
    core.add_layer()
    assert picture.draw(core) and picture.columns == 5


# ---------------------------------------------------------------- widget


def test_the_widget_builds_headless_and_its_controls_drive_the_core():
    pg = widgets.Playground(dataset="moons", hidden=(4,))
    assert isinstance(pg, widgets.Playground) and pg.core.settings["dataset"] == "moons"
    assert "bp-playground" in pg.ui._dom_classes
    assert pg.image.value[:8] == PNG and "epoch <b>0</b>" in pg.epoch_label.value
    assert "<b>1</b> hidden layer (3 columns)" in pg.layers_label.value
    pg.controls["dataset"].value = "xor"
    assert pg.core.settings["dataset"] == "xor"
    pg.controls["train_ratio"].value = 70
    assert pg.core.settings["train_ratio"] == 0.7
    pg.feature_toggles["sin(x1)"].value = True
    assert pg.core.features == ("x1", "x2", "sin(x1)")
    image = pg.image.value
    pg.add_layer_button.click()
    assert pg.core.hidden == (4, 4) and "<b>2</b> hidden layers (4 columns)" in pg.layers_label.value
    assert pg.image.value != image
    assert len(pg.neuron_controls.children) == 2
    plus = pg.neuron_controls.children[1].children[2]
    plus.click()
    assert pg.core.hidden == (4, 5)
    assert "<b>5</b>" in pg.neuron_controls.children[1].children[1].value


def test_the_widget_reports_bad_settings_in_its_message_line_and_keeps_the_old_ones():
    pg = widgets.Playground(hidden=(8,) * 6)
    pg.add_layer_button.click()
    assert "#b91c1c" in pg.message.value and "already has 6 hidden layers" in pg.message.value
    assert pg.core.hidden == (8,) * 6
    pg.controls["lr"].value = -0.5
    assert "learning rate" in pg.message.value and "Still using 0.03" in pg.message.value
    assert pg.core.settings["lr"] == 0.03
    for name in ("x1", "x2"):
        pg.feature_toggles[name].value = False
    assert "at least one input feature" in pg.message.value
    assert pg.core.features == ("x2",) and pg.feature_toggles["x2"].value  # the toggle went back on
    pg.controls["lr"].value = 0.1
    assert pg.message.value.endswith("></span>") and pg.core.settings["lr"] == 0.1  # a good value clears it


def test_the_play_widget_drives_ticks_and_stale_beats_are_dropped():
    pg = widgets.Playground(interval_ms=50)
    pg.player.playing = True  # as the front end's play button does
    assert pg.core.playing
    image = pg.image.value
    pg._last_tick_end = 0.0
    pg.player.value = 1  # a beat from the front end
    assert pg.core.epoch == 1 and pg.image.value != image and "epoch <b>1</b>" in pg.epoch_label.value
    pg.player.value = 2  # arrives right after the tick ended: it queued while the kernel was busy
    assert pg.core.epoch == 1
    pg._last_tick_end = 0.0
    pg.player.value = 3
    assert pg.core.epoch == 2
    assert pg.player.interval >= 50 and pg.last_tick_s > 0
    pg.player.playing = False  # pause
    pg._last_tick_end = 0.0
    pg.player.value = 4
    assert pg.core.epoch == 2 and not pg.core.playing
    pg.player.value = 0  # the stop button rewinds the counter: not a beat, not a reset
    assert pg.core.epoch == 2
    pg.step_button.click()
    assert pg.core.epoch == 3 and not pg.player.playing
    pg.play()
    assert pg.player.playing
    pg.reset_button.click()
    assert pg.core.epoch == 0 and not pg.player.playing and not pg.core.playing


def test_show_gradients_recolours_the_picture():
    pg = widgets.Playground(hidden=(8, 8, 8), activation="sigmoid")
    pg.step()
    plain = pg.image.value
    pg.gradient_switch.value = True
    assert pg.image.value != plain
    # sigmoid layers shrink the gradient on its way back: the first layer's is the smallest
    sizes = pg.core.layer_gradient_sizes()
    assert sizes == [np.median(np.abs(g)) for g in pg.core.edge_gradients()]
    assert sizes[0] < sizes[-1]
    assert "Median |∂L/∂w| per layer" in pg.stats.value and f"{sizes[0]:.1e}" in pg.stats.value
    pg.gradient_switch.value = False
    assert pg.image.value == plain and "Median" not in pg.stats.value


def test_the_widget_says_when_the_loss_diverged_and_stops_playing():
    pg = widgets.Playground(dataset="regression", features=tuple(FEATURES), hidden=(8, 8, 8),
                            activation="relu", lr=10.0)
    pg.player.playing = True
    for _ in range(5):
        pg.tick()
    assert not pg.player.playing and not pg.core.playing
    assert "#b91c1c" in pg.message.value and "Lower the learning rate" in pg.message.value
    pg.controls["lr"].value = 0.01  # a live setting: the complaint stays until reset
    assert "Lower the learning rate" in pg.message.value
    pg.reset_button.click()
    assert "Lower the learning rate" not in pg.message.value and pg.core.problem is None


def test_the_points_follow_new_data():
    core = PlaygroundCore(dataset="moons")
    picture = PlaygroundPicture()
    picture.draw(core)
    np.testing.assert_array_equal(picture.train_points.get_offsets(), core.X_train)
    for settings in (dict(noise=0.3), dict(dataset="xor"), dict(train_ratio=0.8)):
        core.configure(**settings)
        picture.draw(core)
        np.testing.assert_array_equal(picture.train_points.get_offsets(), core.X_train)
        np.testing.assert_array_equal(picture.test_points.get_offsets(), core.X_test)
