"""The checkers of notebook 03b: the learner's own ``Value`` against ``bp.Value``.

A learner's node offers what a ``bp.Value`` node offers: ``data``, ``grad``, ``_parents`` (the
nodes it was computed from) and ``_local_grads`` (one local derivative per parent).  So the same
expression can be built with both classes and compared number by number:

* an operation (``+``, ``*``, ``tanh``, ...) is checked alone first, on inputs drawn with a fixed
  seed, with the checker's own chain rule run over the learner's graph, so a wrong answer names
  the first wrong value or local derivative; then inside random expressions, with the operations
  of the earlier exercises that are already right;
* ``topological_order`` is run on graphs of ``bp.Value`` nodes, whatever the learner's operations do;
* ``backward()`` is run on graphs the checker copies node by node into the learner's class; when
  its gradients are wrong and the learner's ``topological_order`` is wrong too, the hint names the
  order (exercise 03b.6), the cause.
"""

from __future__ import annotations

import math
import random

from ..autograd import topological_order as reference_order
from ..scalar import Value as BpValue
from .checks import call
from .core import NotSolved, Wrong

__all__ = ["OPS", "STEP_OPS", "check_operations", "check_order", "check_backward"]

# name: (number of Value inputs, how to apply it, how to write it, inputs must be positive)
OPS = {
    "a+b": (2, lambda x, y: x + y, "{0}+{1}", False),
    "a+2": (1, lambda x: x + 2.0, "{0}+2", False),
    "2+a": (1, lambda x: 2.0 + x, "2+{0}", False),
    "a+a": (1, lambda x: x + x, "{0}+{0}", False),
    "a-b": (2, lambda x, y: x - y, "{0}-{1}", False),
    "a*b": (2, lambda x, y: x * y, "{0}*{1}", False),
    "a*3": (1, lambda x: x * 3.0, "{0}*3", False),
    "3*a": (1, lambda x: 3.0 * x, "3*{0}", False),
    "a*a": (1, lambda x: x * x, "{0}*{0}", False),
    "tanh": (1, lambda x: x.tanh(), "tanh({0})", False),
    "exp": (1, lambda x: x.exp(), "exp({0})", False),
    "a**2": (1, lambda x: x ** 2, "{0}**2", False),
    "a**3": (1, lambda x: x ** 3, "{0}**3", False),
    "a**-1": (1, lambda x: x ** -1, "{0}**-1", False),
    "a**0.5": (1, lambda x: x ** 0.5, "{0}**0.5", True),
}
# exercise: (the method it adds to the class, the operations that test it)
STEP_OPS = {
    "03b.1": ("__add__", ["a+b", "a+2", "2+a", "a+a", "a-b"]),
    "03b.2": ("__mul__", ["a*b", "a*3", "3*a", "a*a"]),
    "03b.3": ("tanh", ["tanh"]),
    "03b.4": ("exp", ["exp"]),
    "03b.5": ("__pow__", ["a**2", "a**3", "a**-1", "a**0.5"]),
}
ALL_OPS = [op for _, ops in STEP_OPS.values() for op in ops]
# Random expressions leave out the powers that need a positive or non-zero base (checked alone).
PROGRAM_OPS = [op for op in ALL_OPS if op not in ("a**-1", "a**0.5")]
LEAVES = ("a", "b", "c")
DEEP_CHAIN = 10_000


def _num(x) -> str:
    return f"{x:.4g}"


def _close(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9)


def _draw(rng: random.Random, positive: bool) -> float:
    """An input with one decimal (readable in a hint), away from 0."""
    x = round(rng.uniform(0.2, 2.0), 1)
    return x if positive or rng.random() < 0.5 else -x


def _number(x, what: str) -> float:
    if hasattr(x, "data") and hasattr(x, "_parents"):
        raise Wrong(f"{what} is a Value; it should be a plain number (use .data, e.g. other.data).")
    try:
        number = float(x)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number, got {type(x).__name__} {x!r}.") from None
    if math.isnan(number):
        raise Wrong(f"{what} is NaN.")
    return number


def _is_node(x) -> bool:
    return all(hasattr(x, name) for name in ("data", "grad", "_parents", "_local_grads"))


