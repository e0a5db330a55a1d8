"""The checkers of notebooks 10–17 reject answers that are right for one case only, and name the
typical mistake they see (a flipped kernel, a missing tanh, a host array for GPU data ...)."""

import numpy as np
import pytest

import backproplab as bp
from backproplab.exercises import EXERCISES
from backproplab.exercises.core import verdict


def message(exercise_id, answer):
    status, text = verdict(EXERCISES[exercise_id], answer)
    assert status == "not yet", (exercise_id, status, text)
    return text


def test_a_hard_coded_output_size_is_wrong():
    assert "yours says 24" in message("10.1", lambda size, kernel, stride, padding: 24)


def test_a_flipped_kernel_is_named_in_2d_and_1d():
    def flipped_2d(image, kernel, stride):
        k = kernel[::-1, ::-1]
        rows, cols = (image.shape[0] - k.shape[0]) // stride + 1, (image.shape[1] - k.shape[1]) // stride + 1
        height, width = k.shape
        return np.array([[(image[i * stride:i * stride + height, j * stride:j * stride + width] * k).sum()
                          for j in range(cols)] for i in range(rows)])

    assert "flipped" in message("10.2", flipped_2d)
    assert "flipped" in message("16.1", lambda s, k, p: np.convolve(np.pad(s, p), k, mode="valid"))


def test_an_rnn_step_without_tanh_is_told_so():
    text = message("11.1", lambda x, h, w_ih, w_hh, b_ih, b_hh: x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
    assert "tanh" in text


def test_clipping_that_never_scales_is_wrong():
    assert "off" in message("11.2", lambda grads, max_norm: [g.copy() for g in grads])


def test_attention_without_a_mask_is_wrong():
    def unmasked(q, k, v):
        scores = q @ k.T / np.sqrt(q.shape[1])
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        return weights / weights.sum(axis=1, keepdims=True) @ v

    assert "position 0" in message("12.1", unmasked)


def test_a_schedule_without_alpha_bar_0_is_told_its_length():
    text = message("13.1", lambda T, start, end: np.cumprod(1 - np.linspace(start, end, T)))
    assert "T + 1" in text


def test_an_unstable_discriminator_loss_is_told_about_large_logits():
    def only_moderate_logits(real, fake):
        return (-np.log(1 / (1 + np.exp(-real)))).mean() - np.log(1 - 1 / (1 + np.exp(-fake))).mean()

    assert "±60" in message("14.1", only_moderate_logits)


def test_a_generator_gradient_without_the_mean_is_told_so():
    assert "times too large" in message("14.2", lambda s: 1 / (1 + np.exp(-s)) - 1)


def test_teacher_forcing_without_the_extra_column_is_told_the_shape():
    def unshifted(target, start, end):
        return target.copy(), target.copy()

    assert "one column more" in message("15.1", unshifted)


def test_device_code_that_returns_host_arrays_is_told_so():
    def host_only(logits, labels):
        logits, labels = bp.backend.to_host(logits), bp.backend.to_host(labels)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = p / p.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)

    assert "on the CPU" in message("17.1", host_only)


def test_a_prediction_left_on_the_device_is_told_to_come_back():
    def tensor_result(model, X, device):
        model.to(device)
        return model(bp.Tensor(X).to(device)).argmax(axis=1)

    assert "NumPy array" in message("17.2", tensor_result)
    assert "simulated" not in bp.backend.gpu_status()[1]   # the checker left simulate_gpu behind it


@pytest.mark.parametrize("exercise_id", [e for e in sorted(EXERCISES) if "10" <= e.split(".")[0] <= "17"])
def test_checkers_print_nothing_and_give_the_same_verdict_twice(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    namespace = {"np": np, "bp": bp, "math": __import__("math")}
    exec(exercise.wrong, namespace)
    first = verdict(exercise, namespace[exercise.name])
    assert verdict(exercise, namespace[exercise.name]) == first
    assert capsys.readouterr().out == ""
