"""Exercises of notebooks 06–09: tensors, why backpropagation, vanishing gradients, practice."""

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
    Exercise("08.1", "The largest value of the sigmoid's derivative.", answer=0.25,
             hints="It peaks at x = 0.", solution="answer = 0.5 * (1 - 0.5)", wrong="answer = 1.0"),
    Exercise("08.2", "Upper bound on the product of 10 sigmoid derivatives.", answer=0.25**10,
             hints="Multiply the largest value by itself 10 times.", solution="answer = 0.25 ** 10",
             wrong="answer = 0.25 * 10"),
    Exercise("09.1", "Best possible test accuracy when 20% of the test labels are flipped at random "
                     "(two classes).", answer=0.8,
             hints="A perfect model still disagrees with every flipped label.",
             solution="answer = 1 - 0.2", wrong="answer = 1.0"),
    Exercise("09.2", "With more training data, does the gap between training and validation "
                     "accuracy grow or shrink?", answer="shrink",
             hints="Look at the learning curves: a bigger data set is harder to memorise.",
             solution='answer = "shrink"', wrong='answer = "grow"'),
]
