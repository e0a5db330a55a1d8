"""Exercises of notebooks 06–07: from scalars to tensors, backpropagation in matrix form, why
backpropagation.

Every code exercise here is checked on inputs drawn with a fixed seed (several shapes, so that a
transposed or hard-coded answer shows), against what the package itself computes.
"""

import numpy as np

from .. import backend
from .checks import Wrong, call, expect_close
from .core import Exercise, NotSolved


def _rng():
    return np.random.default_rng(1306)


def _compare(got, expected, what: str) -> None:
    """``expect_close``, with a word on the two commonest slips: a constant factor, a transpose."""
    try:
        got_array = backend.to_host(got).astype(np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number or an array, got {type(got).__name__}.") from None
    expected = backend.to_host(expected).astype(np.float64)
    if got_array.shape == expected.shape[::-1] and got_array.shape != expected.shape:
        raise Wrong(f"{what} should have shape {expected.shape}, yours has {got_array.shape}: it looks "
                    "transposed (a gradient has the shape of what it is the gradient of).")
    if got_array.shape == expected.shape and got_array.size > 1 and np.all(np.isfinite(got_array)):
        nonzero = np.abs(expected) > 1e-12
        ratios = got_array[nonzero] / expected[nonzero]
        if (ratios.size and not np.allclose(got_array, expected, rtol=1e-6, atol=1e-9)
                and np.allclose(ratios, ratios[0], rtol=1e-6) and np.allclose(got_array[~nonzero], 0)):
            raise Wrong(f"{what} is {ratios[0]:.4g} times the right one in every entry: only a "
                        "constant factor is wrong (a sign, a 2, a 1/N?).")
    expect_close(got, expected, what)


# ----------------------------------------------------------------------------- 06


def _check_unbroadcast(unbroadcast):
    from ..tensor import unbroadcast as reference
    rng = _rng()
    cases = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 5, 3), (5, 1)), ((4, 3), (1, 3)),
             ((6, 2, 3), (2, 3)), ((3, 4), (3, 4)), ((5, 4), ())]
    for grad_shape, shape in cases:
        grad = rng.standard_normal(grad_shape)
        got = call(unbroadcast, grad.copy(), shape)
        _compare(got, reference(grad, shape), f"unbroadcast(a gradient of shape {grad_shape}, {shape})")


def _check_linear(Linear):
    from .. import Function, Tensor, gradcheck
    if not (isinstance(Linear, type) and issubclass(Linear, Function)):
        raise Wrong("Linear should be a class that subclasses bp.Function: class Linear(bp.Function): ...")
    rng = _rng()
    for n, n_in, n_out in ((5, 3, 2), (4, 2, 3), (6, 4, 4)):
        x, W = rng.standard_normal((n, n_in)), rng.standard_normal((n_out, n_in))
        b = rng.standard_normal(n_out)
        g = rng.standard_normal((n, n_out))
        fn = Linear()
        fn.needs_grad = (True, True, True)
        out = fn.forward(x, W, b)
        _compare(out, x @ W.T + b, f"forward(x, W, b) with x {x.shape}, W {W.shape}")
        grads = call(fn.backward, g)
        if not isinstance(grads, (tuple, list)) or len(grads) != 3:
            raise Wrong("backward should return three gradients, for x, W and b, as a tuple.")
        for got, expected, name in zip(grads, (g @ W, g.T @ x, g.sum(axis=0)), ("x", "W", "b")):
            if got is None:
                raise NotSolved()
            _compare(got, expected, f"the gradient for {name} (x {x.shape}, W {W.shape}, b {b.shape})")
    tensors = [Tensor(a, dtype="float64", requires_grad=True) for a in (x, W, b)]
    if not gradcheck(lambda x, W, b: Linear.apply(x, W, b).tanh(), tensors, raise_exception=False):
        raise Wrong("bp.gradcheck disagrees with your backward inside a graph: does backward use "
                    "what forward saved on self (not the arrays of an earlier call)?")


# ----------------------------------------------------------------------------- 06b


