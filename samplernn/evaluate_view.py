"""Presenting an evaluation: rich tables on the terminal and a PNG grid of spectrograms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from samplernn.dataset import NoteRecord
from samplernn.evaluate import Evaluation


def _fmt(value: Any, kind: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "%":
        return f"{100 * value:.1f} %"
    if kind == "%%":
        return f"{100 * value:.3f} %"
    if kind == "ms":
        return f"{value:.0f} ms"
    if kind == "c":
        return f"{value:.1f} c"
    if kind == "dB":
        return f"{value:.2f} dB"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _ok(passed: bool | None) -> str:
    return {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]n/a[/]"}[passed]


def summary_table(report: dict[str, Any]) -> Table:
    """Measure | real (ceiling) | generated | bar | result."""
    real, gen, timbre, nll = report["real"], report["generated"], report["timbre"], report["nll"]
    bars = {b["name"]: b for b in report["bars"]}
    t = Table(title=f"evaluate: {report['n_notes']} notes of split '{report['split']}'")
    for col in ("measure", "real (ceiling)", "generated", "bar", "result"):
        t.add_column(col, justify="left" if col == "measure" else "right")

    def row(label: str, r: Any, g: Any, kind: str = "", bar: str | None = None) -> None:
        b = bars.get(bar or "")
        t.add_row(
            label,
            r if isinstance(r, str) else _fmt(r, kind),
            _fmt(g, kind),
            b["target"] if b else "",
            _ok(b["passed"]) if b else "",
        )

    if nll:
        row("NLL (bits/sample)", "", nll["overall"], bar="test NLL")
        if nll.get("baseline"):
            row("NLL of baseline model", "", nll["baseline"]["overall"])
    row("pitch within ±50 cents", real["pitch"]["accuracy"], gen["pitch"]["accuracy"], "%", "pitch accuracy")
    row("median |cent error|", real["pitch"]["median_abs_cents"], gen["pitch"]["median_abs_cents"], "c")
    row("unvoiced notes", real["pitch"]["n_unvoiced"], gen["pitch"]["n_unvoiced"])
    row(
        "median |end error|",
        real["duration"]["median_ms"],
        gen["duration"]["median_ms"],
        "ms",
        "median duration error",
    )
    row("90th pct |end error|", real["duration"]["p90_ms"], gen["duration"]["p90_ms"], "ms")
    row(
        "RMS rises with velocity",
        real["dynamics"]["rising_share"],
        gen["dynamics"]["rising_share"],
        "%",
        "RMS rising with velocity",
    )
    row(
        "timbre: log-mel distance",
        f"sawtooth {_fmt(timbre['sawtooth_vs_real'], 'dB')}",
        timbre["generated_vs_real"],
        "dB",
        "timbre distance",
    )
    row("clipped samples", real["clipping"]["share"], gen["clipping"]["share"], "%%", "clipping")
    row("DC offset (max |mean|)", real["dc"]["max_abs"], gen["dc"]["max_abs"])
    return t


def pitch_table(report: dict[str, Any]) -> Table:
    """One row per pitch: NLL, pitch accuracy, duration, dynamics and timbre, real / generated."""
    t = Table(title="per pitch (real / generated)")
    for col in (
        "pitch",
        "notes",
        "NLL",
        "pitch ok",
        "|cents|",
        "end error",
        "RMS rising",
        "timbre gen / saw",
    ):
        t.add_column(col, justify="right")
    for p, d in report["per_pitch"].items():
        r, g = d["real"], d["generated"]
        t.add_row(
            f"{d['name']} ({p})",
            str(d["n_notes"]),
            _fmt(d["nll"]),
            f"{_fmt(r['pitch']['accuracy'], '%')} / {_fmt(g['pitch']['accuracy'], '%')}",
            f"{_fmt(r['pitch']['median_abs_cents'], 'c')} / {_fmt(g['pitch']['median_abs_cents'], 'c')}",
            f"{_fmt(r['duration']['median_ms'], 'ms')} / {_fmt(g['duration']['median_ms'], 'ms')}",
            f"{_fmt(_rising(r))} / {_fmt(_rising(g))}",
            f"{_fmt(d['timbre']['generated_vs_real'], 'dB')} / {_fmt(d['timbre']['sawtooth_vs_real'], 'dB')}",
        )
    return t


def _rising(block: dict[str, Any]) -> bool | None:
    return block["dynamics"]["rising"] if block.get("dynamics") else None


def render_tables(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the summary, the per-pitch table and the pass/fail line."""
    console = console or Console()
    console.print(summary_table(report))
    console.print(pitch_table(report))
    failed = [b["name"] for b in report["bars"] if b["passed"] is False]
    if report["passed"]:
        console.print("[green]shipped-model bars: all passed[/]")
    else:
        console.print(f"[red]shipped-model bars: failed[/] ({', '.join(failed) or 'nothing measurable'})")


def pick_plot_notes(records: list[NoteRecord], max_pitches: int = 3) -> list[int]:
    """Indices of a few notes to picture: up to `max_pitches` pitches spread over the range,
    for each the lowest and highest velocity present."""
    pitches = sorted({r.pitch for r in records})
    if len(pitches) > max_pitches:
        pitches = [pitches[i] for i in np.linspace(0, len(pitches) - 1, max_pitches).round().astype(int)]
    picked: list[int] = []
    for p in pitches:
        idx = [i for i, r in enumerate(records) if r.pitch == p]
        lo = min(idx, key=lambda i: (records[i].velocity, records[i].id))
        hi = max(idx, key=lambda i: (records[i].velocity, records[i].id))
        picked.extend([lo] if lo == hi else [lo, hi])
    return picked


def plot_spectrograms(ev: Evaluation, path: str | Path, max_pitches: int = 3) -> Path:
    """PNG grid: one row per picked note, real | generated log-mel spectrograms on one colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from conditioning import note_name
    from samplernn.fileio import atomic_path
    from samplernn.metrics import TOP_DB, MelSettings, log_mel_db, mel_hop

    sr = ev.report["sample_rate"]
    rows = pick_plot_notes(ev.records, max_pitches)
    mel = MelSettings(n_mels=128)
    hop = mel_hop(sr, mel)
    fig, axes = plt.subplots(
        len(rows), 2, figsize=(11, 2.3 * len(rows) + 0.6), squeeze=False, sharex=True, constrained_layout=True
    )
    image = None
    for row, i in enumerate(rows):
        rec = ev.records[i]
        specs = [log_mel_db(ev.real[i], sr, mel), log_mel_db(ev.generated[i], sr, mel)]
        top = max(s.max() for s in specs)
        for col, (spec, label) in enumerate(zip(specs, ("real", "generated"), strict=True)):
            ax = axes[row][col]
            extent = (0.0, spec.shape[1] * hop / sr, 0, spec.shape[0])
            image = ax.imshow(
                spec - top, origin="lower", aspect="auto", extent=extent, vmin=-TOP_DB, vmax=0, cmap="magma"
            )
            for pos in (rec.onset, rec.release, rec.end):
                ax.axvline(pos / sr, color="cyan", lw=0.6, alpha=0.7)
            ax.set_title(f"{label}: {note_name(rec.pitch)} vel {rec.velocity} ({rec.id})", fontsize=9)
            ax.set_ylabel("mel band")
    for ax in axes[-1]:
        ax.set_xlabel("seconds (lines: onset, release, end)")
    if image is not None:
        fig.colorbar(image, ax=axes, label="dB re row peak", shrink=0.6)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return path
