"""The NumPy paths the convolution and pooling layers choose between, timed in one process.

* a thin filter bank's products, (F, K) x (K, P), as one product and in blocks of
  ``conv.PIXEL_BLOCK`` pixels (forward, and the weight gradient's (K, P) x (P, F));
* max-pooling's backward with the upstream gradient batch first (what a Flatten hands back)
  and in the pooled output's own batch-last order (what ``MaxPool2dFn`` now copies it to);
* the layout not taken: the three products of a convolution with the columns stored (K, P)
  (batch last, what ``conv.py`` does) and (P, K) (channels last), and what channels last
  would cost in ``im2col`` and ``col2im`` for the wide CNN's layers;
* the column matrix's rows P elements apart in memory against ``conv.ROW_PAD`` elements more
  (what ``conv.padded_rows`` gives), for LeNet's and the wide CNN's layers, and one product
  with its matrix starting at a few different places in memory;
* ``col2im`` onto the padded image (then cropped and copied) against onto the pixels inside
  only, and max-pooling's forward reading each window offset twice against once;
* a convolution's input gradient with its column gradient whole and in blocks of output rows
  (``conv.COLUMN_BLOCK_BYTES``).

Run:  python benchmarks/conv_paths.py [--threads 2]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import fastest_run, threads_from_command_line  # noqa: E402


def best_ms(job, repeats: int = 7) -> float:
    """Milliseconds: the fastest of ``repeats`` calls after one warm-up call."""
    job()
    return fastest_run(job, repeats, calls=1) * 1e3


def thin_filter_banks(rng, conv):
    print(f"\nThin filter banks: one product against blocks of {conv.PIXEL_BLOCK} pixels (ms)")
    print("| F | K | P | forward, one | forward, blocks | weight grad, one | weight grad, blocks |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    shapes = ((6, 25, 36864), (8, 25, 36864), (16, 9, 100352), (10, 25, 36864), (16, 27, 65536),
              (32, 27, 131072))
    block = conv.PIXEL_BLOCK
    for f, k, p in shapes:
        w, cols = rng.standard_normal((f, k), dtype=np.float32), rng.standard_normal((k, p), dtype=np.float32)
        g, out = rng.standard_normal((f, p), dtype=np.float32), np.empty((f, p), np.float32)

        def forward_blocks():
            for s in range(0, p, block):
                np.matmul(w, cols[:, s:s + block], out=out[:, s:s + block])

        def weight_grad_blocks():
            total = cols[:, :block] @ g[:, :block].T
            for s in range(block, p, block):
                total += cols[:, s:s + block] @ g[:, s:s + block].T

        times = (best_ms(lambda: np.matmul(w, cols, out=out)), best_ms(forward_blocks),
                 best_ms(lambda: cols @ g.T), best_ms(weight_grad_blocks))
        print(f"| {f} | {k} | {p} | " + " | ".join(f"{t:.3f}" for t in times) + " |")


def pooling_gradient_order(rng, pooling):
    print("\nMax-pooling backward (2x2) of a batch-last input, given a batch-first gradient (ms):")
    print("its k*k passes on the gradient as given (the code before), and after one copy into the")
    print("pooled output's order (the code now)")
    as_given = lambda g, pooled: g  # noqa: E731 - skips the alignment, as before
    for c, h, n in ((6, 24, 64), (16, 8, 64), (64, 16, 128), (64, 8, 128)):
        stored = np.maximum(rng.standard_normal((c, h, h, n), dtype=np.float32), 0)  # after a ReLU
        pool = pooling.MaxPool2dFn()
        pool.needs_grad = (True,)  # as when its input asks for a gradient: the winners are kept
        best = pool.forward(stored.transpose(3, 0, 1, 2), kernel=2)
        first = rng.standard_normal(best.shape, dtype=np.float32)  # batch first, C-contiguous
        aligned = best_ms(lambda: pool.backward(first))
        pooling._in_memory_order_of, align = as_given, pooling._in_memory_order_of
        try:
            before = best_ms(lambda: pool.backward(first))
        finally:
            pooling._in_memory_order_of = align
        print(f"input ({n}, {c}, {h}, {h}): as given {before:.3f}, aligned first {aligned:.3f}")


def channels_last(rng):
    print("\nThe layout not taken, on the wide CNN's layers (ms): the three products with columns")
    print("(K, P) as stored now and (P, K) as channels last would store them; im2col and col2im")
    print("of channels last (runs of C values) against batch last (runs of N or OW*N values)")
    from numpy.lib.stride_tricks import as_strided

    from backproplab.conv import col2im, im2col

    for n, c, h, f in ((128, 3, 32, 32), (128, 32, 16, 64), (128, 64, 8, 64)):
        k, p = 9 * c, h * h * n
        w, cols, g = (rng.standard_normal(s, dtype=np.float32) for s in ((f, k), (k, p), (f, p)))
        cols_pk, g_pf = np.ascontiguousarray(cols.T), np.ascontiguousarray(g.T)
        now = best_ms(lambda: w @ cols) + best_ms(lambda: cols @ g.T) + best_ms(lambda: w.T @ g)
        other = best_ms(lambda: cols_pk @ w.T) + best_ms(lambda: g_pf.T @ cols_pk) + best_ms(lambda: g_pf @ w)
        batch_last = rng.standard_normal((c, h + 2, h + 2, n), dtype=np.float32)
        hwnc = np.ascontiguousarray(batch_last.transpose(1, 2, 3, 0))
        s_h, s_w, s_n, s_c = hwnc.strides
        windows = as_strided(hwnc, (h, h, n, 3, 3, c), (s_h, s_w, s_n, s_h, s_w, s_c))
        im2col_now = best_ms(lambda: im2col(batch_last, 3, 3, 1, out=cols))
        im2col_hwnc = best_ms(lambda: np.copyto(cols_pk.reshape(windows.shape), windows))

        def col2im_hwnc():
            grad, blocks = np.zeros(hwnc.shape, np.float32), cols_pk.reshape(h, h, n, 3, 3, c)
            for i in range(3):
                for j in range(3):
                    grad[i:i + h, j:j + h] += blocks[:, :, :, i, j]

        col2im_now = best_ms(lambda: col2im(cols, batch_last.shape, 3, 3, 1, h, h))
        print(f"({n}, {c}, {h}, {h}) -> {f}: products (K, P) {now:.2f}, (P, K) {other:.2f}; "
              f"im2col {im2col_now:.2f} against {im2col_hwnc:.2f}; col2im {col2im_now:.2f} against "
              f"{best_ms(col2im_hwnc):.2f}")


def row_padding(rng, conv):
    """Products on column matrices with rows P apart against rows padded as conv.padded_rows pads them."""
    print(f"\nColumn matrices with rows P apart and P + {conv.ROW_PAD} apart in memory (ms): the forward")
    print("product (F, K) x (K, P), the weight gradient (K, P) x (P, F), and the input gradient's")
    print("(K, F) x (F, P) written into such a matrix")
    print("| layer | F | K | P | forward | forward, padded | weight grad | weight grad, padded "
          "| input grad | input grad, padded |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    layers = (("LeNet 2", 16, 151, 4096), ("wide 1", 32, 28, 131072), ("wide 2", 64, 289, 32768),
              ("wide 3", 64, 577, 8192))
    for name, f, k, p in layers:
        w, g = rng.standard_normal((f, k), dtype=np.float32), rng.standard_normal((f, p), dtype=np.float32)
        out, times = np.empty((f, p), np.float32), []
        for pad in (0, conv.ROW_PAD):
            cols = np.empty((k, p + pad), np.float32)[:, :p]
            cols[...] = rng.standard_normal((k, p), dtype=np.float32)
            times.append((best_ms(lambda: np.matmul(w, cols, out=out)), best_ms(lambda: cols @ g.T),
                          best_ms(lambda: np.matmul(w.T, g, out=cols))))
        print(f"| {name} | {f} | {k} | {p} | " + " | ".join(f"{times[0][i]:.3f} | {times[1][i]:.3f}"
                                                          for i in range(3)) + " |")
    f, k, p = 16, 151, 4096
    w, memory = rng.standard_normal((f, k), dtype=np.float32), np.empty(k * p + 1024, np.float32)
    offsets = []
    for start in (0, 4, 8, 16, 32, 64, 128):  # elements: 16 to 512 bytes further on
        cols = memory[start:start + k * p].reshape(k, p)
        cols[...] = 1.0
        offsets.append(f"{start * 4} B {best_ms(lambda: w @ cols, 21):.3f}")
    print(f"({f}, {k}) x ({k}, {p}), the matrix starting further on in memory (ms): " + ", ".join(offsets))


def padding_and_pool_passes(rng, conv, pooling):
    """col2im with and without the padding; max-pooling's forward reading each offset once or twice."""
    print("\nThe input gradient's col2im on the wide CNN's layers 2 and 3 (3x3, padding 1), in ms:")
    print("onto the padded image, then the inside copied out in the pooling's order (before), and")
    print("onto the pixels inside only (now)")
    for c, h, n in ((32, 16, 128), (64, 8, 128)):
        cols = rng.standard_normal((9 * c, h * h * n), dtype=np.float32)

        def padded_then_copied():
            whole = conv.col2im(cols, (c, h + 2, h + 2, n), 3, 3, 1, h, h)
            return np.ascontiguousarray(whole[:, 1:-1, 1:-1])

        inside = best_ms(lambda: conv.col2im(cols, (c, h, h, n), 3, 3, 1, h, h, padding=1))
        print(f"({n}, {c}, {h}, {h}): before {best_ms(padded_then_copied):.3f}, now {inside:.3f}")

    print("\nMax-pooling's forward (2x2) with its winners, on the wide CNN's ReLU outputs (ms): the")
    print("input compared with the maximum so far and then maxed into it (read twice per offset,")
    print("before), and the maxima compared with each other (read once, now)")

    def read_twice(x, offsets):
        best = x[offsets[0]].copy(order="K")
        winner = np.zeros_like(best, dtype=np.uint8)
        larger, k_where_larger = np.empty_like(best, dtype=bool), np.empty_like(winner)
        for k, where in enumerate(offsets[1:], start=1):
            np.greater(x[where], best, out=larger)
            np.maximum(best, x[where], out=best)
            np.maximum(winner, np.multiply(larger, np.uint8(k), out=k_where_larger), out=winner)
        np.isnan(best).any()  # as MaxPool2dFn checks for NaNs
        return best, winner

    for c, h, n in ((32, 32, 128), (64, 16, 128), (64, 8, 128)):
        x = np.maximum(rng.standard_normal((c, h, h, n), dtype=np.float32), 0).transpose(3, 0, 1, 2)
        pool = pooling.MaxPool2dFn()
        pool.needs_grad = (True,)
        now = best_ms(lambda: pool.forward(x, kernel=2))
        before_best, before_winner = read_twice(x, pool.offsets)
        assert np.array_equal(before_best, pool.forward(x, kernel=2))
        assert np.array_equal(before_winner, pool.winner)
        print(f"input ({n}, {c}, {h}, {h}): before {best_ms(lambda: read_twice(x, pool.offsets)):.3f}, "
              f"now {now:.3f}")


