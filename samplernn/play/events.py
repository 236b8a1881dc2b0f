"""Timed MIDI messages from a file: every channel message with its time in seconds (the file's tempo
map or SMPTE division applied as `render` applies it, all tracks merged), for playing the file as a
keyboard would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido

from conditioning.midi import (
    SUSTAIN_CC,
    SUSTAIN_DOWN,
    MidiError,
    MidiNote,
    ends_channel_notes,
    open_midi,
    read_channel_messages,
)
from samplernn.common.errors import UserError


@dataclass(frozen=True)
class TimedMessage:
    """A channel message (mido) and when it happens, in seconds from the start."""

    time: float
    message: mido.Message


def midi_file_messages(path: str | Path, parsed: mido.MidiFile | None = None) -> list[TimedMessage]:
    """The channel messages of a MIDI file in time order (meta and sysex messages left out);
    `parsed`: the file as open_midi parsed it, not parsed again.

    Times come from conditioning.midi.read_channel_messages, the clock `render` reads notes by. At
    one instant an all-notes-off (CC120/123, off the drum channel) comes before the other messages,
    whatever the file's order: `render` (conditioning.read_midi_notes) counts one at a note's own tick
    as before the note-on, so a note struck with it sounds, in play as in render.
    Raises UserError (one line: the file and the reason) for a missing or unreadable file, a
    type-2 file, an impossible time division or tempo, or a file without notes.
    """
    path = Path(path)
    if parsed is None and not path.is_file():
        problem = "a folder, not a MIDI file" if path.is_dir() else "MIDI file not found"
        raise UserError(f"{path}: {problem}")
    try:
        mid = open_midi(path) if parsed is None else parsed
        out = sorted((TimedMessage(t, msg) for t, msg in read_channel_messages(mid)),
                     key=lambda m: (m.time, not ends_channel_notes(m.message)))  # stable: else file order
    except MidiError as exc:  # unreadable, type 2, an impossible division or tempo: one line
        raise UserError(str(exc)) from None
    if not any(m.message.type == "note_on" and m.message.velocity > 0 for m in out):
        raise UserError(f"{path}: the MIDI file holds no notes")
    return out


def close_hanging(messages: list[TimedMessage], notes: list[MidiNote]) -> list[TimedMessage]:
    """`messages` with a note-off added for every note that has none (`MidiNote.hanging`, as
    conditioning.read_midi_notes reads the file: closed at its track's last event), so that a file
    played as a keyboard ends such a note where `render` ends it. Time order kept; at one time the
    file's own messages come first."""
    closing = [TimedMessage(n.stop, mido.Message("note_off", channel=n.channel, note=n.pitch, velocity=0))
               for n in notes if n.hanging]
    return sorted(messages + closing, key=lambda m: m.time) if closing else messages


def close_pedals(
    messages: list[TimedMessage], pedal: Mapping[int, Sequence[tuple[float, float]]]
) -> list[TimedMessage]:
    """`messages` with a pedal-up added for every channel whose sustain pedal (CC64) is still down
    after its last message, at the time `render` lifts it (`pedal`: conditioning.read_sustain's
    [down, up) spans in seconds per 0-based channel; a pedal left down comes up at the file's last
    event), so that a file played as a keyboard holds the notes under it as long as `render` does
    rather than releasing them at its last channel message. Time order kept; at one time the file's
    own messages come first."""
    down: dict[int, bool] = {}
    for m in messages:
        msg = m.message
        if msg.type == "control_change" and msg.control == SUSTAIN_CC:
            down[msg.channel] = msg.value >= SUSTAIN_DOWN
    closing = [TimedMessage(pedal[ch][-1][1], mido.Message("control_change", channel=ch, control=SUSTAIN_CC,
                                                           value=0))
               for ch, is_down in sorted(down.items()) if is_down and pedal.get(ch)]
    return sorted(messages + closing, key=lambda m: m.time) if closing else messages