def _graph_of(root, formula: str) -> list:
    """The learner's nodes in topological order, each checked to look like a Value node."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        if not _is_node(node):
            raise Wrong(f"{formula}: a parent is a {type(node).__name__}, not a Value. Plain "
                        "numbers must be wrapped first: other = Value(other).")
        visited.add(id(node))
        parents, local_grads = tuple(node._parents), tuple(node._local_grads)
        if len(parents) != len(local_grads):
            raise Wrong(f"{formula}: a node has {len(parents)} parent(s) but {len(local_grads)} "
                        "local derivative(s); give one local derivative per parent, in the same order.")
        stack.append((node, True))
        stack.extend((parent, False) for parent in parents)
    return order


def _chain_rule(root, formula: str) -> dict:
    """d(root)/d(node) for every node of the learner's graph (by id), by the checker's own backward."""
    grads = {id(root): 1.0}
    for node in reversed(_graph_of(root, formula)):
        upstream = grads.get(id(node), 0.0)
        for parent, local in zip(node._parents, node._local_grads):
            local = _number(local, f"{formula}: a local derivative")
            grads[id(parent)] = grads.get(id(parent), 0.0) + local * upstream
    return grads


def _result(node, formula: str):
    if node is None:
        raise NotSolved()
    if not hasattr(node, "data"):
        raise Wrong(f"{formula} should return a Value, got {type(node).__name__} {node!r}.")
    missing = [name for name in ("grad", "_parents", "_local_grads") if not hasattr(node, name)]
    if missing:
        raise Wrong(f"{formula} returned a node without {', '.join(missing)}: build it with "
                    "Value(data, parents, local_grads, op), as __neg__ does.")
    return node


def _leaf(value_class, x):
    return _result(call(value_class, x), f"Value({x})")


def _check_one_op(value_class, op: str, rng: random.Random) -> None:
    arity, apply, written, positive = OPS[op]
    for _ in range(3):
        inputs = [_draw(rng, positive) for _ in range(arity)]
        names = LEAVES[:arity]
        formula = written.format(*names)
        where = ", ".join(f"{n}={_num(x)}" for n, x in zip(names, inputs))
        mine = [_leaf(value_class, x) for x in inputs]
        out = _result(apply(*mine), formula)
        theirs = [BpValue(x) for x in inputs]
        expected = apply(*theirs)
        got = _number(out.data, f"the value of {formula}")
        if not _close(got, expected.data):
            raise Wrong(f"the value of {formula} is wrong: for {where} your engine gives "
                        f"{_num(got)}, bp.Value gives {_num(expected.data)}.")
        grads = _chain_rule(out, formula)
        expected.backward()
        for name, node, reference in zip(names, mine, theirs):
            grad = grads.get(id(node), 0.0)
            if not _close(grad, reference.grad):
                raise Wrong(f"d({formula})/d{name} is wrong: for {where} your engine gives "
                            f"{name}.grad={_num(grad)}, bp.Value gives {_num(reference.grad)}.")


def _ops_pass(value_class, step: str) -> bool:
    method, ops = STEP_OPS[step]
    if not callable(getattr(value_class, method, None)):
        return False
    try:
        for op in ops:
            _check_one_op(value_class, op, random.Random(step))
    except Exception:  # any failure of an earlier exercise keeps its operations out
        return False
    return True


def random_program(rng: random.Random, ops: list, length: int = 4) -> list:
    """Lines ``(name, op, argument names)``; each line reads the line before, and maybe more."""
    names, program = list(LEAVES), []
    for line in range(length):
        op = rng.choice(ops)
        arguments = [names[-1]] + [rng.choice(names) for _ in range(OPS[op][0] - 1)]
        name = "L" if line == length - 1 else "defghijk"[line]
        program.append((name, op, arguments))
        names.append(name)
    return program


def describe(program: list, inputs: list) -> str:
    lines = "; ".join(f"{name} = {OPS[op][2].format(*args)}" for name, op, args in program)
    return f"{lines} (a={_num(inputs[0])}, b={_num(inputs[1])}, c={_num(inputs[2])})"


def run_program(program: list, leaves: list) -> dict:
    """Every named node of the program, built from the three given leaves."""
    nodes = dict(zip(LEAVES, leaves))
    for name, op, arguments in program:
        nodes[name] = _result(OPS[op][1](*(nodes[a] for a in arguments)), OPS[op][2].format(*arguments))
    return nodes


def reference_programs(seed: int, ops: list, count: int) -> list:
    """``(program, inputs, bp nodes)`` for programs whose values stay moderate (no overflow)."""
    rng, found = random.Random(seed), []
    ops = [op for op in ops if op in PROGRAM_OPS]
    while len(found) < count:
        program = random_program(rng, ops)
        inputs = [_draw(rng, False) for _ in LEAVES]
        try:
            nodes = run_program(program, [BpValue(x, label=n) for n, x in zip(LEAVES, inputs)])
        except (ArithmeticError, ValueError):
            continue
        if all(abs(node.data) < 1e3 for node in nodes.values()):
            for name, node in nodes.items():
                node.label = name
            found.append((program, inputs, nodes))
    return found


def check_operations(value_class, step: str, earlier: list) -> None:
    """The operations of exercise ``step``: alone, then in random expressions with those of the
    earlier exercises that are already right."""
    call(value_class, 0.5)
    method, ops = STEP_OPS[step]
    if not callable(getattr(value_class, method, None)):
        raise NotSolved()
    for op in ops:
        _check_one_op(value_class, op, random.Random(step))
    mixed = ops + [op for s in earlier if _ops_pass(value_class, s) for op in STEP_OPS[s][1]]
    for program, inputs, reference in reference_programs(13, mixed, count=6):
        where = describe(program, inputs)
        mine = run_program(program, [_leaf(value_class, x) for x in inputs])
        for name in reference:
            got = _number(mine[name].data, f"the value of {name}")
            if not _close(got, reference[name].data):
                raise Wrong(f"in {where}: the value of {name} is wrong: your engine gives "
                            f"{_num(got)}, bp.Value gives {_num(reference[name].data)}.")
        grads = _chain_rule(mine["L"], where)
        reference["L"].backward()
        for name in reversed(list(reference)):
            grad = grads.get(id(mine[name]), 0.0)
            if not _close(grad, reference[name].grad):
                raise Wrong(f"in {where}: dL/d{name} is wrong: your engine gives {_num(grad)}, "
                            f"bp.Value gives {_num(reference[name].grad)}.")


def _name_of(node) -> str:
    if node.label:
        return node.label
    return f"the constant {node.data:g}" if not node._parents else f"a '{node._op}' node"


def _check_one_order(order_function, root, what: str) -> None:
    result = call(order_function, root)
    try:
        order = list(result)
    except TypeError:
        raise Wrong(f"the order should be a list of nodes, got {type(result).__name__}.") from None
    nodes = {id(node): node for node in reference_order(root)}
    position = {}
    for index, node in enumerate(order):
        if id(node) not in nodes:
            raise Wrong(f"the order of {what} holds {node!r}, which is not a node of its graph: "
                        "put the nodes themselves in the list.")
        if id(node) in position:
            raise Wrong(f"{_name_of(node)} appears twice in the order of {what}: a node reached "
                        "along two paths must appear once (keep a set of visited nodes).")
        position[id(node)] = index
    for node in nodes.values():
        if id(node) not in position:
            raise Wrong(f"the order of {what} leaves out {_name_of(node)}: it must hold every node "
                        "that the root depends on (parents, their parents, and so on).")
    for node in order:
        for parent in node._parents:
            if position[id(parent)] > position[id(node)]:
                raise Wrong(f"in the order of {what}, {_name_of(node)} comes before its parent "
                            f"{_name_of(parent)}: append a node only after all its parents.")


def check_order(order_function, deep: bool) -> None:
    """A topological order of bp.Value graphs: a leaf, random expressions, maybe a deep chain."""
    leaf = BpValue(1.0, label="a")
    _check_one_order(order_function, leaf, "a single leaf a")
    for program, inputs, nodes in reference_programs(6, PROGRAM_OPS, count=8):
        _check_one_order(order_function, nodes["L"], describe(program, inputs))
    if deep:
        node = BpValue(1.0, label="x")
        for _ in range(DEEP_CHAIN):
            node = -node
        try:
            _check_one_order(order_function, node, f"a chain of {DEEP_CHAIN} operations")
        except RecursionError:
            raise Wrong(f"RecursionError on a chain of {DEEP_CHAIN} operations: a function that "
                        "calls itself once per node runs out of stack. Use a list as a stack.") from None


def _copy_graph(value_class, root) -> dict:
    """The bp.Value graph of ``root`` rebuilt in the learner's class: id(bp node) -> copy."""
    copies = {}
    for node in reference_order(root):
        parents = tuple(copies[id(parent)] for parent in node._parents)
        try:
            copies[id(node)] = value_class(node.data, parents, tuple(node._local_grads), node._op)
        except TypeError as error:
            raise Wrong("Value(data, parents, local_grads, op) should build a node, as the class "
                        f"given above does; yours raised TypeError: {error}") from None
    return copies


