"""The LSTM over a whole sequence as one op: forward and backward through time side by side.

Written with ordinary tensor ops, an LSTM step is about seventeen graph nodes (four gate
slices, three sigmoids, two tanh, products and sums), and a training step over 48
characters walks some eight hundred of them twice.  Here the forward pass runs the same
equations in a loop over time, and the backward pass runs the chain rule through them in
the opposite order (backpropagation through time, written out): one node for the whole
sequence.  Each step's pre-activations are one matrix product, and all the weight
gradients of the sequence are one more.  Gate order and equations are ``torch.nn.LSTM``'s:

    z = W_ih x_t + b_ih + W_hh h_(t-1) + b_hh,   i, f, o = sigmoid(z_i, z_f, z_o),  g = tanh(z_g)
    c_t = f c_(t-1) + i g,    h_t = o tanh(c_t)

Inside, a step's vectors are columns, one per sequence of the batch, as in the equations:
h_t is (H, N) and the gates of step t are ``gates[t]``, (4, H, N), so that each gate is one
contiguous block and the step's arithmetic runs over whole blocks.  Everything that does
not depend on the incoming gradient (the derivatives of the gates' nonlinearities and the
factors they meet) is computed for all steps at once, outside the loop, so that the loop
itself does only what has to happen step after step.
"""

from __future__ import annotations

from . import backend
from .tensor import Function

__all__ = ["LSTMFn"]

INPUT, FORGET, CANDIDATE, OUTPUT = range(4)  # the gate order of torch.nn.LSTM: i, f, g, o
# sigmoid(z) = (1 + tanh(z / 2)) / 2, so one tanh pass serves all four gates when the sigmoid
# gates' pre-activations are halved first (halving the weights' rows is exact: it only changes
# the exponent).  Computed this way a sigmoid is off by at most about 4e-8 in float32 (6e-17 in
# float64), but values below that round to 0: sigmoid(-20) = 2e-9 comes out as 0 in float32.
PRE_SCALE = (0.5, 0.5, 1.0, 0.5)


