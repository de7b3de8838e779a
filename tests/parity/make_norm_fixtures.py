#!/usr/bin/python3
"""PyTorch reference for the state of genlab's normalisation ops and layers (tests/test_norm.cpp).

  fbn.* / fin.*   F.batch_norm (momentum 0.3) and F.instance_norm (momentum 0.2) called 3 times in training
                  on running stats rm0, rv0: the inputs x<k> and the running stats rm<k>, rv<k> after each call.
  <layer>.*       a torch.nn layer (float64): its starting state_dict (init.<name>), 3 training steps (x<k>,
                  the output y<k> and every buffer after the step, <buffer><k>), then eval() on x_eval
                  (y_eval), and its state_dict names in torch's order (names: comma-separated, uint8).

Called by make_fixtures.py (norm.safetensors beside ops.safetensors), or alone:
  /usr/bin/python3 tests/parity/make_norm_fixtures.py OUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import save_safetensors  # noqa: E402

LAYERS = {  # name -> (layer, input shape)
    "bn2d": (lambda: nn.BatchNorm2d(3), (4, 3, 5, 6)),
    "bn2d_cma": (lambda: nn.BatchNorm2d(3, momentum=None), (4, 3, 5, 6)),  # cumulative moving average
    "bn2d_untracked": (lambda: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 3)),
    "bn1d": (lambda: nn.BatchNorm1d(5, momentum=0.2, eps=1e-3), (8, 5)),
    "bn1d_3d": (lambda: nn.BatchNorm1d(4, affine=False), (6, 4, 7)),
    "in2d": (lambda: nn.InstanceNorm2d(3), (2, 3, 4, 5)),
    "in2d_tracked": (lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 5)),
    "in2d_unbatched": (lambda: nn.InstanceNorm2d(3, affine=True), (3, 4, 5)),
    "gn": (lambda: nn.GroupNorm(2, 4), (3, 4, 5, 5)),
}


def as_bytes(s):
    return torch.tensor(list(s.encode()), dtype=torch.uint8)


def layer_fixture(name, make, shape):
    t = {}
    layer = make().double()
    with torch.no_grad():  # parameters away from their ones/zeros start, so the affine part is checked
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    for k, v in layer.state_dict().items():
        t[f"{name}.init.{k}"] = v.clone()
    t[f"{name}.names"] = as_bytes(",".join(layer.state_dict().keys()))
    layer.train()
    for k in range(1, 4):
        x = torch.randn(shape, dtype=torch.float64) * 1.5 + 0.7
        t[f"{name}.x{k}"], t[f"{name}.y{k}"] = x, layer(x).detach()
        for b, v in layer.named_buffers():
            t[f"{name}.{b}{k}"] = v.clone()
    layer.eval()
    x = torch.randn(shape, dtype=torch.float64)
    t[f"{name}.x_eval"], t[f"{name}.y_eval"] = x, layer(x).detach()
    return t


def functional_fixture(name, fn, shape, momentum):
    t = {}
    rm, rv = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    t[f"{name}.rm0"], t[f"{name}.rv0"] = rm.clone(), rv.clone()
    for k in range(1, 4):
        x = torch.randn(shape, dtype=torch.float64) * 2 + 1
        fn(x, rm, rv, momentum)
        t[f"{name}.x{k}"], t[f"{name}.rm{k}"], t[f"{name}.rv{k}"] = x, rm.clone(), rv.clone()
    return t


def norm_fixtures():
    torch.manual_seed(11)
    t = {}
    t.update(functional_fixture("fbn", lambda x, m, v, mo: F.batch_norm(x, m, v, training=True, momentum=mo),
                                (4, 3, 5), 0.3))
    t.update(functional_fixture("fin", lambda x, m, v, mo: F.instance_norm(x, m, v, momentum=mo), (2, 3, 6), 0.2))
    for name, (make, shape) in LAYERS.items():
        t.update(layer_fixture(name, make, shape))
    return t


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    save_safetensors(f"{out}/norm.safetensors", norm_fixtures())
    print(f"wrote {out}/norm.safetensors")
