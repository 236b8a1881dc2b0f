"""Moving a melody into a model's range: the whole part transposed so that its span is centred on
the range, the notes still outside folded in by octaves (`evaluate`'s melodies), or by whole
octaves only, keeping its key (`demo` with a model of another range)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fit_to_range(pitches: Sequence[int], lo: int, hi: int) -> tuple[int, list[int], int]:
    """(transpose, pitches to play, number moved): the melody shifted so that the middle of its span
    sits on the middle of [lo, hi]; notes still outside are moved by octaves into the range (clamped
    to it when it is narrower than an octave)."""
    k = int(np.floor(((lo + hi) - (min(pitches) + max(pitches))) / 2.0 + 0.5))
    played, moved = [], 0
    for p in pitches:
        q = p + k
        while hi - lo >= 11 and q > hi:
            q -= 12
        while hi - lo >= 11 and q < lo:
            q += 12
        q = min(max(q, lo), hi)
        moved += q != p + k
        played.append(q)
    return k, played, moved


def octave_shift(pitches: Sequence[int], lo: int, hi: int) -> int:
    """The whole octaves (semitones, a multiple of 12) that put the most of `pitches` inside
    [lo, hi]; of equally good shifts the smallest. A melody keeps its key, as a musician would
    move it."""
    return max(range(-120, 121, 12), key=lambda k: (sum(lo <= p + k <= hi for p in pitches), -abs(k)))
