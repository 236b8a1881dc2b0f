"""Read the notes of a MIDI file (tempo changes, several tracks, note-on velocity 0 = note-off)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import mido

DRUM_CHANNEL = 9  # channel 10 in 1-based numbering


class MidiError(ValueError):
    """A MIDI file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class MidiNote:
    """A note from a MIDI file, times in seconds."""

    pitch: int
    velocity: int
    start: float
    stop: float
    channel: int
    track: int

    @property
    def is_drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


def _tempo_map(mid: mido.MidiFile) -> tuple[list[int], list[float], list[int]]:
    """(tick, seconds-at-tick, tempo) breakpoints from all tracks' set_tempo messages."""
    changes: dict[int, int] = {}
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes[tick] = msg.tempo
    ticks, secs, tempos = [0], [0.0], [changes.pop(0, 500_000)]
    for tick in sorted(changes):
        secs.append(secs[-1] + mido.tick2second(tick - ticks[-1], mid.ticks_per_beat, tempos[-1]))
        ticks.append(tick)
        tempos.append(changes[tick])
    return ticks, secs, tempos


def read_midi_notes(path: str | Path) -> list[MidiNote]:
    """All notes in `path`, sorted by start time. Raises MidiError for unreadable files.

    An empty list means the file parsed but holds no notes; callers decide whether that is an
    error. A note left hanging at the end of its track is closed at the track's last event.
    """
    path = Path(path)
    try:
        mid = mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MidiError(f"{path}: unreadable MIDI file ({exc})") from None
    if mid.type == 2:
        raise MidiError(f"{path}: MIDI type 2 (asynchronous tracks) is not supported")
    ticks, secs, tempos = _tempo_map(mid)
    tpb = mid.ticks_per_beat

    def to_sec(tick: int) -> float:
        i = bisect.bisect_right(ticks, tick) - 1
        return secs[i] + mido.tick2second(tick - ticks[i], tpb, tempos[i])

    notes: list[MidiNote] = []
    for ti, track in enumerate(mid.tracks):
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                stack = sounding.get((msg.channel, msg.note))
                if stack:
                    on, vel = stack.pop(0)
                    notes.append(MidiNote(msg.note, vel, to_sec(on), to_sec(tick), msg.channel, ti))
        for (ch, pitch), stack in sounding.items():
            for on, vel in stack:
                notes.append(MidiNote(pitch, vel, to_sec(on), to_sec(max(tick, on)), ch, ti))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes
