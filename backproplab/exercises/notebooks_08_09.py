"""Exercises of notebooks 08–09b: vanishing gradients, backpropagation in practice, and epochs,
early stopping, dropout and input scaling."""

import numpy as np

from .. import backend
from .checks import Wrong, call, expect_close
from .core import Exercise

# --------------------------------------------------------------------------- 08: clipping


def _clip_reference(grads, max_norm):
    """The package's own clipping, applied to a copy of the gradients."""
    from .. import Tensor, optim
    params = []
    for g in grads:
        p = Tensor(np.zeros_like(g), dtype="float64", requires_grad=True)
        p.grad = g.copy()
        params.append(p)
    optim.clip_grad_norm(params, max_norm)
    return [p.grad for p in params]


def _check_clipping(clip_gradients):
    rng = np.random.default_rng(8)
    for case in range(4):
        shapes = [tuple(rng.integers(1, 5, size=rng.integers(1, 3))) for _ in range(rng.integers(2, 4))]
        grads = [rng.standard_normal(s) * 3 for s in shapes]
        total = np.sqrt(sum((g * g).sum() for g in grads))
        max_norm = float(total / 4) if case < 3 else float(total * 2)  # the last case needs no clipping
        originals = [g.copy() for g in grads]
        got = call(clip_gradients, [g.copy() for g in grads], max_norm)
        expected = _clip_reference(originals, max_norm)
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            raise Wrong(f"return a list of {len(expected)} arrays, one per gradient, in the same order.")
        if case == 3:
            for g, e in zip(got, expected):
                if np.shape(g) == e.shape and not np.allclose(g, e, rtol=1e-5):
                    raise Wrong(f"the gradients' joint norm ({total:.3g}) is already below max_norm "
                                f"({max_norm:.3g}): they must stay as they are, not be scaled up.")
        separately = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in originals]
        if all(np.shape(g) == s.shape and np.allclose(g, s) for g, s in zip(got, separately)) and case < 3:
            raise Wrong("each gradient was clipped on its own; clip them together: one factor "
                        "max_norm / (joint norm of all of them) for every gradient.")
        for k, (g, e) in enumerate(zip(got, expected)):
            expect_close(g, e, f"gradient {k} after clipping (max_norm {max_norm:.3g})", rtol=1e-5)


# --------------------------------------------------------------------------- 09: k-fold splits


def _check_k_fold(k_fold_indices):
    for n, k in ((10, 5), (23, 4), (7, 3), (100, 10)):
        folds = call(k_fold_indices, n, k)
        try:
            folds = [(backend.to_host(t).ravel(), backend.to_host(v).ravel()) for t, v in folds]
        except (TypeError, ValueError):
            raise Wrong("return a list of pairs (train_indices, val_indices), one pair per fold.") from None
        if len(folds) != k:
            raise Wrong(f"with n={n}, k={k}: expected {k} folds, got {len(folds)}.")
        counts = np.zeros(n, dtype=int)
        for number, (train, val) in enumerate(folds):
            for part in (train, val):
                if part.size and (part.dtype.kind not in "iu" or part.min() < 0 or part.max() >= n):
                    raise Wrong(f"with n={n}: indices must be whole numbers from 0 to {n - 1}.")
            if len(set(train.tolist()) & set(val.tolist())):
                raise Wrong(f"with n={n}, k={k}: fold {number} has samples in both its training and "
                            "its validation part.")
            if sorted(train.tolist() + val.tolist()) != list(range(n)):
                raise Wrong(f"with n={n}, k={k}: in fold {number} the training part should be every "
                            "sample that is not in the validation part.")
            counts[val] += 1
        if counts.min() == 0:
            raise Wrong(f"with n={n}, k={k}: sample {int(np.argmin(counts))} is never in a validation "
                        f"part (when k does not divide n, the remaining samples must go somewhere).")
        if counts.max() > 1:
            raise Wrong(f"with n={n}, k={k}: sample {int(np.argmax(counts))} is validated more than once.")
        sizes = [len(v) for _, v in folds]
        if max(sizes) - min(sizes) > 1:
            raise Wrong(f"with n={n}, k={k}: validation parts of sizes {sizes}; make them differ by "
                        "at most one sample.")


