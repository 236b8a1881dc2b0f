"""The sound score: how a model's generated validation notes sound, as one number per validation.

For a pitched bank, each generated note is measured against the note it was asked to play
(samplernn.measures.sound):

* pitch — in tune when the median pYIN f0 of its sustained part is within ±50 cents of the MIDI
  pitch (an unvoiced note is out of tune);
* level — |generated − real| RMS level in dB over the held part the two share;
* length — |audible end − requested end| in ms (the envelope rule `prepare` uses).

A note scores 1 if in tune, else 0, minus a level penalty and a length penalty of up to
PENALTY_WEIGHT each, growing linearly to their full weight at LEVEL_SCALE_DB and LENGTH_SCALE_MS.
The sound score is the mean over the notes, rounded to SCORE_DECIMALS (so that scores equal to
that resolution count as equal and NLL breaks the tie): 1 = every note in tune at the right
level and length; −0.5 = silence. Why these parts and weights: docs/training.md.

A drum kit has no pitch: its validation hits score by the one-shot measures instead — attack
within 10 ms of the onset, decay time within 30 % of the real hit's, likeness to its own piece,
loudness near the real hit's (samplernn.train.drum_check, `HitScore`), in [−0.25, 1], averaged
and rounded the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from conditioning import NoteEvent
from samplernn.measures import sound as measures

LEVEL_SCALE_DB = 12.0  # a level error this large costs the full level penalty
LENGTH_SCALE_MS = 200.0  # a length error this large costs the full length penalty
PENALTY_WEIGHT = 0.25
SCORE_DECIMALS = 2
PITCH = measures.PitchSettings()


class ScoredNote(Protocol):
    """A generated validation note's measures: its `value` and the parts of a set of them."""

    @property
    def value(self) -> float: ...

    @classmethod
    def parts(cls, notes: Sequence[Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoteScore:
    """One generated note's measures: cent error (None: unvoiced), signed level error in dB,
    length error in ms."""

    cents: float | None
    level_error_db: float
    length_error_ms: float

    @property
    def in_tune(self) -> bool:
        return self.cents is not None and abs(self.cents) <= PITCH.tolerance_cents

    @property
    def value(self) -> float:
        """1 (in tune) or 0, minus the level and length penalties: in [−0.5, 1]."""
        level = min(abs(self.level_error_db) / LEVEL_SCALE_DB, 1.0)
        length = min(self.length_error_ms / LENGTH_SCALE_MS, 1.0)
        return float(self.in_tune) - PENALTY_WEIGHT * (level + length)

    @classmethod
    def parts(cls, notes: Sequence[NoteScore]) -> dict[str, Any]:
        """Share in tune, median |level error| in dB, median length error in ms, per-note cents
        (None each for no notes)."""
        n = notes
        return {
            "in_tune": float(np.mean([x.in_tune for x in n])) if n else None,
            "level_error_db": float(np.median([abs(x.level_error_db) for x in n])) if n else None,
            "length_error_ms": float(np.median([x.length_error_ms for x in n])) if n else None,
            "cents": [None if x.cents is None else round(x.cents, 1) for x in n],
        }


@dataclass(frozen=True)
class SoundScore:
    """A validation's sound score and its parts over `notes` (NoteScore, or HitScore for a drum
    kit); seconds it took (generation and measures). A rank that did not measure holds the score
    alone (notes empty)."""

    score: float
    notes: Sequence[ScoredNote] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def of(cls, notes: Sequence[ScoredNote], seconds: float = 0.0) -> SoundScore:
        """The score of `notes` (ValueError for none)."""
        if not notes:
            raise ValueError("a sound score needs at least one note")
        score = round(float(np.mean([n.value for n in notes])), SCORE_DECIMALS)
        return cls(score, list(notes), seconds)

    def to_dict(self) -> dict[str, Any]:
        """The metrics record's "sound" entry: the score, its parts (NoteScore.parts: share in tune,
        median |level error| in dB, median length error in ms, per-note cents; for a drum kit
        HitScore.parts, with "kind": "drum"), the number of notes and the seconds it took."""
        kind = type(self.notes[0]) if self.notes else NoteScore
        return {"score": self.score, **kind.parts(self.notes), "notes": len(self.notes),
                "seconds": round(self.seconds, 3)}


def describe(sound: dict[str, Any]) -> str:
    """A metrics record's "sound" entry in a few words, for the training log."""
    if sound.get("kind") == "drum":
        like = "" if sound.get("likeness") is None else f", {sound['likeness']:.0%} like their piece"
        return (f"{sound['score']:.2f} ({sound['attack']:.0%} attack, {sound['decay']:.0%} decay, "
                f"level ±{sound['level_error_db']:.1f} dB{like})")
    return (f"{sound['score']:.2f} ({sound['in_tune']:.0%} in tune, level ±{sound['level_error_db']:.1f} dB, "
            f"length ±{sound['length_error_ms']:.0f} ms)")


def score_note(
    generated: np.ndarray, event: NoteEvent, sample_rate: int, real_db: float, level_span: tuple[int, int]
) -> NoteScore:
    """Measure one generated note (float (n,), n >= event.end) asked to play `event`, against the
    real note's RMS level `real_db` (dB) over `level_span` (samples)."""
    ev = event
    _, cents = measures.note_pitch_cents(
        generated, sample_rate, ev.pitch, ev.onset, ev.release, ev.end, PITCH
    )
    level = measures.to_db(measures.rms(generated, *level_span))
    length = measures.end_error_ms(generated, ev.onset, ev.end, sample_rate)
    return NoteScore(cents, level - real_db, length)