def input_gradient_blocks(rng, conv):
    """Conv2dFn's input gradient (product and col2im) with the column gradient whole and in row blocks."""
    print("\nThe input gradient (its product and col2im) with the column gradient whole and in blocks of")
    print(f"output rows of at most {conv.COLUMN_BLOCK_BYTES / 2**20:g} MiB (ms)")
    print("| layer | column gradient MB | blocks | whole | in blocks |")
    print("| --- | ---: | ---: | ---: | ---: |")
    layers = (("LeNet 2", 64, 6, 12, 16, 5, 0), ("wide 2", 128, 32, 16, 64, 3, 1),
              ("wide 3", 128, 64, 8, 64, 3, 1))  # name, N, C, H = W, F, kernel, padding
    kept = conv.COLUMN_BLOCK_BYTES
    for name, n, c, h, f, k, p in layers:
        x = rng.standard_normal((c, h, h, n), dtype=np.float32).transpose(3, 0, 1, 2)  # batch last
        w = rng.standard_normal((f, c, k, k), dtype=np.float32)
        fn = conv.Conv2dFn()
        fn.needs_grad = (True, True, False)
        out = fn.forward(x, w, None, stride=1, padding=p)
        g2 = rng.standard_normal((f, out.size // f), dtype=np.float32)
        oh = out.shape[2]
        count = len(conv.row_blocks(g2, oh, fn.window_size * out.shape[3] * n * 4))
        try:
            conv.COLUMN_BLOCK_BYTES = 2**62
            whole = best_ms(lambda: fn._input_grad(g2))
        finally:
            conv.COLUMN_BLOCK_BYTES = kept
        print(f"| {name} | {fn.window_size * g2.shape[1] * 4 / 1e6:.1f} | {count} | {whole:.3f} | "
              f"{best_ms(lambda: fn._input_grad(g2)):.3f} |")


def main():
    threads_from_command_line(__doc__)
    from backproplab import conv, pooling

    rng = np.random.default_rng(0)
    thin_filter_banks(rng, conv)
    pooling_gradient_order(rng, pooling)
    channels_last(rng)
    row_padding(rng, conv)
    padding_and_pool_passes(rng, conv, pooling)
    input_gradient_blocks(rng, conv)


if __name__ == "__main__":
    main()
