#!/usr/bin/python3
"""Renders the plots the tutorials describe as JSON (genlab/io/plot.hpp) to PNG
with matplotlib: the one way genlab draws pictures (benchmarks/report.py too).

  /usr/bin/python3 scripts/plot.py reports/plots/*.plot.json   -> a .png beside each

A spec: {"title", "xlabel", "ylabel", "kind": "line" | "bar", "logy": bool,
         "series": [{"label", "x": [...], "y": [...]}, ...]}
Bar plots take x as category names (shared by the series, drawn side by side).
"""
import json
import os
import sys


def render(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path) as f:
        spec = json.load(f)
    series = spec.get("series", [])
    if not series:
        raise SystemExit(f"{path}: no series to plot")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if spec.get("kind", "line") == "bar":
        cats = series[0]["x"]
        width = 0.8 / len(series)
        for i, s in enumerate(series):
            ax.bar([j + (i - (len(series) - 1) / 2) * width for j in range(len(cats))], s["y"], width, label=s["label"])
        ax.set_xticks(range(len(cats)))
        ax.set_xticklabels([str(c) for c in cats])
    else:
        for s in series:
            ax.plot(s["x"], s["y"], marker="o", markersize=3, label=s["label"])
    if spec.get("logy"):
        ax.set_yscale("log")
    ax.set_title(spec.get("title", ""))
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(spec.get("ylabel", ""))
    ax.grid(alpha=0.3)
    if len(series) > 1 or series[0].get("label"):
        ax.legend(fontsize=8)
    fig.tight_layout()
    png = path[: -len(".plot.json")] + ".png" if path.endswith(".plot.json") else os.path.splitext(path)[0] + ".png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    print(f"plot: {png}")


def main(paths):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plot.py: matplotlib is missing (Debian package python3-matplotlib); no PNG written", file=sys.stderr)
        return 0
    for p in paths:
        render(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
