"""Checkers of the code exercises of notebooks 10–17.

Each runs the learner's function on cases it draws from a fixed seed and compares the result with
what the package computes (a convolution, an RNN step, attention, a loss and its gradient, ...).
It raises ``Wrong`` naming the first case that differs, ``NotSolved`` while the function is a stub.
"""

from __future__ import annotations

import numpy as np

from .checks import NotSolved, Wrong, call, expect_close

__all__ = ["conv_output_size", "conv2d_by_loops", "rnn_step", "clip_gradients", "causal_attention",
           "linear_alpha_bar", "estimate_x0", "discriminator_loss", "generator_grad", "teacher_forcing",
           "conv1d", "cross_entropy_grad", "predict_on"]


def _bp():
    import backproplab as bp  # late: the package imports the exercises while it loads
    return bp


def _tensor(array):
    return _bp().Tensor(array, dtype="float64")


def _close_to(got, expected) -> bool:
    try:
        got = np.asarray(_bp().backend.to_host(got), dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(expected) and np.allclose(got, expected, rtol=1e-6, atol=1e-9)


def _in_case(case: str, got, expected, what: str, rtol: float = 1e-6) -> None:
    try:
        expect_close(got, expected, what, rtol=rtol)
    except Wrong as wrong:
        raise Wrong(f"{case}: {wrong}") from None


def conv_output_size(function) -> None:
    """Many random sizes, kernels, strides and paddings, against ``bp.conv.output_size``."""
    rng = np.random.default_rng(10)
    random_cases = zip(rng.integers(1, 65, 200), rng.integers(1, 8, 200), rng.integers(1, 5, 200),
                       rng.integers(0, 4, 200))
    for size, kernel, stride, padding in [(28, 5, 1, 0), (28, 3, 2, 1), *random_cases]:
        size, kernel, stride, padding = int(size), int(kernel), int(stride), int(padding)
        if kernel > size + 2 * padding:
            continue
        expected = _bp().conv.output_size(size, kernel, stride, padding)
        got = call(function, size, kernel, stride, padding)
        if got != expected:
            raise Wrong(f"for size {size}, kernel {kernel}, stride {stride}, padding {padding} "
                        f"the output has {expected} positions; yours says {got!r}.")


def conv2d_by_loops(function) -> None:
    """Random one-channel images and kernels, against ``bp.conv.Conv2dFn`` (float64)."""
    bp, rng = _bp(), np.random.default_rng(11)

    def conv(image, kernel, stride):
        return bp.conv.Conv2dFn.apply(_tensor(image[None, None]), _tensor(kernel[None, None].copy()),
                                    stride=stride).numpy()[0, 0]

    for size, kh, kw, stride in ((6, 3, 3, 1), (9, 3, 2, 2), (11, 4, 3, 3), (7, 1, 1, 2), (10, 2, 5, 1)):
        image, kernel = rng.standard_normal((size, size + 1)), rng.standard_normal((kh, kw))
        expected = conv(image, kernel, stride)
        got = call(function, image.copy(), kernel.copy(), stride)
        if kh * kw > 1 and _close_to(got, conv(image, kernel[::-1, ::-1], stride)):
            raise Wrong("your result is the convolution with the kernel flipped. Slide the kernel as it is "
                        "(cross-correlation), as conv2d does.")
        case = f"for a {size}x{size + 1} image, a {kh}x{kw} kernel and stride {stride}"
        if (stride > 1 and np.shape(got) == expected.shape and not np.allclose(got, expected)
                and np.allclose(got[0, 0], expected[0, 0])):
            raise Wrong(f"{case}: only output (0, 0) is right; the window of output (i, j) starts at "
                        "row i·stride, column j·stride.")
        _in_case(case, got, expected, "the output")


def rnn_step(function) -> None:
    """One step of ``bp.nn.RNN`` (float64), for a few batch, input and hidden sizes."""
    bp, rng = _bp(), np.random.default_rng(12)
    for seed, (n, inputs, hidden) in enumerate(((3, 2, 4), (1, 5, 3), (4, 3, 3))):
        rnn = bp.nn.RNN(inputs, hidden, seed=seed, dtype="float64")
        x, h0 = rng.standard_normal((n, 1, inputs)), rng.standard_normal((n, hidden))
        expected = rnn(_tensor(x), _tensor(h0))[1].numpy()
        weights = [p.numpy().copy() for p in (rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh)]
        got = call(function, x[:, 0].copy(), h0.copy(), *weights)
        if _close_to(got, np.arctanh(expected)):
            raise Wrong("your h_t is the sum before the tanh: apply np.tanh to it.")
        w_ih, w_hh, b_ih, b_hh = weights
        x_t = x[:, 0]
        if _close_to(got, np.tanh(x_t @ w_ih.T + b_ih + h0 @ w_hh + b_hh)):
            raise Wrong("W_hh is used untransposed. For examples stored in rows, W_hh h becomes "
                        "h_prev @ W_hh.T.")
        _in_case(f"batch {n}, input size {inputs}, hidden size {hidden}", got, expected, "h_t")


def clip_gradients(function) -> None:
    """Random lists of gradients, above and below the limit, against ``bp.optim.clip_grad_norm``."""
    bp, rng = _bp(), np.random.default_rng(13)
    for shapes, max_norm in ((((3, 2), (2,)), 1.0), (((4,), (2, 2), (3,)), 0.5), (((2, 3),), 10.0),
                             (((5,), (1, 4)), 2.0)):
        grads = [rng.standard_normal(shape) * rng.uniform(0.2, 2.0) for shape in shapes]
        params = []
        for g in grads:
            p = bp.Tensor(np.zeros(g.shape), dtype="float64", requires_grad=True)
            p.grad = g.copy()
            params.append(p)
        norm = bp.optim.clip_grad_norm(params, max_norm)
        got = call(function, [g.copy() for g in grads], max_norm)
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            raise Wrong(f"return a list with one array per gradient ({len(grads)} here), "
                        f"got {type(got).__name__}.")
        case = f"for gradients of joint norm {norm:.3g} and max_norm {max_norm}"
        each_alone = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
        if norm > max_norm and all(_close_to(a, b) for a, b in zip(got, each_alone)):
            raise Wrong(f"{case}: you clipped each gradient by its own norm. The norm is taken over all "
                        "gradients together, and all are scaled by the same factor.")
        for k, (g, p) in enumerate(zip(got, params)):
            _in_case(case, g, p.grad, f"gradient {k}", rtol=1e-5)


def causal_attention(function) -> None:
    """One head of ``bp.nn.MultiHeadSelfAttention`` (causal, float64) with its output projection set to 1."""
    bp, rng = _bp(), np.random.default_rng(14)
    for seed, (t, d) in enumerate(((4, 4), (6, 8), (7, 2))):
        attention = bp.nn.MultiHeadSelfAttention(d, 1, seed=seed, dtype="float64")
        attention.proj.weight.data = np.eye(d)            # so that the layer's output is the heads' mix
        attention.proj.bias.data = np.zeros(d)
        x = _tensor(rng.standard_normal((1, t, d)))
        q, k, v = np.split(attention.qkv(x).numpy()[0], 3, axis=1)
        expected = attention(x).numpy()[0]
        got = call(function, q.copy(), k.copy(), v.copy())
        if np.shape(got) == expected.shape and not np.allclose(got[0], v[0]):
            raise Wrong("position 0 may look only at itself, so its output must be v[0]: check the mask's "
                        "diagonal (a query may attend to its own position).")
        _in_case(f"for T = {t} positions of size d = {d}", got, expected, "the output")


def linear_alpha_bar(function) -> None:
    """ᾱ_t = ∏(1 − β_i) for linear schedules of several lengths."""
    for T, start, end in ((10, 1e-4, 0.02), (50, 1e-3, 0.1), (1000, 1e-4, 0.02), (7, 0.05, 0.3)):
        expected = np.concatenate([[1.0], np.cumprod(1 - np.linspace(start, end, T))])
        got = call(function, T, start, end)
        if np.shape(got) != expected.shape:
            raise Wrong(f"for T = {T} return T + 1 = {T + 1} values, ᾱ_0 (= 1, the data) to ᾱ_T; yours has "
                        f"shape {np.shape(got)}.")
        if _close_to(got, np.concatenate([[1.0], 1 - np.cumsum(np.linspace(start, end, T))])):
            raise Wrong("your ᾱ_t is 1 − (β_1 + … + β_t); it is a product, (1 − β_1)(1 − β_2)…(1 − β_t).")
        _in_case(f"for T = {T}, β from {start} to {end}", got, expected, "ᾱ")


def estimate_x0(function) -> None:
    """x_0 back from x_t and its noise, for several ᾱ_t."""
    rng = np.random.default_rng(15)
    for alpha_bar in (0.99, 0.5, 0.2, 0.03):
        x0, eps = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
        x_t = np.sqrt(alpha_bar) * x0 + np.sqrt(1 - alpha_bar) * eps
        got = call(function, x_t.copy(), eps.copy(), alpha_bar)
        if _close_to(got, (x_t - np.sqrt(1 - alpha_bar) * eps) / alpha_bar):
            raise Wrong("you divided by ᾱ_t; the data's weight in x_t is its square root, √ᾱ_t.")
        _in_case(f"for ᾱ_t = {alpha_bar}", got, x0, "x_0")


def discriminator_loss(function) -> None:
    """Against ``bp.losses.binary_cross_entropy_with_logits``, including very confident logits."""
    bp, rng = _bp(), np.random.default_rng(16)
    bce = bp.losses.binary_cross_entropy_with_logits
    cases = [(rng.standard_normal((n, 1)) * 2, rng.standard_normal((m, 1)) * 2) for n, m in ((8, 8), (5, 3))]
    cases.append((np.array([[3.0], [-60.0], [0.5]]), np.array([[60.0], [-2.0], [40.0], [1.0]])))
    for real, fake in cases:
        expected = (bce(_tensor(real), np.ones(real.shape)) + bce(_tensor(fake), np.zeros(fake.shape))).item()
        with np.errstate(all="ignore"):
            got = call(function, real.copy(), fake.copy())
        try:
            value = float(_bp().backend.to_host(got))
        except (TypeError, ValueError):
            raise Wrong(f"return one number (the loss), got {type(got).__name__}.") from None
        if not np.isfinite(value) and np.abs(np.concatenate([real, fake])).max() > 30:
            raise Wrong(f"with logits as large as ±60 your loss is {value}: σ(60) rounds to 1 and log(0) is "
                        "−inf. Compute log(1 + e^s) directly, e.g. with np.logaddexp(0, s).")
        _in_case(f"for real logits {real.ravel().round(2).tolist()}, fake {fake.ravel().round(2).tolist()}",
                 value, expected, "the loss")


def generator_grad(function) -> None:
    """Against the gradient that backpropagation gives for ``bce(fake_logits, 1)``."""
    bp, rng = _bp(), np.random.default_rng(17)
    for n in (4, 16, 5):
        logits = rng.standard_normal((n, 1)) * 3
        s = bp.Tensor(logits, dtype="float64", requires_grad=True)
        bp.losses.binary_cross_entropy_with_logits(s, np.ones((n, 1))).backward()
        got = call(function, logits.copy())
        sigmoid = 1 / (1 + np.exp(-logits))
        if _close_to(got, -sigmoid / n):
            raise Wrong("that is the gradient of the saturating loss mean(log(1 − σ(s))); the generator here "
                        "minimises mean(−log σ(s)).")
        if _close_to(got, s.grad * n):
            raise Wrong(f"your gradient is {n} times too large: the loss is the mean over the {n} fakes.")
        _in_case(f"for {n} fake logits", got, s.grad, "the gradient")


def teacher_forcing(function) -> None:
    """Random target strings of several lengths; START and END tokens of the caller's choice."""
    rng = np.random.default_rng(18)
    for n, length, start, end in ((3, 4, 8, 9), (5, 6, 0, 1), (1, 2, 20, 21)):
        target = rng.integers(2, 8, (n, length))
        expected_input = np.concatenate([np.full((n, 1), start), target], axis=1)
        expected_target = np.concatenate([target, np.full((n, 1), end)], axis=1)
        got = call(function, target.copy(), start, end)
        if not isinstance(got, tuple) or len(got) != 2:
            raise Wrong("return two arrays: (decoder_input, decoder_target).")
        decoder_input, decoder_target = (_bp().backend.to_host(a) for a in got)
        for name, array, expected in (("decoder_input", decoder_input, expected_input),
                                      ("decoder_target", decoder_target, expected_target)):
            if array.shape != expected.shape:
                raise Wrong(f"for {n} strings of {length} tokens, {name} should have shape {expected.shape} "
                            f"(one column more than the target), yours has {array.shape}.")
        if not (decoder_input[:, 0] == start).all():
            raise Wrong("every row of decoder_input must begin with START: at step 0 the decoder has read "
                        "nothing else yet.")
        if not (decoder_target[:, -1] == end).all():
            raise Wrong("every row of decoder_target must end with END: after the last letter the decoder "
                        "must say it is done.")
        if not ((decoder_input == expected_input).all() and (decoder_target == expected_target).all()):
            raise Wrong("the tokens between START and END are not the target's, in order.")


def conv1d(function) -> None:
    """Random signals, kernels and paddings, against ``bp.nn.Conv1d`` without bias (float64)."""
    bp, rng = _bp(), np.random.default_rng(19)
    for length, k, padding in ((20, 3, 1), (16, 5, 0), (32, 9, 4), (10, 4, 3), (12, 1, 2)):
        signal, kernel = rng.standard_normal(length), rng.standard_normal(k)
        layer = bp.nn.Conv1d(1, 1, k, padding=padding, bias=False, dtype="float64")
        layer.weight.data = kernel.reshape(1, 1, k).copy()
        expected = layer(_tensor(signal[None, None])).numpy()[0, 0]
        got = call(function, signal.copy(), kernel.copy(), padding)
        if k > 1 and _close_to(got, np.convolve(np.pad(signal, padding), kernel, mode="valid")):
            raise Wrong("your result uses the kernel flipped (as np.convolve does). Conv1d slides the kernel "
                        "as it is: out[i] = sum(padded[i:i + k] * kernel).")
        _in_case(f"for a signal of {length}, a kernel of {k} and padding {padding}", got, expected,
                 "the output")


def _cross_entropy_grad_expected(logits, labels):
    bp = _bp()
    t = bp.Tensor(logits, dtype="float64", requires_grad=True)
    bp.losses.cross_entropy(t, labels).backward()
    return t.grad


def cross_entropy_grad(function) -> None:
    """On NumPy arrays, then on GPU arrays (the guard that stands in for CuPy when there is no GPU)."""
    bp, rng = _bp(), np.random.default_rng(20)
    for n, classes in ((4, 3), (6, 5)):
        logits, labels = rng.standard_normal((n, classes)) * 2, rng.integers(0, classes, n)
        expected = _cross_entropy_grad_expected(logits, labels)
        got = call(function, logits.copy(), labels.copy())
        _in_case(f"on the CPU, {n} examples of {classes} classes", got, expected, "the gradient")
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    expected = _cross_entropy_grad_expected(logits, labels)
    with bp.backend.simulate_gpu():
        on_gpu = bp.backend.to_device(logits, "gpu"), bp.backend.to_device(labels, "gpu")
        try:
            got = call(function, *on_gpu)
        except (NotSolved, Wrong):
            raise
        except Exception as error:  # noqa: BLE001 - the typical failure: a NumPy array met a GPU array
            raise Wrong(f"on GPU arrays your function failed ({type(error).__name__}: {error}). "
                        "Make new arrays with the input's module: "
                        "xp = bp.backend.array_module(logits).") from None
        if bp.backend.device_of(got) != "gpu":
            raise Wrong("for GPU arrays your result is on the CPU: compute with xp = "
                        "bp.backend.array_module(logits), so that the result stays where the data is.")
        got = bp.backend.to_host(got)
    _in_case("on the GPU", got, expected, "the gradient")


def predict_on(function) -> None:
    """Under ``simulate_gpu``: the model and data must both move, and the answer come back as NumPy."""
    bp, rng = _bp(), np.random.default_rng(21)
    X = rng.standard_normal((12, 3))
    for device in ("cpu", "gpu"):
        model = bp.nn.MLP(3, [8, 4], seed=7)
        with bp.no_grad():
            expected = model(bp.Tensor(X)).numpy().argmax(axis=1)
        with bp.backend.simulate_gpu():
            try:
                got = call(function, model, X.copy(), device)
            except bp.DeviceError as error:
                raise Wrong(f"on the {device}: {error}") from None
            if device == "gpu" and model.parameters()[0].device != "gpu":
                raise Wrong("the model's parameters are still on the CPU: move the model with "
                            "model.to(device).")
            if not isinstance(got, np.ndarray):
                raise Wrong(f"return a NumPy array (use .numpy() to bring the result to the CPU), got "
                            f"{type(got).__name__}.")
        if got.shape != expected.shape or not (got == expected).all():
            raise Wrong(f"on the {device}: the predicted classes should be {expected.tolist()}, yours are "
                        f"{got.tolist()}: the class is the argmax of the scores along axis 1.")
