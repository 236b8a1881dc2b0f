#!/usr/bin/env python3
"""Write the demo melody shipped with the package: samplernn/pretrained/melody.mid.

"Ode to Joy" (Beethoven, public domain) in B-flat, inside the bundled trombone bank's range
(E2–F4), ending on a two-note chord so the demo shows polyphony.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mido

from samplernn.common.paths import DEMO_MELODY

TPB = 480
BPM = 100
# (MIDI pitch(es), beats, velocity)
MELODY: list[tuple[tuple[int, ...], float, int]] = [
    ((50,), 1, 90), ((50,), 1, 80), ((51,), 1, 85), ((53,), 1, 100),
    ((53,), 1, 95), ((51,), 1, 85), ((50,), 1, 80), ((48,), 1, 75),
    ((46,), 1, 70), ((46,), 1, 75), ((48,), 1, 85), ((50,), 1, 95),
    ((50,), 1.5, 105), ((48,), 0.5, 80), ((48,), 2, 90),
    ((50,), 1, 90), ((50,), 1, 80), ((51,), 1, 85), ((53,), 1, 100),
    ((53,), 1, 95), ((51,), 1, 85), ((50,), 1, 80), ((48,), 1, 75),
    ((46,), 1, 70), ((46,), 1, 75), ((48,), 1, 85), ((50,), 1, 95),
    ((48,), 1.5, 100), ((46,), 0.5, 80), ((46, 50), 2, 100),
]
ARTICULATION = 0.85  # share of each note's beat that sounds (slightly detached)


def build() -> mido.MidiFile:
    """The melody as a type-1 MIDI file: a tempo track and a trombone track."""
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0)])
    track = mido.MidiTrack([mido.Message("program_change", program=57, time=0)])
    gap = 0
    for pitches, beats, velocity in MELODY:
        on = int(beats * TPB * ARTICULATION)
        for i, p in enumerate(pitches):
            track.append(mido.Message("note_on", note=p, velocity=velocity, time=gap if i == 0 else 0))
        for i, p in enumerate(pitches):
            track.append(mido.Message("note_off", note=p, velocity=0, time=on if i == 0 else 0))
        gap = int(beats * TPB) - on
    mid.tracks.extend([meta, track])
    return mid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEMO_MELODY)
    args = parser.parse_args()
    build().save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
