"""Scalar mode: ``Value``, one number per node, every derivative readable by eye.

Each operation computes its result *and* the local derivative of the result with
respect to each input, and stores both on the new node::

    out = a * b          ->  out.data = a.data * b.data
                             out.parents     == (a, b)
                             out.local_grads == (b.data, a.data)   # d out/d a, d out/d b

The backward pass (``backproplab.autograd``) then applies the chain rule edge by
edge: each parent receives ``upstream gradient x local derivative``, summed over
every path.

Gradients **accumulate**: calling ``backward()`` twice adds the second gradient to
the first.  That is what lets a mini-batch be built from several backward calls, and it
is why every training step starts with ``zero_grad()``.  The graph of a ``Value`` is
kept after backward, because pictures and the backward stepper read it.

A result of one or two inputs keeps them, and their local derivatives, in four fields of
its own (``_a``, ``_da``, ``_b``, ``_db``) rather than in two tuples.  A graph written node
by node has tens of thousands of Values, and Python's garbage collector re-examines every
container object (tuples, lists, instances), again and again while the graph grows; that
was the largest part of a training step.  The Value alone, instead of the Value plus a
tuple of parents and a tuple of local derivatives, makes the collections fewer and
shorter.  ``parents`` and ``local_grads`` still read as tuples, and ``weighted_sum``'s
node, which has any number of inputs, keeps tuples.
"""

from __future__ import annotations

import math
import numbers

from .autograd import Node, record_backward_steps, run_backward

__all__ = ["Value", "weighted_sum"]


def _check_number(x, what: str) -> float:
    """Turn ``x`` into a float, or explain why it cannot be one."""
    if isinstance(x, Value):
        raise TypeError(f"{what} is already a bp.Value: use it as it is, or pass its number (.data).")
    if isinstance(x, Node):
        raise TypeError(
            f"{what} is a bp.Tensor: gradients cannot flow between scalar mode (bp.Value) and "
            "tensor mode (bp.Tensor). Pick one mode: build everything from Values, or from Tensors."
        )
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} must be a real number, got {type(x).__name__} {x!r}. "
            "Pass a Python int/float (or a NumPy scalar); for arrays use bp.Tensor."
        )
    x = float(x)
    if math.isnan(x):
        raise ValueError(f"{what} is NaN. Check the data or the computation that produced it.")
    return x


_blank = object.__new__  # an empty instance, without running __init__'s checks


def _new(data: float, op: str, a: Value, da: float, b: Value | None = None, db: float = 0.0) -> Value:
    """The result ``data`` of ``op`` on ``a`` (and ``b``): d result/d a = ``da``, d result/d b = ``db``.

    The inputs were checked when they were made, so only the result is checked, for NaN.
    """
    if data != data:  # NaN; only possible from inf - inf or inf * 0
        raise _nan_error(op, (a,) if b is None else (a, b))
    out = _blank(Value)
    out._set_up(data, op, "", a, da, b, db)
    return out


