"""The computation-graph picture: layout, shared weights, gradients shown, colour scale."""

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

import backproplab as bp
from backproplab.autograd import topological_order
from backproplab.viz import capture_gradients, draw_graph, figure_png
from backproplab.viz.graph import FONT_SIZE, _measure, node_text
from backproplab.viz.layered import layered_layout


def micrograd_example():
    """L = (a*b + c)*f at a=2, b=-3, c=10, f=-2 (Karpathy's micrograd lecture)."""
    a, b = bp.Value(2.0, label="a"), bp.Value(-3.0, label="b")
    c, f = bp.Value(10.0, label="c"), bp.Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def matmul_graph():
    A, B = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [2.0, 1.0]])
    C = bp.viz.scalar_matmul(bp.viz.as_values(A, "a"), bp.viz.as_values(B, "b"))
    total = C[0][0] + C[0][1] + C[1][0] + C[1][1]
    total.backward()
    return total


def unrolled_rnn():
    """A tiny RNN run one step at a time over three inputs; loss = sum of h3 squared."""
    rnn = bp.nn.RNN(1, 2, seed=0, dtype="float64")
    h, states = None, []
    for t, x in enumerate([0.5, -1.0, 2.0], start=1):
        _, h = rnn(bp.Tensor([[[x]]], dtype="float64"), h)
        h.name = f"h{t}"
        states.append(h)
    loss = (h ** 2).sum()
    return rnn, states, loss


def node_by_node_network(sizes=(2, 4, 4, 1)):
    """A tanh network written one * and + at a time (micrograd's graph), loss on one point."""
    rng = np.random.default_rng(0)
    activations = [bp.Value(v, label=f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0][:sizes[0]])]
    for layer, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        outputs = []
        for j in range(n_out):
            weights = [bp.Value(float(rng.normal()), label=f"w{layer}{j}{i}") for i in range(n_in)]
            total = sum((w * a for w, a in zip(weights, activations)), bp.Value(0.0, label=f"b{layer}{j}"))
            outputs.append(total.tanh())
        activations = outputs
    loss = (activations[0] - 1.0) ** 2
    loss.backward()
    return loss


def layout_of(root, direction="LR", grads=None, names=None):
    nodes = topological_order(root)
    texts = {n: node_text(n, grads.get(n) if grads else n.grad, names=names or {}) for n in nodes}
    return layered_layout(nodes, lambda n: n._parents, _measure(texts, FONT_SIZE), direction)


def boxes_overlap(layout):
    boxes = [(layout.centres[n], layout.sizes[n]) for n in layout.nodes]
    for i, ((x1, y1), (w1, h1)) in enumerate(boxes):
        for (x2, y2), (w2, h2) in boxes[i + 1:]:
            if abs(x1 - x2) < (w1 + w2) / 2 and abs(y1 - y2) < (h1 + h2) / 2:
                return True
    return False


def wire_points(wire, direction, samples=12):
    """Points along a drawn wire (S-curves sampled), as draw_graph draws it."""
    from backproplab.viz.graph import _wire_path
    points = []
    for curve, _ in _wire_path(wire.points, wire.curved, direction).iter_bezier():
        points.extend(curve(np.linspace(0, 1, samples)))
    return points


def inside(point, centre, size, margin=1.0):
    return (abs(point[0] - centre[0]) < size[0] / 2 - margin
            and abs(point[1] - centre[1]) < size[1] / 2 - margin)


@pytest.mark.parametrize("name", ["micrograd", "matmul", "rnn-LR", "rnn-TB", "network-107"])
def test_no_box_overlaps_another_and_no_edge_runs_through_a_box(name):
    if name == "micrograd":
        root, direction = micrograd_example(), "LR"
    elif name == "network-107":
        root, direction = node_by_node_network(), "LR"
        assert len(topological_order(root)) == 107
    elif name == "matmul":
        root, direction = matmul_graph(), "LR"
    else:
        root, direction = unrolled_rnn()[2], name[-2:]
    layout = layout_of(root, direction)
    assert not boxes_overlap(layout)
    wires = [r.wire for r in layout.edges] + list(layout.trunks.values())
    for wire in wires:
        for point in wire_points(wire, direction):
            assert not any(inside(point, layout.centres[n], layout.sizes[n]) for n in layout.nodes)
    for node in layout.nodes:  # parents come before children along the flow
        for parent in node._parents:
            flow = 0 if direction == "LR" else 1
            sign = 1 if direction == "LR" else -1
            assert sign * layout.centres[parent][flow] < sign * layout.centres[node][flow]


def test_a_graph_of_over_100_nodes_is_drawn_at_readable_size():
    root = node_by_node_network()
    ax = draw_graph(root)
    sizes = {t.get_fontsize() for t in ax.texts}
    assert min(sizes) >= FONT_SIZE  # drawn at full size: the figure grows instead
    width, height = ax.figure.get_size_inches()
    assert width * 72 >= layout_of(root).width  # every box fits the figure


def test_the_matrix_product_is_drawn_with_few_crossings():
    layout = layout_of(matmul_graph())
    # grouping the eight products by their inner index k leaves 12 crossings; the plain
    # barycentre heuristic stopped at 20
    assert layout.crossings <= 12


