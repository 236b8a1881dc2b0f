"""What the bank lacks: semitones missing within its range, and velocities between its layers.

* Missing semitones: one note at every semitone between the bank's lowest and highest pitch that
  the bank does not hold, rendered like a MIDI note (render.streams.note_stream) and scored for
  pitch, length and level (evaluate.scoring).
* Velocities between layers: each evaluated pitch's first note generated again at the velocity
  midway between every two neighbouring layers of the bank, same timing as the velocity sweep; the
  note is "in between" when its RMS lies strictly between the RMS of the two layers' notes.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from conditioning import BankStats
from samplernn.data.dataset import NoteRecord
from samplernn.measures import sound as measures
from samplernn.render.streams import StreamSpec, note_stream

#: Seconds each missing-semitone note is held (note-on to note-off).
MISSING_HELD_S = 0.6


def bank_layers(stats: BankStats, notes: Sequence[NoteRecord] = ()) -> dict[int, list[int]]:
    """{pitch: sorted velocities} the bank holds: from the bank statistics (the model's training
    bank), or from `notes` when the statistics are empty."""
    keys = set(stats.tails) | set(stats.envelopes) or {(r.pitch, r.velocity) for r in notes}
    layers: dict[int, set[int]] = defaultdict(set)
    for p, v in keys:
        layers[p].add(v)
    return {p: sorted(v) for p, v in sorted(layers.items())}


def missing_pitches(layers: dict[int, list[int]]) -> list[int]:
    """Semitones between the lowest and highest pitch of `layers` that it does not hold."""
    if not layers:
        return []
    return [p for p in range(min(layers), max(layers) + 1) if p not in layers]


def missing_pitch_streams(layers: dict[int, list[int]], stats: BankStats, sample_rate: int, lead: int,
                          tail: int) -> list[StreamSpec]:
    """One stream per missing semitone: held MISSING_HELD_S, at the middle layer of the nearest
    pitch the bank holds (the lower one on a tie)."""
    out = []
    for p in missing_pitches(layers):
        near = min(layers, key=lambda q: (abs(q - p), q))
        velocity = layers[near][len(layers[near]) // 2]
        held = round(MISSING_HELD_S * sample_rate)
        out.append(note_stream(p, velocity, lead, lead + held, stats, lead, tail))
    return out


def between_copies(records: Sequence[NoteRecord], bank: Sequence[NoteRecord]) -> list[NoteRecord]:
    """For each evaluated pitch's first note: a copy at the velocity midway between every two
    neighbouring velocities the bank has for that pitch (pairs less than 2 apart have none)."""
    bank_vels: dict[int, set[int]] = defaultdict(set)
    for r in bank:
        bank_vels[r.pitch].add(r.velocity)
    first: dict[int, NoteRecord] = {}
    for r in records:
        first.setdefault(r.pitch, r)
    out = []
    for p, ref in sorted(first.items()):
        vels = sorted(bank_vels[p])
        for lo, hi in zip(vels, vels[1:], strict=False):
            if hi - lo >= 2:
                v = (lo + hi) // 2
                out.append(dataclasses.replace(ref, velocity=v, id=f"{ref.id}@v{v}"))
    return out


def between_block(levels: dict[int, list[tuple[int, float]]], copies: Sequence[NoteRecord],
                  audio: Sequence[np.ndarray]) -> dict[str, Any]:
    """The report's "between_velocities": per pitch, each in-between note's RMS (dBFS) next to its
    neighbours' (from `levels`, the generated velocity sweep) and whether it lies between them; the
    share of pitches whose in-between notes all do, and the share of in-between notes that do."""
    per_pitch: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec, x in zip(copies, audio, strict=True):
        by_vel: dict[int, list[float]] = defaultdict(list)
        for v, r in levels.get(rec.pitch, []):
            by_vel[v].append(r)
        lo = max((v for v in by_vel if v < rec.velocity), default=None)
        hi = min((v for v in by_vel if v > rec.velocity), default=None)
        if lo is None or hi is None:
            continue
        a, b = float(np.median(by_vel[lo])), float(np.median(by_vel[hi]))
        level = measures.rms(x, rec.onset, rec.end)
        per_pitch[str(rec.pitch)].append({
            "velocity": rec.velocity, "low": lo, "high": hi, "rms_db": measures.to_db(level),
            "low_db": measures.to_db(a), "high_db": measures.to_db(b),
            "between": min(a, b) < level < max(a, b),
        })
    judged = [all(c["between"] for c in cells) for cells in per_pitch.values()]
    notes = [c["between"] for cells in per_pitch.values() for c in cells]
    return {
        "share": sum(judged) / len(judged) if judged else None,
        "n_pitches": len(judged),
        "note_share": sum(notes) / len(notes) if notes else None,
        "per_pitch": dict(per_pitch),
    }
