"""Tables of what isolated test notes do not show: the noise floor between harmonics, the semitones
and velocities the bank lacks, and melodies scored note by note next to the evaluated split."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from samplernn.evaluate.cells import fmt, ok
from samplernn.measures.sound import BURST_OVER_LEVEL_DB


def noise_table(report: dict[str, Any]) -> Table | None:
    """Real | real quantised | generated noise floors (dB re the strongest harmonic); None when
    the report has no noise block."""
    noise = report.get("noise_floor")
    if not noise:
        return None
    t = Table(title="noise floor between harmonics, dB re the strongest harmonic (median)")
    for col in ("real", f"real after {noise['quantization']}", "generated"):
        t.add_column(col, justify="right")
    t.add_row(*(f"{fmt(noise[k]['median_db'], 'dB')} ({_count(noise[k]['n_notes'], 'note')})"
                for k in ("real", "real_quantized", "generated")))
    return t


def gaps_table(report: dict[str, Any]) -> Table | None:
    """The semitones the bank lacks (pitch of one note each) and the velocities between its layers
    (RMS between the neighbours'); None when neither block is in the report."""
    missing, between = report.get("missing_pitches"), report.get("between_velocities")
    if missing is None and between is None:
        return None
    bars = {b["name"]: b for b in report.get("bars", [])}
    t = Table(title="what the bank lacks")
    for col in ("measure", "generated", "bar", ""):
        t.add_column(col, justify="left" if col == "measure" else "right")

    def row(label: str, value: str, bar: str) -> None:
        b = bars.get(bar)
        t.add_row(label, value, b["target"] if b else "", ok(b["passed"]) if b else "")

    if missing is not None:
        p = missing["pitch"]
        text = f"{fmt(p['accuracy'], '%')} of {missing['n_notes']}" if missing["n_notes"] else "none missing"
        row("missing semitones in tune", text, "missing-pitch accuracy")
        if missing["n_notes"]:
            row("  misses (cents)", _misses(p), "")
    if between is not None:
        if report.get("settings", {}).get("velocity_sweep") is False:  # the sweep generates them
            text = "not measured (--no-velocity-sweep)"
        else:
            text = (f"{fmt(between['share'], '%')} of {between['n_pitches']} pitches "
                    f"({fmt(between['note_share'], '%')} of notes)")
        row("velocities between layers: loudness between", text, "in-between velocities")
    return t


def _count(n: int, noun: str) -> str:
    """'1 note', '3 notes'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _misses(pitch: dict[str, Any], limit: int = 8) -> str:
    """'+1200, −700 …' of the misses' cents (at most `limit`), or '—'."""
    cents = pitch["misses_cents"]
    if not cents:
        return "—"
    shown = ", ".join(f"{c:+d}" for c in cents[:limit])
    return shown + (f" and {len(cents) - limit} more" if len(cents) > limit else "")


MELODY_COLUMNS = ("", "notes", "pitch ok", "octave", "other", "unvoiced", "|cents| ok", "settles",
                  "end error", "late by", "level vs bank", "bursts")


def melody_table(report: dict[str, Any]) -> Table | None:
    """One row per melody, the melodies' groups (short, long, pitches and velocities the bank
    lacks), then the evaluated split's notes in the same terms; None without melodies."""
    mel = report.get("melodies")
    if not mel:
        return None
    t = Table(title="melodies, each note on its own stream (end error: median |…| (p90); level: median; "
                    f"bursts: loudest 10 ms > {BURST_OVER_LEVEL_DB:g} dB over the bank's level)")
    for col in MELODY_COLUMNS:
        t.add_column(col, justify="left" if not col else "right")
    for m in mel["per_melody"]:
        t.add_row(f"{m['name']} ({m['transpose']:+d})", *_cells(m))
    t.add_row("[b]all melodies[/]", *_cells(mel["overall"]), end_section=True)
    for name, block in mel["groups"].items():
        t.add_row(f"  {name}", *_cells(block))
    split = report.get("test_split_scored")
    if split:
        t.add_section()
        for source in ("generated", "real"):
            t.add_row(f"split '{report['split']}', {source}", *_cells(split[source]))
    return t


def _cells(block: dict[str, Any]) -> list[str]:
    """The cells after the first of a melody-table row, from a scoring.summarize_scored block."""
    p, length, level = block["pitch"], block["length"], block["level"]
    k = p["kinds"]
    return [
        str(block["n_notes"]), fmt(p["accuracy"], "%"), str(k["octave"]), str(k["other"]), str(k["unvoiced"]),
        fmt(p["median_abs_cents_ok"], "c"), fmt((block.get("settle") or {}).get("median_ms"), "ms"),
        f"{fmt(length['median_abs_ms'], 'ms')} ({fmt(length['p90_abs_ms'], '0')})",
        fmt(length["median_ms"], "ms"), fmt(level["median_error_db"], "dB"),
        fmt((block.get("bursts") or {}).get("n_notes")),
    ]
