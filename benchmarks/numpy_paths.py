"""The NumPy paths the sequence layers choose between, timed side by side in one process.

* a stacked product, (N, T, in) @ W.T, against the same numbers as one (N*T, in) matrix;
* a small product with the transposed view W.T against a contiguous copy of W.T;
* ``np.add.at`` adding whole rows into a table, against ``add.at`` on the flattened table
  (what ``backend.scatter_add`` does; the results are checked to be identical);
* what ``LSTMFn``'s layout chose between: one gate's block of a step as rows of H values 4H
  apart (gates (N, 4, H)) against one contiguous block (gates (4, H, N)); the recurrent
  product with the batch as rows against the batch as columns; the gates' sigmoids as
  1/(1 + e^-z) in place against (1 + tanh(z/2))/2;
* max-pooling's winning offset written through a mask against ``maximum(winner, k * larger)``;
* ``LSTMFn``'s forward and backward on notebook 11's sizes (batch 32, 48 steps, 32 inputs,
  128 units);
* what ``LayerNormFn`` sums with: each row's sum as ``sum(axis=1)`` against a product with a
  vector of ones, and each row's sum of squares through a squared copy against ``einsum``;
* ReLU's forward pass as ``a * (a > 0)`` against ``maximum(a, 0)`` (what ``ReLUFn`` does:
  the product would give NaN for -inf).

Run:  python benchmarks/numpy_paths.py [--threads 2]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import fastest_run, threads_from_command_line  # noqa: E402


def best_of(job, repeats: int = 7, calls: int = 20) -> float:
    """Microseconds per call: the fastest of ``repeats`` runs of ``calls`` calls."""
    job()
    return fastest_run(job, repeats, calls) * 1e6


def main():
    threads_from_command_line(__doc__)
    import backproplab as bp
    from backproplab.recurrent import LSTMFn

    rng = np.random.default_rng(0)
    f32 = np.float32
    for n, t, d_in, d_out in ((32, 48, 128, 65), (32, 48, 32, 512), (64, 8, 32, 128)):
        x, w = rng.standard_normal((n, t, d_in)).astype(f32), rng.standard_normal((d_out, d_in)).astype(f32)
        stacked = best_of(lambda: x @ w.T)
        one = best_of(lambda: x.reshape(n * t, d_in) @ w.T)
        print(f"({n}, {t}, {d_in}) @ ({d_in}, {d_out}): stacked {stacked:7.1f} µs, one matrix {one:7.1f} µs")
    for rows, d_in, d_out in ((32, 128, 512), (32, 128, 128), (1536, 128, 65)):
        h, w = rng.standard_normal((rows, d_in)).astype(f32), rng.standard_normal((d_out, d_in)).astype(f32)
        w_t = np.ascontiguousarray(w.T)
        view, copy = best_of(lambda: h @ w.T), best_of(lambda: h @ w_t)
        print(f"({rows}, {d_in}) @ W.T, W ({d_out}, {d_in}): transposed view {view:7.1f} µs, "
              f"contiguous copy {copy:7.1f} µs")
    for ids_n, vocab, dim in ((1536, 65, 32), (8192, 5000, 256)):
        ids, rows = rng.integers(0, vocab, ids_n), rng.standard_normal((ids_n, dim)).astype(f32)
        general, flat = np.zeros((vocab, dim), f32), np.zeros((vocab, dim), f32)
        np.add.at(general, ids, rows)
        bp.backend.scatter_add(flat, ids, rows)
        assert np.array_equal(general, flat)
        rowwise = best_of(lambda: np.add.at(general, ids, rows), 3, 5)
        flattened = best_of(lambda: bp.backend.scatter_add(flat, ids, rows), 3, 5)
        print(f"{ids_n} rows of {dim} into ({vocab}, {dim}): add.at {rowwise:8.1f} µs, "
              f"flat {flattened:8.1f} µs")
    lstm_layouts(rng)
    n, t, d_in, hidden = 32, 48, 32, 128
    x = rng.standard_normal((n, t, d_in)).astype(f32)
    w_ih, w_hh = (0.1 * rng.standard_normal((4 * hidden, k)).astype(f32) for k in (d_in, hidden))
    zeros_state, zeros_bias = np.zeros((n, hidden), f32), np.zeros(4 * hidden, f32)
    fn = LSTMFn()
    fn.needs_grad = (True, False, False, True, True, True, True)
    inputs = (x, zeros_state, zeros_state, w_ih, w_hh, zeros_bias, zeros_bias)
    forward = best_of(lambda: fn.forward(*inputs), 5, 5)
    upstream = rng.standard_normal((n, t + 1, hidden)).astype(f32)
    backward = best_of(lambda: fn.backward(upstream), 5, 5)
    print(f"LSTMFn ({n}, {t}, {d_in}) -> {hidden}: forward {forward / 1e3:.2f} ms, "
          f"backward {backward / 1e3:.2f} ms")
    layer_norm_sums(rng)


def lstm_layouts(rng):
    """The choices behind LSTMFn's (4, H, N) gates and MaxPool2dFn's winner index."""
    f32, n, hidden = np.float32, 32, 128
    rows_apart, blocks = (rng.standard_normal(s).astype(f32) for s in ((n, 4, hidden), (4, hidden, n)))
    c_rows, c_cols = (rng.standard_normal(s).astype(f32) for s in ((n, hidden), (hidden, n)))
    out_rows, out_cols = np.empty_like(c_rows), np.empty_like(c_cols)
    slice_us = best_of(lambda: np.multiply(rows_apart[:, 1], c_rows, out=out_rows), calls=500)
    block_us = best_of(lambda: np.multiply(blocks[1], c_cols, out=out_cols), calls=500)
    print(f"one gate times c, ({n}, {hidden}): gates (N, 4, H) {slice_us:5.2f} µs, "
          f"(4, H, N) {block_us:5.2f} µs")
    w_hh = rng.standard_normal((4 * hidden, hidden)).astype(f32)
    w_hh_t, h_rows, h_cols = np.ascontiguousarray(w_hh.T), c_rows, c_cols
    z_rows, z_cols = np.empty((n, 4 * hidden), f32), np.empty((4 * hidden, n), f32)
    as_rows = best_of(lambda: np.matmul(h_rows, w_hh_t, out=z_rows), calls=200)
    as_cols = best_of(lambda: np.matmul(w_hh, h_cols, out=z_cols), calls=200)
    print(f"recurrent product, W_hh ({4 * hidden}, {hidden}): h as rows {as_rows:5.1f} µs, "
          f"as columns {as_cols:5.1f} µs")
    z, work = (2 * rng.standard_normal((3 * hidden, n))).astype(f32), np.empty((3 * hidden, n), f32)

    def by_exp():
        np.negative(z, out=work)
        np.exp(work, out=work)
        np.add(work, 1, out=work)
        np.reciprocal(work, out=work)

    def by_tanh():  # in LSTMFn z arrives halved already, as the sigmoid rows of its weights are
        np.tanh(z, out=work)
        np.multiply(work, 0.5, out=work)
        np.add(work, 0.5, out=work)
    exp_us, tanh_us = best_of(by_exp, calls=300), best_of(by_tanh, calls=300)
    print(f"{z.size} sigmoids: 1/(1 + e^-z) {exp_us:5.1f} µs, (1 + tanh(z/2))/2 {tanh_us:5.1f} µs")
    larger = rng.random((128, 64, 16, 16)) > 0.5
    winner, scratch = np.zeros(larger.shape, np.uint8), np.empty(larger.shape, np.uint8)
    masked = best_of(lambda: np.copyto(winner, 2, where=larger), 3, 5)
    k_where_larger = np.uint8(2)
    by_max = best_of(lambda: np.maximum(winner, np.multiply(larger, k_where_larger, out=scratch), out=winner),
                     3, 5)
    print(f"winner index of {larger.size} windows: through a mask {masked:7.1f} µs, "
          f"maximum(winner, k * larger) {by_max:6.1f} µs")


def layer_norm_sums(rng):
    """The sums LayerNormFn takes: along rows by sum(axis=1) or @ ones, of squares by copy or einsum."""
    for samples, features in ((512, 32), (8192, 256)):
        rows = rng.standard_normal((samples, features)).astype(np.float32)
        ones = np.ones(features, np.float32)
        summed, product = best_of(lambda: rows.sum(axis=1), 3, 5), best_of(lambda: rows @ ones, 3, 5)
        squared = best_of(lambda: (rows * rows).sum(axis=1), 3, 5)
        dotted = best_of(lambda: np.einsum("ij,ij->i", rows, rows), 3, 5)
        print(f"row sums of ({samples}, {features}): sum(axis=1) {summed:7.1f} µs, @ ones {product:7.1f} µs; "
              f"sums of squares: squared copy {squared:7.1f} µs, einsum {dotted:7.1f} µs")



def relu_forms(rng):
    """ReLU's forward with its mask: a * mask (NaN at -inf) against maximum(a, 0) (what ReLUFn does)."""
    for c, h, n in ((6, 24, 64), (32, 32, 128)):  # LeNet's first activation, the wide CNN's
        a = rng.standard_normal((c, h, h, n)).astype(np.float32).transpose(3, 0, 1, 2)  # batch last

        def by_product():
            mask = a > 0
            return a * mask

        def by_maximum():
            mask = a > 0  # noqa: F841 - ReLUFn keeps it for the backward pass
            return np.maximum(a, 0)

        print(f"ReLU of ({n}, {c}, {h}, {h}) with its mask: a * mask {best_of(by_product, 5, 10):8.1f} µs, "
              f"maximum(a, 0) {best_of(by_maximum, 5, 10):8.1f} µs")


if __name__ == "__main__":
    main()
