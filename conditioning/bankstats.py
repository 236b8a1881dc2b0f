"""Bank statistics per pitch and velocity: the release tail (end − release, in samples) and the
typical loudness envelope.

`prepare` computes them from the bank's train split and stores them in dataset.json; training
copies them into the checkpoint; rendering a MIDI file uses `release_tail` to estimate each
note's `end`, and every conditioning array (training and generation alike) takes its level column
from `level_curve`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conditioning.envelope import LEVEL_FLOOR_DB, level_db

ENVELOPE_HOP_S = 0.01


@dataclass
class Envelope:
    """Typical loudness of one (pitch, velocity), frames `hop` samples apart.

    sustain: (K,) dBFS at onset + k*hop while the key is held (median over the bank's notes);
    release: (J,) dB relative to the level at release, at release + j*hop.
    """

    sustain: np.ndarray
    release: np.ndarray

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Envelope)
            and np.array_equal(self.sustain, other.sustain)
            and np.array_equal(self.release, other.release)
        )

    def curve(self, hop: int, length: int, release_at: int, start: int = 0) -> np.ndarray:
        """(length - start,) dBFS at samples start … length-1 from onset: the sustain held past its
        last frame, then the release (a window of the whole curve, the same values)."""
        t = np.arange(start, length, dtype=np.float64)
        frames = np.arange(self.sustain.size) * hop
        held = np.interp(t, frames, self.sustain)
        at_release = float(np.interp(release_at, frames, self.sustain))
        after = at_release + np.interp(t - release_at, np.arange(self.release.size) * hop, self.release)
        return np.where(t < release_at, held, after)


def below_softest_db(velocity: int, softest: int) -> float:
    """dB (<= 0) a note at `velocity` plays under the bank's softest layer, at velocity `softest`:
    amplitude in proportion to velocity, as a sampler scales one layer over the velocities below it
    (Hydrogen's Sampler::renderNote multiplies a layer by velocity / 127). Velocities below 1 count
    as 1; at or above `softest`, 0.

    Measured on the five layers of three Hydrogen kits (BJA_Pacific, Millo_MultiLayered2 with
    ColomboAcousticDrumkit) that evaluate plays below their train split's velocities: the rule's
    peak lies 1.4–11 dB from the real layer's, the softest layer's 11–19 dB.
    Above the loudest layer the same rule (louder in proportion) gained nothing on five layers (a
    median 1.3 against 1.6 dB: hats that are louder at a middle layer than at their hardest) and
    cost generated decays, so a velocity there keeps the loudest layer's level (docs/drums.md,
    *Velocities the kit lacks*)."""
    return min(0.0, 20.0 * math.log10(max(int(velocity), 1) / max(int(softest), 1)))


def _median_frames(curves: list[np.ndarray]) -> np.ndarray:
    """Per-frame median of curves of different lengths (each frame over the curves that reach it)."""
    n = max(c.size for c in curves)
    stack = np.full((len(curves), n), np.nan)
    for i, c in enumerate(curves):
        stack[i, : c.size] = c
    return np.nanmedian(stack, axis=0).astype(np.float32)


def envelope_hop(sample_rate: int) -> int:
    """Frame hop of the loudness envelopes: 10 ms."""
    return max(1, round(ENVELOPE_HOP_S * sample_rate))


def note_levels(
    audio: np.ndarray, onset: int, release: int, end: int, hop: int
) -> tuple[np.ndarray, np.ndarray]:
    """A note's level in dBFS while held (frames from onset) and after release (from release)."""
    return level_db(audio[onset:release], hop), level_db(audio[release:end], hop)


def envelope_templates(
    notes: Iterable[tuple[int, int, np.ndarray, np.ndarray]],
) -> dict[tuple[int, int], Envelope]:
    """{(pitch, velocity): Envelope} from (pitch, velocity, held_db, released_db) of each note."""
    sus: dict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
    rel: dict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
    for pitch, velocity, held, tail in notes:
        key = (int(pitch), int(velocity))
        if held.size:
            sus[key].append(held)
        if tail.size:
            rel[key].append(tail - (held[-1] if held.size else tail[0]))
    out = {}
    for key in sorted(set(sus) | set(rel)):
        s = _median_frames(sus[key]) if sus[key] else np.array([LEVEL_FLOOR_DB], np.float32)
        r = _median_frames(rel[key]) if rel[key] else np.zeros(1, np.float32)
        out[key] = Envelope(s, r)
    return out


@dataclass
class BankStats:
    """Median release tail per (pitch, velocity), in samples at `sample_rate`, and the loudness
    envelopes (frames `hop` samples apart; empty for banks prepared before envelopes existed)."""

    sample_rate: int
    tails: dict[tuple[int, int], int] = field(default_factory=dict)
    counts: dict[tuple[int, int], int] = field(default_factory=dict)
    hop: int = 0
    envelopes: dict[tuple[int, int], Envelope] = field(default_factory=dict)

    @classmethod
    def from_notes(
        cls,
        sample_rate: int,
        notes: Iterable[tuple[int, int, int]],
        levels: Iterable[tuple[int, int, np.ndarray, np.ndarray]] = (),
    ) -> BankStats:
        """From (pitch, velocity, release_tail_samples) triples and, for the envelopes,
        (pitch, velocity, held_db, released_db) of each note (`note_levels`, frames 10 ms apart)."""
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pitch, velocity, tail in notes:
            groups[(int(pitch), int(velocity))].append(int(tail))
        tails = {k: int(np.median(v)) for k, v in groups.items()}
        envelopes = envelope_templates(levels)
        hop = envelope_hop(sample_rate) if envelopes else 0
        return cls(sample_rate, tails, {k: len(v) for k, v in groups.items()}, hop, envelopes)

    def level_curve(
        self, pitch: int, velocity: int, length: int, release_at: int, start: int = 0
    ) -> np.ndarray:
        """Typical level (length - start,) in dBFS of a note at samples start … length-1 from its
        onset, key released at `release_at` (a release at or past `length`: still held, which is
        all that live play knows while the key is down).

        Envelope of the nearest pitch in the bank, interpolated in dB between the velocities that
        bracket `velocity`; below the softest of them, the softest one's made quieter by
        `below_softest_db`; above the loudest, the loudest one's. Raises ValueError when the
        statistics hold no envelopes.
        """
        if not self.envelopes:
            raise ValueError("the bank statistics hold no loudness envelopes (re-run samplernn prepare)")
        near = min({p for p, _ in self.envelopes}, key=lambda p: (abs(p - pitch), p))
        vels = sorted(v for p, v in self.envelopes if p == near)
        lo = max([v for v in vels if v <= velocity], default=vels[0])
        hi = min([v for v in vels if v >= velocity], default=vels[-1])
        a = self.envelopes[(near, lo)].curve(self.hop, length, release_at, start)
        if velocity < lo:
            return a + below_softest_db(velocity, lo)
        if hi == lo:
            return a
        w = (velocity - lo) / (hi - lo)
        return (1 - w) * a + w * self.envelopes[(near, hi)].curve(self.hop, length, release_at, start)

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
            "envelope_hop": self.hop,
            "envelopes": [
                {
                    "pitch": p,
                    "velocity": v,
                    "sustain_db": [round(float(x), 2) for x in e.sustain],
                    "release_db": [round(float(x), 2) for x in e.release],
                }
                for (p, v), e in sorted(self.envelopes.items())
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BankStats:
        rows = d.get("release_tail", [])
        tails = {(int(r["pitch"]), int(r["velocity"])): int(r["median_samples"]) for r in rows}
        counts = {(int(r["pitch"]), int(r["velocity"])): int(r.get("n", 0)) for r in rows}
        envelopes = {
            (int(r["pitch"]), int(r["velocity"])): Envelope(
                np.asarray(r["sustain_db"], np.float32), np.asarray(r["release_db"], np.float32)
            )
            for r in d.get("envelopes", [])
        }
        return cls(int(d["sample_rate"]), tails, counts, int(d.get("envelope_hop", 0)), envelopes)
