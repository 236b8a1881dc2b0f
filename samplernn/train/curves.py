"""Loss curve of a run: train / validation / test NLL (bits per sample) against step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from samplernn.common.plots import figure


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a metrics.jsonl file (missing file → [])."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_loss_curve(records: list[dict[str, Any]], out: str | Path, title: str = "") -> None:
    """Write a PNG of train loss (kind 'train') and val/test NLL (kind 'eval') vs step, atomically."""
    train = [(r["step"], r["loss_bits"]) for r in records if r.get("kind") == "train"]
    evals = [r for r in records if r.get("kind") == "eval"]
    with figure(out, figsize=(7, 4), dpi=100) as fig:
        ax = fig.subplots()
        if train:
            ax.plot(*zip(*train, strict=True), label="train", color="tab:blue", alpha=0.7, lw=1)
        for split, color in (("val", "tab:orange"), ("test", "tab:green")):
            pts = [(r["step"], r[split]["overall"]) for r in evals if r.get(split)]
            if pts:
                ax.plot(*zip(*pts, strict=True), label=split, color=color, marker="o", ms=3, lw=1.5)
        ax.set_xlabel("step")
        ax.set_ylabel("NLL (bits / sample)")
        ax.set_title(title or "SampleRNN training")
        ax.grid(alpha=0.3)
        if train or evals:
            ax.legend()
