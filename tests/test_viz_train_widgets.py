"""Pictures, hooks, the training loop and the widgets' cores."""

import math

import numpy as np
import pytest

import backproplab as bp
from backproplab import widgets
from backproplab.viz import GraphTooLarge, draw_graph, figure_png


def small_graph():
    a, b, c = bp.Value(2.0, label="a"), bp.Value(-3.0, label="b"), bp.Value(10.0, label="c")
    e = a * b
    d = e + c
    L = d * bp.Value(-2.0, label="f")
    L.label = "L"
    return a, b, c, L


def test_draw_graph_lays_out_left_to_right_and_renders_png():
    a, b, c, L = small_graph()
    L.backward()
    nodes, positions = bp.viz.graph_layout(L)
    assert len(nodes) == 7
    for node in nodes:
        for parent in node.parents:
            assert positions[parent][0] < positions[node][0]  # parents to the left
    png = figure_png(draw_graph(L).figure)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_graph_refuses_a_huge_graph_with_the_count():
    x = bp.Value(1.0)
    for _ in range(100):
        x = x * 1.01
    with pytest.raises(GraphTooLarge, match="201 nodes.*at most 120"):
        draw_graph(x)


def test_draw_graph_of_a_tensor_expression_and_its_scalar_expansion():
    A = bp.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="A")
    B = bp.Tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True, name="B")
    out = (A @ B).sum()
    out.backward(retain_graph=True)
    draw_graph(out)
    Av, Bv = bp.viz.as_values(A.numpy(), "a"), bp.viz.as_values(B.numpy(), "b")
    C = bp.viz.scalar_matmul(Av, Bv)
    total = sum(v for row in C for v in row)
    total.backward()
    # the tensor backward and the many scalar steps give the same gradients
    np.testing.assert_allclose([[v.grad for v in row] for row in Av], A.grad)
    np.testing.assert_allclose([[v.grad for v in row] for row in Bv], B.grad)


def test_plots_draw_without_error():
    X, y = bp.data.make_moons(60, seed=0)
    model = bp.nn.MLP(2, [8, 2], seed=0)
    history = bp.train.fit(model, bp.losses.cross_entropy, bp.optim.Adam(model.parameters(), 0.05),
                           bp.data.DataLoader((X, y), 20, seed=0), epochs=3, progress=False)
    bp.viz.plot_history(history)
    bp.viz.plot_decision_boundary(model, X, y)
    bp.viz.plot_decision_boundary(bp.nn.ScalarMLP(2, [4, 1], seed=0), X, y, resolution=10)
    bp.viz.plot_gradient_flow(history.grad_norms)
    bp.viz.plot_gradient_flow({k: v[-1] for k, v in history.grad_norms.items()})
    bp.viz.plot_loss_surface(widgets.optimizer_race.rosenbrock, {"path": np.array([[0, 0], [0.5, 0.2]])})
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        bp.viz.plot_decision_boundary(model, np.ones((3, 3)), np.zeros(3))


def test_fit_records_history_and_learns_in_both_modes():
    X, y = bp.data.make_moons(120, noise=0.1, seed=0)
    model = bp.nn.MLP(2, [16, 16, 2], activation="relu", seed=0)
    history = bp.train.fit(model, bp.losses.cross_entropy, bp.optim.Adam(model.parameters(), lr=0.02),
                           bp.data.DataLoader((X, y), 32, seed=0), epochs=30, progress=False,
                           record_updates=True, val_data=(X, y))
    assert history.loss[-1] < 0.5 * history.loss[0] and history.metric[-1] > history.metric[0]
    assert history.val_metric[-1] >= 0.95
    assert len(history.step_loss) == 30 * 4 == len(history.grad_norms["layers.0.weight"])
    assert all(0 < r < 1 for r in history.update_ratios["layers.0.weight"])
    scalar = bp.nn.ScalarMLP(2, [8, 1], seed=0)
    h = bp.train.fit(scalar, bp.losses.binary_cross_entropy_with_logits,
                     bp.optim.Adam(scalar.parameters(), lr=0.05),
                     bp.data.DataLoader((X[:40], y[:40]), 20, seed=0), epochs=8, progress=False)
    assert h.loss[-1] < h.loss[0] and "layers.0.weight" in h.grad_norms


