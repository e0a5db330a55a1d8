"""The gradient-flow explorer tells hidden layers from the output layer and flags problems
that hit every layer alike."""

import numpy as np
import pytest

from backproplab import widgets
from backproplab.widgets.gradient_flow import diagnose


def test_norms_list_hidden_layers_then_the_output_layer():
    norms = widgets.layer_gradient_norms(4, "sigmoid", "xavier")
    assert norms.shape == (5,)
    # Sigmoid shrinks the gradient layer by layer towards the input: the hidden layers'
    # norms rise from the first to the last.
    assert np.all(np.diff(norms[:4]) > 0)


def test_explorer_ratio_compares_the_first_and_last_hidden_layers():
    flow = widgets.GradientFlowExplorer(depth=10, activation="relu", init="he")
    norms = flow.norms()
    assert flow.ratio() == pytest.approx(norms[0] / norms[9])
    assert flow.ratio() != pytest.approx(norms[0] / norms[10])
    flow.depth_slider.value = 1
    assert flow.ratio() == 1.0


@pytest.mark.parametrize("activation, init, depth, expected", [
    ("sigmoid", "xavier", 10, "vanishing"),   # first hidden layer gets ~1e-6 of the last's
    ("relu", "pytorch", 10, "vanishing"),     # weights too small for ReLU
    ("relu", "xavier", 30, "vanishing"),      # every layer tiny: the ratio alone looks fine
    ("relu", "uniform", 10, "exploding"),     # every layer huge: the ratio alone looks fine
    ("tanh", "xavier", 10, "healthy"),
    ("relu", "he", 10, "healthy"),
])
def test_diagnosis_of_each_setting(activation, init, depth, expected):
    assert diagnose(widgets.layer_gradient_norms(depth, activation, init)) == expected


def test_explorer_message_flags_gradients_huge_in_every_layer():
    flow = widgets.GradientFlowExplorer(depth=10, activation="relu", init="uniform")
    assert 1e-2 < flow.ratio() < 1e2
    assert "exploding in every layer" in flow.message.value
    flow.init_menu.value = "he"
    assert "healthy" in flow.message.value


def test_diagnose_rejects_what_is_not_a_list_of_layer_norms():
    with pytest.raises(ValueError, match="at least one hidden layer"):
        diagnose(np.array([1.0]))
    with pytest.raises(ValueError, match="at least one hidden layer"):
        diagnose(np.ones((2, 2)))