class Value(Node):
    """A scalar that remembers how it was computed, so gradients can flow back.

    ``data`` is the number, ``grad`` is d(output)/d(this) after ``output.backward()``
    (0.0 before), ``label`` is an optional name for pictures.
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db")
    __array_ufunc__ = None  # let ``numpy_number * Value`` fall back to Value.__rmul__

    def __init__(self, data, label: str = ""):
        self._set_up(_check_number(data, "Value data"), "", label, None, 0.0, None, 0.0)

    def _set_up(self, data: float, op: str, label: str, a, da: float, b, db: float):
        """Every field ``Value`` declares, for a leaf or a result: the one place they are set.

        ``a`` and ``b`` are the inputs (``None`` where there is none), ``da`` and ``db`` the
        local derivatives d(this)/d(a) and d(this)/d(b).
        """
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = op
        self._a, self._da = a, da
        self._b, self._db = b, db
        self._hooks = None
        self._pass_grad = None

    # ------------------------------------------------------------------ arithmetic
    # Each op: forward value, then the local derivative toward each parent.

    # _new(result, op, a, d result/d a, b, d result/d b)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)  # _as_value, inlined: + and * are hot
        # d(a+b)/da = 1,  d(a+b)/db = 1
        return _new(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # d(ab)/da = b,  d(ab)/db = a
        return _new(self.data * other.data, "*", self, other.data, other, self.data)

    def __sub__(self, other):
        other = _as_value(other)
        # d(a-b)/da = 1,  d(a-b)/db = -1
        return _new(self.data - other.data, "-", self, 1.0, other, -1.0)

    def __truediv__(self, other):
        other = _as_value(other)
        if other.data == 0.0:
            raise ZeroDivisionError(
                f"Division of {self.data!r} by a Value that is exactly 0. "
                "Add a small epsilon to the denominator or check where it became zero."
            )
        inv = 1.0 / other.data
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2
        return _new(self.data * inv, "/", self, inv, other, -self.data * inv * inv)

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _power_value_exponent(self, exponent)
        k = _check_number(exponent, "exponent")
        x = self.data
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"0 ** {k} is undefined (division by zero).")
        if x < 0 and not k.is_integer():
            raise ValueError(
                f"({x}) ** {k}: a negative base with a non-integer exponent is not a real number."
            )
        # d(x^k)/dx = k * x^(k-1); at x = 0 with 0 < k < 1 the slope is infinite
        try:
            local = k * x ** (k - 1) if not (x == 0.0 and k < 1) else (0.0 if k == 0 else math.inf)
            return _new(x**k, f"**{k:g}", self, local)
        except OverflowError:
            raise _too_large(f"{x!r} ** {k!r}") from None

    def __rpow__(self, base):
        return _power_value_exponent(_as_value(base), self)

    def __neg__(self):
        return _new(-self.data, "neg", self, -1.0)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    # ------------------------------------------------------------------ functions

    def exp(self):
        """e ** self; local derivative e ** self."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise _too_large(f"exp({self.data:g})") from None
        return _new(e, "exp", self, e)

    def log(self):
        """Natural logarithm; local derivative 1 / self."""
        if self.data <= 0:
            raise ValueError(
                f"log({self.data!r}): the logarithm needs a positive number. "
                "If this is a probability, clip it away from 0 or use a log-sum-exp form."
            )
        return _new(math.log(self.data), "log", self, 1.0 / self.data)

    def tanh(self):
        """Hyperbolic tangent; local derivative 1 - tanh^2."""
        t = math.tanh(self.data)
        return _new(t, "tanh", self, 1.0 - t * t)

    def sigmoid(self):
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow; derivative s(1 - s)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _new(s, "sigmoid", self, s * (1.0 - s))

    def relu(self):
        """max(0, x); derivative 1 where x > 0, else 0 (0 at x = 0, as PyTorch)."""
        x = self.data
        return _new(x if x > 0 else 0.0, "relu", self, 1.0 if x > 0 else 0.0)

    # ------------------------------------------------------------------ backward

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Gradients are *added* to what ``.grad`` already holds (see the module doc).
        """
        run_backward(self, _check_number(grad, "backward seed"))

    def backward_steps(self, grad: float = 1.0):
        """Run backward and return the list of ``BackwardStep`` records, node by node."""
        return record_backward_steps(self, _check_number(grad, "backward seed"))

    # The node contract of backproplab.autograd.
    @property
    def _parents(self) -> tuple:
        if self._b is not None:
            return (self._a, self._b)
        return () if self._a is None else (self._a,)

    def _chain(self, upstream):
        # The chain rule, edge by edge: each parent receives upstream x (d this / d parent),
        # added to what other children sent it (a node used twice sums both paths).
        a, b = self._a, self._b
        if a is None:  # a leaf
            return []
        to_a = upstream * self._da
        a._pass_grad = to_a if a._pass_grad is None else a._pass_grad + to_a
        if b is None:
            return [to_a]
        to_b = upstream * self._db
        b._pass_grad = to_b if b._pass_grad is None else b._pass_grad + to_b
        return [to_a, to_b]

    def _accumulate(self, gradient):
        self.grad += gradient

    def _free(self):
        pass  # scalar graphs are kept: pictures and the stepper read them after backward

    # ------------------------------------------------------------------ inspection

    @property
    def parents(self) -> tuple:
        """The Values this one was computed from."""
        return self._parents

    @property
    def op(self) -> str:
        """The name of the operation that produced this Value ('' for a leaf)."""
        return self._op

    @property
    def local_grads(self) -> tuple:
        """d(self)/d(parent) for each parent, in the order of ``parents``."""
        return (self._da, self._db)[: len(self._parents)]

    @property
    def _local_grads(self) -> tuple:
        # The name the learner's own engine uses (exercises/engine.py), so checks read both alike.
        return self.local_grads

    @_local_grads.setter
    def _local_grads(self, local_grads) -> None:
        # Lets a lesson plant a wrong derivative in a node and watch gradcheck catch it.
        local_grads = tuple(local_grads)
        if len(local_grads) != len(self._parents):
            raise ValueError(f"this node has {len(self._parents)} parent(s) but {len(local_grads)} "
                             "local derivatives were given.")
        self._set_local_grads(local_grads)

    def _set_local_grads(self, local_grads: tuple) -> None:
        if local_grads:
            self._da = local_grads[0]
        if len(local_grads) > 1:
            self._db = local_grads[1]

    def zero_grad(self) -> None:
        """Set this Value's gradient back to 0."""
        self.grad = 0.0

    def item(self) -> float:
        """The number held, as a Python float (same name as in tensor mode)."""
        return self.data

    def __float__(self):
        return float(self.data)

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _as_float(x, what: str) -> float:
    return x if type(x) is float and x == x else _check_number(x, what)


