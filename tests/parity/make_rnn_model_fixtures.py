#!/usr/bin/python3
"""PyTorch reference for the recurrent family (tests/test_rnn_models.cpp):
SequenceClassifier and CharLM built from torch.nn with the layout of
include/genlab/models/rnn/, their state_dicts, an input batch, the outputs and the
gradient of sum(out * w) for every parameter; the bits per character of the
CharLM on its batch; and for sampling, the index that inverse-CDF sampling picks
from softmax(top-k(logits) / T) for a set of uniforms u.

Run: /usr/bin/python3 tests/parity/make_rnn_model_fixtures.py tests/parity/rnn_models.safetensors
"""
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import save_safetensors  # noqa: E402

CELLS = {"rnn": lambda **k: nn.RNN(nonlinearity="tanh", **k), "rnn_relu": lambda **k: nn.RNN(nonlinearity="relu", **k),
         "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceClassifier(nn.Module):
    def __init__(self, cell, inp, hidden, layers, bidirectional, outputs):
        super().__init__()
        self.rnn = CELLS[cell](input_size=inp, hidden_size=hidden, num_layers=layers, batch_first=True,
                               bidirectional=bidirectional)
        self.d = 2 if bidirectional else 1
        self.head = nn.Linear(self.d * hidden, outputs)

    def forward(self, x):
        _, h = self.rnn(x)
        h = h[0] if isinstance(h, tuple) else h
        top = h[-self.d:]  # [D, B, H]
        return self.head(top.permute(1, 0, 2).reshape(x.shape[0], -1))


class CharLM(nn.Module):
    def __init__(self, cell, vocab, emb, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = CELLS[cell](input_size=emb, hidden_size=hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.rnn(self.embedding(ids))[0])


CLASSIFIERS = {  # name: (cell, input, hidden, layers, bidirectional, outputs, batch, steps)
    "cls_rnn": ("rnn", 3, 5, 1, False, 4, 2, 6),
    "cls_lstm": ("lstm", 3, 5, 1, False, 4, 2, 6),
    "cls_gru": ("gru", 3, 5, 1, False, 4, 2, 6),
    "cls_gru_bi2": ("gru", 2, 4, 2, True, 1, 3, 5),
}
LMS = {  # name: (cell, vocab, embedding, hidden, layers, batch, steps)
    "lm_lstm": ("lstm", 11, 4, 6, 1, 2, 7),
    "lm_gru2": ("gru", 9, 3, 5, 2, 3, 4),
}


def grads(out, model, name, y):
    w = torch.randn(*y.shape, dtype=torch.float64)
    (y * w).sum().backward()
    out[f"{name}.w"], out[f"{name}.y"] = w, y.detach()
    for k, p in model.named_parameters():
        out[f"{name}.grad.{k}"] = p.grad
    for k, v in model.state_dict().items():
        out[f"{name}.state.{k}"] = v.clone()


def sampling(out):
    logits = torch.tensor([0.5, 2.0, -1.0, 2.0, 1.5, -3.0, 0.0, 1.5, 0.25, -0.5], dtype=torch.float64)
    u = torch.rand(200, dtype=torch.float64)
    out["sample.logits"], out["sample.u"] = logits, u
    for temperature, k in ((1.0, 0), (0.7, 3), (2.5, 5), (0.3, 1)):
        kept = logits.clone()
        if k:
            kept[logits < torch.topk(logits, k).values[-1]] = -math.inf
        cdf = torch.cumsum(torch.softmax(kept / temperature, 0), 0)
        # u within 1e-9 of a step of the CDF would be decided by rounding: moved off it
        near = (u[:, None] - cdf[None, :]).abs().min(1).values < 1e-9
        assert not near.any()
        out[f"sample.t{temperature}_k{k}"] = torch.searchsorted(cdf, u).clamp(max=len(logits) - 1)


def main(path):
    torch.manual_seed(0)
    out = {}
    for name, (cell, inp, hidden, layers, bi, outputs, batch, steps) in CLASSIFIERS.items():
        model = SequenceClassifier(cell, inp, hidden, layers, bi, outputs).double()
        x = torch.randn(batch, steps, inp, dtype=torch.float64)
        out[f"{name}.x"] = x
        grads(out, model, name, model(x))
    for name, (cell, vocab, emb, hidden, layers, batch, steps) in LMS.items():
        model = CharLM(cell, vocab, emb, hidden, layers).double()
        ids = torch.randint(0, vocab, (batch, steps + 1))
        out[f"{name}.ids"] = ids
        logits = model(ids[:, :-1])
        ce = nn.functional.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
        out[f"{name}.bpc"] = (ce / math.log(2)).detach().reshape(1)
        grads(out, model, name, logits)
    sampling(out)
    save_safetensors(path, out)


if __name__ == "__main__":
    main(sys.argv[1])
