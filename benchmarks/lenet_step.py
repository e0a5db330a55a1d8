"""A LeNet-style training step against PyTorch CPU, in one process.

28x28 single-channel images, batch 64: conv 6@5x5, ReLU, max-pool 2, conv 16@5x5, ReLU,
max-pool 2, 256-120-84-10, softmax cross-entropy, backward, SGD.  Both start from the same
weights and data; the script checks that their first losses agree, then times them in
alternating blocks with the same number of threads.

Run:  python benchmarks/lenet_step.py [--threads 2]
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np

import backproplab as bp

sys.path.insert(0, str(Path(__file__).parent))
from mlp_step import interleaved_step_times, limit_threads  # noqa: E402

LR = 0.01


def lenet(seed=0):
    nn = bp.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, seed=seed), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, seed=seed + 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(256, 120, seed=seed + 2), nn.ReLU(), nn.Linear(120, 84, seed=seed + 3), nn.ReLU(),
        nn.Linear(84, 10, seed=seed + 4),
    )


def torch_lenet(model):
    import torch

    tnn = torch.nn
    net = tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                         tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(256, 120), tnn.ReLU(),
                         tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    with torch.no_grad():
        for name, array in model.state_dict().items():
            net.state_dict()[name].copy_(torch.from_numpy(array))
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    limit_threads(args.threads)
    X, y = bp.datasets.make_digits(64, seed=0)
    x = X.astype(np.float32)
    model = lenet()
    net = torch_lenet(model)
    opt = bp.optim.SGD(model.parameters(), lr=LR)
    topt = torch.optim.SGD(net.parameters(), lr=LR)
    xb, xt, yt = bp.Tensor(x), torch.from_numpy(x), torch.from_numpy(y)

    def ours(xb, y):
        loss = bp.losses.cross_entropy(model(xb), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def theirs(xt, yt):
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        topt.zero_grad()
        loss.backward()
        topt.step()
        return loss.item()

    # Once PyTorch has run any op in a process, NumPy code in the same process runs measurably
    # slower here (up to 40%), so backproplab is also timed before PyTorch's first op.
    (t_bp_first,) = interleaved_step_times([(ours, xb, y)])
    check = lenet()  # the same seeds: the weights the PyTorch network was given
    with bp.no_grad(), torch.no_grad():
        first = (bp.losses.cross_entropy(check(xb), y).item(),
                 torch.nn.functional.cross_entropy(net(xt), yt).item())
    assert abs(first[0] - first[1]) < 1e-4, first
    t_bp, t_torch = interleaved_step_times([(ours, xb, y), (theirs, xt, yt)])
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__}, {args.threads} threads")
    print(f"first loss (both): {first[0]:.5f}")
    print(f"PyTorch CPU : {t_torch * 1e3:7.2f} ms / step")
    print(f"backproplab : {t_bp * 1e3:7.2f} ms / step   ({t_bp / t_torch:.2f}x PyTorch's time), "
          "interleaved with PyTorch")
    print(f"backproplab : {t_bp_first * 1e3:7.2f} ms / step   ({t_bp_first / t_torch:.2f}x PyTorch's time), "
          "before PyTorch ran")


if __name__ == "__main__":
    main()
