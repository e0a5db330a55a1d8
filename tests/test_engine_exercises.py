"""The build-your-own-engine exercises (notebook 03b) mark typical mistakes with the right hint.

Each exercise must be checkable on its own, accept any correct engine (even one built another
way than the reference), and name the first wrong value or local derivative.
"""

import math
from pathlib import Path

import nbformat
import numpy as np
import pytest

import backproplab as bp
from backproplab.exercises import EXERCISES
from backproplab.exercises import engine
from backproplab.exercises.core import verdict

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03b_build_your_own_engine.ipynb"


def learner_cell(*sources):
    """The namespace after running the given cells, as a notebook would (np, math, bp imported)."""
    namespace = {"np": np, "math": math, "bp": bp}
    for source in sources:
        exec(source, namespace)
    return namespace


def hint(exercise_id, answer):
    status, message = verdict(EXERCISES[exercise_id], answer)
    return status, message


SOLVED = engine.SKELETON + engine._ADD + engine._MUL + engine._TANH + engine._EXP + engine._POW


def test_the_notebook_gives_exactly_the_catalogues_class():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert any(cell.source.strip() == engine.SKELETON for cell in nb.cells if cell.cell_type == "code")


def test_the_notebook_has_the_engine_exercises_in_order():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    checked = [line for cell in nb.cells if cell.cell_type == "code"
               for line in cell.source.splitlines() if line.startswith("bp.exercises.check(")]
    assert [line.split('"')[1] for line in checked] == [f"03b.{i}" for i in range(1, 9)]


def test_a_wrong_product_rule_names_the_derivative_and_both_numbers():
    ns = learner_cell(engine.SKELETON, engine._ADD, engine._MUL.replace(
        "(other.data, self.data)", "(self.data, other.data)"))
    status, message = hint("03b.2", ns["Value"])
    assert status == "not yet"
    assert message.startswith("d(a*b)/da is wrong: for a=")
    assert "your engine gives a.grad=" in message and "bp.Value gives" in message


def test_tanh_from_the_input_instead_of_the_output_is_named():
    ns = learner_cell(engine.SKELETON, engine._TANH.replace("(1 - t * t,)", "(1 - self.data ** 2,)"))
    status, message = hint("03b.3", ns["Value"])
    assert status == "not yet" and message.startswith("d(tanh(a))/da is wrong")


def test_a_wrong_power_rule_is_named():
    ns = learner_cell(engine.SKELETON,
                      engine._POW.replace("k * self.data ** (k - 1)", "self.data ** (k - 1)"))
    status, message = hint("03b.5", ns["Value"])
    assert status == "not yet" and message.startswith("d(a**2)/da is wrong")


def test_each_operation_is_checked_on_its_own():
    # tanh, exp and powers are right while + and * are still stubs
    stub = "def add(self, other):\n    return None\n\nValue.__add__ = add\n"
    ns = learner_cell(engine.SKELETON, stub, engine._TANH, engine._EXP, engine._POW)
    assert hint("03b.1", ns["Value"])[0] == "not solved yet"
    for exercise_id in ("03b.3", "03b.4", "03b.5"):
        assert bp.exercises.is_correct(exercise_id, ns["Value"]), exercise_id


def test_an_engine_built_another_way_is_accepted():
    # tanh from exp, + and powers: more nodes than bp.Value's, the same numbers
    composite_tanh = """
def tanh(self):
    e = (2 * self).exp()
    return (e - 1) / (e + 1)

Value.tanh = tanh
"""
    ns = learner_cell(SOLVED, composite_tanh)
    assert bp.exercises.is_correct("03b.3", ns["Value"])


@pytest.mark.parametrize("wrong, expected", [
    ("return self.data + other.data", "should return a Value"),
    ("return Value(self.data + other.data, (self, other), (1.0,))", "1 local derivative"),
    ("return Value(self.data + other.data, (self, other), (Value(1.0), Value(1.0)))",
     "should be a plain number"),
    ("return Value(self.data + other.data, (self, 2.0), (1.0, 1.0))", "not a Value"),
    ("import types; return types.SimpleNamespace(data=self.data + other.data, grad=0.0)",
     "without _parents, _local_grads"),
])
def test_malformed_nodes_get_clear_words(wrong, expected):
    source = f"""
def add(self, other):
    other = other if isinstance(other, Value) else Value(other)
    {wrong}

Value.__add__ = add
"""
    ns = learner_cell(engine.SKELETON, source)
    status, message = hint("03b.1", ns["Value"])
    assert status == "not yet" and expected in message, message


def test_an_order_without_a_visited_set_repeats_nodes():
    source = """
def topological_order(root):
    order = []
    def visit(node):
        for parent in node._parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order
"""
    status, message = hint("03b.6", learner_cell(source)["topological_order"])
    assert status == "not yet" and "appears twice" in message