# --------------------------------------------------------------------------- 09b


def _check_dropout(dropout):
    from .. import Tensor, nn
    rng = np.random.default_rng(9)
    for case, p in enumerate((0.5, 0.2, 0.7, 0.0)):
        x = rng.standard_normal((int(rng.integers(20, 60)), int(rng.integers(5, 30))))
        seed = 100 + case
        got = call(dropout, x.copy(), p, np.random.default_rng(seed))
        expected = nn.Dropout(p, seed=seed)(Tensor(x, dtype="float64")).numpy()
        if np.shape(got) != x.shape:
            raise Wrong(f"the output should have the input's shape {x.shape}, yours has {np.shape(got)}.")
        got = backend.to_host(got).astype(np.float64)
        keep = np.random.default_rng(seed).random(x.shape) >= p
        if p > 0 and np.allclose(got, x):
            raise Wrong(f"with p={p}: the output equals x; in training, zero each element where "
                        "rng.random(x.shape) < p.")
        if p > 0 and np.allclose(got, x * keep):
            raise Wrong(f"with p={p}: the right elements are zeroed, but the kept ones must be scaled "
                        f"by 1 / (1 - p) = {1 / (1 - p):.4g} so that the expected value stays x.")
        if p > 0 and np.allclose(got, x * keep * (1 - p)):
            raise Wrong(f"with p={p}: the kept elements were multiplied by 1 - p; divide by it instead.")
        if p > 0 and np.allclose(got, x * ~keep / (1 - p)):
            raise Wrong(f"with p={p}: the kept and dropped elements are swapped; keep an element "
                        "where rng.random(x.shape) >= p.")
        other_rule = np.random.default_rng(seed).random(x.shape) < 1 - p
        if 0 < p and np.allclose(got, x * other_rule / (1 - p)):
            raise Wrong(f"with p={p}: right in distribution, but another mask: keep an element where "
                        "rng.random(x.shape) >= p, the rule bp.nn.Dropout uses, so the checker can "
                        "compare element by element.")
        expect_close(got, expected, f"dropout(x, p={p}) (compared with bp.nn.Dropout)")


def _early_stopping_reference(val_losses, patience, ties_count=False):
    """The kept epoch; ``ties_count=True`` is the typical mistake of taking a tie as a new low."""
    best_epoch, best = 1, val_losses[0]
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best or (ties_count and epoch > 1 and loss == best):
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            break
    return best_epoch


def _check_early_stopping(early_stopping_epoch):
    rng = np.random.default_rng(10)
    cases = [([0.9, 0.7, 0.6, 0.65, 0.7, 0.72, 0.5, 0.4], 3),  # the later low comes too late
             ([0.9, 0.7, 0.6, 0.65, 0.7, 0.5, 0.4, 0.45], 3),  # ... and here in time
             ([0.5, 0.6, 0.7, 0.4], 2),
             ([0.8, 0.6, 0.5, 0.45], 2),                       # never stops: the last epoch
             ([0.9, 0.6, 0.7, 0.6, 0.7, 0.5], 2),              # a tie is not a new low: stop at 4
             ([0.9, 0.6, 0.6, 0.7, 0.8, 0.9], 3)]              # ... nor does it move the best epoch
    for _ in range(6):
        curve = np.concatenate([np.linspace(1.0, 0.4, int(rng.integers(3, 12))),
                                0.4 + np.cumsum(rng.uniform(-0.02, 0.05, int(rng.integers(5, 25))))])
        cases.append((curve.round(4).tolist(), int(rng.integers(2, 8))))
    for losses, patience in cases:
        got = call(early_stopping_epoch, list(losses), patience)
        expected = _early_stopping_reference(losses, patience)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            raise Wrong(f"return the epoch as a whole number, got {type(got).__name__}.")
        if got == expected:
            continue
        shown = f"val_losses={losses}, patience={patience}" if len(losses) <= 8 else f"patience={patience}"
        if got == _early_stopping_reference(losses, patience, ties_count=True):
            raise Wrong(f"{shown}: a tie counted as a new low; only a loss strictly lower than every "
                        f"earlier one is a new low. Expected epoch {expected}.")
        if got == expected - 1:
            raise Wrong(f"off by one ({shown}): epochs count from 1, and val_losses[0] is epoch 1.")
        if got == int(np.argmin(losses)) + 1:
            raise Wrong(f"{shown}: training stops once {patience} epochs pass without a new low, so a "
                        f"lower loss after that (epoch {got}) is never seen; expected epoch {expected}.")
        raise Wrong(f"{shown}: expected epoch {expected}, got {got}.")