def _check_mse_output_error(mse_output_error):
    from .. import Tensor, losses
    rng = _rng()
    for shape in ((5, 3), (4, 1), (6, 2), (7,)):
        pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
        got = call(mse_output_error, pred.copy(), target.copy())
        pred_t = Tensor(pred, dtype="float64", requires_grad=True)
        losses.mse(pred_t, target).backward()
        _compare(got, pred_t.grad, f"the error signal for predictions of shape {shape}")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _check_backward_pass(backward_pass):
    from .. import Tensor, losses
    rng = _rng()
    for n, d, h, k in ((6, 2, 4, 3), (9, 3, 5, 2), (4, 5, 3, 4)):
        X, labels = rng.standard_normal((n, d)), rng.integers(0, k, n)
        arrays = [rng.standard_normal(s) for s in ((d, h), (h,), (h, k), (k,))]
        got = call(backward_pass, X.copy(), labels.copy(), *[a.copy() for a in arrays])
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            raise Wrong("backward_pass should return four arrays: dW1, db1, dW2, db2 (in that order).")
        W1, b1, W2, b2 = params = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
        a1 = (Tensor(X, dtype="float64") @ W1 + b1).tanh()
        losses.cross_entropy(a1 @ W2 + b2, labels).backward()
        expected = dict(zip(("dW1", "db1", "dW2", "db2"), (p.grad for p in params)))
        given = dict(zip(("dW1", "db1", "dW2", "db2"), got))
        where = f"(batch {n}, {d} inputs, {h} hidden units, {k} classes)"
        for name in ("dW2", "db2"):  # the output layer first: its error is the first one made
            _compare(given[name], expected[name], f"{name} {where}")
        a1 = np.tanh(X @ arrays[0] + arrays[1])
        delta2 = (_softmax(a1 @ arrays[2] + arrays[3]) - np.eye(k)[labels]) / n
        without_slope = X.T @ (delta2 @ arrays[2].T)
        if np.shape(given["dW1"]) == without_slope.shape and np.allclose(given["dW1"], without_slope):
            raise Wrong(f"dW2 and db2 are right; dW1 is not {where}: on its way through the hidden "
                        "layer the error signal is multiplied by f'(z1), elementwise.")
        for name in ("dW1", "db1"):
            try:
                _compare(given[name], expected[name], f"{name} {where}")
            except Wrong as wrong:
                raise Wrong(f"dW2 and db2 are right, but {wrong}") from None


# ----------------------------------------------------------------------------- 07


def _check_multiply_adds(multiply_adds):
    rng = _rng()
    cases = [(200, 2, [8, 2]), (32, 3, [5, 4]), (7, 10, [6, 6, 3]), (1, 4, [9])]
    cases += [(int(rng.integers(1, 50)), int(rng.integers(1, 9)), list(rng.integers(1, 20, 3)))]
    for batch, n_in, layer_sizes in cases:
        got = call(multiply_adds, batch, n_in, [int(s) for s in layer_sizes])
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong("multiply_adds should return two numbers: (forward, backward).")
        sizes = [n_in] + [int(s) for s in layer_sizes]
        forward = sum(batch * a * b for a, b in zip(sizes, sizes[1:]))
        backward = 2 * forward - batch * sizes[0] * sizes[1]
        net = f"MLP({n_in}, {[int(s) for s in layer_sizes]}) on a batch of {batch}"
        if got[0] != forward:
            raise Wrong(f"the forward count for {net} should be {forward}, got {got[0]}.")
        if got[1] != backward:
            raise Wrong(f"the backward count for {net} should be {backward}, got {got[1]}: count, for "
                        "each layer, the products that give its weights' gradient and its inputs' "
                        "gradient, and ask which of them are needed.")


def _counted_function(A, c, calls: list):
    """f(w) = sum(tanh(A w + c)^2) + |w|^2 / 2, as a NumPy function that records each call."""
    def f(w):
        calls.append(1)
        w = backend.to_host(w).astype(np.float64)
        return float(np.sum(np.tanh(A @ w + c) ** 2) + 0.5 * np.sum(w * w))
    return f


