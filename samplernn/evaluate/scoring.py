"""Scoring a rendered note without a recording to compare with: its pitch (with the kind of miss),
its length against the note-off plus the bank's release tail, and its level against the bank's
typical level; and the summaries of many such notes (a melody, the semitones the bank lacks).

A rendered note is a `samplernn.render.streams.StreamSpec` and the audio generated for it: the
note's own stream (the model generates every note of a melody as a stream of its own; the mix is
their sum), so a legato neighbour's tail does not blur the note's figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from conditioning import BankStats
from samplernn.measures import sound as measures
from samplernn.render.streams import StreamSpec

#: Semitones the pitch search reaches either side of a rendered note: an octave and a fifth, where
#: the worst misses of melody notes land (a narrower search reports a +1900-cent note as +700).
WIDE_SPAN = 20.0
#: Notes at least this long (seconds, note-on to note-off) count for the octave-error target.
OCTAVE_TARGET_MIN_S = 0.15


def wide(settings: measures.PitchSettings) -> measures.PitchSettings:
    """`settings` with the pitch search widened to at least WIDE_SPAN semitones."""
    return dataclasses.replace(settings, span=max(settings.span, WIDE_SPAN))


def expected_level_db(stats: BankStats, pitch: int, velocity: int, onset: int, release: int,
                      end: int) -> float | None:
    """The bank's typical RMS level (dBFS) over [onset, end) of a note of this pitch and velocity
    released at `release` (BankStats.level_curve, power-averaged); None without envelopes."""
    if not stats.envelopes or end <= onset:
        return None
    curve = stats.level_curve(pitch, velocity, end - onset, release - onset)
    return float(10.0 * np.log10(np.mean(10.0 ** (np.asarray(curve, np.float64) / 10.0))))


def score_stream(
    spec: StreamSpec,
    audio: np.ndarray,
    sample_rate: int,
    stats: BankStats,
    settings: measures.PitchSettings = measures.PitchSettings(),
) -> dict[str, Any]:
    """The figures of one rendered note: audio (n,) is the generated stream of `spec`.

    Keys: pitch, velocity, seconds (note-on to note-off), f0_hz, cents, pitch_ok, pitch_kind
    (measures.pitch_error_kind), end_offset_ms (audible end − note-off − release tail; positive =
    late), settle_ms (measures.settle_ms; None when the pitch never settles), rms_db,
    level_error_db (rms_db − the bank's typical level; None without envelopes),
    clip_share, over_level_db (the loudest 10 ms of the whole stream − the bank's typical level, dB:
    a burst above measures.BURST_OVER_LEVEL_DB; None without envelopes).
    """
    ev = spec.event
    onset, release, end = (ev.onset - spec.start, ev.release - spec.start, ev.end - spec.start)
    f0, cents = measures.note_pitch_cents(audio, sample_rate, ev.pitch, onset, release, end, wide(settings))
    level = measures.to_db(measures.rms(audio, onset, end))
    expected = expected_level_db(stats, ev.pitch, ev.velocity, onset, release, end)
    loudest = measures.loudest_window_db(audio, sample_rate)
    return {
        "pitch": ev.pitch,
        "velocity": ev.velocity,
        "seconds": (ev.release - ev.onset) / sample_rate,
        "f0_hz": f0,
        "cents": cents,
        "pitch_ok": cents is not None and abs(cents) <= settings.tolerance_cents,
        "pitch_kind": measures.pitch_error_kind(cents, settings.tolerance_cents),
        "end_offset_ms": measures.end_offset_ms(audio, onset, end, sample_rate),
        "settle_ms": measures.settle_ms(audio, sample_rate, ev.pitch, onset, release),
        "rms_db": level,
        "level_error_db": None if expected is None else level - expected,
        "clip_share": measures.clip_share(audio),
        "over_level_db": None if expected is None else loudest - expected,
    }


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def pitch_summary(notes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """accuracy, the count of each pitch kind, octave errors on notes ≥ OCTAVE_TARGET_MIN_S,
    median |cents| of the notes in tune and the misses' cents (rounded, sorted)."""
    n = len(notes)
    kinds = {k: sum(m["pitch_kind"] == k for m in notes) for k in measures.PITCH_KINDS}
    return {
        "accuracy": kinds["ok"] / n if n else None,
        "kinds": kinds,
        "octave_errors_long": sum(
            m["pitch_kind"] == "octave" and m["seconds"] >= OCTAVE_TARGET_MIN_S - 1e-3 for m in notes
        ),
        "median_abs_cents_ok": _median([abs(m["cents"]) for m in notes if m["pitch_kind"] == "ok"]),
        "misses_cents": sorted(round(m["cents"]) for m in notes if m["pitch_kind"] in ("octave", "other")),
    }


def settle_summary(notes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median and p90 of the notes' settle_ms (measures.settle_ms) over the notes that settle, and
    how many do not (settle_ms None or absent)."""
    settle = [m["settle_ms"] for m in notes if m.get("settle_ms") is not None]
    return {
        "median_ms": _median(settle),
        "p90_ms": float(np.percentile(settle, 90)) if settle else None,
        "n_unsettled": len(notes) - len(settle),
    }


def burst_summary(over_db: Sequence[float | None], threshold_db: float) -> dict[str, Any]:
    """Bursts among notes whose loudest 10 ms sits `over_db` dB over their reference (None: no
    reference, e.g. the real recordings themselves): how many exceed `threshold_db`, their share of
    the notes with a reference, and the largest excess (dB); None figures without any reference."""
    known = [float(v) for v in over_db if v is not None]
    n = sum(v > threshold_db for v in known)
    return {
        "threshold_db": threshold_db,
        "n_notes": n if known else None,
        "share": n / len(known) if known else None,
        "max_over_db": max(known) if known else None,
    }


def summarize_scored(notes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pitch (pitch_summary), pitch settling (settle_summary), length (median and p90 of |end
    offset|, median signed offset, ms), level (median |level error| and median level error, dB)
    clipping and bursts (burst_summary) of scored notes."""
    ends = [m["end_offset_ms"] for m in notes]
    levels = [m["level_error_db"] for m in notes if m.get("level_error_db") is not None]
    return {
        "n_notes": len(notes),
        "pitch": pitch_summary(notes),
        "settle": settle_summary(notes),
        "length": {
            "median_abs_ms": _median(np.abs(ends)),
            "p90_abs_ms": float(np.percentile(np.abs(ends), 90)) if ends else None,
            "median_ms": _median(ends),
        },
        "level": {
            "median_abs_error_db": _median(np.abs(levels)),
            "median_error_db": _median(levels),
        },
        "clipped_notes": sum(m.get("clip_share", 0.0) > 0 for m in notes),
        "bursts": burst_summary([m.get("over_level_db") for m in notes], measures.BURST_OVER_LEVEL_DB),
    }
