"""Exercises of notebooks 06–07: from scalars to tensors, backpropagation in matrix form, why backpropagation."""

from .core import Exercise

EXERCISES = [
    Exercise("06.1", "Gradient of (x + b).sum() with respect to b, x of shape (4, 3), b of shape (3,).",
             answer=[4.0, 4.0, 4.0], hints="b was broadcast over 4 rows: each b[j] was used 4 times.",
             solution="""
                 x = bp.Tensor(np.ones((4, 3)))
                 b = bp.Tensor(np.zeros(3), requires_grad=True)
                 (x + b).sum().backward()
                 answer = b.grad
             """, wrong="answer = [1.0, 1.0, 1.0]"),
    Exercise("06.2", "Shape of dL/dW for y = x @ W with x of shape (8, 5) and W of shape (5, 3).",
             answer=[5, 3], hints="A gradient always has the shape of what it is the gradient of.",
             solution="answer = [5, 3]", wrong="answer = [8, 3]"),
    Exercise("07.1", "Forward passes that central differences need for 1,000 parameters.", answer=2000,
             hints="Two evaluations (+eps and -eps) for every parameter.",
             solution="answer = 2 * 1000", wrong="answer = 1000"),
    Exercise("07.2", "Forward plus backward passes that backpropagation needs for the same gradient.",
             answer=2, hints="One forward pass and one backward pass, whatever the number of parameters.",
             solution="answer = 2", wrong="answer = 1000"),
]
