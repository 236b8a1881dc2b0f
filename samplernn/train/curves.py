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


#: What the sound curve draws of each kind of sound score (its "kind"; None: a pitched bank's):
#: the shares beside the score above, and the two errors below as (key, label, unit).
SOUND_PARTS: dict[str | None, tuple[Any, ...]] = {
    None: ((("in_tune", "share in tune"),),
           ("level_error_db", "level error", "dB"), ("length_error_ms", "length error", "ms")),
    "drum": ((("attack", "share with its attack in time"), ("decay", "share decaying as the real hit"),
              ("likeness", "share like its piece")),
             ("level_error_db", "level error", "dB"), ("decay_error_pct", "decay error", "% of the real")),
}


def plot_sound_curve(records: list[dict[str, Any]], out: str | Path, title: str = "") -> None:
    """Write a PNG of the sound score of the 'eval' records vs step, atomically: above, the score
    and its shares (notes in tune; for a drum kit, hits with their attack in time, decaying as
    the real hit and like their piece), best checkpoints marked; below, the median level error
    (dB) and length error (ms; for a drum kit, the decay error in % of the real hit's)."""
    evals = [r for r in records if r.get("kind") == "eval" and r.get("sound")]
    steps = [r["step"] for r in evals]
    shares, *errors = SOUND_PARTS[evals[-1]["sound"].get("kind") if evals else None]
    keys = ("score", *(k for k, _ in shares), *(k for k, _, _ in errors))
    part = {k: [r["sound"].get(k) for r in evals] for k in keys}
    with figure(out, figsize=(7, 5), dpi=100) as fig:
        top, low = fig.subplots(2, 1, sharex=True)
        top.plot(steps, part["score"], label="sound score", color="tab:purple", marker="o", ms=3)
        for (key, label), color in zip(shares, ("tab:green", "tab:olive", "tab:cyan"), strict=False):
            top.plot(steps, part[key], label=label, color=color, lw=1, alpha=0.7)
        best = [(r["step"], r["sound"]["score"]) for r in evals if r.get("best")]
        if best:
            top.plot(*zip(*best, strict=True), "*", color="tab:red", ms=9, label="new best (best.pt)")
        top.set_ylabel("score / share")
        top.set_title(title or "sound of the validation notes")
        top.grid(alpha=0.3)
        top.legend(fontsize=8)
        handles = []
        for ax, (key, label, unit), color in zip((low, low.twinx()), errors, ("tab:orange", "tab:blue"),
                                                 strict=True):
            handles += ax.plot(steps, part[key], color=color, marker=".", label=label)
            ax.set_ylabel(f"{label}, {unit}")
        low.set_xlabel("step")
        low.grid(alpha=0.3)
        low.legend(handles=handles, fontsize=8)
