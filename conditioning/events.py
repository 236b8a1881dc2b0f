"""Note events and the one function that turns them into per-sample conditioning arrays.

The same function serves training (events from the manifest) and generation (events from a
MIDI file), so the model always sees conditioning built by identical rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from conditioning.envelope import LEVEL_FLOOR_DB

if TYPE_CHECKING:
    from conditioning.bankstats import BankStats

#: Columns of the conditioning array, in order. Values are raw and human-readable; the model
#: scales them itself (embedding / log countdown / velocity/127 / level/LEVEL_FULL_SCALE).
COND_COLUMNS: tuple[str, ...] = ("note", "velocity", "remaining", "elapsed", "level")
#: Index of each column in a conditioning array: cond[:, LEVEL_INDEX] is the level column.
NOTE_INDEX = COND_COLUMNS.index("note")
VELOCITY_INDEX = COND_COLUMNS.index("velocity")
REMAINING_INDEX = COND_COLUMNS.index("remaining")
ELAPSED_INDEX = COND_COLUMNS.index("elapsed")
LEVEL_INDEX = COND_COLUMNS.index("level")

#: The remaining column's value while a key is held and the note's end is not known yet (live
#: play): the countdown is revealed at note-off. Models with a held flag read it as "held".
REMAINING_HELD = -1

#: The level column counts tenths of a dB above LEVEL_FLOOR_DB: 0 = -80 dBFS or quieter, 800 = 0 dBFS.
LEVEL_STEPS_PER_DB = 10
#: The level column's value at 0 dBFS, its largest (800).
LEVEL_FULL_SCALE = round(-LEVEL_FLOOR_DB * LEVEL_STEPS_PER_DB)


@dataclass(frozen=True)
class NoteEvent:
    """One note, positions in samples: onset = note-on, release = note-off, end = audible end.

    `end` is exclusive (first sample after the note has decayed below the threshold) and is
    never before `release`.
    """

    pitch: int
    velocity: int
    onset: int
    release: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise ValueError(f"pitch {self.pitch} outside MIDI range 0..127")
        if not 0 <= self.velocity <= 127:
            raise ValueError(f"velocity {self.velocity} outside MIDI range 0..127")
        if not 0 <= self.onset < self.end:
            raise ValueError(f"note needs 0 <= onset < end, got onset={self.onset} end={self.end}")
        if not self.onset <= self.release <= self.end:
            raise ValueError(
                f"note needs onset <= release <= end, got {self.onset}, {self.release}, {self.end}"
            )

    @property
    def length(self) -> int:
        """Samples from onset to end."""
        return self.end - self.onset


def level_column(db: np.ndarray) -> np.ndarray:
    """dBFS → level column values (int32, 0 … 800)."""
    steps = np.round((np.asarray(db, np.float64) - LEVEL_FLOOR_DB) * LEVEL_STEPS_PER_DB)
    return np.clip(steps, 0, LEVEL_FULL_SCALE).astype(np.int32)


def level_column_db(values: np.ndarray) -> np.ndarray:
    """Level column values → dBFS (float64); the inverse of level_column within its range."""
    return np.asarray(values, np.float64) / LEVEL_STEPS_PER_DB + LEVEL_FLOOR_DB


def events_to_conditioning(
    events: Sequence[NoteEvent], n_samples: int, stats: BankStats | None = None
) -> np.ndarray:
    """Per-sample conditioning for a monophonic stream of `n_samples` samples.

    Returns an int32 array (n_samples, 5) with columns COND_COLUMNS:
      note      — MIDI pitch over [onset, end), 0 elsewhere;
      velocity  — MIDI velocity over [onset, end), 0 elsewhere;
      remaining — samples until `end`: end-onset-1 … 0 across the note (as in the thesis), 0 outside
                  (live play writes REMAINING_HELD while the key is down and the end is unknown);
      elapsed   — samples since onset: 0 … end-onset-1 across the note, 0 outside;
      level     — the bank's typical loudness for this pitch, velocity and release time
                  (`stats.level_curve`, see LEVEL_STEPS_PER_DB) over [onset, end); 0 outside, and
                  0 everywhere without `stats` or when they hold no envelopes (older banks).
    Where events overlap, the later onset wins from its onset on. Events past n_samples are cut.
    """
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    cond = np.zeros((n_samples, len(COND_COLUMNS)), dtype=np.int32)
    for ev in sorted(events, key=lambda e: e.onset):
        a, b = min(ev.onset, n_samples), min(ev.end, n_samples)
        if a >= b:
            continue
        t = np.arange(a, b, dtype=np.int64)
        cond[a:b, NOTE_INDEX] = ev.pitch
        cond[a:b, VELOCITY_INDEX] = ev.velocity
        cond[a:b, REMAINING_INDEX] = ev.end - 1 - t
        cond[a:b, ELAPSED_INDEX] = t - ev.onset
        if stats is not None and stats.envelopes:
            curve = stats.level_curve(ev.pitch, ev.velocity, ev.length, ev.release - ev.onset)
            cond[a:b, LEVEL_INDEX] = level_column(curve[a - ev.onset : b - ev.onset])
    return cond
