#!/usr/bin/env python3
"""Validation/test NLL of several training runs against one step axis: a PNG and a table.

  compare_runs.py cond=runs/small-cond,runs/ft-cond uncond=runs/small-uncond,runs/ft-uncond -o nll.png

Each argument is LABEL=RUN[,RUN…]: runs joined in order into one curve. A run started with
`--init` continues from its checkpoint's step (recorded in run.json), so a fine-tuning run
follows the run it came from; records of an earlier run past that step are dropped. The table
lists the steps every curve has, with each curve's test NLL there.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from samplernn.common.plots import figure
from samplernn.train.curves import read_metrics


def curve(runs: list[Path]) -> dict[int, tuple[float, float]]:
    """{global step: (val bits, test bits)} over runs joined in order."""
    points: dict[int, tuple[float, float]] = {}
    for run in runs:
        info = json.loads((run / "run.json").read_text())
        offset = int(info.get("init", {}).get("step", 0))
        points = {s: v for s, v in points.items() if s <= offset}
        for r in read_metrics(run / "metrics.jsonl"):
            if r.get("kind") == "eval" and r.get("test"):
                points[offset + r["step"]] = (r["val"]["overall"], r["test"]["overall"])
    return points


def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("curves", nargs="+", help="LABEL=RUN[,RUN…]")
    parser.add_argument("-o", "--output", type=Path, default=Path("nll.png"))
    args = parser.parse_args()
    curves: dict[str, dict[int, tuple[float, float]]] = {}
    for spec in args.curves:
        label, _, runs = spec.partition("=")
        if not runs:
            parser.error(f"{spec}: expected LABEL=RUN[,RUN…]")
        for run in runs.split(","):
            if not (Path(run) / "metrics.jsonl").is_file():
                parser.error(f"{run}: not a run directory (no metrics.jsonl)")
        curves[label] = curve([Path(r) for r in runs.split(",")])

    with figure(args.output, figsize=(8, 4.5), dpi=100) as fig:
        ax = fig.subplots()
        for i, (label, pts) in enumerate(curves.items()):
            steps = sorted(pts)
            ax.plot(steps, [pts[s][0] for s in steps], color=f"C{i}", ls="--", label=f"{label} val")
            ax.plot(steps, [pts[s][1] for s in steps], color=f"C{i}", label=f"{label} test")
        ax.set_xlabel("step")
        ax.set_ylabel("bits / sample")
        ax.grid(alpha=0.3)
        ax.legend()

    common = sorted(set.intersection(*(set(p) for p in curves.values())))
    print("step  " + "  ".join(f"{label:>10}" for label in curves) + "   (test bits/sample)")
    for s in common:
        print(f"{s:<5} " + "  ".join(f"{curves[label][s][1]:>10.3f}" for label in curves))
    print(f"plot: {args.output}")


if __name__ == "__main__":
    main()
