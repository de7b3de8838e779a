#!/usr/bin/python3
"""Renders one benchmark run (a folder of JSON files from scripts/bench.sh) into
Markdown with ratios against the bars of the foundation issue, plus a PNG plot.

  /usr/bin/python3 benchmarks/report.py RUN_DIR OUT.md
"""
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "compiler": subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.split("\n")[0]}


def merge_rounds(run_dir):
    """genlab measurements by name, numeric fields as medians over rounds."""
    by_name = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "genlab_*_r*.json"))):
        for m in json.load(open(path)):
            by_name.setdefault(m["name"], []).append(m)
    merged = []
    for name, ms in by_name.items():
        m = dict(ms[0])
        for k, v in ms[0].items():
            if isinstance(v, float):
                m[k] = statistics.median(x[k] for x in ms)
        m["rounds"] = len(ms)
        merged.append(m)
    return merged


def torch_best(run_dir):
    """For each measurement, PyTorch's best configuration by its median over rounds."""
    per_config = {}
    for path in glob.glob(os.path.join(run_dir, "torch_*_r*.json")):
        config = re.sub(r"_r\d+\.json$", "", os.path.basename(path))
        r = json.load(open(path))
        for k, v in r.items():
            if isinstance(v, float):
                per_config.setdefault((k, config), []).append((v, r["threads"]))
    best = {}
    for (k, config), vs in per_config.items():
        med = statistics.median(v for v, _ in vs)
        if k not in best or med < best[k][0]:
            best[k] = (med, vs[0][1], config)
    return best


def cuda_section(genlab):
    """The CUDA part (genlab_bench --only cuda), where a device was found: ratios
    against the device's own peers, no bars (the foundation issue sets none)."""
    cuda = [g for g in genlab if g["group"].startswith("cuda")]
    if not cuda:
        return ["## CUDA", "", "No CUDA device in this run: the CUDA part was skipped.", ""]
    lines = ["## CUDA", ""]
    if any(g.get("emulated") for g in cuda):
        lines += ["**Emulated device (GENLAB_CUDA_EMULATE=1): these rows check the code paths; the numbers are "
                  "not GPU timings.**", ""]
    lines += ["| measurement | value | detail |", "|---|---|---|"]
    for g in cuda:
        if g["group"] == "cuda_matmul":
            lines.append(f"| {g['name']} vs one raw cuBLAS call | {g['ratio']:.3f} | "
                         f"genlab {g['GFLOPs']:.1f} GFLOP/s; speed ratio (cuBLAS time / genlab time) |")
        elif g["group"] == "cuda_bandwidth":
            lines.append(f"| {g['name']} vs device copy bandwidth | {g['ratio']:.3f} | "
                         f"genlab {g['genlab_GBps']:.1f} GB/s, device-to-device copy {g['copy_GBps']:.1f} GB/s |")
        elif g["group"] == "cuda_mlp":
            lines.append(f"| MLP epoch, CPU time / CUDA time | {g['speedup']:.3f} | "
                         f"CUDA {g['genlab_s']:.3f} s, {g['joules']:.1f} J ({g['energy_source']}); "
                         f"CPU {g['cpu_s']:.3f} s, {g['cpu_joules']:.1f} J ({g['cpu_energy_source']}); "
                         f"{g['steps']} steps |")
    return lines + [""]


def ratio_section(genlab, best):
    """Ops measured against PyTorch without a bar (group torch_ratio): composed
    ops, where the ratio says whether a fused kernel would pay."""
    rows = [g for g in genlab if g["group"] == "torch_ratio" and g["name"] in best]
    if not rows:
        return []
    lines = ["## Ops against PyTorch (no bar)", "", "| op | PyTorch time / genlab time | detail |", "|---|---|---|"]
    for g in rows:
        t, th, cfg = best[g["name"]]
        peak = f", {100 * g['gemm_peak_fraction']:.0f} % of the GEMM peak" if "gemm_peak_fraction" in g else ""
        lines.append(f"| {g['name']} | {t / g['genlab_s']:.3f} | genlab {g['genlab_s']*1e3:.2f} ms{peak}, "
                     f"PyTorch best {t*1e3:.2f} ms ({cfg}) |")
    return lines + [""]


def thread_section(genlab, out_md):
    """The thread sweep (genlab_bench --only threads): the default against the
    best fixed thread count, the bar of issue 8.4, and a plot."""
    rows = sorted((g for g in genlab if g["group"] == "threads"), key=lambda g: g["threads"])
    if not rows:
        return []
    lines = ["## Thread sweep", "",
             f"| threads | MLP epoch (s) | linear {rows[0]['gemm_shape']} (GFLOP/s) |", "|---|---|---|"]
    for g in rows:
        lines.append(f"| {g['threads']}{' (default)' if g['default'] else ''} | {g['mlp_epoch_s']:.3f} | "
                     f"{g['gemm_GFLOPs']:.1f} |")
    for v in (g for g in genlab if g["group"] == "threads_verdict"):
        worst = max(v["mlp_ratio"], v["gemm_ratio"])
        lines += ["", f"Default ({v['default_threads']} threads) against the best fixed count: MLP epoch time "
                  f"{v['mlp_ratio']:.3f}, GEMM time {v['gemm_ratio']:.3f} (bar: at most {v['bar']:.2f}): "
                  f"{'pass' if worst <= v['bar'] else 'FAIL'}."]
    grain = [g for g in genlab if g["group"] == "threads_grain"]
    if grain:
        n = grain[0]["threads"]
        lines += ["", f"| add of n floats | 1 thread (us) | {n} threads forced (us) | {n} threads, cost model (us) |",
                  "|---|---|---|---|"]
        lines += [f"| {g['n']} | {g['t1_s']*1e6:.2f} | {g['forced_s']*1e6:.2f} | {g['model_s']*1e6:.2f} |" for g in grain]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3))
        t = [g["threads"] for g in rows]
        a1.plot(t, [g["mlp_epoch_s"] for g in rows], "o-")
        a1.set_xlabel("threads"), a1.set_ylabel("MLP epoch (s, lower is better)")
        a2.plot(t, [g["gemm_GFLOPs"] for g in rows], "o-", color="#dd8452")
        a2.set_xlabel("threads"), a2.set_ylabel("linear GFLOP/s (higher is better)")
        for ax in (a1, a2):
            ax.set_xscale("log", base=2)
        fig.tight_layout()
        png = os.path.splitext(out_md)[0] + "_threads.png"
        fig.savefig(png, dpi=100)
        lines += ["", f"![thread sweep]({os.path.basename(png)})"]
    except ImportError:
        pass
    return lines + [""]


