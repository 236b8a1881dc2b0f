"""Bank statistics: the release tail (end − release, in samples) per pitch and velocity.

`prepare` computes them from the bank and stores them in dataset.json; training copies them into
the checkpoint; rendering a MIDI file uses `release_tail` to estimate each note's `end`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class BankStats:
    """Median release tail per (pitch, velocity), in samples at `sample_rate`."""

    sample_rate: int
    tails: dict[tuple[int, int], int] = field(default_factory=dict)
    counts: dict[tuple[int, int], int] = field(default_factory=dict)

    @classmethod
    def from_notes(cls, sample_rate: int, notes: Iterable[tuple[int, int, int]]) -> BankStats:
        """From (pitch, velocity, release_tail_samples) triples."""
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pitch, velocity, tail in notes:
            groups[(int(pitch), int(velocity))].append(int(tail))
        tails = {k: int(np.median(v)) for k, v in groups.items()}
        return cls(sample_rate, tails, {k: len(v) for k, v in groups.items()})

    @property
    def pitch_range(self) -> tuple[int, int] | None:
        """(lowest, highest) pitch in the bank, or None if empty."""
        if not self.tails:
            return None
        pitches = [p for p, _ in self.tails]
        return min(pitches), max(pitches)

    def release_tail(self, pitch: int, velocity: int) -> int:
        """Typical release tail for any pitch/velocity: the nearest bank entry, pitch first.

        Falls back to 0.25 s when the bank holds no statistics.
        """
        if not self.tails:
            return int(0.25 * self.sample_rate)
        key = min(self.tails, key=lambda k: (abs(k[0] - pitch), abs(k[1] - velocity), k))
        return self.tails[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "release_tail": [
                {
                    "pitch": p,
                    "velocity": v,
                    "median_samples": self.tails[(p, v)],
                    "n": self.counts.get((p, v), 0),
                }
                for p, v in sorted(self.tails)
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BankStats:
        rows = d.get("release_tail", [])
        tails = {(int(r["pitch"]), int(r["velocity"])): int(r["median_samples"]) for r in rows}
        counts = {(int(r["pitch"]), int(r["velocity"])): int(r.get("n", 0)) for r in rows}
        return cls(int(d["sample_rate"]), tails, counts)