def _check_directional_derivative(directional_derivative):
    from .. import Tensor
    rng = _rng()
    for size in (3, 7, 12):
        A, c = rng.standard_normal((5, size)), rng.standard_normal(5)
        calls = []
        f = _counted_function(A, c, calls)
        w, direction = rng.standard_normal(size), rng.standard_normal(size)
        direction /= np.linalg.norm(direction)
        got = call(directional_derivative, f, w.copy(), direction.copy(), 1e-4)
        if np.ndim(got) != 0:
            raise Wrong(f"the result should be one number (the slope along the direction); yours has "
                        f"shape {np.shape(got)}.")
        wt = Tensor(w, dtype="float64", requires_grad=True)
        (((Tensor(A) @ wt + Tensor(c)).tanh() ** 2).sum() + 0.5 * (wt * wt).sum()).backward()
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise Wrong(f"the result should be a number, got {type(got).__name__}.") from None
        slope = float(wt.grad @ direction)
        if np.isfinite(got) and abs(got - slope) > 1e-6 * abs(slope) and abs(got - slope) < 1e-2 * abs(slope):
            raise Wrong(f"close ({got:.6g} against {slope:.6g} for {size} parameters), but not as "
                        "close as central differences get: step eps both ways along the direction.")
        _compare(got, slope, f"the slope along the direction ({size} parameters)")
        if len(calls) != 2:
            raise Wrong(f"right value, but your function ran f {len(calls)} times for {size} parameters; "
                        "one slope along one direction needs exactly 2 forward passes.")