def test_fit_stops_on_divergence_and_names_the_step(capsys):
    X, y = bp.data.make_regression_1d(40, seed=0)
    model = bp.nn.MLP(1, [8, 1], seed=0)
    loss_fn = lambda p, t: bp.losses.mse(p, np.asarray(t).reshape(-1, 1))  # noqa: E731
    opt = bp.optim.SGD(model.parameters(), lr=50.0)
    with np.errstate(all="ignore"):
        history = bp.train.fit(model, loss_fn, opt, bp.data.DataLoader((X, y), 40), epochs=200,
                               progress=False)
    assert history.stopped and "step" in history.stopped and "smaller learning rate" in history.stopped
    assert "smaller learning rate" in capsys.readouterr().out
    fresh = bp.nn.MLP(1, [8, 1], seed=0)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="step"):
        bp.train.fit(fresh, loss_fn, bp.optim.SGD(fresh.parameters(), lr=50.0),
                     bp.data.DataLoader((X, y), 40), epochs=200, progress=False, on_divergence="raise")


def test_progress_bar_can_be_switched_off_everywhere(capsys):
    X, y = bp.data.make_moons(40, seed=0)
    model = bp.nn.MLP(2, [4, 2], seed=0)
    bp.set_progress_bars(False)
    try:
        bp.train.fit(model, bp.losses.cross_entropy, bp.optim.SGD(model.parameters(), 0.1),
                     bp.data.DataLoader((X, y), 20), epochs=2)
    finally:
        bp.set_progress_bars(True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_module_hooks_record_activations_and_output_gradients():
    model = bp.nn.MLP(3, [5, 2], seed=0, dtype="float64")
    recorder = bp.hooks.ActivationRecorder(model)
    x = bp.Tensor(np.ones((4, 3)), dtype="float64")
    out = model(x)
    (out * out).sum().backward()
    assert set(recorder.activations) == {"layers.0", "layers.1"}
    np.testing.assert_allclose(recorder.activations["layers.1"], out.numpy())
    np.testing.assert_allclose(recorder.output_grads["layers.1"], 2 * out.numpy())
    recorder.remove()
    model(x)
    assert len(recorder.activations) == 2
    norms = bp.hooks.gradient_norms(model)
    assert norms["layers.1.weight"] == pytest.approx(np.linalg.norm(model.layers[1].weight.grad))


def test_backward_stepper_shows_upstream_times_local():
    a, b, c, L = small_graph()
    stepper = widgets.BackwardStepper(L)
    assert stepper.position == 0 and stepper.known_grads() == {}
    assert stepper.explanation() == ("The backward pass visits 7 nodes, from the output L back to the "
                                     "inputs. It starts with ∂L/∂L = 1. Press 'step ▶'.")
    stepper.step()
    assert stepper.current.node is L and stepper.known_grads()[L] == 1.0
    assert "node L = (a × b + c) × f" in stepper.explanation() and "to f: 1 × 4 = 4" in stepper.explanation()
    stepper.step()  # d = e + c gets dL/dd = f = -2
    d = stepper.current.node
    assert d.op == "+" and stepper.current.upstream == -2.0
    assert "∂L/∂(a × b + c) = -2" in stepper.explanation()
    assert "to (a × b): -2 × 1 = -2; to c: -2 × 1 = -2." in stepper.explanation()
    stepper.step()  # a × b: negative factors in parentheses
    assert "to a: -2 × (-3) = 6; to b: -2 × 2 = -4." in stepper.explanation()
    stepper.step()
    assert "It is an input (a leaf)" in stepper.explanation() and "∂L/∂a = 6." in stepper.explanation()
    stepper.run_all()
    assert stepper.explanation().endswith("The backward pass is complete.")
    grads = stepper.known_grads()
    assert grads[a] == 6.0 and grads[b] == -4.0 and grads[c] == -2.0
    assert a.grad == 0.0  # replaying does not touch the learner's gradients
    stepper.back()
    assert stepper.position == len(stepper.steps) - 1
    assert stepper.image.value[:4] == b"\x89PNG"


def test_backward_stepper_names_labelled_nodes_and_sums_paths():
    a = bp.Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    stepper = widgets.BackwardStepper(y)
    stepper.run_all()  # a is reached along three paths: 1 (from +) and 3 and 3 (from a × a)
    assert ("∂y/∂a = the sum of what its 3 paths sent, 1 + 3 + 3 = 7." in stepper.explanation())
    stepper.reset()
    stepper.step()
    assert stepper.explanation().startswith(
        "Step 1 of 3: node y = a × a + a. Its gradient is complete: ∂y/∂y = 1.")


def test_widgets_report_bad_input_in_the_widget_area():
    big = bp.Value(1.0)
    for _ in range(50):
        big = big + 1.0
    stepper = widgets.BackwardStepper(big)
    assert "101 nodes" in stepper.message.value and stepper.steps == []
    tensor_stepper = widgets.BackwardStepper(bp.Tensor([1.0]))
    assert "bp.Value" in tensor_stepper.message.value
    board = widgets.TrainingDashboard(model=bp.nn.MLP(3, [4, 2], seed=0))
    assert "2 inputs" in board.message.value
    board.train(1)  # no traceback
    assert "scalar-mode" in widgets.TrainingDashboard(model=bp.nn.ScalarMLP(2, [2], seed=0)).message.value


def test_learning_rate_explorer_verdicts_are_real():
    explorer = widgets.LearningRateExplorer()
    crit = explorer.critical_lr
    diverging = explorer.run(1.1 * crit)
    assert diverging[-1] > 100 * diverging[0]
    assert explorer.classify(1.1 * crit) == "diverging"
    assert explorer.classify(0.75 * crit) == "oscillating"
    losses, slopes = explorer.descend(0.75 * crit)
    steps = np.diff(slopes)
    assert np.any(steps[1:] * steps[:-1] < 0)  # the slope really overshoots back and forth
    assert explorer.classify(0.3 * crit) == "good"
    slow = explorer.run(0.002 * crit)
    assert explorer.classify(0.002 * crit) == "too slow" and slow[-1] > 0.5 * slow[0]
    explorer.slider.value = 1.1 * crit
    assert "diverging" in explorer.message.value


def test_optimizer_race_trajectories_equal_the_optimizers_own_steps():
    race = widgets.OptimizerRace("Rosenbrock", steps=30)
    paths = race.trajectories()
    f, start = widgets.SURFACES["Rosenbrock"][:2]
    for name in ("SGD", "momentum", "RMSProp", "Adam"):
        x, y = bp.Value(start[0]), bp.Value(start[1])
        opt = race.make_optimizer(name, [x, y])
        expected = [(x.data, y.data)]
        for _ in range(30):
            opt.zero_grad()
            f(x, y).backward()
            opt.step()
            expected.append((x.data, y.data))
        np.testing.assert_allclose(paths[name], np.array(expected)[: len(paths[name])])
    race.surface_menu.value = "saddle"
    race.sliders["beta1"].value = 0.5
    assert race.settings["beta1"] == 0.5 and "saddle" in race.message.value
    race = widgets.OptimizerRace("rotated bowl", steps=100)
    race.settings["lr"] = {name: 0.005 for name in race.settings["lr"]}  # the same step size
    bowl = race.trajectories()
    # momentum builds up speed along the flat direction where plain SGD crawls
    assert np.linalg.norm(bowl["momentum"][-1]) < 0.1 * np.linalg.norm(bowl["SGD"][-1])


def test_gradient_flow_explorer_shows_vanishing_and_its_remedy():
    flow = widgets.GradientFlowExplorer(depth=10, activation="sigmoid", init="xavier")
    vanishing = flow.ratio()
    assert vanishing < 1e-3
    flow.activation_menu.value = "relu"
    flow.init_menu.value = "he"
    assert 1e-2 < flow.ratio() < 1e2
    assert "healthy" in flow.message.value
    norms = widgets.layer_gradient_norms(3, "tanh", "xavier")
    assert norms.shape == (4,) and np.all(norms > 0)


def test_training_dashboard_learns_and_grows_its_history():
    board = widgets.TrainingDashboard("moons", lr=0.03)
    before = board.accuracy()
    board.train(10)
    board.train(10)
    assert len(board.history.loss) == 20 and board.accuracy() > max(before, 0.9)
    assert board.history.loss[-1] < board.history.loss[0]
    assert board.history.metric[-1] == board.accuracy()  # one measurement: the current weights
    board.dataset_menu.value = "spirals"
    assert board.history.loss == [] and board.model.layers[-1].weight.shape[0] == 3
    assert math.isfinite(board.accuracy())
