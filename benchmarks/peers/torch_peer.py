#!/usr/bin/python3
"""PyTorch peer for genlab_bench: the same ops and MLP epoch, at a given thread count.

  /usr/bin/python3 benchmarks/peers/torch_peer.py THREADS OUT.json [--quick] [--only ops|conv|rnn|train|mlp]
The caller runs it with and without OPENBLAS_NUM_THREADS=1 and keeps the best.
"""
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def median_seconds(fn, reps=11, warmup=2):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def idx(path):
    with gzip.open(path) as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def mlp_epoch(reps):
    d = "/usr/share/datasets/fashion-mnist"
    x = torch.from_numpy(idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def epoch():
        perm = torch.randperm(x.shape[0])
        for s in range(0, x.shape[0], 128):
            i = perm[s:s + 128]
            loss = F.cross_entropy(net(x[i]), y[i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return median_seconds(epoch, reps=reps, warmup=1)


def main():
    threads, out = int(sys.argv[1]), sys.argv[2]
    quick = "--quick" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    torch.set_num_threads(threads)
    reps = 5 if quick else 11
    res = {"threads": threads, "torch": torch.__version__}
    if only in ("", "ops"):
        x = torch.randn(64 * 128, 768)
        w, b = torch.randn(768), torch.randn(768)
        res["softmax (8192, 768)"] = median_seconds(lambda: F.softmax(x, -1), reps)
        res["layer_norm (8192, 768)"] = median_seconds(lambda: F.layer_norm(x, (768,), w, b), reps)
        res["leaky_relu (8192, 768)"] = median_seconds(lambda: F.leaky_relu(x, 0.2), reps)
        res["sin (8192, 768)"] = median_seconds(lambda: torch.sin(x), reps)
        res["cos (8192, 768)"] = median_seconds(lambda: torch.cos(x), reps)
        # issue 10's composed ops (benchmarks/bench.cpp, group torch_ratio)
        scores = torch.randn(32, 12, 128, 128)
        causal = torch.ones(128, 128, dtype=torch.bool).triu(1)
        res["masked_fill (32, 12, 128, 128) causal"] = median_seconds(
            lambda: scores.masked_fill(causal, float("-inf")), reps)
        probs, target = torch.sigmoid(torch.randn(8192, 784)), torch.rand(8192, 784)
        res["binary_cross_entropy (8192, 784)"] = median_seconds(lambda: F.binary_cross_entropy(probs, target), reps)
        pg = probs.clone().requires_grad_()

        def bce_step():
            pg.grad = None
            F.binary_cross_entropy(pg, target).backward()
        res["binary_cross_entropy fwd+bwd (8192, 784)"] = median_seconds(bce_step, reps)
        logits = torch.randn(64, 50257)  # GPT-2 next-token logits: top-k and top-p sampling
        res["topk k=50 (64, 50257)"] = median_seconds(lambda: torch.topk(logits, 50), reps)
        res["sort (64, 50257) descending"] = median_seconds(lambda: torch.sort(logits, descending=True), reps)
        res["logsumexp (8192, 768) dim -1"] = median_seconds(lambda: torch.logsumexp(x, -1), reps)
    if only in ("", "conv"):  # issue 11: the same names as benchmarks/bench.cpp's conv part
        for c, hw in [(32, 28), (64, 14), (128, 14)]:
            x = torch.randn(32, c, hw, hw, requires_grad=True)
            w, b = torch.randn(c, c, 3, 3, requires_grad=True), torch.randn(c, requires_grad=True)
            tag = f"{c}->{c} {hw}x{hw}"

            def fwd():
                with torch.no_grad():
                    F.conv2d(x, w, b, padding=1)

            def step():
                x.grad = w.grad = b.grad = None
                F.conv2d(x, w, b, padding=1).sum().backward()
            res[f"conv2d 3x3 p1 b32 {tag}"] = median_seconds(fwd, 3 if quick else 7)
            res[f"conv2d fwd+bwd 3x3 p1 b32 {tag}"] = median_seconds(step, 3 if quick else 7)
        # a DCGAN generator's upsampling step (benchmarks/bench.cpp, same names)
        ux, uw = torch.randn(32, 128, 7, 7, requires_grad=True), torch.randn(128, 64, 4, 4, requires_grad=True)
        ub, up = torch.randn(64, requires_grad=True), torch.randn(32, 64, 14, 14, requires_grad=True)
        for name, fn in [("conv_transpose2d k4 s2 p1 b32 128->64 7x7", lambda: F.conv_transpose2d(ux, uw, ub, 2, 1)),
                         ("upsample bilinear x2 (32, 64, 14, 14)",
                          lambda: F.interpolate(up, scale_factor=2, mode="bilinear"))]:
            def fwd(fn=fn):
                with torch.no_grad():
                    fn()

            def step(fn=fn):
                ux.grad = uw.grad = ub.grad = up.grad = None
                fn().sum().backward()
            op, rest = name.split(" ", 1)
            res[name] = median_seconds(fwd, 3 if quick else 7)
            res[f"{op} fwd+bwd {rest}"] = median_seconds(step, 3 if quick else 7)
        for shape in [(32, 64, 28, 28), (32, 128, 14, 14)]:  # batch_norm in training, as benchmarks/bench.cpp
            c = shape[1]
            x = torch.randn(shape, requires_grad=True)
            w, b = torch.randn(c, requires_grad=True), torch.randn(c, requires_grad=True)
            rm, rv = torch.zeros(c), torch.ones(c)
            tag = "[" + ", ".join(map(str, shape)) + "]"

            def bn_fwd():
                with torch.no_grad():
                    F.batch_norm(x, rm, rv, w, b, training=True)

            def bn_step():
                x.grad = w.grad = b.grad = None
                F.batch_norm(x, rm, rv, w, b, training=True).sum().backward()
            res[f"batch_norm train {tag}"] = median_seconds(bn_fwd, reps)
            res[f"batch_norm fwd+bwd train {tag}"] = median_seconds(bn_step, reps)
    if only in ("", "rnn"):  # issue 11: the same names as benchmarks/bench.cpp's rnn part
        for kind in ("LSTM", "GRU"):
            m = getattr(torch.nn, kind)(128, 256)
            x = torch.randn(64, 32, 128, requires_grad=True)

            def fwd():
                with torch.no_grad():
                    m(x)

            def step():
                x.grad = None
                m.zero_grad(set_to_none=True)
                m(x)[0].sum().backward()
            res[f"{kind} seq64 b32 128->256"] = median_seconds(fwd, 3 if quick else 7)
            res[f"{kind} fwd+bwd seq64 b32 128->256"] = median_seconds(step, 3 if quick else 7)
    if only in ("", "train"):  # issue 11: the tutorials' models, built as in tests/parity (same layout as genlab's)
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "parity"))
        from make_cnn_fixtures import ResNet, lenet5
        from make_rnn_model_fixtures import CharLM, SequenceClassifier
        torch.manual_seed(0)
        for name, net, x, y in [
                ("ResNet train step b128 1x28x28", ResNet(1, 10, (16, 32, 64), (2, 2, 2)), torch.rand(128, 1, 28, 28),
                 torch.randint(0, 10, (128,))),
                ("LeNet-5 train step b128 1x28x28", lenet5(), torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))),
                ("LSTM classifier train step b128 28x28 h128", SequenceClassifier("lstm", 28, 128, 1, False, 10),
                 torch.rand(128, 28, 28), torch.randint(0, 10, (128,))),
                ("char-LSTM train step b64 seq64 h256", CharLM("lstm", 256, 64, 256, 1), torch.randint(0, 256, (64, 64)),
                 torch.randint(0, 256, (64, 64)))]:
            opt = torch.optim.Adam(net.parameters(), lr=1e-3, foreach=True)

            def train_step(net=net, x=x, y=y, opt=opt):
                logits = net(x)
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            res[name] = median_seconds(train_step, 3 if quick else 7)
    if only in ("", "mlp"):
        res["MLP epoch 784-256-128-10 b128 Adam"] = mlp_epoch(3)
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