def test_an_order_of_direct_parents_only_leaves_nodes_out():
    source = "def topological_order(root):\n    return list(root._parents) + [root]\n"
    status, message = hint("03b.6", learner_cell(source)["topological_order"])
    assert status == "not yet" and "leaves out" in message


def test_backward_in_forward_order_is_wrong_and_says_which_grad():
    ns = learner_cell(engine.SKELETON, engine._ORDER,
                      engine._BACKWARD.replace("reversed(topological_order(self))",
                                               "topological_order(self)"))
    status, message = hint("03b.7", ns["Value"])
    assert status == "not yet" and ".grad is wrong" in message and "bp.Value gives" in message


def test_backward_that_overwrites_says_the_node_is_used_twice():
    ns = learner_cell(engine.SKELETON, engine._ORDER, engine._BACKWARD.replace("+=", "="))
    status, message = hint("03b.7", ns["Value"])
    assert status == "not yet" and "used 2 times" in message


def test_backward_with_the_order_still_a_stub_points_at_the_order():
    ns = learner_cell(engine.SKELETON, "def topological_order(root):\n    return None\n", engine._BACKWARD)
    status, message = hint("03b.7", ns["Value"])
    assert status == "not yet" and "03b.6" in message


def test_backward_with_a_wrong_order_names_the_order_first():
    # backward() is right; the order puts a node before its parents, so the grads come out wrong
    wrong_order = engine._ORDER.replace("            for parent in node._parents:\n"
                                        "                visit(parent)\n"
                                        "            order.append(node)  # only after all its parents",
                                        "            order.append(node)\n"
                                        "            for parent in node._parents:\n"
                                        "                visit(parent)")
    assert wrong_order != engine._ORDER
    ns = learner_cell(engine.SKELETON, wrong_order, engine._BACKWARD)
    status, message = hint("03b.7", ns["Value"])
    assert status == "not yet" and message.startswith("your topological_order (03b.6) is not right yet")
    assert "comes before its parent" in message


def test_a_backward_that_skips_the_order_is_judged_on_its_own():
    # the order is still a stub, but this backward() does not use it: it is not sent to 03b.6
    ns = learner_cell(engine.SKELETON, "def topological_order(root):\n    return None\n",
                      engine._BACKWARD.replace("reversed(topological_order(self))",
                                               "reversed(iterative_order(self))"),
                      engine._ITERATIVE)
    assert bp.exercises.is_correct("03b.7", ns["Value"])


def test_the_class_builds_a_sigmoid_with_a_number_on_the_left_of_the_division():
    ns = learner_cell(SOLVED, engine._ORDER, engine._BACKWARD)
    x, reference = ns["Value"](0.8), bp.Value(0.8)
    s = 1 / (1 + (-x).exp())
    s.backward()
    expected = 1 / (1 + math.exp(-0.8))
    assert s.data == pytest.approx(expected, rel=1e-12)
    assert x.grad == pytest.approx(expected * (1 - expected), rel=1e-12)
    r = 1 / (1 + (-reference).exp())
    r.backward()
    assert (s.data, x.grad) == (pytest.approx(r.data, rel=1e-12), pytest.approx(reference.grad, rel=1e-12))


def test_backward_does_not_need_the_learners_operations():
    ns = learner_cell(engine.SKELETON, engine._ORDER, engine._BACKWARD)  # no +, *, ... at all
    assert bp.exercises.is_correct("03b.7", ns["Value"])


def test_a_recursive_order_passes_03b6_but_not_03b8():
    recursive = learner_cell(engine._ORDER)["topological_order"]
    assert bp.exercises.is_correct("03b.6", recursive)
    status, message = hint("03b.8", recursive)
    assert status == "not yet" and message.startswith("RecursionError on a chain")


def test_the_reference_engine_trains_a_network_through_its_own_backward():
    ns = learner_cell(SOLVED, engine._ORDER, engine._BACKWARD)
    Value = ns["Value"]
    a, b = Value(0.7), Value(-1.2)
    loss = ((a * b).tanh() - 0.5) ** 2 + (a / b).exp()
    loss.backward()
    ra, rb = bp.Value(0.7), bp.Value(-1.2)
    reference = ((ra * rb).tanh() - 0.5) ** 2 + (ra / rb).exp()
    reference.backward()
    assert loss.data == pytest.approx(reference.data, rel=1e-12)
    assert (a.grad, b.grad) == (pytest.approx(ra.grad, rel=1e-12), pytest.approx(rb.grad, rel=1e-12))


@pytest.mark.parametrize("exercise_id", sorted(e for e in EXERCISES if e.startswith("03b.")))
def test_checkers_are_deterministic_and_silent(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    for source in (exercise.solution, exercise.wrong):
        namespace = learner_cell(exercise.setup, source)
        first = verdict(exercise, namespace[exercise.name])
        assert verdict(exercise, namespace[exercise.name]) == first
    assert capsys.readouterr().out == ""
