"""The human-readable summary `samplernn prepare` prints after a run."""

from __future__ import annotations

from pathlib import Path

from conditioning import note_name
from samplernn.prepare.run import PrepareResult

MAX_LISTED_FAILURES = 20


def summary_lines(result: PrepareResult, src: str | Path | None = None) -> list[str]:
    """Notes per split, pitches, durations, release tails, failures, and where the output is."""
    c, s, t, lag = result.counts, result.seconds, result.release_tail_ms, result.onset_lag_ms
    p = result.pitches
    origin = f" from {src}" if src is not None else ""
    lines = [
        f"prepared {c['notes']} notes{origin} (layout {result.layout}) in {result.elapsed:.1f} s",
        f"  splits        train {c['train']} · val {c['val']} · test {c['test']}",
        f"  pitches       {len(p)} ({note_name(p[0])}–{note_name(p[-1])}), "
        f"velocities {', '.join(map(str, result.velocities))}",
        f"  audio         {result.sample_rate} Hz, {s['total']:.1f} s in all, "
        f"notes {s['min']:.2f}–{s['max']:.2f} s",
        f"  release tail  {t['min']:.0f}–{t['max']:.0f} ms (median {t['median']:.0f} ms)",
        f"  sound start   {lag['min']:+.1f}…{lag['max']:+.1f} ms from the MIDI note-on "
        f"(median {lag['median']:+.1f} ms)",
        f"  failed        {len(result.failures)}",
    ]
    for f in result.failures[:MAX_LISTED_FAILURES]:
        lines.append(f"    {f.message}")
    if len(result.failures) > MAX_LISTED_FAILURES:
        more = len(result.failures) - MAX_LISTED_FAILURES
        lines.append(f"    … and {more} more (all listed in dataset.json)")
    lines.append(f"output: {result.out}/ (audio/, manifest.csv, dataset.json)")
    return lines
