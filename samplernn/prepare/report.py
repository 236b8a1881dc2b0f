"""The human-readable summary `samplernn prepare` prints after a run."""

from __future__ import annotations

from pathlib import Path

from conditioning import note_span
from samplernn.common.lists import counted
from samplernn.prepare.layouts import Failure
from samplernn.prepare.run import PrepareResult
from samplernn.prepare.sources.gm_drums import gm_name

MAX_LISTED_FAILURES = 20
#: Layouts whose samples have no note-on time of their own (it is where the sound starts).
ONE_SHOT_LAYOUTS = ("named", "sfz", "drumkit")


def summary_lines(result: PrepareResult, src: str | Path | None = None) -> list[str]:
    """Notes per split, pitches, durations, release tails, failures, notices (what was changed in
    usable recordings; shown when there are some), and where the output is."""
    c, s, t, lag = result.counts, result.seconds, result.release_tail_ms, result.onset_lag_ms
    p = result.pitches
    origin = f" from {src}" if src is not None else ""
    lines = [
        f"prepared {counted(c['notes'], 'note')}{origin} (layout {result.layout}) in {result.elapsed:.1f} s",
        f"  splits        train {c['train']} · val {c['val']} · test {c['test']}",
        f"  pitches       {len(p)} ({note_span(p[0], p[-1])}), "
        f"velocities {', '.join(map(str, result.velocities))}",
        f"  audio         {result.sample_rate} Hz, {s['total']:.1f} s in all, "
        f"notes {s['min']:.2f}–{s['max']:.2f} s",
        f"  release tail  {t['min']:.0f}–{t['max']:.0f} ms (median {t['median']:.0f} ms)",
        f"  sound start   {lag['min']:+.1f}…{lag['max']:+.1f} ms from the MIDI note-on "
        f"(median {lag['median']:+.1f} ms)",
        f"  failed        {len(result.failures)}",
        *listed(result.failures),
    ]
    if result.layout == "audio":  # chunks: no notes, so no pitch, release or note-on to speak of
        lines[0] = lines[0].replace(counted(c["notes"], "note"), counted(c["notes"], "chunk"), 1)
        lines[2:4] = ["  chunks        unconditioned (pitch 0, velocity 0): train with --no-conditioning",
                      lines[3].replace("notes", "chunks")]
        del lines[4:6]
    elif result.layout in ONE_SHOT_LAYOUTS:  # the note-on is put where the sound starts: no lag
        del lines[5]
    if result.layout == "drumkit":  # which piece each sample became: a misread name shows here
        lines[2:3] = [f"  pieces        {pieces_line(result.pitch_counts)}",
                      f"  velocities    {', '.join(map(str, result.velocities))}"]
    if result.pitch_checks:
        verdicts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(result.pitch_checks.items()))
        session = result.layout == "session"  # MIDI pitches; an octave is the tracker's slip there
        listed_kinds = {"off"} if session else {"octave", "off"}
        shown = listed_kinds & set(result.pitch_checks)
        wrong = f" ({'/'.join(sorted(listed_kinds))}: listed below)" if shown else ""
        what = {"session": "MIDI pitches", "sfz": "region pitches"}.get(result.layout, "names")
        lines.insert(-1 - len(listed(result.failures)),
                     f"  pitch check   {what} against the tracker: {verdicts}{wrong}")
    if result.notices:
        lines += [f"  notices       {len(result.notices)}", *listed(result.notices)]
    if not (c.get("train") and c.get("val")):
        lines.append(f"  too few       train {c.get('train', 0)} · val {c.get('val', 0)}: `samplernn train` "
                     "needs notes in both (at least 3 different recordings)")
    lines.append(f"output: {result.out}/ (audio/, manifest.csv, dataset.json)")
    return lines


def pieces_line(counts: dict[int, int]) -> str:
    """'36 bass drum ×12, 38 acoustic snare ×8, …': a kit's pieces by General MIDI key, with how
    many samples each got (`gm_drums.RULES`' names)."""
    return ", ".join(f"{key} {name} ×{n}" if (name := gm_name(key)) else f"{key} ×{n}"
                     for key, n in counts.items())


def listed(entries: list[Failure], more_in: str | None = "dataset.json",
           limit: int | None = MAX_LISTED_FAILURES) -> list[str]:
    """The first `limit` messages (None: all), indented, and how many more there are (all of them in
    `more_in`, when a file holds them). Entries that share a line (Failure.shared: a recording's
    notes failed for one reason) are listed once, on that line."""
    messages = list(dict.fromkeys(f.line for f in entries))  # in order, each shared line once
    shown = messages if limit is None else messages[:limit]
    lines = [f"    {m}" for m in shown]
    if len(messages) > len(shown):
        where = f" (all listed in {more_in})" if more_in else ""
        lines.append(f"    … and {len(messages) - len(shown)} more{where}")
    return lines
