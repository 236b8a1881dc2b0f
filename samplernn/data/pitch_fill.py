"""Pitches the bank lacks, filled for training by resampling the notes of the nearest pitch it has.

A sampler stretches one recording over a key range by playing it faster or slower; a bank with
every third semitone left out is played that way by every sampler instrument. Here the same
resampled copies become extra training notes, so that the note embedding of a pitch the bank
lacks is trained on audio at that pitch instead of never being trained at all. On a cello bank
with every third semitone left out, 5,000 steps, the left-out semitones in tune went from 2-3 to
7 of 12 and the melodies from ~50 to ~78 % (docs/training.md, "Pitches the bank lacks:
resampled copies").

Shifting by k semitones resamples by r = 2^(k/12) (soxr 'HQ', samplernn.common.audio.resample):
the note gets r times higher and 1/r times shorter; its onset, release and end are scaled to
match. The timbre's formants move with it, which for a shift of a semitone or two is what
multisample instruments accept between their recorded keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from samplernn.common.audio import resample
from samplernn.data.manifest import NoteRecord

#: Id suffix of a resampled copy: "<source id>@+1" is the source shifted up a semitone.
SHIFT_MARK = "@"


def missing_pitches(pitches: Iterable[int]) -> list[int]:
    """The pitches between the lowest and the highest of `pitches` that are not among them, ascending."""
    have = set(int(p) for p in pitches)
    if not have:
        return []
    return [p for p in range(min(have), max(have) + 1) if p not in have]


def nearest_source(pitch: int, have: set[int], max_shift: int) -> int | None:
    """The trained pitch nearest to `pitch` within `max_shift` semitones, the lower one when both
    sides are equally near; None when none is that near. One source, not both: on the cello, copies
    from both neighbours played 2 more left-out semitones of 12 in tune but let the 2-s test notes
    end 160-200 ms late, against 12-20 ms with one (docs/training.md)."""
    for d in range(1, max_shift + 1):
        for p in (pitch - d, pitch + d):
            if p in have:
                return p
    return None


def shift_note(
    rec: NoteRecord, audio: np.ndarray, semitones: float, sample_rate: int, keep_pitch: bool = False
) -> tuple[NoteRecord, np.ndarray]:
    """`rec` and its audio (n,) float32 moved by `semitones` (positive = up): resampled by
    r = 2^(semitones/12), so about n/r samples long, positions scaled by 1/r. The copy's pitch is
    rec.pitch + semitones, or rec.pitch with `keep_pitch` (a drum kit's key names its piece).

    Raises ValueError for a shift that leaves MIDI's 0..127 or, without `keep_pitch`, is not a
    whole number of semitones (NoteEvent checks the result).
    """
    if not keep_pitch and semitones != round(semitones):
        raise ValueError(f"a pitch moved by {semitones:g} semitones is not a MIDI note")
    ratio = 2.0 ** (semitones / 12.0)
    y = resample(audio, sample_rate * ratio, sample_rate)
    n = len(y)

    def at(pos: int) -> int:
        return min(int(round(pos / ratio)), n)

    onset, release, end = at(rec.onset), at(rec.release), at(rec.end)
    onset = min(onset, max(end - 1, 0))
    shifted = NoteRecord(
        id=f"{rec.id}{SHIFT_MARK}{semitones:+g}",
        audio=rec.audio,
        split=rec.split,
        pitch=rec.pitch if keep_pitch else rec.pitch + int(round(semitones)),
        velocity=rec.velocity,
        onset=onset,
        release=min(max(release, onset), end),
        end=end,
        n_samples=n,
        source=rec.source,
    )
    shifted.event  # validates the positions and the pitch  # noqa: B018
    return shifted, y


def fill_plan(notes: Sequence[NoteRecord], max_shift: int) -> list[tuple[NoteRecord, int]]:
    """(source note, shift in semitones) for every copy that fills a pitch `notes` lack within
    their range, from the nearest pitch at most `max_shift` semitones away; [] for
    max_shift 0. Every velocity layer and take of the source pitch is copied."""
    if max_shift <= 0:
        return []
    have = {n.pitch for n in notes}
    plan = []
    for pitch in missing_pitches(have):
        source = nearest_source(pitch, have, max_shift)
        if source is not None:
            plan += [(n, pitch - source) for n in notes if n.pitch == source]
    return plan
