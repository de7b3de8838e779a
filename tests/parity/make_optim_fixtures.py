"""Optimizer fixtures beyond make_fixtures.py's single-parameter trajectories.

optim_late_start.safetensors: Adam and AdamW over two float64 parameters where
`b` gets no gradient at step 1 (grad None, so PyTorch skips it) and gradients at
steps 2 and 3. PyTorch keeps state['step'] per parameter, so b's first update
uses the bias correction of step 1, not of the optimizer's step 2.
Keys: <opt>.a0/.b0 (initial values), <opt>.ga<k>/.gb<k> (gradients of step k),
<opt>.a<k>/.b<k> (values after step k), k = 1..3.

Run: /usr/bin/python3 tests/parity/make_optim_fixtures.py tests/parity
"""
import sys

import torch

from make_fixtures import save_safetensors

OPTIMIZERS = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1),
}


def late_start():
    torch.manual_seed(7)
    out = {}
    for name, make in OPTIMIZERS.items():
        a = torch.randn(3, dtype=torch.float64, requires_grad=True)
        b = torch.randn(3, dtype=torch.float64, requires_grad=True)
        out[f"{name}.a0"], out[f"{name}.b0"] = a.detach().clone(), b.detach().clone()
        opt = make([a, b])
        for step in range(1, 4):
            ga = torch.randn(3, dtype=torch.float64)
            a.grad = ga.clone()
            out[f"{name}.ga{step}"] = ga
            if step >= 2:
                gb = torch.randn(3, dtype=torch.float64)
                b.grad = gb.clone()
                out[f"{name}.gb{step}"] = gb
            opt.step()
            out[f"{name}.a{step}"], out[f"{name}.b{step}"] = a.detach().clone(), b.detach().clone()
    return out


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    save_safetensors(f"{out_dir}/optim_late_start.safetensors", late_start())
    print(f"wrote {out_dir}/optim_late_start.safetensors")
