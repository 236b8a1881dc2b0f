#!/usr/bin/env python3
"""Write the melody sets that `samplernn evaluate` scores: `--set shipped` (the default) writes
samplernn/pretrained/melodies/*.mid (`--shipped-melodies`), `--set heldout` writes
samplernn/pretrained/melodies_heldout/*.mid (`--heldout-melodies`).

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

The held-out set is other music, written on 2026-12-01 before any model played it, to report
beside the shipped set and never to tune on (docs/evaluate.md):

* h1_ode        — the theme of Beethoven's Ode to Joy (public domain), 0.35 s notes 50 ms apart,
                  velocity 84;
* h2_dotted     — long-short dotted pairs (0.45 / 0.15 s) in D dorian, legato, velocity 72;
* h3_arpeggio   — staccato broken chords over an octave and a half, 0.15 s notes 0.1 s apart,
                  every fourth note accented (110, else 64);
* h4_swell      — long notes (0.7–1.0 s) leaping by fifths and sixths, velocities 40 → 120 → 96;
* h5_bass       — a walking bass line, legato 0.3 s notes, velocity 90;
* h6_turns      — turns (upper and lower neighbour, 0.15 s, legato) around four held notes,
                  velocity 100.

The second held-out set, `--set fresh` (samplernn/pretrained/melodies_fresh/*.mid, read with
`--melodies DIR`), was written on 2026-12-01 after the onset search's rounds had been chosen on
synthetic notes, to check them on music neither that choice nor the first held-out set had seen:

* f1_minuet     — a minuet-like line in G, quarter notes of 0.3 s 40 ms apart with half notes of
                  0.6 s at phrase ends, velocity 88;
* f2_trills     — semitone and whole-tone shakes (0.15 s, legato) on five centres, velocity 80;
* f3_descend    — a harmonic-minor scale down an octave and a half, 0.2 s notes 50 ms apart,
                  velocities alternating 56 / 104;
* f4_fanfare    — a fanfare on a major triad, short-short-long (0.15, 0.15, 0.3 s) with repeated
                  notes, velocity 110;
* f5_lyrical    — a slow legato line of 0.5–1.2 s notes rising from velocity 50 to 110;
* f6_wander     — a seeded random walk (steps of up to a fifth) of 0.15–0.5 s notes, 30 ms apart,
                  velocities 45–115.

The files are deterministic: running the script again writes the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mido

from samplernn.evaluate.options import HELDOUT_MELODIES, SHIPPED_MELODIES

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


def heldout_melodies() -> dict[str, list[Note]]:
    """The held-out set, by file stem."""
    ode = [64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, 64, 62, 62]
    dotted = [62, 64, 65, 67, 69, 67, 65, 64, 62, 60, 62]
    arpeggio = [48, 52, 55, 60, 57, 52, 48, 45, 53, 57, 60, 65, 55, 59, 62, 67]
    swell = [50, 57, 53, 62, 55, 64, 60]
    bass = [36, 40, 43, 45, 46, 45, 43, 40, 41, 45, 48, 50, 51, 50, 48, 45]
    turns = [p for a in (60, 64, 67, 72) for p in (a, a + 2, a, a - 1, a)]
    return {
        "h1_ode": line(ode, [0.35] * 12 + [0.525, 0.175, 0.7], [84] * 15, gap=0.05),
        "h2_dotted": line(dotted, [0.45, 0.15] * 5 + [0.6], [72] * 11, legato=True),
        "h3_arpeggio": line(arpeggio, [0.15] * 16, [110, 64, 64, 64] * 4, gap=0.1),
        "h4_swell": line(swell, [0.8, 0.7] * 3 + [1.0], [40, 56, 72, 88, 104, 120, 96], gap=0.05),
        "h5_bass": line(bass, [0.3] * 16, [90] * 16, legato=True),
        "h6_turns": line(turns, [0.15, 0.15, 0.15, 0.15, 0.5] * 4, [100] * 20, legato=True),
    }


def fresh_melodies() -> dict[str, list[Note]]:
    """The second held-out set, by file stem."""
    import random

    minuet = [55, 59, 62, 67, 66, 64, 62, 64, 62, 60, 59, 57, 55]
    minuet_d = [0.3, 0.3, 0.3, 0.6, 0.3, 0.3, 0.3, 0.6, 0.3, 0.3, 0.3, 0.3, 0.6]
    trills = [p for c in (52, 57, 60, 64, 55) for p in (c, c + 1, c, c + 2, c)]
    descend = [72, 71, 68, 67, 65, 63, 62, 60, 59, 56, 55, 53, 51, 50, 48]
    fanfare = [60, 60, 64, 64, 64, 67, 67, 67, 72, 67, 67, 64, 60, 60, 55]
    fanfare_d = [0.15, 0.15, 0.3] * 5
    lyrical = [57, 60, 64, 62, 65, 69, 67, 64]
    lyrical_d = [0.8, 0.5, 1.2, 0.6, 0.9, 1.0, 0.5, 1.2]
    rng = random.Random(20261201)
    walk, p = [], 57
    for _ in range(18):
        p = min(70, max(45, p + rng.randint(-7, 7)))
        walk.append(p)
    walk_d = [rng.choice([0.15, 0.2, 0.3, 0.5]) for _ in walk]
    walk_v = [rng.randint(45, 115) for _ in walk]
    return {
        "f1_minuet": line(minuet, minuet_d, [88] * 13, gap=0.04),
        "f2_trills": line(trills, [0.15, 0.15, 0.15, 0.15, 0.45] * 5, [80] * 25, legato=True),
        "f3_descend": line(descend, [0.2] * 15, [56, 104] * 7 + [56], gap=0.05),
        "f4_fanfare": line(fanfare, fanfare_d, [110] * 15, gap=0.02),
        "f5_lyrical": line(lyrical, lyrical_d, [50, 58, 66, 74, 82, 90, 100, 110], legato=True),
        "f6_wander": line(walk, walk_d, walk_v, gap=0.03),
    }


#: The sets this script writes: --set NAME → (the melodies, the folder evaluate reads them from).
SETS = {
    "shipped": (melodies, SHIPPED_MELODIES),
    "heldout": (heldout_melodies, HELDOUT_MELODIES),
    "fresh": (fresh_melodies, HELDOUT_MELODIES.parent / "melodies_fresh"),
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
    parser.add_argument("--set", choices=sorted(SETS), default="shipped", help="which melody set")
    parser.add_argument("--out", type=Path, default=None, help="folder to write into (default: the set's)")
    args = parser.parse_args()
    make, folder = SETS[args.set]
    out = args.out or folder
    out.mkdir(parents=True, exist_ok=True)
    for name, notes in make().items():
        path = out / f"{name}.mid"
        build(name, notes).save(path)
        print(f"{path}: {len(notes)} notes, {max(s + d for _, _, s, d in notes):.2f} s")


if __name__ == "__main__":
    main()
