"""The LSTM over a whole sequence as one op: forward and backward through time side by side.

Written with ordinary tensor ops, an LSTM step is about seventeen graph nodes (four gate
slices, three sigmoids, two tanh, products and sums), and a training step over 48
characters walks some eight hundred of them twice.  Here the forward pass runs the same
equations in a loop over time, and the backward pass runs the chain rule through them in
the opposite order (backpropagation through time, written out): one node for the whole
sequence.  The input projection of every time step is one matrix product, and so are the
weight gradients.  Gate order and equations are ``torch.nn.LSTM``'s:

    z = x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh,   i, f, o = sigmoid(z_i, z_f, z_o),  g = tanh(z_g)
    c_t = f c_(t-1) + i g,    h_t = o tanh(c_t)
"""

from __future__ import annotations

from . import backend
from .ops import stable_sigmoid
from .tensor import Function

__all__ = ["LSTMFn"]


class LSTMFn(Function):
    """(x (N, T, I), h0, c0 (N, H), weights) -> every step's [h_t, c_t] as one (N, T, 2H) array."""

    saves = (0, 3, 4)

    def forward(self, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        xp = backend.array_module(x)
        n, steps, _ = x.shape
        hidden = weight_hh.shape[1]
        zx = x @ weight_ih.T + bias_ih  # (N, T, 4H): the input's share of every step at once
        gates = xp.empty_like(zx)  # i, f, g, o after their nonlinearities
        out = xp.empty((n, steps, 2 * hidden), dtype=zx.dtype)  # [h_t, c_t]
        h, c = h0, c0
        for t in range(steps):
            z = zx[:, t] + (h @ weight_hh.T + bias_hh)
            a = gates[:, t]
            a[...] = stable_sigmoid(z)
            a[:, 2 * hidden:3 * hidden] = xp.tanh(z[:, 2 * hidden:3 * hidden])
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = f * c + i * g
            h = o * xp.tanh(c)
            out[:, t, :hidden], out[:, t, hidden:] = h, c
        self.x, self.h0, self.c0, self.weight_ih, self.weight_hh = x, h0, c0, weight_ih, weight_hh
        self.gates, self.out = gates, out
        return out

    def backward(self, grad):
        xp = backend.array_module(grad)
        n, steps, two_h = grad.shape
        hidden = two_h // 2
        dz = xp.empty_like(self.gates)
        dh_next = xp.zeros((n, hidden), dtype=grad.dtype)  # what step t+1 sends back to h_t
        dc_next = xp.zeros((n, hidden), dtype=grad.dtype)
        for t in reversed(range(steps)):
            i, f, g, o = (self.gates[:, t, k * hidden:(k + 1) * hidden] for k in range(4))
            c = self.out[:, t, hidden:]
            c_prev = self.out[:, t - 1, hidden:] if t else self.c0
            tanh_c = xp.tanh(c)
            dh = grad[:, t, :hidden] + dh_next
            dc = grad[:, t, hidden:] + dc_next + dh * o * (1 - tanh_c * tanh_c)
            d = dz[:, t]
            d[:, :hidden] = dc * g * i * (1 - i)                         # input gate
            d[:, hidden:2 * hidden] = dc * c_prev * f * (1 - f)          # forget gate
            d[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)           # candidate
            d[:, 3 * hidden:] = dh * tanh_c * o * (1 - o)                # output gate
            dc_next = dc * f
            dh_next = d @ self.weight_hh
        flat_dz = dz.reshape(n * steps, 4 * hidden)
        h_prev = xp.concatenate([self.h0[:, None], self.out[:, :-1, :hidden]], axis=1)
        needs = self.needs_grad
        dx = dz @ self.weight_ih if needs[0] else None
        dw_ih = flat_dz.T @ self.x.reshape(n * steps, -1) if needs[3] else None
        dw_hh = flat_dz.T @ h_prev.reshape(n * steps, hidden) if needs[4] else None
        db = flat_dz.sum(axis=0) if needs[5] or needs[6] else None
        return dx, dh_next, dc_next, dw_ih, dw_hh, db, db
