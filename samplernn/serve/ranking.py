"""How takes of one note are measured and ordered: pitch error, noise floor and level against the
bank, the measures `samplernn evaluate` reports (samplernn.measures.sound), folded into one score."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from conditioning import BankStats, NoteEvent
from samplernn.measures import sound


@dataclass(frozen=True)
class RankWeights:
    """How much each measure costs in the score (lower score = better take).

    score = min(|cents| / cents_scale, unvoiced) + |level − bank level| / level_scale_db
            + max(0, noise floor − quiet_db) / noise_scale_db
    An unvoiced take (no pitch found) costs `unvoiced` for its pitch, as much as a take far out of
    tune; a measure that cannot be taken (no bank envelopes, no silence around the note) costs
    nothing.
    """

    cents_scale: float = 50.0  # the evaluate report's pitch tolerance
    level_scale_db: float = 6.0
    quiet_db: float = -60.0
    noise_scale_db: float = 20.0
    unvoiced: float = 10.0


@dataclass(frozen=True)
class TakeMeasures:
    """One take's measures.

    f0_hz, cents: median pYIN f0 over the sustained part and its signed error from the note
        (None when unvoiced).
    noise_floor_db: RMS in dBFS of what should be silent: the lead before note-on and the tail after
        the note's end (None when there is neither).
    level_db: RMS in dBFS over the note [onset, end); bank_level_db: the same for the bank's typical
        loudness envelope of this pitch and velocity (None for banks without envelopes).
    """

    f0_hz: float | None
    cents: float | None
    noise_floor_db: float | None
    level_db: float
    bank_level_db: float | None

    @property
    def level_diff_db(self) -> float | None:
        """level_db − bank_level_db (positive = louder than the bank)."""
        return None if self.bank_level_db is None else self.level_db - self.bank_level_db

    def score(self, weights: RankWeights = RankWeights()) -> float:
        """The take's cost under `weights` (see RankWeights); lower is better."""
        w = weights
        s = w.unvoiced if self.cents is None else min(abs(self.cents) / w.cents_scale, w.unvoiced)
        if self.level_diff_db is not None:
            s += abs(self.level_diff_db) / w.level_scale_db
        if self.noise_floor_db is not None:
            s += max(0.0, self.noise_floor_db - w.quiet_db) / w.noise_scale_db
        return float(s)

    def to_dict(self, weights: RankWeights = RankWeights()) -> dict[str, Any]:
        """The measures, the level difference and the score as JSON values."""
        return {**asdict(self), "level_diff_db": self.level_diff_db, "score": self.score(weights)}


def bank_level_db(stats: BankStats, event: NoteEvent) -> float | None:
    """RMS in dBFS over [onset, end) of the bank's typical envelope for the event's pitch and
    velocity (power mean of the dB curve); None when the bank holds no envelopes."""
    if not stats.envelopes or event.end <= event.onset:
        return None
    curve = stats.level_curve(
        event.pitch, event.velocity, event.end - event.onset, event.release - event.onset
    )
    return float(10.0 * np.log10(np.mean(10.0 ** (curve / 10.0))))


def measure_take(audio: np.ndarray, event: NoteEvent, stats: BankStats, sample_rate: int) -> TakeMeasures:
    """Measures of one take `audio` (n,) whose note is `event` (positions in samples of the take)."""
    f0, cents = sound.note_pitch_cents(audio, sample_rate, event.pitch, event.onset, event.release, event.end)
    quiet = np.concatenate([audio[: event.onset], audio[event.end :]])
    noise = sound.to_db(sound.rms(quiet)) if quiet.size else None
    level = sound.to_db(sound.rms(audio, event.onset, event.end))
    return TakeMeasures(f0, cents, noise, level, bank_level_db(stats, event))


def rank(measures: list[TakeMeasures], weights: RankWeights = RankWeights()) -> list[int]:
    """Indices of `measures`, best take first (lowest score; ties keep the generation order)."""
    return sorted(range(len(measures)), key=lambda i: (measures[i].score(weights), i))