def _blame_the_order(value_class) -> None:
    """Raise Wrong naming exercise 03b.6 when the ``topological_order`` that the learner's
    ``backward()`` looks up is not right: a wrong order shows up as wrong gradients."""
    backward = getattr(value_class, "backward", None)
    order_function = getattr(backward, "__globals__", {}).get("topological_order")
    if not callable(order_function):
        return
    start = "your topological_order (03b.6) is not right yet, and backward() walks its order:"
    try:
        check_order(order_function, deep=False)
    except NotSolved:
        raise Wrong(f"{start} it still returns None. Solve 03b.6 first.") from None
    except Wrong as wrong:
        raise Wrong(f"{start} {wrong}") from None
    except Exception as error:  # the learner's order failed: say how
        raise Wrong(f"{start} it raised {type(error).__name__}: {error}") from None


def check_backward(value_class) -> None:
    """``Value.backward`` on graphs copied from bp.Value, against bp's own backward."""
    call(value_class, 0.5)
    if not callable(getattr(value_class, "backward", None)):
        raise NotSolved()
    fixed = ([("d", "a*b", ["a", "b"]), ("e", "tanh", ["d"]), ("L", "a*b", ["e", "a"])],
             [0.7, -1.2, 0.3])
    fixed = (*fixed, run_program(fixed[0], [BpValue(x, label=n) for n, x in zip(LEAVES, fixed[1])]))
    for program, inputs, nodes in [fixed] + reference_programs(7, PROGRAM_OPS, count=6):
        where = describe(program, inputs)
        for name, node in nodes.items():
            node.label = name
        copies = _copy_graph(value_class, nodes["L"])
        root = copies[id(nodes["L"])]
        try:
            root.backward()
        except Exception as error:
            _blame_the_order(value_class)
            if not (isinstance(error, TypeError) and "NoneType" in str(error)):
                raise
            raise Wrong(f"backward() raised TypeError: {error}. Does topological_order (exercise "
                        "03b.6) still return None?") from None
        nodes["L"].backward()
        if all(copy.grad == 0 for copy in copies.values()):
            raise NotSolved()
        wrong_grads = [name for name in nodes if id(nodes[name]) in copies
                       and not _close(_number(copies[id(nodes[name])].grad, f"{name}.grad"),
                                      nodes[name].grad)]
        if wrong_grads:
            _blame_the_order(value_class)
        if not _close(_number(root.grad, "L.grad"), 1.0):
            raise Wrong(f"after L.backward(), L.grad should be 1 (dL/dL), yours is {_num(root.grad)}: "
                        "start with self.grad = 1.0.")
        for name in reversed(list(nodes)):
            if id(nodes[name]) not in copies:  # a leaf that L does not depend on
                continue
            got, expected = _number(copies[id(nodes[name])].grad, f"{name}.grad"), nodes[name].grad
            if not _close(got, expected):
                uses = sum(p is nodes[name] for n in reference_order(nodes["L"]) for p in n._parents)
                note = (f" {name} is used {uses} times: its grad is the sum over every path."
                        if uses > 1 else "")
                raise Wrong(f"after L.backward() in {where}: {name}.grad is wrong: your engine gives "
                            f"{_num(got)}, bp.Value gives {_num(expected)}.{note}")
