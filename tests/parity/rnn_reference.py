"""PyTorch references of genlab's recurrent ops (ops/rnn_cell.hpp, ops/rnn.hpp), used by make_fixtures.py.

The cell math is torch's own CPU cells (aten/src/ATen/native/RNN.cpp in torch 1.13: LSTMCell, GRUCell,
SimpleCell), op for op; the shape checks are those of torch's fused cells (_thnn_fused_lstm_cell /
_thnn_fused_gru_cell, CUDA-only in torch 1.13): gates of one shape [b, k h] and a state [b, h], no
broadcasting. A packed recurrence runs, as torch's packed RNNs do, only the rows still active at a step
(rows sorted by decreasing length), so the GEMM and the gradients see exactly those rows.
"""
import torch


def _check_cell(name, k, gx, gh, state):
    if gx.dim() != 2 or gx.shape[1] % k or gh.shape != gx.shape or state.shape != (gx.shape[0], gx.shape[1] // k):
        raise RuntimeError(f"{name}: gates {list(gx.shape)} and {list(gh.shape)} do not fit state {list(state.shape)}")


def lstm_cell_pointwise(gx, gh, c):
    _check_cell("lstm_cell_pointwise", 4, gx, gh, c)
    i, f, g, o = (gx + gh).chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    cy = f * c + i * g
    return o * cy.tanh(), cy


def gru_cell_pointwise(gx, gh, h):
    _check_cell("gru_cell_pointwise", 3, gx, gh, h)
    xr, xz, xn = gx.chunk(3, 1)
    hr, hz, hn = gh.chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (h - n) * z + n


def packed_lengths(steps, batch):
    """The lengths of op_table.cpp's packed rows: max(1, steps - b) for row b (sorted, decreasing)."""
    return [max(1, steps - b) for b in range(batch)]


def recurrence(kind, gx, w, h0, c0=None, b_hh=None, packed=False, reverse=False):
    """[T + 2, B, H] (lstm: outputs, h_n, c_n) or [T + 1, B, H] (gru, tanh, relu: outputs, h_n)."""
    k = {"lstm": 4, "gru": 3, "tanh": 1, "relu": 1}[kind]
    if w.dim() != 2 or w.shape[0] != k * w.shape[1] or gx.dim() != 3 or gx.shape[2] != w.shape[0]:
        raise RuntimeError(f"{kind}_recurrence: gates_x {list(gx.shape)} and w_hh {list(w.shape)} do not fit")
    steps, batch, hidden = gx.shape[0], gx.shape[1], w.shape[1]
    for s in [h0] + ([c0] if kind == "lstm" else []):
        if s.shape != (batch, hidden):
            raise RuntimeError(f"{kind}_recurrence: initial state {list(s.shape)}, expected {[batch, hidden]}")
    if b_hh is not None and b_hh.shape != (k * hidden,):
        raise RuntimeError(f"{kind}_recurrence: b_hh {list(b_hh.shape)}")
    lengths = packed_lengths(steps, batch) if packed else [steps] * batch
    h, c, outs = h0, c0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        n = sum(1 for m in lengths if m > t)
        gh = h[:n] @ w.t() if b_hh is None else torch.addmm(b_hh, h[:n], w.t())
        if kind == "lstm":
            hn, cn = lstm_cell_pointwise(gx[t, :n], gh, c[:n])
            c = torch.cat([cn, c[n:]])
        elif kind == "gru":
            hn = gru_cell_pointwise(gx[t, :n], gh, h[:n])
        else:
            hn = torch.tanh(gx[t, :n] + gh) if kind == "tanh" else torch.relu(gx[t, :n] + gh)
        h = torch.cat([hn, h[n:]])
        outs[t] = torch.cat([hn, hn.new_zeros(batch - n, hidden)])
    return torch.stack(outs + [h] + ([c] if kind == "lstm" else []))
