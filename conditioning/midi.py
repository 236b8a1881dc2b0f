"""Read the notes of a MIDI file (tempo changes, several tracks, note-on velocity 0 = note-off).

Both kinds of time division in the header are understood: ticks per beat (with the file's tempo
map) and SMPTE frames (ticks per frame at 24, 25, 29.97 or 30 frames per second, tempo ignored).
RIFF MIDI files (.rmi) and files with "alien" chunks are read as the SMF inside them (`smf_bytes`).
Whatever the parser rejects becomes one `MidiError` naming the file and the reason.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable
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
    #: True for a note with no note-off, closed at its track's last event (read_midi_notes).
    hanging: bool = False

    @property
    def is_drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


#: SMPTE frame rates by the header's (negated) first division byte; 29 means 30 drop-frame.
SMPTE_FPS = {24: 24.0, 25: 25.0, 29: 30000 / 1001, 30: 30.0}


def _smpte_seconds_per_tick(division: int) -> float | None:
    """Seconds per tick of an SMPTE division (the header's division as a signed 16-bit number,
    negative for SMPTE), or None when the frame rate or the ticks per frame are impossible."""
    fps, ticks_per_frame = -(division >> 8), division & 0xFF
    if fps not in SMPTE_FPS or ticks_per_frame == 0:
        return None
    return 1.0 / (SMPTE_FPS[fps] * ticks_per_frame)


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


def parser_reason(exc: BaseException, path: str | Path | None = None) -> str:
    """mido's reason for refusing a file, in one line; never empty ("the file is cut short" for its
    EOFError, which says nothing, or "not a MIDI file" when `path` does not even begin with the
    MThd header: a text file of three bytes is not a MIDI file cut short)."""
    if path is not None and not begins_as_midi(path, unreadable=True):  # unreadable: mido's reason
        return "not a MIDI file: it does not begin with the MThd header"
    if isinstance(exc, EOFError):
        return "the file is cut short"
    lines = str(exc).strip().splitlines()
    return lines[-1] if lines else type(exc).__name__


def begins_as_midi(path: str | Path, unreadable: bool) -> bool:
    """Whether the file at `path` begins as a MIDI file does (`is_midi_header` on its first 12
    bytes); `unreadable` when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return is_midi_header(f.read(12))
    except OSError:
        return unreadable


def is_midi_header(head: bytes) -> bool:
    """Whether `head` (a file's first 12 bytes or more) begins a MIDI file: a Standard MIDI File
    ('MThd') or a RIFF MIDI file (.rmi: 'RIFF', its size, 'RMID')."""
    return head[:4] == b"MThd" or (head[:4] == b"RIFF" and head[8:12] == b"RMID")


def smf_bytes(raw: bytes) -> bytes | None:
    """The Standard MIDI File in the bytes `raw` of a file as the parser (mido) can read it, or None
    when `raw` is that already: the SMF taken out of a RIFF MIDI file (.rmi: the 'data' chunk of a
    RIFF 'RMID' form, as Microsoft's MIDI files come), and every chunk other than MThd and MTrk
    left out (Standard MIDI Files 1.0: a reader must skip such "alien" chunks; mido refuses a file
    with one). A chunk cut short is kept, for the parser to say so."""
    unwrapped = False
    if raw[:4] == b"RIFF" and raw[8:12] == b"RMID":
        pos = 12
        while pos + 8 <= len(raw):
            size = int.from_bytes(raw[pos + 4:pos + 8], "little")
            if raw[pos:pos + 4] == b"data":
                raw, unwrapped = raw[pos + 8:pos + 8 + size], True
                break
            pos += 8 + size + size % 2  # RIFF chunks are padded to even sizes
    if raw[:4] != b"MThd":
        return raw if unwrapped else None
    kept, pos, dropped = [], 0, False
    while pos + 8 <= len(raw):
        size = int.from_bytes(raw[pos + 4:pos + 8], "big")
        if raw[pos:pos + 4] in (b"MThd", b"MTrk") or pos + 8 + size > len(raw):
            kept.append(raw[pos:pos + 8 + size])
        else:
            dropped = True
        pos += 8 + size
    kept.append(raw[pos:])
    return b"".join(kept) if unwrapped or dropped else None


