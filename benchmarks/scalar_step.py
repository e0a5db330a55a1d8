"""Scalar mode against micrograd: one full training step, timed in one process.

The step is micrograd's own demo: MLP(2, [16, 16, 1]) with ReLU hidden layers on 100
two-moons points, max-margin (hinge) loss plus 1e-4 * L2, backward, plain SGD.  Three
backproplab networks run it:

- ``bp.nn.ScalarMLP`` (a neuron's weighted sum is one node, the default);
- ``bp.nn.ScalarMLP(expand=True)`` (one node per ``*`` and ``+``);
- the learner's network: micrograd's ``nn.py`` written over ``bp.Value``, node by node
  (``sum(w * x for ...)``, no fused neuron), the graph micrograd itself builds.

Steps are timed in blocks of consecutive steps with a garbage collection between blocks,
so that each engine pays for its own garbage (micrograd's nodes form reference cycles that
only the collector frees); the engines alternate block by block and the fastest block of
each counts.  The backward pass alone is timed with the collector off for both.

The collector's work grows with everything alive in the process, not only the graph:
``--import-torch`` imports PyTorch first (as a test session beside PyTorch would), which
leaves about 160,000 more objects for each full collection to examine.

Run:  python benchmarks/scalar_step.py [--blocks 5] [--steps 3] [--import-torch]
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import time

import backproplab as bp


class LearnerNeuron:
    """micrograd's Neuron over any Value class: the weighted sum written node by node."""

    def __init__(self, value, n_in: int, nonlin: bool, rng: random.Random):
        self.w = [value(rng.uniform(-1, 1)) for _ in range(n_in)]
        self.b = value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class LearnerMLP:
    """micrograd's MLP over any Value class (the same random weights for every class)."""

    def __init__(self, value, n_in: int, sizes: list, seed: int = 0):
        rng, widths = random.Random(seed), [n_in] + sizes
        self.layers = [[LearnerNeuron(value, widths[i], i != len(sizes) - 1, rng)
                        for _ in range(widths[i + 1])] for i in range(len(sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def moons():
    X, y = bp.data.make_moons(100, noise=0.1, seed=1)
    return X.tolist(), (2 * y - 1).astype(float).tolist()  # labels -1 / +1 for the hinge loss


def demo_loss(model, value, X, y):
    """micrograd's demo loss, built from ``value`` nodes."""
    scores = [model(list(map(value, row))) for row in X]
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def sgd_step(model, value, X, y, lr):
    loss = demo_loss(model, value, X, y)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def scalar_mlp_step(model, X, y, lr):
    opt = bp.optim.SGD(model.parameters(), lr=lr)
    scores = [model(row) for row in X]
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
    loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.data


def copy_weights_into_micrograd(ours, theirs):
    """Give micrograd's MLP exactly the weights of a ScalarMLP, so both do the same arithmetic."""
    for layer_ours, layer_theirs in zip(ours.layers, theirs.layers):
        for n_ours, n_theirs in zip(layer_ours.neurons, layer_theirs.neurons):
            for w_ours, w_theirs in zip(n_ours.weight, n_theirs.w):
                w_theirs.data = w_ours.data
            n_theirs.b.data = n_ours.bias.data


def block_time(step, steps: int) -> float:
    """Seconds per step over ``steps`` consecutive steps, after collecting older garbage."""
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def backward_time(build) -> float:
    """Seconds of one ``backward()`` with the garbage collector off (the graph built before)."""
    gc.collect()
    loss = build()
    gc.disable()
    try:
        t0 = time.perf_counter()
        loss.backward()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def race(contenders: dict, blocks: int, timer) -> dict:
    """The fastest of ``blocks`` timings of each contender, the contenders alternating."""
    best = {name: float("inf") for name in contenders}
    for _ in range(blocks):
        for name, job in contenders.items():
            best[name] = min(best[name], timer(job))
    return best


def collector_work(step, steps: int) -> tuple:
    """Collections per generation, and seconds spent in them, during ``steps`` consecutive steps."""
    counts, spent, started = [0, 0, 0], [0.0], [0.0]

    def watch(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            counts[info["generation"]] += 1
            spent[0] += time.perf_counter() - started[0]

    gc.collect()
    gc.callbacks.append(watch)
    try:
        for _ in range(steps):
            step()
    finally:
        gc.callbacks.remove(watch)
    return counts, spent[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="consecutive steps per block")
    parser.add_argument("--import-torch", action="store_true",
                        help="import PyTorch first: a bigger heap for the garbage collector")
    args = parser.parse_args()
    if args.import_torch:
        import torch  # noqa: F401  (only its objects matter here)
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP

    X, y = moons()
    ours = bp.nn.ScalarMLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)
    expanded = bp.nn.ScalarMLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0, expand=True)
    theirs = MicroMLP(2, [16, 16, 1])
    copy_weights_into_micrograd(ours, theirs)
    learner_bp, learner_micro = LearnerMLP(bp.Value, 2, [16, 16, 1]), LearnerMLP(MicroValue, 2, [16, 16, 1])
    # Same weights, same data: the first losses must agree before timing means anything.
    l_ours = scalar_mlp_step(ours, X, y, 0.0)
    assert abs(sgd_step(theirs, MicroValue, X, y, 0.0) - l_ours) < 1e-9
    assert abs(scalar_mlp_step(expanded, X, y, 0.0) - l_ours) < 1e-9
    l_learner = sgd_step(learner_bp, bp.Value, X, y, 0.0)
    assert abs(sgd_step(learner_micro, MicroValue, X, y, 0.0) - l_learner) < 1e-9

    gc.collect()
    tracked = len(gc.get_objects())  # what every full collection examines besides the graphs
    steps = race({
        "micrograd": lambda: sgd_step(theirs, MicroValue, X, y, 0.05),
        "default": lambda: scalar_mlp_step(ours, X, y, 0.05),
        "expand": lambda: scalar_mlp_step(expanded, X, y, 0.05),
        "learner": lambda: sgd_step(learner_bp, bp.Value, X, y, 0.05),
        "learner, micrograd": lambda: sgd_step(learner_micro, MicroValue, X, y, 0.05),
    }, args.blocks, lambda job: block_time(job, args.steps))
    backward = race({
        "learner": lambda: demo_loss(learner_bp, bp.Value, X, y),
        "learner, micrograd": lambda: demo_loss(learner_micro, MicroValue, X, y),
    }, args.blocks, backward_time)

    counts, spent = collector_work(lambda: sgd_step(learner_bp, bp.Value, X, y, 0.05), args.steps)

    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{tracked} objects tracked by the collector before timing")
    print(f"fastest of {args.blocks} blocks of {args.steps} steps each, engines alternating")
    print(f"micrograd's MLP          step: {steps['micrograd'] * 1e3:8.2f} ms")
    for name, label in (("default", "ScalarMLP (fused neuron)"), ("expand", "ScalarMLP(expand=True)")):
        print(f"{label:25s}step: {steps[name] * 1e3:8.2f} ms   "
              f"({steps['micrograd'] / steps[name]:.2f}x faster than micrograd)")
    ratio = steps["learner, micrograd"] / steps["learner"]
    print(f"learner's MLP, node by node: micrograd {steps['learner, micrograd'] * 1e3:.2f} ms, "
          f"backproplab {steps['learner'] * 1e3:.2f} ms per step ({ratio:.2f}x faster)")
    ratio = backward["learner, micrograd"] / backward["learner"]
    print(f"  backward alone, collector off: micrograd {backward['learner, micrograd'] * 1e3:.2f} ms, "
          f"backproplab {backward['learner'] * 1e3:.2f} ms ({ratio:.2f}x)")
    print(f"  the collector during {args.steps} of backproplab's steps: {counts[0]} young, "
          f"{counts[1]} middle and {counts[2]} full collections, {spent * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
