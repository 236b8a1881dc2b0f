"""Presenting an evaluation: rich tables on the terminal and a PNG grid of spectrograms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from samplernn.common.tables import print_whole
from samplernn.data.dataset import NoteRecord
from samplernn.evaluate.cells import fmt as _fmt
from samplernn.evaluate.cells import ok as _ok
from samplernn.evaluate.cells import pair as _pair
from samplernn.evaluate.oneshot import oneshot_table
from samplernn.evaluate.run import Evaluation
from samplernn.evaluate.view_gaps import gaps_table, melody_table, noise_table
from samplernn.measures import sound as measures


def summary_table(report: dict[str, Any]) -> Table:
    """Measure | real (ceiling) | generated | bar | result. A drum model's (a report with a
    "oneshot" block) keeps the rows that apply to hits: NLL, clipped samples, DC."""
    real, gen, timbre, nll = report["real"], report["generated"], report["timbre"], report["nll"]
    bars = {b["name"]: b for b in report["bars"]}
    t = Table(title=f"evaluate: {report['n_notes']} notes of split '{report['split']}'")
    for col in ("measure", "real", "generated", "bar", ""):
        t.add_column(col, justify="left" if col == "measure" else "right")

    def row(label: str, key: str, kind: str = "", bar: str = "", real_text: str | None = None) -> None:
        section, name = key.split(".")
        b = bars.get(bar)
        r = real_text if real_text is not None else _fmt(real[section][name], kind)
        t.add_row(
            label, r, _fmt(gen[section][name], kind), b["target"] if b else "", _ok(b["passed"]) if b else ""
        )

    if nll:
        b = bars.get("test NLL")
        t.add_row(
            "NLL of the real notes, bits/sample",
            "",
            _fmt(nll["overall"]),
            b["target"] if b else "",
            _ok(b["passed"]) if b else "",
        )
    if report.get("oneshot"):
        row("clipped samples", "clipping.share", "%%", "clipping")
        row("DC, max |mean|", "dc.max_abs")
        return t
    row("pitch within ±50 c", "pitch.accuracy", "%", "pitch accuracy")
    row("median |cents|", "pitch.median_abs_cents", "c")
    row("unvoiced notes", "pitch.n_unvoiced")
    row("pitch settles (median)", "settle.median_ms", "ms")
    row("never settles", "settle.n_unsettled")
    row("median end error", "duration.median_ms", "ms", "median duration error")
    row("p90 end error", "duration.p90_ms", "ms")
    row("RMS rises with vel.", "dynamics.rising_share", "%", "RMS rising with velocity")
    b = bars["timbre distance"]
    t.add_row(
        "timbre (log-mel)",
        f"saw {_fmt(timbre['sawtooth_vs_real'], 'dB')}",
        _fmt(timbre["generated_vs_real"], "dB"),
        "< saw",
        _ok(b["passed"]),
    )
    row("clipped samples", "clipping.share", "%%", "clipping")
    row(f"bursts (> {measures.BURST_OVER_REAL_DB:g} dB)", "bursts.n_notes", "", "bursts", real_text="")
    row("DC, max |mean|", "dc.max_abs")
    return t


def pitch_table(report: dict[str, Any]) -> Table:
    """One row per pitch; each cell 'real / generated' (timbre: 'generated / sawtooth')."""
    t = Table(title="per pitch: real / generated (timbre: generated / sawtooth)")
    for col in ("pitch", "n", "NLL", "pitch ok", "|cents|", "end ms", "RMS rises", "timbre dB"):
        t.add_column(col, justify="right")
    for p, d in report["per_pitch"].items():
        r, g = d["real"], d["generated"]
        t.add_row(
            f"{d['name']} {p}",
            str(d["n_notes"]),
            _fmt(d["nll"]),
            _pair(r["pitch"]["accuracy"], g["pitch"]["accuracy"], "%"),
            _pair(r["pitch"]["median_abs_cents"], g["pitch"]["median_abs_cents"], "0"),
            _pair(r["duration"]["median_ms"], g["duration"]["median_ms"], "0"),
            _pair(_rising(r), _rising(g)),
            _pair(d["timbre"]["generated_vs_real"], d["timbre"]["sawtooth_vs_real"], ".1"),
        )
    return t


def misses_table(report: dict[str, Any]) -> Table | None:
    """One row per evaluated note the model played out of tune (the report's pitch tolerance, ±50 c
    by default, as the pitch bar scores; the report's seed in the title):
    note, velocity, held seconds, and what the tracker found in the real and the generated note
    (cents off, an octave error, or unvoiced: no pitch found). None when every note is in tune."""
    from conditioning import note_name
    from samplernn.measures.sound import pitch_error_kind

    missed = [n for n in report.get("notes", []) if n["generated"]["pitch_ok"] is False]
    if not missed:
        return None
    settings = report.get("settings", {})
    tolerance = settings.get("pitch", {}).get("tolerance_cents", 50.0)
    seed = f" (seed {settings['seed']})" if settings.get("seed") is not None else ""
    t = Table(title=f"notes out of tune: {len(missed)} of {len(report['notes'])}{seed}")
    for col in ("note", "velocity", "held", "real", "generated"):
        t.add_column(col, justify="right")

    def found(block: dict[str, Any]) -> str:
        cents = block["cents"]
        if cents is None:
            return "unvoiced"
        octave = pitch_error_kind(cents, tolerance) == "octave"
        return f"{round(cents):+d} c" + (" (octave)" if octave else "")

    for n in missed:
        held = (n["release"] - n["onset"]) / report["sample_rate"]
        t.add_row(f"{note_name(n['pitch'])} {n['pitch']}", str(n["velocity"]), f"{held:.2f} s",
                  found(n["real"]), found(n["generated"]))
    return t


def _rising(block: dict[str, Any]) -> bool | None:
    return block["dynamics"]["rising"] if block.get("dynamics") else None


def seeds_table(runs: list[dict[str, Any]]) -> Table:
    """Bar | value per seed | target | seeds passing of the seeds it was measured on ("n/a": none)."""
    t = Table(title=f"bars over {len(runs)} seeds")
    t.add_column("bar", justify="left")
    for r in runs:
        t.add_column(f"seed {r['seed']}", justify="right")
    t.add_column("target", justify="right")
    t.add_column("passed", justify="right")
    kinds = {"pitch accuracy": "%", "RMS rising with velocity": "%", "clipping": "%%",
             "median duration error": "ms", "timbre distance": "dB", "melody pitch": "%",
             "missing-pitch accuracy": "%", "in-between velocities": "%"}
    for bar in runs[0]["bars"]:
        cells = [next(b for b in r["bars"] if b["name"] == bar["name"]) for r in runs]
        judged = [c["passed"] for c in cells if c["passed"] is not None]  # None: not measured
        passing = f"{sum(judged)} / {len(judged)}" if judged else "n/a"
        t.add_row(bar["name"], *(_fmt(c["value"], kinds.get(bar["name"], "")) for c in cells), bar["target"],
                  passing)
    return t


def render_tables(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the summary, the per-pitch table, the notes out of tune (when any), the noise floor,
    the bank's gaps, the melodies (when scored) and the pass/fail line; a drum model's: the summary
    and the one-shot table (the pitched tables say nothing about hits; the JSON report keeps them)."""
    console = console or Console()
    tables = [summary_table(report)]
    if report.get("oneshot"):
        tables.append(oneshot_table(report))
    else:
        tables += [pitch_table(report), misses_table(report), noise_table(report), gaps_table(report),
                   melody_table(report)]
    for table in tables:
        if table is not None:
            print_whole(console, table)
    failed = [b["name"] for b in report["bars"] if b["passed"] is False]
    if report["passed"]:
        console.print("[green]the bars a model must pass to ship: all passed[/]")
    else:
        failed_text = ", ".join(failed) or "nothing measurable"
        console.print(f"[red]the bars a model must pass to ship: failed[/] ({failed_text})")


def pick_plot_notes(records: list[NoteRecord], max_rows: int = 6) -> list[int]:
    """Indices of a few notes to picture: pitches spread over the range and, where the split has
    several velocities of a pitch, its lowest and highest (then half as many pitches)."""
    by_pitch: dict[int, list[int]] = {}
    for i, r in enumerate(records):
        by_pitch.setdefault(r.pitch, []).append(i)
    pitches = sorted(by_pitch)
    several = np.median([len({records[i].velocity for i in by_pitch[p]}) for p in pitches]) >= 2
    n_pitches = max(1, max_rows // 2 if several else max_rows)
    if len(pitches) > n_pitches:
        pitches = [pitches[i] for i in np.linspace(0, len(pitches) - 1, n_pitches).round().astype(int)]
    picked: list[int] = []
    for p in pitches:
        idx = by_pitch[p]
        lo = min(idx, key=lambda i: (records[i].velocity, records[i].id))
        hi = max(idx, key=lambda i: (records[i].velocity, records[i].id))
        picked.extend([lo] if lo == hi or not several else [lo, hi])
    return picked[:max_rows]


def plot_spectrograms(ev: Evaluation, path: str | Path, max_rows: int = 6) -> Path:
    """PNG grid: one row per picked note, real | generated log-mel spectrograms on one colour scale;
    a row names its note (a drum model's: its piece, gm_drums.piece_name)."""
    from conditioning import note_name
    from samplernn.common.plots import SPECTROGRAM_RANGE_DB, figure
    from samplernn.measures.sound import MelSettings, log_mel_db, mel_hop
    from samplernn.prepare.sources.gm_drums import piece_name

    sr = ev.report["sample_rate"]
    rows = pick_plot_notes(ev.records, max_rows)
    mel = MelSettings(n_mels=128)
    hop = mel_hop(sr, mel)
    path = Path(path)
    name = piece_name if ev.report.get("oneshot") else note_name
    with figure(path, figsize=(11, 2.3 * len(rows) + 0.6), dpi=90, layout="constrained") as fig:
        axes = fig.subplots(len(rows), 2, squeeze=False)
        image = None
        for row, i in enumerate(rows):
            rec = ev.records[i]
            specs = [log_mel_db(ev.real[i], sr, mel), log_mel_db(ev.generated[i], sr, mel)]
            top = max(s.max() for s in specs)
            for col, (spec, label) in enumerate(zip(specs, ("real", "generated"), strict=True)):
                ax = axes[row][col]
                extent = (0.0, spec.shape[1] * hop / sr, 0, spec.shape[0])
                image = ax.imshow(spec - top, origin="lower", aspect="auto", extent=extent,
                                  vmin=-SPECTROGRAM_RANGE_DB, vmax=0, cmap="magma")
                for pos in (rec.onset, rec.release, rec.end):
                    ax.axvline(pos / sr, color="cyan", lw=0.6, alpha=0.7)
                ax.set_xlim(0, max(len(ev.real[i]), len(ev.generated[i])) / sr)
                ax.set_title(f"{label}: {name(rec.pitch)} vel {rec.velocity} ({rec.id})", fontsize=9)
                ax.set_ylabel("mel band")
        for ax in axes[-1]:
            ax.set_xlabel("seconds (lines: onset, release, end)")
        if image is not None:
            fig.colorbar(image, ax=axes, label="dB re row peak", shrink=0.6)
    return path