def _clock(mid: mido.MidiFile, path: Path) -> Callable[[int], float]:
    """tick → seconds by the header's time division; MidiError for an impossible division or a
    tempo of 0 µs per beat."""
    division = mid.ticks_per_beat  # mido reads the header's division as a signed 16-bit number
    if division < 0:
        smpte = _smpte_seconds_per_tick(division)
        if smpte is None:
            fps, per_frame = -(division >> 8), division & 0xFF
            raise MidiError(f"{path}: impossible MIDI header (SMPTE time division of {fps} frames per "
                            f"second and {per_frame} ticks per frame)")
        seconds_per_tick: float = smpte
        return lambda tick: tick * seconds_per_tick
    if division == 0:
        raise MidiError(f"{path}: impossible MIDI header (time division of 0 ticks per beat)")
    ticks, secs, tempos = _tempo_map(mid)
    if 0 in tempos:  # mido reads it; every time after it would be the same instant
        raise MidiError(f"{path}: impossible tempo (0 µs per beat at tick {ticks[tempos.index(0)]}; a tempo "
                        "is 1 µs per beat or more)")

    def to_sec(tick: int) -> float:
        i = bisect.bisect_right(ticks, tick) - 1
        return secs[i] + mido.tick2second(tick - ticks[i], division, tempos[i])

    return to_sec


def open_midi(path: str | Path) -> mido.MidiFile:
    """The parsed MIDI file at `path`, for the readers below to share (one parse, not one each):
    a Standard MIDI File, with or without chunks of other programs, or a RIFF MIDI file (.rmi;
    `smf_bytes`).

    Raises MidiError (one line: the file and the reason) for a file that cannot be read or is
    empty, a file the parser rejects, an impossible format or type 2 (asynchronous tracks).
    """
    try:
        raw = Path(path).read_bytes()  # read once: the parser takes these bytes, not the file again
    except OSError as exc:
        raise MidiError(f"{path}: unreadable MIDI file ({parser_reason(exc, path)})") from None
    if not raw:  # as prepare and serve say it, not "does not begin with the MThd header"
        raise MidiError(f"{path}: empty file (0 bytes), not a MIDI file")
    try:
        fixed = smf_bytes(raw)
        mid = mido.MidiFile(file=io.BytesIO(raw if fixed is None else fixed))
        mid.filename = str(path)
    except Exception as exc:  # the parser raises many kinds: KeySignatureError, EOFError, OSError, …
        raise MidiError(f"{path}: unreadable MIDI file ({parser_reason(exc, path)})") from None
    if mid.type not in (0, 1, 2):
        raise MidiError(f"{path}: impossible MIDI header (format {mid.type}; formats are 0, 1 and 2)")
    if mid.type == 2:
        raise MidiError(f"{path}: MIDI type 2 (asynchronous tracks) is not supported")
    return mid


def _opened(source: str | Path | mido.MidiFile) -> tuple[mido.MidiFile, Path]:
    """(the parsed file, its path for messages): `source` as given when already parsed."""
    if isinstance(source, mido.MidiFile):
        return source, Path(source.filename or "<MIDI>")
    return open_midi(source), Path(source)


def read_midi_notes(source: str | Path | mido.MidiFile) -> list[MidiNote]:
    """All notes in a MIDI file (its path, or the file open_midi parsed), sorted by start time,
    times in seconds.

    Raises MidiError (one line: the file and the reason) for a file the parser rejects, an
    impossible header (format, or a time division of 0 or an unknown SMPTE rate) or type 2.

    An empty list means the file parsed but holds no notes; callers decide whether that is an
    error. A note left hanging at the end of its track is closed at the track's last event
    (and marked `hanging`). A note still sounding at an all-notes-off or all-sound-off of its
    channel (ALL_NOTES_OFF_CCS, on any track; not on the drum channel) ends there, and a later
    note-off of its key is the next note's (General MIDI: a note-off for a note not sounding is
    ignored), where first-on-first-off pairing would give it to the ended note and leave the next
    hanging.
    """
    mid, path = _opened(source)
    to_sec = _clock(mid, path)
    offs: dict[int, list[int]] = {}
    for t, cc in _control_changes(mid, ALL_NOTES_OFF_CCS)[0]:
        if ends_channel_notes(cc):
            offs.setdefault(cc.channel, []).append(t)
    notes: list[MidiNote] = []
    for ti, track in enumerate(mid.tracks):
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            tick += msg.time
            if msg.type in ("note_off", "note_on") and msg.channel in offs:
                notes += _ended_by_all_off(sounding, msg.channel, tick, offs[msg.channel], to_sec, ti)
            if msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                stack = sounding.get((msg.channel, msg.note))
                if stack:
                    on, vel = stack.pop(0)
                    notes.append(MidiNote(msg.note, vel, to_sec(on), to_sec(tick), msg.channel, ti))
        for (ch, pitch), stack in sounding.items():
            for on, vel in stack:
                notes.append(MidiNote(pitch, vel, to_sec(on), to_sec(max(tick, on)), ch, ti, hanging=True))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes


