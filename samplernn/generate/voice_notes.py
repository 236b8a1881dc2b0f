"""One note on a streaming voice: its conditioning, written block by block as time goes on.

The conditioning is that of `conditioning.events_to_conditioning` (the offline contract) with one
difference that live play forces: while the key is down, the note's end is not known, so the
remaining column holds a placeholder (`held_value`) until the note-off reveals the countdown
(end = note-off + the bank's release tail). A note whose note-off is known at its note-on (a
file rendered offline) gets the exact countdown from its first sample, as offline rendering does.
Positions are samples of the engine's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from conditioning import (
    ELAPSED_INDEX,
    LEVEL_INDEX,
    NOTE_INDEX,
    REMAINING_INDEX,
    VELOCITY_INDEX,
    BankStats,
    level_column,
)

LEVEL_CHUNK = 4096  # samples of sustain level computed at once while the key is down


@dataclass
class VoiceNote:
    """A note a voice plays: onset = note-on; release = note-off and end = release + release tail
    once known (None while the key is down); `known_from` is where the countdown is revealed (the
    onset when the note-off was known at the note-on, else the note-off)."""

    key: object  # the caller's name for the note (to match its note-off)
    pitch: int
    velocity: int
    onset: int
    held_value: int  # the remaining column while the end is unknown
    release: int | None = None
    end: int | None = None
    known_from: int | None = None
    # The onset search's winning random numbers (samplernn.generate.onset_search), replayed by the
    # voice from engine sample `draw_from` on; None: the engine's own draw.
    draw: np.ndarray | None = field(default=None, repr=False)
    draw_from: int = 0
    # Level column values from the onset on, for the release they were computed with (None: the
    # key down): the curve is pointwise, so a window of it is what each block would compute.
    _levels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32), repr=False)
    _levels_for: int | None = field(default=None, repr=False)

    def release_at(self, release: int, tail: int) -> None:
        """The key is up at `release` (clamped to the onset): reveal the countdown from there."""
        if self.release is not None:
            return
        self.release = max(self.onset, release)
        self.end = max(self.release + tail, self.onset + 1)
        if self.known_from is None:
            self.known_from = self.release

    def fill(self, cond: np.ndarray, t0: int, stats: BankStats | None) -> None:
        """Write the note's conditioning into cond (n, 5) int32, whose row i is sample t0 + i.

        Rows outside [onset, end) are left alone.
        """
        a = max(t0, self.onset)
        b = t0 + len(cond) if self.end is None else min(t0 + len(cond), self.end)
        if a >= b:
            return
        rows = cond[a - t0 : b - t0]
        t = np.arange(a, b, dtype=np.int64)
        rows[:, NOTE_INDEX] = self.pitch
        rows[:, VELOCITY_INDEX] = self.velocity
        rows[:, ELAPSED_INDEX] = t - self.onset
        if self.end is None:
            rows[:, REMAINING_INDEX] = self.held_value
        else:
            rows[:, REMAINING_INDEX] = np.where(t >= self.known_from, self.end - 1 - t, self.held_value)
        if stats is not None and stats.envelopes:
            rows[:, LEVEL_INDEX] = self._level_values(stats, a - self.onset, b - self.onset)

    def _level_values(self, stats: BankStats, lo: int, hi: int) -> np.ndarray:
        """Level column values at samples lo … hi-1 from the onset (hi ≤ end - onset once the end
        is known), from the cache, which is refilled when the release changes or it runs short
        (while the key is down: twice as far as before)."""
        if self._levels_for != self.release or len(self._levels) < hi:
            if self.release is None:  # the sustain, whatever the release will be
                length = release = max(hi, 2 * len(self._levels), LEVEL_CHUNK)
            else:
                length, release = self.end - self.onset, self.release - self.onset
            curve = stats.level_curve(self.pitch, self.velocity, length, release)
            self._levels, self._levels_for = level_column(curve), self.release
        return self._levels[lo:hi]
