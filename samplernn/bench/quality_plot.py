"""The picture of a time-to-quality curve: one panel per measure against training minutes, with
the measure's target as a dashed line where it has one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from samplernn.bench.quality_measures import MEASURES, Measure
from samplernn.common.plots import figure

_COLUMNS = 3


def _scale(m: Measure) -> float:
    """Shares are drawn in percent."""
    return 100.0 if m.unit == "%" else 1.0


def _points(m: Measure, snapshots: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """(minutes, value) of the snapshots where `m` was measured."""
    pairs = [(s["minutes"], s["measures"].get(m.key)) for s in snapshots]
    kept = [(x, y * _scale(m)) for x, y in pairs if x is not None and y is not None]
    return [x for x, _ in kept], [y for _, y in kept]


def _panel(ax: Any, main: Measure, snapshots: list[dict[str, Any]]) -> None:
    """Draw `main` and the measures that share its panel; its target; the best checkpoint."""
    lines = [main] + [m for m in MEASURES if m.panel == main.key]
    for i, m in enumerate(lines):
        x, y = _points(m, snapshots)
        style = "o-" if i == 0 else "s--"
        label = m.label + (" (target: below it)" if main.target and main.target[1] == m.key else "")
        ax.plot(x, y, style, markersize=3, label=label)
        seeds = [(s["minutes"], v * _scale(m)) for s in snapshots
                 for v in s.get("per_seed", {}).get(m.key, []) if v is not None and s["minutes"] is not None]
        if seeds:
            ax.plot(*zip(*seeds, strict=True), ".", color="0.6", markersize=3)
    if main.target is not None and not isinstance(main.target[1], str):
        op, bound = main.target
        level = bound * _scale(main)
        ax.axhline(level, color="tab:red", linestyle=":", label=f"target {op} {level:g}")
    best = [s for s in snapshots if s.get("best") and s["measures"].get(main.key) is not None]
    if best:
        ax.plot([best[0]["minutes"]], [best[0]["measures"][main.key] * _scale(main)], "*", color="tab:orange",
                markersize=10, label="best.pt")
    ax.set_title(main.label, fontsize=9)
    ax.set_ylabel(main.unit, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if _points(main, snapshots)[0]:
        ax.legend(fontsize=6)
    else:
        ax.text(0.5, 0.35, "not measured", transform=ax.transAxes, ha="center", va="center", color="0.5")


def curve_title(curve: dict[str, Any]) -> str:
    """What the curve is of, for its picture: the bank's folder name, how it started and the budget
    ("cello, fine-tuned from trombone-small, 30-minute budget"); never an absolute path."""
    parts = [Path(str(curve.get("dataset") or "")).name or "bank"]
    init = curve.get("init")
    parts.append(f"fine-tuned from {Path(str(init)).stem}" if init else "from scratch")
    budget = curve.get("budget_minutes")
    if budget is not None:
        parts.append(f"{float(budget):g}-minute budget")
    return ", ".join(parts)


def plot_quality(curve: dict[str, Any], path: str | Path) -> Path:
    """Write the curve's picture to `path` (PNG, atomically): a panel per measure of MEASURES that is
    not drawn in another's, x = training minutes. Returns the path."""
    mains = [m for m in MEASURES if m.panel is None]
    rows = math.ceil(len(mains) / _COLUMNS)
    snapshots = curve["snapshots"]
    with figure(path, figsize=(4.2 * _COLUMNS, 2.8 * rows)) as fig:
        axes = fig.subplots(rows, _COLUMNS, squeeze=False).ravel()
        minutes = [s["minutes"] for s in snapshots if s["minutes"] is not None]
        for ax, m in zip(axes, mains, strict=False):
            _panel(ax, m, snapshots)
            if minutes:
                ax.set_xlim(0.0, max(minutes) * 1.05)
        for ax in axes[len(mains):]:
            ax.set_visible(False)
        fig.suptitle(f"quality against training minutes: {curve_title(curve)}", fontsize=10)
        fig.supxlabel("training minutes", fontsize=9)
    return Path(path)
