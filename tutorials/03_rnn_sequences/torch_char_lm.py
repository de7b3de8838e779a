#!/usr/bin/python3
"""Trains tutorial 03's byte-level LSTM again in PyTorch, from what the tutorial
exported with --torch-check DIR: the same initial weights (DIR/init.safetensors),
the same windows, batch order, learning rate per step, Adam and clipping
(DIR/run.safetensors). Prints PyTorch's loss at the first steps and bits per
character after each epoch next to genlab's, and judges issue 11's bar: genlab's
final validation bpc within --tolerance (default 2 %) of PyTorch's.

  build/tutorial_03_rnn_sequences --schedule tour --torch-check /tmp/lm
  /usr/bin/python3 tutorials/03_rnn_sequences/torch_char_lm.py /tmp/lm [--report FILE.md]

Exit status 1 when the bar is missed, or when the first step's loss differs by more
than 1e-4 (relative): then the two runs did not start from the same weights and data.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
from make_rnn_model_fixtures import CharLM  # noqa: E402  the torch.nn twin of models::CharLM

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def load_safetensors(path):
    """(tensors, metadata) of a safetensors file, read with numpy only."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = raw[8 + n:]
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(body[a:b], DTYPES[info["dtype"]]).reshape(info["shape"]).copy())
    return out, meta


def bits_per_char(model, x, y, batch=1000):
    """Mean next-byte cross-entropy over every position, in bits (models::bits_per_char)."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                       y[i:i + batch].reshape(-1)).item() * len(x[i:i + batch])
    model.train()
    return total / len(x) / math.log(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="the folder tutorial 03 wrote with --torch-check")
    ap.add_argument("--tolerance", type=float, default=0.02, help="the bar: relative bpc difference (default 0.02)")
    ap.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    ap.add_argument("--report", help="append the comparison to this Markdown file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    run, meta = load_safetensors(os.path.join(args.dir, "run.safetensors"))
    init, _ = load_safetensors(os.path.join(args.dir, "init.safetensors"))
    cell, batch, clip = meta["cell"], int(meta["batch_size"]), float(meta["clip_grad_norm"])
    model = CharLM(cell, int(meta["vocab"]), int(meta["embedding"]), int(meta["hidden_size"]), int(meta["num_layers"]))
    model.load_state_dict(init, strict=True)
    opt = torch.optim.Adam(model.parameters(), lr=float(run["lr"][0]))
    train_x, train_y, order = run["train_x"], run["train_y"], run["order"]
    genlab_loss, genlab_bpc = run["genlab_step_loss"].tolist(), run["genlab_bpc"].tolist()
    step, losses, bpc = 0, [], []
    t0 = time.time()
    for epoch in range(order.shape[0]):
        for i in range(0, order.shape[1], batch):
            rows = order[epoch, i:i + batch]
            for group in opt.param_groups:
                group["lr"] = float(run["lr"][step])
            logits = model(train_x[rows])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), train_y[rows].reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
            step += 1
        bpc.append(bits_per_char(model, run["valid_x"], run["valid_y"]))
        print(f"epoch {epoch + 1}: validation bpc PyTorch {bpc[-1]:.4f}, genlab {genlab_bpc[epoch]:.4f}", flush=True)
    seconds = time.time() - t0

    first = abs(losses[0] - genlab_loss[0]) / abs(losses[0])
    gap = (genlab_bpc[-1] - bpc[-1]) / bpc[-1]
    ok = abs(gap) <= args.tolerance and first <= 1e-4
    table = "| after epoch | genlab bpc | PyTorch bpc | difference |\n|---|---|---|---|\n"
    for e, (g, t) in enumerate(zip(genlab_bpc, bpc)):
        table += f"| {e + 1} | {g:.4f} | {t:.4f} | {100 * (g - t) / t:+.2f} % |\n"
    steps = ", ".join(f"{g:.5f} / {t:.5f}" for g, t in list(zip(genlab_loss, losses))[:3])
    md = (f"#### The byte-level {cell.upper()} against PyTorch\n\nThe same model in torch.nn (PyTorch {torch.__version__}, "
          f"{args.threads} threads, {seconds:.0f} s) trained from genlab's initial weights on the same batches in the same "
          f"order, with the same learning rate per step, Adam and clipping at norm {clip:g} "
          f"(`tutorials/03_rnn_sequences/torch_char_lm.py`). Loss at the first steps, genlab / PyTorch: {steps}.\n\n"
          f"{table}\n**Bar (genlab within {100 * args.tolerance:g} % of PyTorch): {'met' if ok else 'NOT met'}** — "
          f"{100 * gap:+.2f} % after the last epoch.\n\n")
    print("\n" + md)
    if args.report:
        with open(args.report, "a") as f:
            f.write(md)
    if first > 1e-4:
        print(f"error: the first step's loss differs by {first:.2e} (relative): not the same start", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
