"""Timed MIDI messages from a file: every channel message with its time in seconds (the file's tempo
map applied, all tracks merged), for playing the file as a keyboard would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido

from conditioning.midi import MidiNote, parser_reason
from samplernn.common.errors import UserError


@dataclass(frozen=True)
class TimedMessage:
    """A channel message (mido) and when it happens, in seconds from the start."""

    time: float
    message: mido.Message


def midi_file_messages(path: str | Path) -> list[TimedMessage]:
    """The channel messages of a MIDI file in time order (meta and sysex messages left out).

    Raises UserError (one line: the file and the reason) for a missing or unreadable file, a
    type-2 file, or one without notes.
    """
    path = Path(path)
    if not path.is_file():
        problem = "a folder, not a MIDI file" if path.is_dir() else "MIDI file not found"
        raise UserError(f"{path}: {problem}")
    try:
        mid = mido.MidiFile(path)
        if mid.type == 2:
            raise UserError(f"{path}: MIDI type 2 (asynchronous tracks) is not supported")
        out, now = [], 0.0
        for msg in mid:  # merged tracks, delta times in seconds through the tempo map
            now += msg.time
            if not msg.is_meta and msg.type != "sysex":
                out.append(TimedMessage(now, msg.copy(time=0)))
    except UserError:
        raise
    except Exception as exc:  # the parser raises many kinds: EOFError, KeySignatureError, OSError …
        raise UserError(f"{path}: unreadable MIDI file ({parser_reason(exc, path)})") from None
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