def _check_min_max(min_max_scale):
    rng = np.random.default_rng(11)
    for _ in range(3):
        d = int(rng.integers(2, 5))
        scales, offsets = 10.0 ** rng.uniform(-2, 3, d), rng.uniform(-50, 50, d)
        X_train = rng.standard_normal((int(rng.integers(20, 50)), d)) * scales + offsets
        X_new = (rng.standard_normal((int(rng.integers(5, 15)), d)) + 0.5) * scales + offsets
        got = call(min_max_scale, X_train.copy(), X_new.copy())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong("return two arrays, as (X_train_scaled, X_new_scaled).")
        low, span = X_train.min(axis=0), X_train.max(axis=0) - X_train.min(axis=0)
        expected = ((X_train - low) / span, (X_new - low) / span)
        own = (X_new - X_new.min(axis=0)) / (X_new.max(axis=0) - X_new.min(axis=0))
        whole = (X_train - X_train.min()) / (X_train.max() - X_train.min())
        if np.shape(got[0]) == X_train.shape and np.allclose(got[0], whole):
            raise Wrong("each feature (column) has its own minimum and range: use axis=0.")
        if np.shape(got[1]) == X_new.shape and np.allclose(got[1], own):
            raise Wrong("the new data was scaled with its own minimum and range; use the training "
                        "set's, so that the network sees new inputs as it saw the training ones.")
        expect_close(got[0], expected[0], "the scaled training data")
        expect_close(got[1], expected[1], "the scaled new data")