def weighted_sum(weights, inputs, bias=0.0) -> Value:
    """``sum_i weights[i] * inputs[i] + bias`` as ONE node: a neuron's pre-activation.

    The node has an edge to every Value among the weights, inputs and bias, with the
    local derivatives  d/d weights[i] = inputs[i],  d/d inputs[i] = weights[i],
    d/d bias = 1.  The gradients are exactly those of the chain of ``*`` and ``+`` it
    replaces, with one node instead of 2n to store and to visit in the backward pass.
    """
    weights, inputs = list(weights), list(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"weighted_sum: {len(weights)} weights but {len(inputs)} inputs.")
    parents, local_grads = [], []
    if isinstance(bias, Value):
        total = bias.data
        parents.append(bias)
        local_grads.append(1.0)
    else:
        total = _as_float(bias, "bias")
    for w, x in zip(weights, inputs):
        w_is_node, x_is_node = isinstance(w, Value), isinstance(x, Value)
        wd = w.data if w_is_node else _as_float(w, "weight")
        xd = x.data if x_is_node else _as_float(x, "input")
        total += wd * xd
        if w_is_node:
            parents.append(w)
            local_grads.append(xd)
        if x_is_node:
            parents.append(x)
            local_grads.append(wd)
    if total != total:  # NaN, as in _new
        raise _nan_error("Σw·x+b", parents)
    out = _blank(_ManyInputs)
    out._set_up(total, "Σw·x+b", "", None, 0.0, None, 0.0)
    out._inputs, out._input_local_grads = tuple(parents), tuple(local_grads)
    return out


class _ManyInputs(Value):
    """A Value computed from any number of inputs: the node ``weighted_sum`` builds."""

    __slots__ = ("_inputs", "_input_local_grads")

    @property
    def _parents(self) -> tuple:
        return self._inputs

    @property
    def local_grads(self) -> tuple:
        """d(self)/d(parent) for each parent, in the order of ``parents``."""
        return self._input_local_grads

    def _chain(self, upstream):
        sent = []
        for parent, local in zip(self._inputs, self._input_local_grads):
            grad = upstream * local  # the chain rule, as in Value._chain
            parent._pass_grad = grad if parent._pass_grad is None else parent._pass_grad + grad
            sent.append(grad)
        return sent

    def _set_local_grads(self, local_grads: tuple) -> None:
        self._input_local_grads = local_grads


def _power_value_exponent(base: Value, exponent: Value) -> Value:
    """base ** exponent with a Value exponent: d/dbase = e*b^(e-1), d/dexponent = b^e ln b."""
    b, e = base.data, exponent.data
    if b <= 0:
        raise ValueError(
            f"{b!r} ** Value: a Value exponent needs a positive base, because the gradient "
            "toward the exponent is b**e * log(b). Use a number exponent for other bases."
        )
    try:
        out = b**e
        return _new(out, "**", base, e * b ** (e - 1), exponent, out * math.log(b))
    except OverflowError:
        raise _too_large(f"{b!r} ** {e!r}") from None


def _nan_error(op: str, inputs) -> ValueError:
    return ValueError(
        f"'{op}' produced NaN from inputs {[p.data for p in inputs]}. "
        "Infinite values are involved: lower the learning rate or rescale the inputs."
    )


def _too_large(expression: str) -> OverflowError:
    return OverflowError(
        f"{expression} is too large for a float (the largest is about 1.8e308). Such numbers "
        "usually mean the training diverged: try a smaller learning rate or rescale the inputs."
    )
