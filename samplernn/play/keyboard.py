"""MIDI messages → the streaming engine's notes, as a keyboard player means them.

* note-on (velocity > 0) starts a note at pitch + transpose; a note outside the model's trained
  range, or on the drum channel (10), is left out and counted (the summary names the first notes
  outside the range, as render names them); the same key struck again while its note still sounds
  releases that note first — a note the sustain pedal holds too (the key's new note takes over
  from it, as `render` ends it: render.sustain); a key struck twice at one
  instant (one sample: a file's one tick) sounds twice, each note to its own note-off, as `render`
  leaves such notes (render.sustain.apply_restrikes);
* note-off (or note-on with velocity 0) releases it — unless the sustain pedal (CC64 ≥ 64) of its
  channel is down: then the note is held until the pedal comes up; a key struck again before its
  note-off owes that note-off to the note it ended, so the next note-off of the key is that one's
  and the new note sounds to its own (as `render` pairs a file's note-offs: first on, first off);
* CC120 / CC123 (all sound off / all notes off) release every note of the channel; a note-off
  that comes later for a note ended so is ignored, and the key's next note keeps its own (render
  reads a file so: conditioning.read_midi_notes);
* pitch bend and every other message are ignored, and counted for the summary.

A drum model (`kit`: its General MIDI keys) plays what a drum machine plays: a note-on on any
channel (a pad controller's channel 10 or a keyboard's) strikes the kit's piece for that key — a
key the kit lacks its substitute of the same kind (`render.drums.substitute`), or is left out and
counted — as a one-shot of the kit's own length (`render.drums.held_samples`, then the release
tail), so its note-off and the sustain pedal change nothing; a key struck again while its hit
still rings starts a second hit over the first, as a real cymbal struck twice does.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import mido

from conditioning.midi import DRUM_CHANNEL
from samplernn.generate.stream import StreamEngine
from samplernn.render.drums import held_samples, piece_name, substitute
from samplernn.render.midi import SHOWN_NOTES, note_at, outside_range

SUSTAIN_CC = 64
ALL_OFF_CCS = (120, 123)


@dataclass
class KeyboardCounters:
    """What the keyboard did with the messages it was given."""

    notes: int = 0
    out_of_range: int = 0
    outside: list[tuple[int, float]] = field(default_factory=list)  # the first SHOWN_NOTES: (pitch, seconds)
    pitch_range: tuple[int, int] = (0, 127)  # the model's, named with the notes outside it
    transpose: int = 0
    drum_notes: int = 0
    no_piece: Counter[int] = field(default_factory=Counter)  # a kit's: key → hits it has no piece for
    moved: Counter[tuple[int, int]] = field(default_factory=Counter)  # a kit's: (key, its substitute) → hits
    pedal_held: int = 0  # note-offs held back by the sustain pedal
    ignored: Counter[str] = field(default_factory=Counter)  # message type → count

    def summary(self) -> list[str]:
        """One line per thing left out or changed (empty when nothing was)."""
        lines = []
        if self.out_of_range:  # one line however many, in render's words
            named = ", ".join(note_at(p, t) for p, t in self.outside)
            more = self.out_of_range - len(self.outside)
            lines.append(f"{outside_range(self.out_of_range, *self.pitch_range, self.transpose)} left out: "
                         f"{named}" + (f" and {more} more" if more > 0 else ""))
        if self.drum_notes:
            lines.append(f"{self.drum_notes} drum-channel note(s) left out")
        for (key, sub), n in sorted(self.moved.items()):
            lines.append(f"{n} note(s) on {key} ({piece_name(key)}) played by the kit's {sub} "
                         f"({piece_name(sub)})")
        for key, n in sorted(self.no_piece.items()):
            lines.append(f"{n} note(s) on {key} ({piece_name(key)}) left out: no such piece in the kit")
        if self.pedal_held:
            lines.append(f"{self.pedal_held} note(s) held by the sustain pedal")
        if self.ignored.get("pitchwheel"):
            bends = self.ignored["pitchwheel"]
            lines.append(f"{bends} pitch bend message(s) ignored (the model plays no bends)")
        other = {k: v for k, v in self.ignored.items() if k != "pitchwheel"}
        if other:
            lines.append("ignored: " + ", ".join(f"{v} {k}" for k, v in sorted(other.items())))
        return lines


class Keyboard:
    """Feeds `engine` from MIDI messages; `pitch_range` is the model's (lowest, highest) pitch;
    `kit` a drum model's GM keys (None: a pitched model; see the module doc)."""

    def __init__(
        self,
        engine: StreamEngine,
        pitch_range: tuple[int, int] | None,
        transpose: int = 0,
        kit: Sequence[int] | None = None,
    ) -> None:
        self.engine, self.transpose = engine, transpose
        self.kit = sorted(kit) if kit else None
        self.lo, self.hi = pitch_range or (0, 127)
        self.counters = KeyboardCounters(pitch_range=(self.lo, self.hi), transpose=transpose)
        self._serial = itertools.count()
        self._down: dict[tuple[int, int], list[tuple[int, int, int]]] = {}  # (channel, note) → engine keys
        self._struck: dict[tuple[int, int], int] = {}  # (channel, note) → the sample of its latest note-on
        self._pedal: dict[int, int | None] = {}  # channels whose pedal is down → the sample it went down
        self._held: dict[int, list[tuple[int, int, int]]] = {}  # channel → engine keys the pedal holds
        self._owed: Counter[tuple[int, int]] = Counter()  # (channel, note) → note-offs of notes struck over

    def handle(self, msg: mido.Message, at: int | None = None) -> None:
        """Apply one message at engine sample `at` (None: the next block's first sample)."""
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            self._note_on(msg.channel, msg.note, msg.velocity, at)
        elif kind in ("note_on", "note_off"):
            self._note_off(msg.channel, msg.note, at)
        elif kind == "control_change" and msg.control == SUSTAIN_CC:
            self._pedal_change(msg.channel, msg.value >= 64, at)
        elif kind == "control_change" and msg.control in ALL_OFF_CCS:
            self.release_all(at, msg.channel)
        else:
            self.counters.ignored[kind] += 1

    def _note_on(self, channel: int, note: int, velocity: int, at: int | None) -> None:
        if self.kit is not None:
            self._hit(note + self.transpose, velocity, at)
            return
        if channel == DRUM_CHANNEL:
            self.counters.drum_notes += 1
            return
        pitch = note + self.transpose
        if not self.lo <= pitch <= self.hi:
            self.counters.out_of_range += 1
            if len(self.counters.outside) < SHOWN_NOTES:
                self.counters.outside.append((pitch, self._struck_seconds(at)))
            return
        if at is None or self._struck.get((channel, note)) != int(at):  # one instant's strikes sound together
            self._strike_over(channel, note, at)
            if at is not None:
                self._struck[(channel, note)] = int(at)
        key = (channel, note, next(self._serial))
        self._down.setdefault((channel, note), []).append(key)
        self.engine.note_on(key, pitch, velocity, at)
        self.counters.notes += 1

    def _struck_seconds(self, at: int | None) -> float:
        """When a message applied at engine sample `at` (None: now) came, in seconds: one block
        earlier, the session's latency (session.py), so that a file's note is named at its time in
        the file, as render names it."""
        sample = self.engine.clock if at is None else max(int(at), self.engine.clock)
        return max(0, sample - self.engine.cfg.block) / self.engine.sample_rate

    def _strike_over(self, channel: int, note: int, at: int | None) -> None:
        """End the notes of a key struck again at `at`: those still down (each owes its note-off,
        still to come, to the note it ended) and those the pedal holds."""
        for old in self._down.pop((channel, note), []):
            self.engine.note_off(old, at)
            self._owed[(channel, note)] += 1  # its note-off is still to come: not the new note's
        for held in [k for k in self._held.get(channel, []) if k[1] == note]:  # the pedal's, struck again
            self._held[channel].remove(held)
            self.engine.note_off(held, at)

    def _hit(self, key: int, velocity: int, at: int | None) -> None:
        """Strike the kit's piece for `key` at `at` for the kit's length (its note-off known now)."""
        piece = key if key in self.kit else substitute(key, self.kit)
        if piece is None:
            self.counters.no_piece[key] += 1
            return
        if piece != key:
            self.counters.moved[(key, piece)] += 1
        start = self.engine.clock if at is None else max(int(at), self.engine.clock)
        release = start + held_samples(self.engine.stats, piece, velocity)
        self.engine.note_on(("hit", next(self._serial)), piece, velocity, start, release=release)
        self.counters.notes += 1

    def _note_off(self, channel: int, note: int, at: int | None) -> None:
        if self._owed[(channel, note)]:  # the note-off of a note its key's next strike has ended
            self._owed[(channel, note)] -= 1
            return
        down = self._down.get((channel, note))
        if not down:
            return
        key = down.pop(0)  # first on, first off: a key struck twice at one instant sounds twice
        if not down:
            del self._down[(channel, note)]
        if channel in self._pedal and not _same_instant(self._pedal[channel], at):
            self._held.setdefault(channel, []).append(key)
            self.counters.pedal_held += 1
        else:
            self.engine.note_off(key, at)

    def _pedal_change(self, channel: int, down: bool, at: int | None) -> None:
        if down:
            self._pedal.setdefault(channel, at)
            return
        self._pedal.pop(channel, None)
        for key in self._held.pop(channel, []):
            self.engine.note_off(key, at)

    def release_all(self, at: int | None = None, channel: int | None = None) -> None:
        """Release every note (of `channel`, or of all channels), pedal or not. A note-off that comes
        later for a note ended here is ignored (General MIDI; `render` reads a file so too:
        conditioning.read_midi_notes), unlike one owed by a key struck again."""
        for (ch, note), keys in list(self._down.items()):
            if channel is None or ch == channel:
                del self._down[(ch, note)]
                for key in keys:
                    self.engine.note_off(key, at)
        for ch in [c for c in self._held if channel is None or c == channel]:
            for key in self._held.pop(ch):
                self.engine.note_off(key, at)


def _same_instant(pedal_down: int | None, note_off: int | None) -> bool:
    """Whether a note-off falls on the very sample its channel's pedal went down (a MIDI file's
    legato pedalling: the pedal catches only what still sounds, whichever event the file lists
    first; render.sustain reads it alike). Live input (no times) is taken in arrival order."""
    return pedal_down is not None and note_off is not None and int(note_off) <= int(pedal_down)
