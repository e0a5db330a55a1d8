"""Exercises of notebooks 08–09: vanishing gradients, backpropagation in practice."""

from .core import Exercise

EXERCISES = [
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
