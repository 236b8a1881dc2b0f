"""Deterministic test material for the streaming benchmarks: N-part lines that keep N voices busy.

Each part walks a diatonic scale in its own register of the model's range with note lengths of
0.25–1 s, legato, velocities 70–100; `four_part_chorale` is four such parts over 23 s (about 160
notes, the size of a hymn-tune chorale).
"""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np

from conditioning import MidiNote

DURATIONS = (0.5, 0.5, 0.75, 0.25, 1.0, 0.5)  # seconds, a part picks from these
MAJOR = (0, 2, 4, 5, 7, 9, 11)


def part_lines(parts: int, seconds: float, pitch_range: tuple[int, int], seed: int = 0) -> list[MidiNote]:
    """`parts` legato lines filling `seconds`, each in its share of `pitch_range`, one channel
    each; sorted by start."""
    rng = np.random.default_rng(seed)
    lo, hi = pitch_range
    scale = [p for p in range(lo, hi + 1) if (p - lo) % 12 in MAJOR] or list(range(lo, hi + 1))
    notes: list[MidiNote] = []
    for k in range(parts):
        a = k * len(scale) // parts
        b = max(a + 1, (k + 1) * len(scale) // parts)
        register = scale[a:b] if parts > 1 else scale
        i, t = int(rng.integers(len(register))), float(rng.choice(DURATIONS)) * k / max(parts, 1)
        while t < seconds:
            d = min(float(rng.choice(DURATIONS)), seconds - t)
            notes.append(MidiNote(register[i], int(rng.integers(70, 101)), t, t + d, k, 0))
            i = int(np.clip(i + rng.integers(-2, 3), 0, len(register) - 1))
            t += d
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def four_part_chorale(pitch_range: tuple[int, int] = (40, 65), seconds: float = 23.0) -> list[MidiNote]:
    """Four legato parts over `seconds` in `pitch_range` (the bundled trombone's by default)."""
    return part_lines(4, seconds, pitch_range, seed=4)


def write_midi(notes: list[MidiNote], path: str | Path, bpm: float = 120.0) -> Path:
    """`notes` as a type-0 MIDI file (ticks of 1/960 s at 120 bpm); returns the path."""
    tpb, path = 480, Path(path)
    scale = tpb * bpm / 60.0  # ticks per second
    msgs = []
    for n in notes:
        msgs.append((round(n.start * scale), 1, mido.Message("note_on", channel=n.channel, note=n.pitch,
                                                              velocity=n.velocity)))  # fmt: skip
        msgs.append((round(n.stop * scale), 0, mido.Message("note_off", channel=n.channel, note=n.pitch)))
    track, now = mido.MidiTrack(), 0
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    for tick, _, msg in sorted(msgs, key=lambda m: (m[0], m[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=tpb)
    mid.tracks.append(track)
    mid.save(path)
    return path