def test_a_shared_weight_is_one_node_with_an_edge_into_every_time_step():
    rnn, states, loss = unrolled_rnn()
    layout = layout_of(loss, "TB")
    assert sum(1 for n in layout.nodes if n is rnn.weight_hh) == 1
    into = [r.child for r in layout.edges if r.parent is rnn.weight_hh]
    assert len(into) == 3  # one recurrent Linear per step
    steps = sorted(layout.columns[c] for c in into)
    assert len(set(steps)) == 3  # at three different depths of the unrolled graph
    assert rnn.weight_hh in layout.trunks  # one wire, branching into each step


def test_tensor_gradients_are_captured_during_backward_and_shown():
    rnn, states, loss = unrolled_rnn()
    assert all(n._hooks is None for n in topological_order(loss))
    with capture_gradients(loss) as grads:
        loss.backward(retain_graph=True)
    assert all(n._hooks is None for n in topological_order(loss))  # hooks are taken off again
    nodes = topological_order(loss)
    assert set(grads) == set(nodes)
    np.testing.assert_allclose(grads[rnn.weight_hh], rnn.weight_hh.grad)
    np.testing.assert_allclose(grads[states[-1]], 2 * states[-1].numpy())  # d(sum h^2)/dh = 2h
    # the gradient of the shared weight is the sum of one term per time step
    previous = [np.zeros((1, 2))] + [h.numpy() for h in states[:-1]]
    per_step = [(grads[h] * (1 - h.numpy() ** 2)).T @ p for h, p in zip(states, previous)]
    np.testing.assert_allclose(sum(per_step), rnn.weight_hh.grad)

    names = {n: name for name, n in rnn.named_parameters()}
    shown = [node_text(n, grads[n], names=names) for n in nodes]
    assert not any("?" in text or "not kept" in text for text in shown)
    assert "weight_hh  (2, 2)\n‖grad‖" in "\n".join(shown)
    without = [node_text(n, n.grad, grad_kept=n._ctx is None) for n in nodes]
    assert sum("grad not kept" in text for text in without) == len(nodes) - 4  # all but the 4 weights


def test_draw_graph_names_weights_and_shows_every_gradient_after_capture():
    rnn, states, loss = unrolled_rnn()
    with capture_gradients(loss) as grads:
        loss.backward(retain_graph=True)
    ax = draw_graph(loss, grads=grads, names=rnn, direction="TB", highlight=rnn.weight_hh, title="BPTT")
    texts = [t.get_text() for t in ax.texts]
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "h1 = Tanh", "h3 = Tanh"):
        assert sum(name in t for t in texts) == 1, name
    assert not any("grad ?" in t or "not kept" in t for t in texts)
    assert figure_png(ax.figure)[:4] == b"\x89PNG"


def test_the_colour_scale_runs_from_zero_to_the_largest_gradient_shown():
    L = micrograd_example()
    ax = draw_graph(L)
    (bar,) = ax.child_axes
    # edges carry 6 (to a), 4 (to b and to f) and 2: the scale ends at 6, not at a decade
    assert bar.get_xlim() == pytest.approx((0.0, 6.0))
    assert "upstream × local derivative" in bar.get_title()
    assert all(t.get_fontsize() >= 8 for t in ax.texts)


def test_a_given_axes_is_filled_at_full_size_or_shrunk_with_a_warning():
    L = micrograd_example()
    big = Figure(figsize=(9, 5)).add_subplot()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_graph(L, ax=big)
    assert max(t.get_fontsize() for t in big.texts) == FONT_SIZE
    small = Figure(figsize=(3, 1.5)).add_subplot()
    with pytest.warns(UserWarning, match="shrunk"):
        draw_graph(L, ax=small)


def test_box_titles_spell_out_what_made_each_node():
    L = micrograd_example()
    titles = {node_text(n).split("\n")[0] for n in topological_order(L)}
    assert {"L = d × f", "d = e + c", "e = a × b", "a"} <= titles
    x1, w1, x2, w2 = (bp.Value(v, label=s) for v, s in ((2.0, "x1"), (-3.0, "w1"), (0.0, "x2"), (1.0, "w2")))
    s = x1 * w1 + x2 * w2
    assert node_text(s).split("\n")[0] == "x1 × w1 + x2 × w2"
    with pytest.raises(TypeError, match="Module or a dict"):
        draw_graph(L, names=["a"])
    from backproplab.viz.names import node_name_map
    scalar_names = node_name_map(bp.nn.ScalarMLP(2, [2, 1], seed=0)).values()
    assert "layers.0.weight[1][0]" in scalar_names and "layers.1.bias[0]" in scalar_names


def test_draw_graph_explains_what_it_cannot_draw():
    A = bp.Tensor([[1.0, 2.0]], requires_grad=True)
    out = (A * 3.0).sum()
    out.backward()  # frees the graph
    with pytest.raises(ValueError, match="retain_graph=True"):
        draw_graph(out)
    with pytest.raises(TypeError, match="Value or a Tensor"):
        draw_graph(3.0)
    before = bp.Value(2.0, label="a") * bp.Value(3.0, label="b")
    assert draw_graph(before).child_axes == []  # no gradient flows yet: no colour scale
