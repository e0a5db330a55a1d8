"""Exercises of notebook 03b: build your own engine.

The learner writes a small ``Value`` class of their own, one piece per exercise: ``+``, ``*``,
``tanh``, ``exp``, ``**``, a topological order, ``backward()`` and, last, a topological order
that survives deep graphs.  The class itself (``SKELETON``) is given; each operation is a
function the learner attaches to it (``Value.__add__ = add``), so the class grows cell by cell.

Each node stores its parents and its local derivatives, as ``bp.Value`` does.  That lets every
piece be checked on its own: an operation is checked before ``backward()`` exists, because the
checker runs its own chain rule over the learner's graph; ``backward()`` is checked on graphs the
checker builds node by node, whatever the learner's operations do.  Everything is compared with
``bp.Value`` on expressions drawn with a fixed seed, and a wrong answer is told the first thing
that differs, e.g. ``d(a*b)/da is wrong: for a=0.7, b=-1.2 your engine gives a.grad=0.7,
bp.Value gives -1.2.``
"""

from __future__ import annotations

from ._engine_checks import STEP_OPS, check_backward, check_operations, check_order
from .core import Exercise

__all__ = ["EXERCISES", "SKELETON"]

# The class the notebook gives; the notebook's cell holds exactly this source.
SKELETON = '''
class Value:
    """A number that remembers how it was computed: a small copy of bp.Value."""

    def __init__(self, data, parents=(), local_grads=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents          # the Values this one was computed from
        self._local_grads = local_grads  # d(this)/d(parent): one number per parent, same order
        self._op = op                    # "+", "*", "tanh", ...: for printing

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __neg__(self):
        # The pattern of every operation: the result, its parents, their local derivatives.
        return Value(-self.data, (self,), (-1.0,), "neg")

    # Built from the operations you write below: they work as soon as those do.
    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1
'''.strip()

_ADD = '''
def add(self, other):
    other = other if isinstance(other, Value) else Value(other)  # so that a + 2 works too
    return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

Value.__add__ = add
'''
_MUL = '''
def mul(self, other):
    other = other if isinstance(other, Value) else Value(other)  # so that a * 2 works too
    return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

Value.__mul__ = mul
'''
_TANH = '''
import math

def tanh(self):
    t = math.tanh(self.data)
    return Value(t, (self,), (1 - t * t,), "tanh")

Value.tanh = tanh
'''
_EXP = '''
import math

def exp(self):
    e = math.exp(self.data)
    return Value(e, (self,), (e,), "exp")

Value.exp = exp
'''
_POW = '''
def power(self, k):
    return Value(self.data ** k, (self,), (k * self.data ** (k - 1),), f"**{k}")

Value.__pow__ = power
'''
_ORDER = '''
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)  # only after all its parents

    visit(root)
    return order
'''
_BACKWARD = '''
def backward(self):
    self.grad = 1.0                                  # d(self)/d(self)
    for node in reversed(topological_order(self)):   # a node's grad is complete when it is reached
        for parent, local in zip(node._parents, node._local_grads):
            parent.grad += local * node.grad         # the chain rule, summed over every path

Value.backward = backward
'''
_ITERATIVE = '''
def iterative_order(root):
    order, visited = [], set()
    stack = [(root, False)]  # (node, whether its parents are already in the order)
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back after everything pushed below
            for parent in node._parents:
                stack.append((parent, False))
    return order
'''


def _op_checker(step: str):
    def checker(value_class):
        check_operations(value_class, step, earlier=[s for s in STEP_OPS if s < step])
    checker.__doc__ = f"Checks the operations of exercise {step} against bp.Value."
    return checker


def _hints_for(what: str, derivative: str, pattern: str) -> list:
    return [f"Follow __neg__ in the class above: return Value(result, parents, local derivatives, "
            f"op). {what}",
            f"The local derivative: {derivative}",
            f"For example: {pattern}"]