EXERCISES = [
    Exercise("08.1", "Write clip_gradients(grads, max_norm): scale a list of gradient arrays together "
                     "so that their joint L2 norm is at most max_norm (as bp.optim.clip_grad_norm).",
             checker=_check_clipping, name="clip_gradients",
             hints=["The joint norm is the square root of the sum of the squares of every element of "
                    "every gradient.",
                    "If that norm is larger than max_norm, multiply every gradient by the same factor "
                    "max_norm / norm; otherwise return them unchanged.",
                    "norm = np.sqrt(sum((g ** 2).sum() for g in grads))"],
             solution="""
                 import numpy as np

                 def clip_gradients(grads, max_norm):
                     norm = np.sqrt(sum((g ** 2).sum() for g in grads))
                     factor = min(1.0, max_norm / (norm + 1e-6))
                     return [g * factor for g in grads]
             """,
             wrong="""
                 import numpy as np

                 def clip_gradients(grads, max_norm):
                     return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
             """),
    Exercise("08.2", "Ten residual blocks h -> h + f(h) on single numbers, each with local derivative "
                     "f'(h) = 0.05 where the signal passes: d(output)/d(input) of the chain.",
             answer=1.05 ** 10,
             hints=["The derivative of h + f(h) with respect to h is 1 + f'(h).",
                    "The chain rule multiplies the ten blocks' derivatives: (1 + 0.05) ten times."],
             solution="answer = (1 + 0.05) ** 10", wrong="answer = 0.05 ** 10"),
    Exercise("09.1", "Best possible test accuracy when 20% of the test labels are flipped at random "
                     "(two classes).", answer=0.8,
             hints="A perfect model still disagrees with every flipped label.",
             solution="answer = 1 - 0.2", wrong="answer = 1.0"),
    Exercise("09.2", "Write k_fold_indices(n, k): the k pairs (train_indices, val_indices) of k-fold "
                     "cross-validation over samples 0..n-1.",
             checker=_check_k_fold, name="k_fold_indices",
             hints=["Cut the indices 0..n-1 into k parts of nearly equal size; each part is the "
                    "validation set of one fold, and the rest is its training set.",
                    "np.array_split(np.arange(n), k) cuts into k parts even when k does not divide n.",
                    "For part i: train = np.concatenate of every other part."],
             solution="""
                 import numpy as np

                 def k_fold_indices(n, k):
                     parts = np.array_split(np.arange(n), k)
                     return [(np.concatenate(parts[:i] + parts[i + 1:]), part)
                             for i, part in enumerate(parts)]
             """,
             wrong="""
                 import numpy as np

                 def k_fold_indices(n, k):
                     size = n // k
                     folds = []
                     for i in range(k):
                         val = np.arange(i * size, (i + 1) * size)
                         folds.append((np.setdiff1d(np.arange(n), val), val))
                     return folds
             """),
    Exercise("09b.1", "Write dropout(x, p, rng): inverted dropout of a NumPy array, keeping an element "
                      "where rng.random(x.shape) >= p (as bp.nn.Dropout).",
             checker=_check_dropout, name="dropout",
             hints=["Draw the mask once: keep = rng.random(x.shape) >= p.",
                    "Zero the dropped elements, and divide the kept ones by the probability of "
                    "being kept, 1 - p.",
                    "return x * keep / (1 - p)"],
             solution="""
                 def dropout(x, p, rng):
                     keep = rng.random(x.shape) >= p
                     return x * keep / (1 - p)
             """,
             wrong="""
                 def dropout(x, p, rng):
                     keep = rng.random(x.shape) >= p
                     return x * keep
             """),
    Exercise("09b.2", "Write early_stopping_epoch(val_losses, patience): the epoch (from 1) whose weights "
                      "early stopping keeps (a new low is strictly lower than every earlier loss).",
             checker=_check_early_stopping, name="early_stopping_epoch",
             hints=["Walk through the losses in order, remembering the best loss so far and its epoch.",
                    "Stop walking as soon as the current epoch is `patience` epochs past the best one: "
                    "what comes after is never seen.",
                    "for epoch, loss in enumerate(val_losses, start=1): ... elif epoch - best_epoch "
                    ">= patience: break"],
             solution="""
                 def early_stopping_epoch(val_losses, patience):
                     best_epoch, best = 1, val_losses[0]
                     for epoch, loss in enumerate(val_losses, start=1):
                         if loss < best:
                             best, best_epoch = loss, epoch
                         elif epoch - best_epoch >= patience:
                             break
                     return best_epoch
             """,
             wrong="""
                 def early_stopping_epoch(val_losses, patience):
                     return min(range(len(val_losses)), key=lambda i: val_losses[i]) + 1
             """),
    Exercise("09b.3", "Write min_max_scale(X_train, X_new): both arrays scaled feature by feature to "
                      "the training set's [min, max] -> [0, 1].",
             checker=_check_min_max, name="min_max_scale",
             hints=["Compute the minimum and the range (max - min) of each column of X_train only.",
                    "Apply the same subtraction and division to X_new: new data may fall a little "
                    "outside [0, 1], and that is right.",
                    "low = X_train.min(axis=0); span = X_train.max(axis=0) - low"],
             solution="""
                 def min_max_scale(X_train, X_new):
                     low = X_train.min(axis=0)
                     span = X_train.max(axis=0) - low
                     return (X_train - low) / span, (X_new - low) / span
             """,
             wrong="""
                 def min_max_scale(X_train, X_new):
                     def scale(X):
                         return (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
                     return scale(X_train), scale(X_new)
             """),
]
