#!/usr/bin/env python3
"""Write the melody set that `samplernn evaluate --shipped-melodies` scores:
samplernn/pretrained/melodies/*.mid.

Six monophonic lines of 3–5 s, written for the test, not taken from any piece. They are placed
around C3–C5 here; evaluate transposes each into the model's range by itself. Together they hold
notes as short as 0.15 s, legato lines (each note-off 20 ms after the next note-on), repeated notes,
velocities between the usual layers (40 / 80 / 120) and lines that span two octaves:

* 1_legato_scale  — a two-octave major scale up, legato, 0.22 s notes, velocity 96;
* 2_chorale       — a chorale-like soprano line, 0.4–0.8 s notes, legato, velocity 96;
* 3_repeated      — four notes struck four times each, 0.15 s notes 50 ms apart, velocity 100 / 60;
* 4_dynamics      — 0.45 s notes at velocities 30, 50, 60, 70, 90, 100, 110, 127;
* 5_leaps         — leaps of up to two octaves, 0.15–0.5 s, detached, velocities 70–110;
* 6_chromatic     — every semitone of two octaves up, legato, 0.18 s notes, velocity 70.

The files are deterministic: running the script again writes the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mido

from samplernn.evaluate.options import SHIPPED_MELODIES

TPB = 480
BPM = 120  # one beat = 0.5 s, so a second is 960 ticks
LEGATO_OVERLAP = 0.02  # seconds a legato note sounds on after the next one starts

#: A note: (MIDI pitch, velocity, start in seconds, duration in seconds).
Note = tuple[int, int, float, float]


def line(pitches: list[int], durations: list[float], velocities: list[int], gap: float = 0.0,
         legato: bool = False) -> list[Note]:
    """Notes one after another: each starts where the last one's duration (plus `gap`) ends;
    legato notes sound LEGATO_OVERLAP into the next (the last one does not)."""
    notes, t = [], 0.0
    for i, (p, d, v) in enumerate(zip(pitches, durations, velocities, strict=True)):
        over = LEGATO_OVERLAP if legato and i < len(pitches) - 1 else 0.0
        notes.append((p, v, round(t, 3), round(d + over, 3)))
        t += d + gap
    return notes


def melodies() -> dict[str, list[Note]]:
    """The set, by file stem."""
    scale = [48 + k for k in (0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21, 23, 24)]
    chorale = [60, 62, 64, 65, 67, 65, 64, 62, 64, 60]
    chorale_d = [0.4, 0.4, 0.4, 0.4, 0.8, 0.4, 0.4, 0.4, 0.6, 0.8]
    repeated = [p for p in (50, 57, 62, 69) for _ in range(4)]
    dyn_v = [30, 50, 60, 70, 90, 100, 110, 127]
    leaps = [47, 59, 71, 52, 64, 49, 61, 71, 54, 66, 48, 60]
    leaps_d = [0.15, 0.3, 0.5] * 4
    leaps_v = [70, 90, 110, 80, 100, 70, 90, 110, 80, 100, 70, 90]
    return {
        "1_legato_scale": line(scale, [0.22] * 14 + [0.6], [96] * 15, legato=True),
        "2_chorale": line(chorale, chorale_d, [96] * 10, legato=True),
        "3_repeated": line(repeated, [0.15] * 16, [100, 60] * 8, gap=0.05),
        "4_dynamics": line([55, 59, 62, 55, 59, 62, 55, 59], [0.45] * 8, dyn_v, gap=0.1),
        "5_leaps": line(leaps, leaps_d, leaps_v, gap=0.08),
        "6_chromatic": line(list(range(48, 73)), [0.18] * 24 + [0.5], [70] * 25, legato=True),
    }


def build(name: str, notes: list[Note]) -> mido.MidiFile:
    """One type-0 MIDI file: tempo, track name, then the notes' on and off events in time order."""
    sec = TPB * BPM / 60.0
    events = []
    for pitch, velocity, start, duration in notes:
        events.append((round(start * sec), 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((round((start + duration) * sec), 0, mido.Message("note_off", note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1], e[2].note))  # at one tick: offs first
    track = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0),
        mido.MetaMessage("track_name", name=name, time=0),
    ])
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=0, ticks_per_beat=TPB)
    mid.tracks.append(track)
    return mid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_MELODIES, help="folder to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, notes in melodies().items():
        path = args.out / f"{name}.mid"
        build(name, notes).save(path)
        print(f"{path}: {len(notes)} notes, {max(s + d for _, _, s, d in notes):.2f} s")


if __name__ == "__main__":
    main()
