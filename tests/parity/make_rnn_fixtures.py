#!/usr/bin/python3
"""PyTorch reference for tests/test_rnn.cpp: torch.nn.RNN / LSTM / GRU and their cells, float64.

Per case C: C.sd.<name> (the module's state_dict, loaded by name into genlab's module), C.x, C.h0 (and
C.c0), C.lengths (int64, when the case packs the batch with pack_padded_sequence(enforce_sorted=False)),
C.out, C.h_n (and C.c_n), and the gradients of sum(out * w) + sum(h_n * w) (+ sum(c_n * w)), with the
weights of make_fixtures.py: C.grad.x, C.grad.h0, C.grad.c0, C.grad.<parameter>. The options of each
case are in CASES here and in test_rnn.cpp.

Run with Debian's python3-torch:  /usr/bin/python3 tests/parity/make_rnn_fixtures.py tests/parity
"""
import os
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import save_safetensors, weights  # noqa: E402

# name -> (module, input shape, lengths or None, initial state given). Keep in sync with test_rnn.cpp.
CASES = {
    "lstm_2l_bi_h0": (lambda: nn.LSTM(5, 4, num_layers=2, bidirectional=True), (6, 3, 5), None, True),
    "lstm_bi_batch_first_lengths": (lambda: nn.LSTM(5, 4, bidirectional=True, batch_first=True), (3, 6, 5),
                                    [3, 6, 5], True),
    "lstm_2l_lengths_sorted": (lambda: nn.LSTM(5, 4, num_layers=2), (6, 3, 5), [6, 4, 1], False),
    "lstm_no_bias_unbatched": (lambda: nn.LSTM(5, 4, bias=False), (6, 5), None, True),
    "gru_2l_bi_batch_first_lengths": (lambda: nn.GRU(5, 4, num_layers=2, bidirectional=True, batch_first=True),
                                      (3, 6, 5), [4, 6, 2], True),
    "gru_h0": (lambda: nn.GRU(5, 4), (6, 3, 5), None, True),
    "rnn_tanh_2l_bi_lengths": (lambda: nn.RNN(5, 4, num_layers=2, bidirectional=True), (6, 3, 5), [2, 6, 6], False),
    "rnn_relu_unbatched": (lambda: nn.RNN(5, 4, nonlinearity="relu"), (6, 5), None, True),
    "lstm_cell": (lambda: nn.LSTMCell(5, 4), (3, 5), None, True),
    "gru_cell": (lambda: nn.GRUCell(5, 4), (3, 5), None, True),
    "rnn_cell_relu_unbatched": (lambda: nn.RNNCell(5, 4, nonlinearity="relu"), (5,), None, True),
}


def run(name, make, shape, lengths, with_state):
    m = make().double()
    t = {f"{name}.sd.{k}": v.detach().clone() for k, v in m.state_dict().items()}
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    cell = isinstance(m, nn.RNNCellBase)
    lstm = isinstance(m, (nn.LSTM, nn.LSTMCell))
    if cell:
        state_shape = (shape[0], m.hidden_size) if len(shape) == 2 else (m.hidden_size,)
    else:
        layers = m.num_layers * (2 if m.bidirectional else 1)
        batch = shape[0 if m.batch_first else 1]
        state_shape = (layers, batch, m.hidden_size) if len(shape) == 3 else (layers, m.hidden_size)
    h0 = torch.randn(state_shape, dtype=torch.float64, requires_grad=True) if with_state else None
    c0 = torch.randn(state_shape, dtype=torch.float64, requires_grad=True) if with_state and lstm else None
    state = (h0, c0) if lstm and with_state else h0
    if cell:
        y = m(x, state)
        out, h_n, c_n = (y[0], None, y[1]) if lstm else (y, None, None)
    else:
        inp = x
        if lengths is not None:
            inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=m.batch_first, enforce_sorted=False)
        out, hn = m(inp, state)
        if lengths is not None:
            out, _ = pad_packed_sequence(out, batch_first=m.batch_first, total_length=shape[1 if m.batch_first else 0])
        h_n, c_n = hn if lstm else (hn, None)
    loss = 0
    for key, v in (("out", out), ("h_n", h_n), ("c_n", c_n)):
        if v is not None:
            t[f"{name}.{key}"] = v.detach().clone()
            loss = loss + (v * weights(v.numel()).reshape(v.shape)).sum()
    loss.backward()
    t[f"{name}.x"], t[f"{name}.grad.x"] = x.detach().clone(), x.grad
    for key, s in (("h0", h0), ("c0", c0)):
        if s is not None:
            t[f"{name}.{key}"], t[f"{name}.grad.{key}"] = s.detach().clone(), s.grad
    if lengths is not None:
        t[f"{name}.lengths"] = torch.tensor(lengths, dtype=torch.int64)
    for k, p in m.named_parameters():
        t[f"{name}.grad.{k}"] = p.grad
    return t


def main(out_dir):
    torch.manual_seed(11)
    tensors = {}
    for name, case in CASES.items():
        tensors.update(run(name, *case))
    save_safetensors(f"{out_dir}/rnn.safetensors", tensors)
    print(f"wrote {len(CASES)} recurrent-module cases to {out_dir}/rnn.safetensors")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/parity")