EXERCISES = [
    Exercise("06.1", "Gradient of (x + b).sum() with respect to b, x of shape (4, 3), b of shape (3,).",
             answer=[4.0, 4.0, 4.0],
             hints=["Each b[j] is added to every row of x, and the gradient of a sum is 1 for each use.",
                    "b was broadcast over 4 rows: each b[j] was used 4 times."],
             solution="""
                 x = bp.Tensor(np.ones((4, 3)))
                 b = bp.Tensor(np.zeros(3), requires_grad=True)
                 (x + b).sum().backward()
                 answer = b.grad
             """, wrong="answer = [1.0, 1.0, 1.0]"),
    Exercise("06.2", "Write unbroadcast(grad, shape): the gradient of an input of `shape` that was "
                     "broadcast to grad's shape.", checker=_check_unbroadcast, name="unbroadcast",
             hints=["Broadcasting adds axes in front and stretches axes of size 1; each entry was used "
                    "once per copy, so its gradient is the sum over the copies.",
                    "First sum over the leading axes that shape does not have; then, for every axis "
                    "where shape has size 1, sum with keepdims=True.",
                    "grad.sum(axis=0) removes the first axis; grad.sum(axis=i, keepdims=True) keeps it "
                    "with size 1."],
             solution="""
                 def unbroadcast(grad, shape):
                     while grad.ndim > len(shape):          # axes that broadcasting added in front
                         grad = grad.sum(axis=0)
                     for axis, size in enumerate(shape):    # axes of size 1 that it stretched
                         if size == 1 and grad.shape[axis] != 1:
                             grad = grad.sum(axis=axis, keepdims=True)
                     return grad
             """, wrong="""
                 def unbroadcast(grad, shape):
                     while grad.ndim > len(shape):
                         grad = grad.sum(axis=0)
                     return grad
             """),
    Exercise("06.3", "Write the backward rule of a dense layer, y = x @ W.T + b, as a bp.Function.",
             checker=_check_linear, name="Linear",
             hints=["The layer stores W with one row per output, shape (out, in), like bp.nn.Linear: "
                    "adapt the rules for X @ W to X @ W.T.",
                    "Every gradient has the shape of its input: x (N, in), W (out, in), b (out,). Let "
                    "the shapes tell you which factor to transpose.",
                    "dx = g @ W, dW = g.T @ x, db = g summed over the batch (axis 0)."],
             solution="""
                 class Linear(bp.Function):
                     def forward(self, x, W, b):
                         self.x, self.W = x, W          # saved for the backward pass
                         return x @ W.T + b

                     def backward(self, g):
                         return g @ self.W, g.T @ self.x, g.sum(axis=0)
             """, wrong="""
                 class Linear(bp.Function):
                     def forward(self, x, W, b):
                         self.x, self.W = x, W
                         return x @ W.T + b

                     def backward(self, g):
                         return g @ self.W, self.x.T @ g, g.sum(axis=0)
             """),
    Exercise("06b.1", "Write mse_output_error(pred, target): dL/dpred for L = bp.losses.mse(pred, target).",
             checker=_check_mse_output_error, name="mse_output_error",
             hints=["Differentiate one term (pred - target)^2, then remember what the mean divides by.",
                    "bp.losses.mse takes the mean over every element, not over the rows.",
                    "2 * (pred - target) / pred.size"],
             solution="""
                 def mse_output_error(pred, target):
                     return 2 * (pred - target) / pred.size
             """, wrong="""
                 def mse_output_error(pred, target):
                     return 2 * (pred - target) / len(pred)
             """),
    Exercise("06b.2", "Write backward_pass(X, labels, W1, b1, W2, b2): the gradients dW1, db1, dW2, db2 "
                      "of the two-layer network's mean cross-entropy, in plain NumPy.",
             checker=_check_backward_pass, name="backward_pass",
             hints=["Start at the output: delta2 = (P - Y) / N, with Y the one-hot labels "
                    "(np.eye(k)[labels]). Then follow the four formulas above, layer by layer.",
                    "dW2 = a1.T @ delta2 and db2 = delta2.sum(axis=0); then "
                    "delta1 = (delta2 @ W2.T) * (1 - a1 ** 2), since tanh'(z) = 1 - tanh(z)^2.",
                    "dW1 = X.T @ delta1 and db1 = delta1.sum(axis=0)."],
             solution="""
                 def backward_pass(X, labels, W1, b1, W2, b2):
                     z1 = X @ W1 + b1                      # the forward pass
                     a1 = np.tanh(z1)
                     z2 = a1 @ W2 + b2
                     P = np.exp(z2 - z2.max(axis=1, keepdims=True))
                     P = P / P.sum(axis=1, keepdims=True)
                     Y = np.eye(W2.shape[1])[labels]       # the labels, one-hot
                     delta2 = (P - Y) / len(X)             # the error signal at the output
                     dW2, db2 = a1.T @ delta2, delta2.sum(axis=0)
                     delta1 = (delta2 @ W2.T) * (1 - a1 ** 2)
                     dW1, db1 = X.T @ delta1, delta1.sum(axis=0)
                     return dW1, db1, dW2, db2
             """, wrong="""
                 def backward_pass(X, labels, W1, b1, W2, b2):
                     z1 = X @ W1 + b1
                     a1 = np.tanh(z1)
                     z2 = a1 @ W2 + b2
                     P = np.exp(z2 - z2.max(axis=1, keepdims=True))
                     P = P / P.sum(axis=1, keepdims=True)
                     Y = np.eye(W2.shape[1])[labels]
                     delta2 = (P - Y) / len(X)
                     dW2, db2 = a1.T @ delta2, delta2.sum(axis=0)
                     delta1 = delta2 @ W2.T
                     dW1, db1 = X.T @ delta1, delta1.sum(axis=0)
                     return dW1, db1, dW2, db2
             """),
    Exercise("07.1", "Write multiply_adds(batch, n_in, layer_sizes): the multiply-adds of the matrix "
                     "products in one forward and in one backward pass of bp.nn.MLP(n_in, layer_sizes).",
             checker=_check_multiply_adds, name="multiply_adds",
             hints=["A product of shapes (N, a) @ (a, b) takes N * a * b multiply-adds; a layer from a "
                    "to b units does one such product in the forward pass.",
                    "In the backward pass a layer computes its weights' gradient (a.T @ delta) and the "
                    "gradient for its inputs (delta @ W.T), each as large as its forward product.",
                    "The first layer's inputs are the data: nothing needs their gradient, so the "
                    "backward pass skips that product. backward = 2 * forward - N * n_in * layer_sizes[0]."],
             solution="""
                 def multiply_adds(batch, n_in, layer_sizes):
                     sizes = [n_in] + list(layer_sizes)
                     forward = sum(batch * a * b for a, b in zip(sizes, sizes[1:]))
                     no_input_gradient = batch * sizes[0] * sizes[1]   # the data needs no gradient
                     return forward, 2 * forward - no_input_gradient
             """, wrong="""
                 def multiply_adds(batch, n_in, layer_sizes):
                     sizes = [n_in] + list(layer_sizes)
                     forward = sum(batch * a * b for a, b in zip(sizes, sizes[1:]))
                     return forward, 2 * forward
             """),
    Exercise("07.2", "Write directional_derivative(f, w, direction, eps): the slope of f at w along "
                     "direction, from central differences.",
             checker=_check_directional_derivative, name="directional_derivative",
             hints=["Two forward passes: f at a point a little ahead of w along the direction, and f "
                    "at a point a little behind.",
                    "Take f(w + eps * direction) minus f(w - eps * direction): the two steps together span "
                    "2 * eps, so divide by 2 * eps."],
             solution="""
                 def directional_derivative(f, w, direction, eps=1e-6):
                     return (f(w + eps * direction) - f(w - eps * direction)) / (2 * eps)
             """, wrong="""
                 def directional_derivative(f, w, direction, eps=1e-6):
                     return (f(w + eps * direction) - f(w - eps * direction)) / eps
             """),
]
