"""Exercises of notebooks 00–05: the four stages, the forward pass, losses, the backward pass,
weight updates and the training loop."""

import math

from .core import Exercise

EXERCISES = [
    Exercise("00.1", "Which of the four stages computes the gradient of the loss for every weight?",
             answer="backward", hints="The chain rule runs from the loss back to the inputs.",
             solution='answer = "backward"', wrong='answer = "update"'),
    Exercise("00.2", "Put the stages in order: 'update', 'loss', 'forward', 'backward'.",
             answer=["forward", "loss", "backward", "update"],
             hints="A prediction comes first, then how wrong it is, then who is to blame, then the fix.",
             solution='answer = ["forward", "loss", "backward", "update"]',
             wrong='answer = ["forward", "backward", "loss", "update"]'),
    Exercise("01.1", "Output of a tanh neuron with weights [0.5, -1], bias 0.5, input [2, 1].",
             answer=math.tanh(0.5 * 2 - 1 * 1 + 0.5), hints="w.x + b = 0.5, then apply tanh.",
             solution="import math\nanswer = math.tanh(0.5 * 2 + (-1) * 1 + 0.5)",
             wrong="answer = 0.5 * 2 + (-1) * 1 + 0.5"),
    Exercise("01.2", "How many parameters does MLP(3, [4, 2]) have?", answer=3 * 4 + 4 + 4 * 2 + 2,
             hints="Each layer has n_in x n_out weights plus n_out biases.",
             solution="answer = 3 * 4 + 4 + 4 * 2 + 2", wrong="answer = 3 * 4 + 4 * 2"),
    Exercise("02.1", "MSE of predictions [1, 2] against targets [0, 4].", answer=(1 + 4) / 2,
             hints="Square each difference, then take the mean.",
             solution="answer = ((1 - 0) ** 2 + (2 - 4) ** 2) / 2", wrong="answer = (1 + 4)"),
    Exercise("02.2", "Cross-entropy of logits [0, 0, 0] for class 1.", answer=math.log(3),
             hints="Equal logits give each class probability 1/3; the loss is -log(1/3).",
             solution="import math\nanswer = -math.log(1 / 3)", wrong="answer = 1 / 3"),
    Exercise("03.1", "dL/db for L = (a*b + c)*f at a=2, b=-3, c=10, f=-2.", answer=-4.0,
             hints="The path from b to L multiplies the local derivatives a (through *) and f.",
             solution="""
                 a, b, c, f = (bp.Value(v) for v in (2.0, -3.0, 10.0, -2.0))
                 L = (a * b + c) * f
                 L.backward()
                 answer = b.grad
             """, wrong="answer = 2.0"),
    Exercise("03.2", "The derivative of sigmoid at 0.", answer=0.25,
             hints="sigmoid'(x) = s(x)(1 - s(x)) and s(0) = 0.5.",
             solution="""
                 x = bp.Value(0.0)
                 x.sigmoid().backward()
                 answer = x.grad
             """, wrong="answer = 0.5"),
    Exercise("04.1", "One SGD step from w = 1 with gradient 0.5 and learning rate 0.1.", answer=0.95,
             hints="w_new = w - lr * gradient.", solution="answer = 1 - 0.1 * 0.5",
             wrong="answer = 1 + 0.1 * 0.5"),
    Exercise("04.2", "SGD with momentum 0.9, lr 0.1: w after two steps from w = 1 with gradients 1, "
                     "then 1.", answer=1 - 0.1 * 1 - 0.1 * (0.9 * 1 + 1),
             hints="The velocity is v1 = g1, then v2 = 0.9 v1 + g2; each step subtracts lr * v.",
             solution="""
                 w, v = 1.0, 0.0
                 for g in (1.0, 1.0):
                     v = 0.9 * v + g
                     w = w - 0.1 * v
                 answer = w
             """, wrong="answer = 1 - 0.1 * 1 - 0.1 * 1"),
    Exercise("05.1", "Batches per epoch for 100 samples and batch size 32 (the last batch kept).",
             answer=4, hints="Three full batches of 32 and one of 4.",
             solution="import math\nanswer = math.ceil(100 / 32)", wrong="answer = 100 // 32"),
    Exercise("05.2", "Weight updates in 5 epochs with those batches.", answer=20,
             hints="One update per batch.", solution="import math\nanswer = 5 * math.ceil(100 / 32)",
             wrong="answer = 5"),
]
