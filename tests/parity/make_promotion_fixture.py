#!/usr/bin/python3
"""PyTorch's answer to mixed float32/float64 inputs, for tests/test_dtype_promotion.cpp.

For every op that takes two float tensors, in both orders: the result dtype
and the sum of the result, or "error" where PyTorch refuses the mix. The
inputs are exact in float32 so that both libraries start from the same numbers.
Writes promotion.txt: one line "case order dtype sum" per case.

Run with Debian's python3-torch:  /usr/bin/python3 tests/parity/make_promotion_fixture.py > tests/parity/promotion.txt
"""
import torch
import torch.nn.functional as F


def a(dt): return ((torch.arange(6, dtype=dt) - 2.5) / 4).reshape(2, 3)  # -0.625 ... 0.625
def b(dt): return (torch.arange(6, dtype=dt) * 0.375 - 1).reshape(2, 3)  # -1 ... 0.875
def p(dt): return ((torch.arange(6, dtype=dt) + 1) / 8).reshape(2, 3)  # probabilities 0.125 ... 0.75
def w(dt): return torch.arange(3, dtype=dt) * 0.5 + 0.5  # positive weights, one per column


# name -> (input makers for x and y, function); x takes the first dtype of the order, y the second
CASES = {
    "add": (a, b, lambda x, y: x + y),
    "sub": (a, b, lambda x, y: x - y),
    "mul": (a, b, lambda x, y: x * y),
    "div": (a, p, lambda x, y: x / y),
    "pow": (p, b, torch.pow),
    "maximum": (a, b, torch.maximum),
    "minimum": (a, b, torch.minimum),
    "where": (a, b, lambda x, y: torch.where(x > 0, x, y)),
    "cat": (a, b, lambda x, y: torch.cat([x, y])),
    "stack": (a, b, lambda x, y: torch.stack([x, y], 1)),
    "matmul": (a, b, lambda x, y: x @ y.T),
    "mm": (a, b, lambda x, y: torch.mm(x, y.T)),
    "linear": (a, b, F.linear),
    "layer_norm": (a, w, lambda x, y: F.layer_norm(x, (3,), y)),
    "mse_loss": (a, b, F.mse_loss),
    "l1_loss": (a, b, F.l1_loss),
    "smooth_l1_loss": (a, b, F.smooth_l1_loss),
    "huber_loss": (a, b, F.huber_loss),
    "binary_cross_entropy_with_logits": (a, p, F.binary_cross_entropy_with_logits),
    "binary_cross_entropy": (p, p, F.binary_cross_entropy),
    "kl_div": (a, p, lambda x, y: F.kl_div(x, y, reduction="batchmean")),
    "cross_entropy_probs": (a, p, F.cross_entropy),
    "cross_entropy_weight": (a, w, lambda x, y: F.cross_entropy(x, torch.tensor([0, 2]), weight=y)),
}

for name, (mx, my, f) in CASES.items():
    for dx, dy, order in [(torch.float32, torch.float64, "f32,f64"), (torch.float64, torch.float32, "f64,f32")]:
        try:
            r = f(mx(dx), my(dy))
            print(name, order, str(r.dtype).replace("torch.float", "f"), repr(r.double().sum().item()))
        except RuntimeError:
            print(name, order, "error", "nan")
