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

Inside, arrays are time-major, (T, N, ...), so that each step reads and writes contiguous
memory, and the gates are kept as (T, N, 4, H): gate k of step t is ``gates[t, :, k]``.
Everything that does not depend on the incoming gradient (the derivatives of the gates'
nonlinearities and the factors they meet) is computed for all steps at once, outside the
loop, so that the loop itself does only what has to happen step after step.
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["LSTMFn"]

INPUT, FORGET, CANDIDATE, OUTPUT = range(4)  # the gate order of torch.nn.LSTM: i, f, g, o


class LSTMFn(Function):
    """(x (N, T, I), h0, c0 (N, H), weights) -> every step's [h_t, c_t] as one (N, T, 2H) array."""

    saves = (0, 3, 4)

    def forward(self, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        xp = backend.array_module(x)
        n, steps, _ = x.shape
        hidden = weight_hh.shape[1]
        x_by_time = xp.ascontiguousarray(x.transpose(1, 0, 2))
        # The input's share of every step at once, as one (T*N, I) x (I, 4H) product; both
        # biases added once.
        gates = x_by_time.reshape(steps * n, -1) @ weight_ih.T
        gates += bias_ih + bias_hh
        gates = gates.reshape(steps, n, 4, hidden)  # becomes i, f, g, o after the nonlinearities
        # h and c of steps 0..T, where step 0 is the given state: h_t is hs[t + 1], h_(t-1) is hs[t].
        hs, cs = (xp.empty((steps + 1, n, hidden), dtype=gates.dtype) for _ in range(2))
        hs[0], cs[0] = h0, c0
        tanh_cs = xp.empty((steps, n, hidden), dtype=gates.dtype)
        w_hh_t = xp.ascontiguousarray(weight_hh.T)  # BLAS multiplies by it faster than by the view
        recurrent = xp.empty((n, 4 * hidden), dtype=gates.dtype)
        with backend.overflow_expected():  # exp(-z) may overflow to inf: sigmoid is then exactly 0
            for t in range(steps):
                z = gates[t]  # (N, 4, H)
                z += xp.matmul(hs[t], w_hh_t, out=recurrent).reshape(n, 4, hidden)
                g = xp.tanh(z[:, CANDIDATE])
                _sigmoid_in_place(xp, z)  # all four blocks; then g's block is replaced
                z[:, CANDIDATE] = g
                c_t, tanh_c = cs[t + 1], tanh_cs[t]
                xp.multiply(z[:, FORGET], cs[t], out=c_t)
                c_t += z[:, INPUT] * g
                xp.tanh(c_t, out=tanh_c)
                xp.multiply(z[:, OUTPUT], tanh_c, out=hs[t + 1])
        self.x_by_time, self.weight_ih, self.weight_hh = x_by_time, weight_ih, weight_hh
        self.gates, self.hs, self.cs, self.tanh_cs = gates, hs, cs, tanh_cs
        out = xp.empty((n, steps, 2 * hidden), dtype=gates.dtype)  # [h_t, c_t], batch first
        out[:, :, :hidden] = hs[1:].transpose(1, 0, 2)
        out[:, :, hidden:] = cs[1:].transpose(1, 0, 2)
        return out

    def backward(self, grad):
        xp = backend.array_module(grad)
        n, steps, two_h = grad.shape
        hidden = two_h // 2
        gates, tanh_cs = self.gates, self.tanh_cs
        i, f, g, o = (gates[:, :, k] for k in range(4))
        c_prev = self.cs[:-1]
        # Local derivatives for all steps at once.  d z_k = (what reaches gate k) x slope:
        # i, f and g are reached through dc, o through dh.
        slopes = xp.empty_like(gates)
        slopes[:, :, INPUT] = g * i * (1 - i)
        slopes[:, :, FORGET] = c_prev * f * (1 - f)
        slopes[:, :, CANDIDATE] = i * (1 - g * g)
        slopes[:, :, OUTPUT] = tanh_cs * o * (1 - o)
        h_to_c = o * (1 - tanh_cs * tanh_cs)  # d c_t from d h_t, through h_t = o tanh(c_t)
        grad_h = grad[:, :, :hidden].transpose(1, 0, 2)
        grad_c = grad[:, :, hidden:].transpose(1, 0, 2)
        dz = xp.empty_like(gates)  # (T, N, 4, H)
        dh_next = xp.zeros((n, hidden), dtype=grad.dtype)  # what step t+1 sends back to h_t
        dc_next = xp.zeros((n, hidden), dtype=grad.dtype)
        for t in reversed(range(steps)):
            dh = grad_h[t] + dh_next
            dc = grad_c[t] + dc_next
            dc += dh * h_to_c[t]
            d = dz[t]
            xp.multiply(dc[:, None], slopes[t, :, :OUTPUT], out=d[:, :OUTPUT])  # i, f, g
            xp.multiply(dh, slopes[t, :, OUTPUT], out=d[:, OUTPUT])
            dc_next = dc * f[t]
            dh_next = d.reshape(n, 4 * hidden) @ self.weight_hh
        flat_dz = dz.reshape(steps * n, 4 * hidden)
        needs = self.needs_grad
        dx = (flat_dz @ self.weight_ih).reshape(steps, n, -1).transpose(1, 0, 2) if needs[0] else None
        dw_ih = flat_dz.T @ self.x_by_time.reshape(steps * n, -1) if needs[3] else None
        dw_hh = flat_dz.T @ self.hs[:-1].reshape(steps * n, hidden) if needs[4] else None
        db = flat_dz.sum(axis=0) if needs[5] or needs[6] else None
        return dx, dh_next, dc_next, dw_ih, dw_hh, db, db


def _sigmoid_in_place(xp, z) -> None:
    """z <- 1 / (1 + e^-z).  Far left e^-z overflows to inf and the result is exactly 0;
    otherwise it keeps its digits (sigmoid(-20) is 2.06e-9 in float32 too)."""
    xp.negative(z, out=z)
    xp.exp(z, out=z)
    z += 1
    xp.reciprocal(z, out=z)
