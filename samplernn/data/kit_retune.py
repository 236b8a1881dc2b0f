"""More hits for a small drum kit: every training hit also trained retuned, down and up.

A drum kit gives few hits to learn from (two Hydrogen kits: 70 in the train split), and a
model learns them by heart within ~3,000 steps: the test NLL rises from there while the train
loss keeps falling (docs/drums.md). Tuning a drum a little up or down is what a drum machine's
tune knob and a producer's sampler do to a one-shot: resampling by r = 2^(s/12) makes the hit
r times higher and 1/r times shorter, a new hit of the same piece. These copies keep the piece
(the key), the velocity and the scaled positions (samplernn.data.pitch_fill.shift_note), so the
model sees three hits where the kit recorded one.

Measured (docs/drums.md, "Retuned copies against learning by heart"): on two Hydrogen kits,
7,000 steps, +/-1 semitone slowed the rise of the test NLL but lowered every sound measure
(likeness 55 -> 49 %, attack in time 92 -> 76 %), so `train --kit-retune` is off by default.
"""

from __future__ import annotations

from collections.abc import Sequence

from samplernn.data.manifest import NoteRecord


def retune_plan(notes: Sequence[NoteRecord], semitones: float) -> list[tuple[NoteRecord, float]]:
    """(hit, shift in semitones) for the two retuned copies of every hit in `notes`, -semitones
    then +semitones; [] for semitones <= 0."""
    if semitones <= 0:
        return []
    return [(n, s) for n in notes for s in (-semitones, semitones)]
