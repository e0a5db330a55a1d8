"""Exercises of notebooks 10–17: CNNs, RNNs, transformers, diffusion, GANs, encoder–decoders,
signals, the GPU.

The checkers of the code exercises live in ``checkers_10_17.py``; here are the questions, hints,
reference solutions and typical wrong answers.
"""

import math

from . import checkers_10_17 as checkers
from .core import Exercise

EXERCISES = [
    # ---- 10 · convolutional networks ----
    Exercise("10.1", "Write conv_output_size(size, kernel, stride, padding): how many output positions "
                     "a convolution has along one axis.",
             name="conv_output_size", checker=checkers.conv_output_size,
             hints=["Draw a row of size + 2·padding cells and count the places where a kernel of `kernel` "
                    "cells fits, moving `stride` cells at a time.",
                    "The kernel's first cell can sit at 0, stride, 2·stride, … up to "
                    "size + 2·padding − kernel.",
                    "(size + 2 * padding - kernel) // stride + 1"],
             solution="""
                 def conv_output_size(size, kernel, stride, padding):
                     # the kernel's first cell may start at 0, stride, 2*stride, ...
                     # up to size + 2*padding - kernel
                     return (size + 2 * padding - kernel) // stride + 1
             """,
             wrong="""
                 def conv_output_size(size, kernel, stride, padding):
                     return (size + padding - kernel) // stride + 1
             """),
    Exercise("10.2", "Write conv2d_by_loops(image, kernel, stride): one channel, no padding, "
                     "by Python loops.",
             name="conv2d_by_loops", checker=checkers.conv2d_by_loops,
             hints=["Output pixel (i, j) is the kernel times the window of the image under it, summed; "
                    "the window of output (i, j) starts at row i·stride, column j·stride.",
                    "The output has (H − kh) // stride + 1 rows and (W − kw) // stride + 1 columns.",
                    "out[i, j] = (image[i*stride:i*stride + kh, j*stride:j*stride + kw] * kernel).sum()"],
             solution="""
                 def conv2d_by_loops(image, kernel, stride):
                     kh, kw = kernel.shape
                     rows = (image.shape[0] - kh) // stride + 1
                     cols = (image.shape[1] - kw) // stride + 1
                     out = np.zeros((rows, cols))
                     for i in range(rows):
                         for j in range(cols):
                             window = image[i * stride:i * stride + kh, j * stride:j * stride + kw]
                             out[i, j] = (window * kernel).sum()
                     return out
             """,
             wrong="""
                 def conv2d_by_loops(image, kernel, stride):
                     kh, kw = kernel.shape
                     rows = (image.shape[0] - kh) // stride + 1
                     cols = (image.shape[1] - kw) // stride + 1
                     out = np.zeros((rows, cols))
                     for i in range(rows):
                         for j in range(cols):
                             out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
                     return out
             """),
    # ---- 11 · recurrent networks ----
    Exercise("11.1", "Write rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) for a batch: "
                     "h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh).",
             name="rnn_step", checker=checkers.rnn_step,
             hints=["The rows of x_t and h_prev are the examples of the batch; W_ih has shape "
                    "(hidden, input) and W_hh (hidden, hidden).",
                    "For a batch stored row by row, W x becomes x @ W.T.",
                    "np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"],
             solution="""
                 def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
                     # one row per example: W x for every row at once is x @ W.T
                     return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
             """,
             wrong="""
                 def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
                     return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh + b_hh)
             """),
    Exercise("11.2", "Write clip_gradients(grads, max_norm): scale a list of gradient arrays so that their "
                     "joint norm is at most max_norm.",
             name="clip_gradients", checker=checkers.clip_gradients,
             hints=["The norm is taken over all gradients together, as if they were one long vector.",
                    "If that norm is above max_norm, multiply every array by max_norm / norm; "
                    "otherwise leave them as they are.",
                    "norm = np.sqrt(sum((g ** 2).sum() for g in grads)); "
                    "scale = min(1.0, max_norm / norm); return [g * scale for g in grads]"],
             solution="""
                 def clip_gradients(grads, max_norm):
                     norm = np.sqrt(sum((g ** 2).sum() for g in grads))   # one norm for all of them
                     scale = min(1.0, max_norm / norm)
                     return [g * scale for g in grads]
             """,
             wrong="""
                 def clip_gradients(grads, max_norm):
                     return [g * min(1.0, max_norm / np.sqrt((g ** 2).sum())) for g in grads]
             """),
    # ---- 12 · transformers ----
    Exercise("12.1", "Write causal_attention(q, k, v) for one head and one sequence "
                     "(arrays of shape (T, d)).",
             name="causal_attention", checker=checkers.causal_attention,
             hints=["Scores q @ k.T / √d; hide every key that comes after its query; softmax each row; "
                    "mix the values with the weights.",
                    "A query may look at its own position: only the entries strictly above the "
                    "diagonal are hidden (np.triu with k=1).",
                    "Set the hidden scores to -1e9 (or -inf) before the softmax, subtract each row's "
                    "maximum, exponentiate, divide by the row sum, then weights @ v."],
             solution="""
                 def causal_attention(q, k, v):
                     T, d = q.shape
                     scores = q @ k.T / np.sqrt(d)
                     future = np.triu(np.ones((T, T), dtype=bool), k=1)   # key j after query i
                     scores = np.where(future, -1e9, scores)
                     weights = np.exp(scores - scores.max(axis=1, keepdims=True))
                     weights = weights / weights.sum(axis=1, keepdims=True)
                     return weights @ v
             """,
             wrong="""
                 def causal_attention(q, k, v):
                     T, d = q.shape
                     scores = q @ k.T / np.sqrt(d)
                     future = np.triu(np.ones((T, T), dtype=bool))
                     scores = np.where(future, -1e9, scores)
                     weights = np.exp(scores - scores.max(axis=1, keepdims=True))
                     weights = weights / weights.sum(axis=1, keepdims=True)
                     return weights @ v
             """),
    Exercise("12.2", "Query position 1 scores keys 0, 1, 2, 3 with [2, 0, 5, 7]. With the causal mask, "
                     "what weight does it give key 0?", answer=math.exp(2) / (math.exp(2) + math.exp(0)),
             hints=["Keys 2 and 3 come after position 1: their weights are exactly 0.",
                    "Softmax over the two scores that are left: e² / (e² + e⁰)."],
             solution="import math\nanswer = math.exp(2) / (math.exp(2) + math.exp(0))",
             wrong="import math\nanswer = math.exp(2) / sum(math.exp(s) for s in (2, 0, 5, 7))"),
    # ---- 13 · diffusion ----
    Exercise("13.1", "Write linear_alpha_bar(T, beta_start, beta_end): ᾱ_0 … ᾱ_T for β_1 … β_T rising "
                     "linearly from beta_start to beta_end.",
             name="linear_alpha_bar", checker=checkers.linear_alpha_bar,
             hints=["ᾱ_t is a product: ᾱ_t = (1 − β_1)(1 − β_2)…(1 − β_t), and ᾱ_0 = 1 (the data itself).",
                    "np.linspace(beta_start, beta_end, T) gives β_1 … β_T; np.cumprod multiplies as it goes.",
                    "np.concatenate([[1.0], np.cumprod(1 - np.linspace(beta_start, beta_end, T))])"],
             solution="""
                 def linear_alpha_bar(T, beta_start, beta_end):
                     betas = np.linspace(beta_start, beta_end, T)            # beta_1 ... beta_T
                     return np.concatenate([[1.0], np.cumprod(1 - betas)])   # alpha_bar_0 = 1
             """,
             wrong="""
                 def linear_alpha_bar(T, beta_start, beta_end):
                     betas = np.linspace(beta_start, beta_end, T)
                     return np.concatenate([[1.0], 1 - np.cumsum(betas)])
             """),
    Exercise("13.2", "Write estimate_x0(x_t, eps, alpha_bar_t): the data point x_0 that x_t came from, "
                     "given the noise ε that was added.",
             name="estimate_x0", checker=checkers.estimate_x0,
             hints=["Solve x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε for x_0.",
                    "Subtract the noise's part, then divide by the data's weight √ᾱ_t (a square root).",
                    "(x_t - np.sqrt(1 - alpha_bar_t) * eps) / np.sqrt(alpha_bar_t)"],
             solution="""
                 def estimate_x0(x_t, eps, alpha_bar_t):
                     return (x_t - np.sqrt(1 - alpha_bar_t) * eps) / np.sqrt(alpha_bar_t)
             """,
             wrong="""
                 def estimate_x0(x_t, eps, alpha_bar_t):
                     return (x_t - np.sqrt(1 - alpha_bar_t) * eps) / alpha_bar_t
             """),
    # ---- 14 · GANs ----
    Exercise("14.1", "Write discriminator_loss(real_logits, fake_logits) in NumPy: binary cross-entropy "
                     "with target 1 for real and 0 for fake samples, each averaged, then added.",
             name="discriminator_loss", checker=checkers.discriminator_loss,
             hints=["−log σ(s) = log(1 + e^(−s)) and −log(1 − σ(s)) = log(1 + e^s): no sigmoid needed.",
                    "For a logit of 60, σ(s) rounds to exactly 1 and log(1 − σ(s)) is −inf; "
                    "np.logaddexp(0, s) computes log(1 + e^s) without overflow.",
                    "np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()"],
             solution="""
                 def discriminator_loss(real_logits, fake_logits):
                     # log(1 + e^(-s)) for real (target 1), log(1 + e^s) for fake (target 0); never inf
                     return np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()
             """,
             wrong="""
                 def discriminator_loss(real_logits, fake_logits):
                     sigmoid = lambda s: 1 / (1 + np.exp(-s))
                     return -np.log(sigmoid(real_logits)).mean() - np.log(1 - sigmoid(fake_logits)).mean()
             """),
    Exercise("14.2", "Write generator_grad(fake_logits): the gradient of the generator's loss "
                     "mean(−log σ(s)) with respect to each fake logit s.",
             name="generator_grad", checker=checkers.generator_grad,
             hints=["Backpropagate through −log σ(s) with σ′(s) = σ(s)(1 − σ(s)), and remember that the "
                    "loss is a mean over the N fakes.",
                    "d/ds of −log σ(s) is σ(s) − 1 (the familiar p − y with target y = 1); divide by N.",
                    "(1 / (1 + np.exp(-fake_logits)) - 1) / fake_logits.size"],
             solution="""
                 def generator_grad(fake_logits):
                     p_real = 1 / (1 + np.exp(-fake_logits))       # what the discriminator believes
                     return (p_real - 1) / fake_logits.size         # p - y with y = 1, over the mean
             """,
             wrong="""
                 def generator_grad(fake_logits):
                     p_real = 1 / (1 + np.exp(-fake_logits))
                     return -p_real / fake_logits.size
             """),
    Exercise("14.3", "A fake gets logit s = −5 (confidently rejected). How many times larger is the size of "
                     "the non-saturating gradient (1 − σ(s)) than that of the saturating one (σ(s))?",
             answer=math.exp(5),
             hints=["σ(−5) ≈ 0.0067: the saturating gradient is tiny exactly when the generator is worst.",
                    "(1 − σ(s)) / σ(s) = e^(−s)."],
             solution="""
                 import math
                 sigma = 1 / (1 + math.exp(5))
                 answer = (1 - sigma) / sigma
             """,
             wrong="""
                 import math
                 sigma = 1 / (1 + math.exp(5))
                 answer = sigma / (1 - sigma)
             """),
    # ---- 15 · encoder–decoder ----
    Exercise("15.1", "Write teacher_forcing(target, start, end): the decoder's input and its target when "
                     "every string begins with START and ends with END.",
             name="teacher_forcing", checker=checkers.teacher_forcing,
             hints=["At step 0 the decoder reads START and must write the first letter; after the last "
                    "letter it must write END.",
                    "Input: START followed by the whole target. Target: the whole target followed by END. "
                    "Both have one column more than `target`.",
                    "np.concatenate([column(start), target], axis=1) and "
                    "np.concatenate([target, column(end)], axis=1), with column(v) = np.full((n, 1), v)"],
             solution="""
                 def teacher_forcing(target, start, end):
                     n = len(target)
                     decoder_input = np.concatenate([np.full((n, 1), start), target], axis=1)
                     decoder_target = np.concatenate([target, np.full((n, 1), end)], axis=1)
                     return decoder_input, decoder_target
             """,
             wrong="""
                 def teacher_forcing(target, start, end):
                     n = len(target)
                     decoder_input = np.concatenate([target, np.full((n, 1), end)], axis=1)
                     decoder_target = np.concatenate([np.full((n, 1), start), target], axis=1)
                     return decoder_input, decoder_target
             """),
    Exercise("15.2", "How many weights and biases does the autoencoder's encoder (784 → 256 → 64 → 2) have?",
             answer=784 * 256 + 256 + 256 * 64 + 64 + 64 * 2 + 2,
             hints=["Each layer has n_in × n_out weights and n_out biases.",
                    "Or count them: sum(p.size for p in autoencoder.encoder.parameters())."],
             solution="answer = sum(p.size for p in bp.nn.MLP(784, [256, 64, 2]).parameters())",
             wrong="answer = 784 * 256 + 256 * 64 + 64 * 2"),
    # ---- 16 · signals ----
    Exercise("16.1", "Write conv1d(signal, kernel, padding): a 1-D convolution of one channel with `padding` "
                     "zeros at both ends, stride 1, as bp.nn.Conv1d computes it.",
             name="conv1d", checker=checkers.conv1d,
             hints=["Pad the signal first (np.pad adds zeros at both ends); then each output is the kernel "
                    "times one window of k samples, summed.",
                    "Deep-learning convolutions do not flip the kernel, but np.convolve does.",
                    "padded = np.pad(signal, padding); return np.array([(padded[i:i + len(kernel)] * kernel)"
                    ".sum() for i in range(len(padded) - len(kernel) + 1)])"],
             solution="""
                 def conv1d(signal, kernel, padding):
                     padded = np.pad(signal, padding)                 # zeros at both ends
                     k = len(kernel)
                     return np.array([(padded[i:i + k] * kernel).sum() for i in range(len(padded) - k + 1)])
             """,
             wrong="""
                 def conv1d(signal, kernel, padding):
                     return np.convolve(np.pad(signal, padding), kernel, mode="valid")
             """),
    Exercise("16.2", "The same 1-D network gets signals of 200 samples instead of 128. How many inputs "
                     "must its last Linear layer have?", answer=16 * ((200 // 4) // 4),
             hints=["Padding 4 with a kernel of 9 keeps the length; each MaxPool1d(4) divides it by 4, "
                    "dropping a partial window at the end.",
                    "200 → 50 → 12 samples, in 16 channels."],
             solution="""
                 nn = bp.nn
                 features = nn.Sequential(nn.Conv1d(1, 8, 9, padding=4), nn.ReLU(), nn.MaxPool1d(4),
                                          nn.Conv1d(8, 16, 9, padding=4), nn.ReLU(), nn.MaxPool1d(4),
                                          nn.Flatten())
                 answer = features(bp.Tensor(np.zeros((1, 1, 200)))).shape[1]
             """,
             wrong="answer = 200 // 16"),
    # ---- 17 · the GPU ----
    Exercise("17.1", "Write cross_entropy_grad(logits, labels) = (softmax(logits) − one_hot(labels)) / N "
                     "so that it runs on whichever device the arrays are on.",
             name="cross_entropy_grad", checker=checkers.cross_entropy_grad,
             hints=["An array made with np.eye, np.zeros or np.arange lives on the CPU, whatever the device "
                    "of the input; mixing it with GPU arrays is an error.",
                    "Take the array module from the input: xp = bp.backend.array_module(logits), then use "
                    "xp.exp, xp.arange, xp.eye … instead of np.",
                    "p = xp.exp(logits - logits.max(axis=1, keepdims=True)); "
                    "p = p / p.sum(axis=1, keepdims=True); "
                    "p[xp.arange(len(labels)), labels] -= 1; return p / len(labels)"],
             solution="""
                 def cross_entropy_grad(logits, labels):
                     xp = bp.backend.array_module(logits)         # NumPy on the CPU, CuPy on a GPU
                     p = xp.exp(logits - logits.max(axis=1, keepdims=True))
                     p = p / p.sum(axis=1, keepdims=True)
                     p[xp.arange(len(labels)), labels] -= 1      # p - y, with y one-hot
                     return p / len(labels)
             """,
             wrong="""
                 def cross_entropy_grad(logits, labels):
                     p = np.exp(logits - logits.max(axis=1, keepdims=True))
                     p = p / p.sum(axis=1, keepdims=True)
                     return (p - np.eye(logits.shape[1])[labels]) / len(labels)
             """),
    Exercise("17.2", "Write predict_on(model, X, device): move the model and the inputs X (a NumPy array) to "
                     "`device`, and return the predicted classes as a NumPy array.",
             name="predict_on", checker=checkers.predict_on,
             hints=["model.to(device) moves the parameters; bp.Tensor(X).to(device) moves the data. "
                    "Both must be on the same device.",
                    "The predicted class is the argmax of the scores along axis 1; .numpy() brings it back "
                    "to the CPU.",
                    "model.to(device); return model(bp.Tensor(X).to(device)).argmax(axis=1).numpy()"],
             solution="""
                 def predict_on(model, X, device):
                     model.to(device)                             # the parameters, in place
                     scores = model(bp.Tensor(X).to(device))      # the data, explicitly
                     return scores.argmax(axis=1).numpy()         # back to the CPU
             """,
             wrong="""
                 def predict_on(model, X, device):
                     model.to(device)
                     return model(bp.Tensor(X)).argmax(axis=1).numpy()
             """),
]