def main(run_dir, out_md):
    genlab = merge_rounds(run_dir)
    best = torch_best(run_dir)
    m = machine()
    rows, verdicts = [], []

    def bar_row(what, value, bar, higher_is_better=True, note=""):
        ok = value >= bar if higher_is_better else value <= bar
        verdicts.append(ok)
        rows.append(f"| {what} | {value:.3f} | {'≥' if higher_is_better else '≤'} {bar} | {'pass' if ok else 'FAIL'} | {note} |")

    for g in genlab:
        if g["group"] == "matmul":
            bar_row(g["name"] + " vs raw OpenBLAS sgemm", g["ratio"], 0.9, note="speed ratio (OpenBLAS time / genlab time)")
        elif g["group"] == "bandwidth":
            bar_row(g["name"] + " vs memcpy bandwidth", g["ratio"], 0.6,
                    note=f"genlab {g['genlab_GBps']:.1f} GB/s, memcpy {g['memcpy_GBps']:.1f} GB/s")
        elif g["group"] == "torch_op":
            if g["name"] in best:
                t, th, cfg = best[g["name"]]
                bar_row(g["name"] + " vs PyTorch", t / g["genlab_s"], 1.5,
                        note=f"genlab {g['genlab_s']*1e3:.2f} ms, PyTorch best {t*1e3:.2f} ms ({cfg})")
        elif g["group"] == "mlp":
            if g["name"] in best:
                t, th, cfg = best[g["name"]]
                bar_row("MLP epoch time / PyTorch best", g["genlab_s"] / t, 0.8, higher_is_better=False,
                        note=f"genlab {g['genlab_s']:.3f} s ({g['threads']} thr), PyTorch best {t:.3f} s ({cfg})")
            bar_row("MLP epoch 2-thread speed-up", g["speedup"], 1.6,
                    note=f"1 thread {g['genlab_1t_s']:.3f} s, {g['threads']} threads {g['genlab_s']:.3f} s")

    lines = [
        "# genlab benchmark report", "",
        f"Run `{os.path.basename(run_dir)}` on {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}, {m['compiler']}.",
        "Every ratio is between measurements taken in this run (medians); PyTorch is measured at its best of",
        "1 and 2 threads, with and without OPENBLAS_NUM_THREADS=1 and OMP_PROC_BIND. genlab and PyTorch run in",
        "alternating rounds; values are medians over the rounds. Rerun with `make bench`.", "",
        "| measurement | value | bar | verdict | detail |", "|---|---|---|---|---|", *rows, "",
        f"{sum(verdicts)} of {len(verdicts)} bars met.", "",
    ]
    lines += ratio_section(genlab, best)
    lines += thread_section(genlab, out_md)
    lines += cuda_section(genlab)
    micro = os.path.join(run_dir, "micro.json")
    if os.path.exists(micro):
        lines += ["## Google Benchmark micro-benchmarks", "", "| benchmark | real time | rate |", "|---|---|---|"]
        for b in json.load(open(micro))["benchmarks"]:
            rate = b.get("GFLOP/s") and f"{b['GFLOP/s'] / 1e9:.1f} GFLOP/s" or (
                b.get("bytes_per_second") and f"{b['bytes_per_second'] / 1e9:.1f} GB/s" or "")
            lines.append(f"| {b['name']} | {b['real_time']:.3f} {b['time_unit']} | {rate} |")
        lines.append("")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        names = [g["name"] for g in genlab if g["group"] == "matmul"]
        ratios = [g["ratio"] for g in genlab if g["group"] == "matmul"]
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.barh(names, ratios, color="#4c72b0")
        ax.axvline(0.9, color="red", linestyle="--", label="bar 0.9")
        ax.set_xlabel("speed vs raw OpenBLAS sgemm (higher is better)")
        ax.legend()
        fig.tight_layout()
        png = os.path.splitext(out_md)[0] + "_matmul.png"
        fig.savefig(png, dpi=100)
        lines += [f"![matmul ratios]({os.path.basename(png)})", ""]
    except ImportError:
        lines += ["(matplotlib missing: no plot)", ""]
    json.dump({"machine": m, "genlab": genlab, "torch_best": best}, open(os.path.join(run_dir, "combined.json"), "w"), indent=2)
    open(out_md, "w").write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