EXERCISES = [
    Exercise("03b.1", "Addition: a + b as a Value with its parents and local derivatives.",
             hints=_hints_for("Here the parents are (self, other).",
                              "d(a+b)/da = 1 and d(a+b)/db = 1: a + b moves one for one with each.",
                              'Value(self.data + other.data, (self, other), (1.0, 1.0), "+")'),
             setup=SKELETON, solution=_ADD, name="Value",
             wrong=_ADD.replace("(1.0, 1.0)", "(other.data, self.data)"),
             checker=_op_checker("03b.1")),
    Exercise("03b.2", "Multiplication: a * b as a Value with its parents and local derivatives.",
             hints=_hints_for("Here the parents are (self, other).",
                              "d(a*b)/da = b and d(a*b)/db = a: each factor's derivative is the "
                              "other factor.",
                              'Value(self.data * other.data, (self, other), '
                              '(other.data, self.data), "*")'),
             setup=SKELETON + _ADD, solution=_MUL, name="Value",
             wrong=_MUL.replace("(other.data, self.data)", "(self.data, other.data)"),
             checker=_op_checker("03b.2")),
    Exercise("03b.3", "tanh: the Value tanh(a) with its one parent and local derivative.",
             hints=_hints_for("It has one parent: (self,).",
                              "d tanh(a)/da = 1 - tanh(a)**2: the square of the *output*, not of a.",
                              't = math.tanh(self.data); Value(t, (self,), (1 - t * t,), "tanh")'),
             setup=SKELETON + _ADD + _MUL, solution=_TANH, name="Value",
             wrong=_TANH.replace("(1 - t * t,)", "(1 - self.data ** 2,)"),
             checker=_op_checker("03b.3")),
    Exercise("03b.4", "exp: the Value e**a with its one parent and local derivative.",
             hints=_hints_for("It has one parent: (self,).",
                              "d e**a/da = e**a: exp is its own derivative (it is not a power of a).",
                              'e = math.exp(self.data); Value(e, (self,), (e,), "exp")'),
             setup=SKELETON + _ADD + _MUL + _TANH, solution=_EXP, name="Value",
             wrong=_EXP.replace("(e,)", "(self.data * math.exp(self.data - 1),)"),
             checker=_op_checker("03b.4")),
    Exercise("03b.5", "Powers: a ** k for a plain number k, as a Value.",
             hints=_hints_for("One parent, (self,); k is a number, not a Value.",
                              "d(a**k)/da = k * a**(k - 1): bring the exponent down, lower it by one.",
                              'Value(self.data ** k, (self,), (k * self.data ** (k - 1),), "**")'),
             setup=SKELETON + _ADD + _MUL + _TANH + _EXP, solution=_POW, name="Value",
             wrong=_POW.replace("self.data ** (k - 1)", "self.data ** k"),
             checker=_op_checker("03b.5")),
    Exercise("03b.6", "topological_order(root): every node root depends on, each after its "
                      "parents, root last.",
             hints=["Visit a node's parents first (a function that calls itself on each parent), "
                    "and only then append the node to the list.",
                    "Keep a set of the nodes already visited: a node reached along two paths "
                    "must appear once.",
                    "def visit(node): if node not in visited: visited.add(node); "
                    "visit each parent; order.append(node)"],
             solution=_ORDER, name="topological_order",
             wrong=_ORDER.replace("            for parent in node._parents:\n"
                                  "                visit(parent)\n"
                                  "            order.append(node)  # only after all its parents",
                                  "            order.append(node)\n"
                                  "            for parent in node._parents:\n"
                                  "                visit(parent)"),
             checker=lambda order_function: check_order(order_function, deep=False)),
    Exercise("03b.7", "backward(): fill .grad of every node with d(self)/d(node).",
             hints=["Seed the root with self.grad = 1.0, then go through topological_order(self) "
                    "in reverse: each node sends local derivative x its own grad to each parent.",
                    "A node used twice gets a gradient from both paths: add (+=), do not overwrite.",
                    "for node in reversed(topological_order(self)): for parent, local in "
                    "zip(node._parents, node._local_grads): parent.grad += local * node.grad"],
             setup=SKELETON + _ORDER, solution=_BACKWARD, name="Value",
             wrong=_BACKWARD.replace("parent.grad += local", "parent.grad = local"),
             checker=check_backward),
    Exercise("03b.8", "iterative_order(root): a topological order without recursion, for graphs "
                      "thousands of nodes deep.",
             hints=["Replace the calls by a list used as a stack: push the root, then pop, "
                    "push its parents, and so on.",
                    "A node may only be appended after its parents: push it back once, marked "
                    "'parents done', before pushing its parents; append it when it comes back.",
                    "stack = [(root, False)]; pop (node, done): if done, append it; else if not "
                    "visited: mark it, push (node, True), push (parent, False) for each parent"],
             solution=_ITERATIVE, name="iterative_order",
             wrong=_ORDER.replace("topological_order", "iterative_order"),
             checker=lambda order_function: check_order(order_function, deep=True)),
]