def _ended_by_all_off(sounding: dict[tuple[int, int], list[tuple[int, int]]], channel: int, tick: int,
                      offs: list[int], to_sec: Callable[[int], float], track: int) -> list[MidiNote]:
    """The notes of `channel` in `sounding` ((channel, key) → [(on tick, velocity)], changed in
    place) that an all-notes-off at one of `offs` (ticks, ascending) after their note-on and at or
    before `tick` ended, each ending at the first such message."""
    ended = []
    for (ch, pitch), stack in sounding.items():
        if ch != channel:
            continue
        for on, vel in list(stack):
            i = bisect.bisect_right(offs, on)  # the first after the note-on: one at its tick is before it
            if i < len(offs) and offs[i] <= tick:
                stack.remove((on, vel))
                ended.append(MidiNote(pitch, vel, to_sec(on), to_sec(offs[i]), ch, track))
    return ended


#: The sustain (damper) pedal's controller and the value from which it counts as down (General
#: MIDI: CC64, 0–63 up, 64–127 down).
SUSTAIN_CC, SUSTAIN_DOWN = 64, 64
#: The channel mode messages that end every note of their channel: all sound off, all notes off.
ALL_NOTES_OFF_CCS = (120, 123)


def ends_channel_notes(msg: mido.Message) -> bool:
    """Whether `msg` ends every note of its channel as read_midi_notes reads a file: an all-sound-off
    or all-notes-off (ALL_NOTES_OFF_CCS) off the drum channel (a drum hit is a one-shot)."""
    return msg.type == "control_change" and msg.control in ALL_NOTES_OFF_CCS and msg.channel != DRUM_CHANNEL


def read_sustain(source: str | Path | mido.MidiFile) -> dict[int, list[tuple[float, float]]]:
    """The sustain pedal's down spans of each channel (0-based), [down, up) in seconds, over all
    tracks (a type-1 file may put the pedal on a track of its own); a pedal still down at the end
    comes up at the file's last event. Empty for a file without pedal messages. `source`: a path
    or the file open_midi parsed.

    Raises MidiError as read_midi_notes does."""
    mid, path = _opened(source)
    to_sec = _clock(mid, path)
    changes, last = _control_changes(mid, (SUSTAIN_CC,))
    spans: dict[int, list[tuple[float, float]]] = {}
    down: dict[int, int] = {}
    for tick, msg in changes:
        channel, is_down = msg.channel, msg.value >= SUSTAIN_DOWN
        if is_down:
            down.setdefault(channel, tick)
        elif channel in down:
            spans.setdefault(channel, []).append((to_sec(down.pop(channel)), to_sec(tick)))
    for channel, tick in down.items():
        spans.setdefault(channel, []).append((to_sec(tick), to_sec(max(last, tick))))
    return spans


def read_all_notes_off(source: str | Path | mido.MidiFile) -> dict[int, list[float]]:
    """The times in seconds, ascending, of each channel's (0-based) all-notes-off and all-sound-off
    messages (ALL_NOTES_OFF_CCS), over all tracks. Empty for a file without them. `source`: a path
    or the file open_midi parsed.

    Raises MidiError as read_midi_notes does."""
    mid, path = _opened(source)
    to_sec = _clock(mid, path)
    offs: dict[int, list[float]] = {}
    for tick, msg in _control_changes(mid, ALL_NOTES_OFF_CCS)[0]:  # in time order: each list ascends
        offs.setdefault(msg.channel, []).append(to_sec(tick))
    return offs


def read_channel_messages(source: str | Path | mido.MidiFile) -> list[tuple[float, mido.Message]]:
    """Every channel message of a MIDI file (meta and sysex messages left out), all tracks merged
    in time order (a stable sort: one tick's messages keep their track order, as mido.merge_tracks
    keeps them), each with its time in seconds by the clock read_midi_notes uses (the tempo map over
    all tracks, or the SMPTE division; mido's own playback reads an SMPTE division as ticks per beat)
    and a delta time of 0. `source`: a path or the file open_midi parsed.

    Raises MidiError as read_midi_notes does."""
    mid, path = _opened(source)
    to_sec = _clock(mid, path)
    merged, _ = _merged_messages(mid, lambda msg: not msg.is_meta and msg.type != "sysex")
    return [(to_sec(tick), msg.copy(time=0)) for tick, msg in merged]


def _control_changes(
    mid: mido.MidiFile, controls: tuple[int, ...]
) -> tuple[list[tuple[int, mido.Message]], int]:
    """((tick, message) of every control change of `controls` over all tracks, in tick order (a
    stable sort: one tick's keep their track order), the file's last tick)."""
    return _merged_messages(mid, lambda msg: msg.type == "control_change" and msg.control in controls)


def _merged_messages(
    mid: mido.MidiFile, keep: Callable[[mido.Message], bool]
) -> tuple[list[tuple[int, mido.Message]], int]:
    """((tick, message) of every message `keep` accepts over all tracks, in tick order (a stable
    sort: one tick's keep their track order), the file's last tick)."""
    kept: list[tuple[int, mido.Message]] = []
    last = 0
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if keep(msg):
                kept.append((tick, msg))
        last = max(last, tick)
    kept.sort(key=lambda c: c[0])
    return kept, last