class LSTMFn(Function):
    """(x (N, T, I), h0, c0 (N, H), weights) -> (N, T + 1, H): h_1 ... h_T, then c_T."""

    saves = (3, 4)  # the weights; x is kept as a copy

    def forward(self, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        xp = backend.array_module(x)
        n, steps, inputs = x.shape
        hidden = weight_hh.shape[1]
        dtype = xp.result_type(x.dtype, weight_ih.dtype)
        # z = [W_hh  W_ih  b] [h_(t-1); x_t; 1]: one matrix times one stacked column per sequence.
        # stacked[t] = [h_t; x_(t+1); 1] is what step t + 1 multiplies (h_0 is the given state);
        # each new h is written into the next column as soon as it is made.
        stacked = xp.empty((steps + 1, hidden + inputs + 1, n), dtype=dtype)
        stacked[0, :hidden] = h0.T
        stacked[:steps, hidden:-1] = x.transpose(1, 2, 0)
        stacked[steps, hidden:-1] = 0  # no step T + 1 reads the last column; only h_T lives in it
        stacked[:, -1] = 1
        row_scale = xp.repeat(xp.asarray(PRE_SCALE, dtype=dtype), hidden)[:, None]
        weights = xp.empty((4 * hidden, hidden + inputs + 1), dtype=dtype)  # [W_hh  W_ih  b], scaled
        xp.multiply(weight_hh, row_scale, out=weights[:, :hidden])
        xp.multiply(weight_ih, row_scale, out=weights[:, hidden:-1])
        xp.multiply((bias_ih + bias_hh)[:, None], row_scale, out=weights[:, -1:])
        hs = stacked[:, :hidden]  # hs[t] is h_t
        gates = xp.empty((steps, 4, hidden, n), dtype=dtype)  # gates[t]: i, f, g, o of step t + 1
        cs = xp.empty((steps + 1, hidden, n), dtype=dtype)  # cs[t] is c_t
        cs[0] = c0.T
        tanh_cs = xp.empty((steps, hidden, n), dtype=dtype)  # tanh_cs[t] is tanh(c_(t+1))
        i_times_g = xp.empty((hidden, n), dtype=dtype)
        for t in range(steps):  # step t + 1: h_t, c_t and x_(t+1) make h_(t+1) and c_(t+1)
            z = gates[t]
            xp.matmul(weights, stacked[t], out=z.reshape(4 * hidden, n))
            xp.tanh(z, out=z)  # g, and tanh(z/2) for the sigmoid gates
            for sigmoid_gates in (z[INPUT:FORGET + 1], z[OUTPUT]):
                sigmoid_gates *= 0.5
                sigmoid_gates += 0.5
            i, f, g, o = z
            c_t, tanh_c = cs[t + 1], tanh_cs[t]
            xp.multiply(f, cs[t], out=c_t)
            c_t += xp.multiply(i, g, out=i_times_g)
            xp.tanh(c_t, out=tanh_c)
            xp.multiply(o, tanh_c, out=hs[t + 1])
        self.weight_ih, self.weight_hh = weight_ih, weight_hh
        self.stacked, self.gates, self.cs, self.tanh_cs = stacked, gates, cs, tanh_cs
        out = xp.empty((n, steps + 1, hidden), dtype=dtype)  # batch first, as the layer returns it
        out[:, :steps] = hs[1:].transpose(2, 0, 1)
        out[:, steps] = cs[steps].T
        return out

    def backward(self, grad):
        xp = backend.array_module(grad)
        n, steps, hidden = grad.shape[0], grad.shape[1] - 1, grad.shape[2]
        gates, tanh_cs = self.gates, self.tanh_cs
        i, f, g, o = (gates[:, k] for k in range(4))
        # Local derivatives for all steps at once.  d z_k = (what reaches gate k) x slope:
        # i, f and g are reached through dc, o through dh.
        slopes = xp.subtract(1, gates)
        slopes *= gates  # s (1 - s), the sigmoid's slope, right for i, f and o
        slopes[:, INPUT] *= g
        slopes[:, FORGET] *= self.cs[:-1]
        slopes[:, OUTPUT] *= tanh_cs
        g_slope = slopes[:, CANDIDATE]
        xp.multiply(g, g, out=g_slope)
        xp.subtract(1, g_slope, out=g_slope)
        g_slope *= i  # i (1 - g^2)
        h_to_c = xp.multiply(tanh_cs, tanh_cs)  # d c_t from d h_t, through h_t = o tanh(c_t)
        xp.subtract(1, h_to_c, out=h_to_c)
        h_to_c *= o
        grad_h = xp.ascontiguousarray(grad[:, :steps].transpose(1, 2, 0))  # (T, H, N)
        dc = grad[:, steps].T.copy()  # what reaches c_t: at first, c_T's own gradient (a copy: it
        # is updated in place below, and the incoming gradient belongs to the caller)
        dh = xp.zeros((hidden, n), dtype=grad.dtype)  # what the next step sends back to h: none, at first
        dz = xp.empty_like(gates)
        dh_to_c = xp.empty((hidden, n), dtype=grad.dtype)
        w_hh_t = self.weight_hh.T  # a view: BLAS reads it transposed in place
        for t in reversed(range(steps)):  # step t + 1, last to first: dh, dc reach h_(t+1), c_(t+1)
            dh += grad_h[t]
            dc += xp.multiply(dh, h_to_c[t], out=dh_to_c)
            d = dz[t]
            xp.multiply(dc, slopes[t, :OUTPUT], out=d[:OUTPUT])  # i, f, g
            xp.multiply(dh, slopes[t, OUTPUT], out=d[OUTPUT])
            dc *= f[t]  # becomes what reaches c_t
            xp.matmul(w_hh_t, d.reshape(4 * hidden, n), out=dh)  # becomes what reaches h_t
        # Every step's dz and stacked column side by side, (4H, T*N) and (H+I+1, T*N): one
        # product gives all the weight gradients, [dW_hh  dW_ih  db].
        dz_columns = xp.ascontiguousarray(dz.transpose(1, 2, 0, 3)).reshape(4 * hidden, steps * n)
        needs = self.needs_grad
        dx = dw_ih = dw_hh = db = None
        if needs[0]:
            inputs = self.weight_ih.shape[1]
            dx = (self.weight_ih.T @ dz_columns).reshape(inputs, steps, n).transpose(2, 1, 0)
        if True in needs[3:]:
            stacked_columns = xp.ascontiguousarray(self.stacked[:steps].transpose(1, 0, 2))
            dw = dz_columns @ stacked_columns.reshape(stacked_columns.shape[0], steps * n).T
            dw_hh, dw_ih = xp.ascontiguousarray(dw[:, :hidden]), xp.ascontiguousarray(dw[:, hidden:-1])
            db = xp.ascontiguousarray(dw[:, -1])
        return dx, dh.T, dc.T, dw_ih, dw_hh, db, db
