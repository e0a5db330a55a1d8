"""Scalar mode against micrograd: one full training step, timed in one process.

The step is micrograd's own demo: MLP(2, [16, 16, 1]) with ReLU hidden layers on 100
two-moons points, max-margin (hinge) loss plus 1e-4 * L2, backward, plain SGD.

Run:  python benchmarks/scalar_step.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time


import backproplab as bp


def moons():
    X, y = bp.data.make_moons(100, noise=0.1, seed=1)
    return X, (2 * y - 1).astype(float)  # labels -1 / +1 for the hinge loss


def backproplab_step(model, X, y, lr):
    opt = bp.optim.SGD(model.parameters(), lr=lr)
    scores = [model(row) for row in X]
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.data


def micrograd_step(model, X, y, lr):
    from micrograd.engine import Value

    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def copy_weights_into_micrograd(ours, theirs):
    """Give micrograd's MLP exactly our weights, so both do the same arithmetic."""
    for layer_ours, layer_theirs in zip(ours.layers, theirs.layers):
        for n_ours, n_theirs in zip(layer_ours.neurons, layer_theirs.neurons):
            for w_ours, w_theirs in zip(n_ours.weight, n_theirs.w):
                w_theirs.data = w_ours.data
            n_theirs.b.data = n_ours.bias.data


def time_steps(step, model, X, y, repeats):
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        step(model, X, y, 0.05)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from micrograd.nn import MLP as MicroMLP

    X, y = moons()
    X_list = X.tolist()
    ours = bp.nn.ScalarMLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)
    theirs = MicroMLP(2, [16, 16, 1])
    copy_weights_into_micrograd(ours, theirs)
    # Same weights, same data: the first losses must agree before timing means anything.
    l_ours = backproplab_step(ours, X_list, y, 0.0)
    l_theirs = micrograd_step(theirs, X_list, y, 0.0)
    assert abs(l_ours - l_theirs) < 1e-9, (l_ours, l_theirs)

    # The same network built from single * and + nodes, micrograd's graph shape.
    expanded = bp.nn.ScalarMLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0,
                               expand=True)
    assert abs(backproplab_step(expanded, X_list, y, 0.0) - l_ours) < 1e-9

    t_ours = time_steps(backproplab_step, ours, X_list, y, args.repeats)
    t_expanded = time_steps(backproplab_step, expanded, X_list, y, args.repeats)
    t_theirs = time_steps(micrograd_step, theirs, X_list, y, args.repeats)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"loss at start (both): {l_ours:.6f}")
    print(f"micrograd   step: {t_theirs * 1e3:8.2f} ms")
    print(f"backproplab step: {t_ours * 1e3:8.2f} ms   ({t_theirs / t_ours:.2f}x faster)")
    print(f"  expand=True   : {t_expanded * 1e3:8.2f} ms   ({t_theirs / t_expanded:.2f}x faster, "
          "one node per * and +)")
    print(f"backproplab is {t_theirs / t_ours:.2f}x faster than micrograd per step")


if __name__ == "__main__":
    main()
