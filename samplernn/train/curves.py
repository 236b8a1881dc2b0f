"""Curves of a run against step: train / validation / test NLL (bits per sample), and the sound
score with its parts."""

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


def plot_sound_curve(records: list[dict[str, Any]], out: str | Path, title: str = "") -> None:
    """Write a PNG of the sound score of the 'eval' records vs step, atomically: above, the score
    and the share of notes in tune, best checkpoints marked; below, the median level error (dB)
    and length error (ms)."""
    evals = [r for r in records if r.get("kind") == "eval" and r.get("sound")]
    steps = [r["step"] for r in evals]
    part = {
        k: [r["sound"][k] for r in evals] for k in ("score", "in_tune", "level_error_db", "length_error_ms")
    }
    with figure(out, figsize=(7, 5), dpi=100) as fig:
        top, low = fig.subplots(2, 1, sharex=True)
        top.plot(steps, part["score"], label="sound score", color="tab:purple", marker="o", ms=3)
        top.plot(steps, part["in_tune"], label="share in tune", color="tab:green", lw=1, alpha=0.7)
        best = [(r["step"], r["sound"]["score"]) for r in evals if r.get("best")]
        if best:
            top.plot(*zip(*best, strict=True), "*", color="tab:red", ms=9, label="new best (best.pt)")
        top.set_ylabel("score / share")
        top.set_title(title or "sound of the validation notes")
        top.grid(alpha=0.3)
        top.legend(fontsize=8)
        (level,) = low.plot(
            steps, part["level_error_db"], color="tab:orange", marker=".", label="level error"
        )
        low.set_ylabel("level error, dB")
        low.set_xlabel("step")
        low.grid(alpha=0.3)
        ms = low.twinx()
        (length,) = ms.plot(
            steps, part["length_error_ms"], color="tab:blue", marker=".", label="length error"
        )
        ms.set_ylabel("length error, ms")
        low.legend(handles=[level, length], fontsize=8)
