"""read_midi_notes on real-world files: SMPTE time division, impossible headers, whatever the parser
rejects."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from conditioning import MidiError, open_midi, read_midi_notes
from conditioning.midi import read_channel_messages


def smpte_division(fps: int, ticks_per_frame: int) -> int:
    """The header's division word for SMPTE timing, as the signed 16-bit number mido reads and writes."""
    return -(fps << 8) + ticks_per_frame


def write_file(path: Path, division: int, messages: list, file_type: int = 0) -> Path:
    """A one-track MIDI file with `division` written as is in its header."""
    mid = mido.MidiFile(type=file_type, ticks_per_beat=division)
    mid.tracks.append(mido.MidiTrack(messages))
    mid.save(path)
    return path


def note(pitch: int, start: int, length: int, velocity: int = 100) -> list[mido.Message]:
    return [mido.Message("note_on", note=pitch, velocity=velocity, time=start),
            mido.Message("note_off", note=pitch, velocity=0, time=length)]


def with_track_bytes(good: Path, out: Path, prefix: bytes) -> Path:
    """`good` (one track) with `prefix` (raw track events) put at the start of its track."""
    raw = good.read_bytes()
    body = prefix + raw[22:]  # MThd chunk (14 bytes) + "MTrk" + 4-byte length
    out.write_bytes(raw[:14] + b"MTrk" + len(body).to_bytes(4, "big") + body)
    return out


@pytest.mark.parametrize(("fps", "seconds_per_tick"), [(24, 1 / 960), (25, 1 / 1000), (29, 1001 / 1_200_000),
                                                         (30, 1 / 1200)])
def test_smpte_division_gives_seconds(tmp_path, fps, seconds_per_tick):
    ticks_per_frame = 40
    path = write_file(tmp_path / "smpte.mid", smpte_division(fps, ticks_per_frame),
                      [mido.MetaMessage("set_tempo", tempo=1_000_000)] + note(60, 480, 960))  # tempo ignored
    (n,) = read_midi_notes(path)
    assert n.start == pytest.approx(480 * seconds_per_tick)
    assert n.stop == pytest.approx(1440 * seconds_per_tick)
    assert n.start > 0


@pytest.mark.parametrize(("division", "reason"), [
    (0, "time division of 0 ticks per beat"),
    (smpte_division(23, 40), "SMPTE time division of 23 frames per second"),
    (smpte_division(25, 0), "0 ticks per frame"),
])
def test_impossible_division_is_one_line(tmp_path, division, reason):
    path = write_file(tmp_path / "bad.mid", division, note(60, 0, 100))
    with pytest.raises(MidiError) as err:
        read_midi_notes(path)
    message = str(err.value)
    assert str(path) in message and "impossible MIDI header" in message and reason in message
    assert "\n" not in message


def test_tempo_of_zero_is_one_line(tmp_path):
    # mido reads a tempo of 0 µs per beat; every note after it fell on one instant and was then
    # warned of as a note whose note-on and note-off share a tick
    path = write_file(tmp_path / "t0.mid", 480, [mido.MetaMessage("set_tempo", tempo=0, time=240)]
                      + note(60, 0, 480) + note(62, 0, 480))
    with pytest.raises(MidiError) as err:
        read_midi_notes(path)
    assert str(path) in str(err.value) and "impossible tempo (0 µs per beat at tick 240" in str(err.value)
    with pytest.raises(MidiError, match="impossible tempo"):
        read_channel_messages(path)


@pytest.mark.parametrize("division", [smpte_division(25, 40), 480])
def test_channel_messages_keep_the_notes_clock(tmp_path, division):
    # mido's own playback reads an SMPTE division as ticks per beat (negative times for play)
    path = write_file(tmp_path / "m.mid", division, [mido.MetaMessage("set_tempo", tempo=400_000)]
                      + note(60, 100, 1000) + [mido.Message("control_change", control=64, value=127)]
                      + note(62, 0, 1000))
    timed = read_channel_messages(path)
    assert [m.type for _, m in timed] == ["note_on", "note_off", "control_change", "note_on", "note_off"]
    ons = [t for t, m in timed if m.type == "note_on"]
    offs = [t for t, m in timed if m.type == "note_off"]
    notes = read_midi_notes(path)
    assert ons == pytest.approx([n.start for n in notes]) and offs == pytest.approx([n.stop for n in notes])
    assert notes[0].start > 0 and all(m.time == 0 for _, m in timed)


def riff_midi(smf: bytes, before: bytes = b"") -> bytes:
    """`smf` as a RIFF MIDI file (.rmi): chunks `before` (raw, e.g. a LIST), then 'data' padded to even."""
    data = b"data" + len(smf).to_bytes(4, "little") + smf + b"\0" * (len(smf) % 2)
    return b"RIFF" + (4 + len(before) + len(data)).to_bytes(4, "little") + b"RMID" + before + data


def test_riff_midi_and_alien_chunks_are_read(tmp_path):
    # Windows' .rmi files and a sequencer's own chunks between the SMF's (SMF 1.0: skip them); mido
    # refused both ("MThd not found", "no MTrk header at start of track")
    good = write_file(tmp_path / "good.mid", 480, note(60, 480, 480) + note(62, 0, 240), file_type=1)
    raw = good.read_bytes()
    alien = raw[:14] + b"XFIH" + (3).to_bytes(4, "big") + b"abc" + raw[14:] + b"XFKM" + bytes(4)
    (tmp_path / "alien.mid").write_bytes(alien)
    info = b"LIST" + (5).to_bytes(4, "little") + b"INFOx\0"  # odd size: padded
    (tmp_path / "song.rmi").write_bytes(riff_midi(raw[:-1] + raw[-1:], before=info))
    (tmp_path / "odd.rmi").write_bytes(riff_midi(raw + bytes([0])))  # a data chunk of odd size
    expected = [(n.pitch, n.start, n.stop) for n in read_midi_notes(good)]
    assert expected == [(60, 0.5, 1.0), (62, 1.0, 1.25)]
    for name in ("alien.mid", "song.rmi", "odd.rmi"):
        assert [(n.pitch, n.start, n.stop) for n in read_midi_notes(tmp_path / name)] == expected, name
        assert open_midi(tmp_path / name).filename == str(tmp_path / name)
    (tmp_path / "cut.rmi").write_bytes(riff_midi(raw)[:-8])
    with pytest.raises(MidiError, match=r"cut\.rmi: unreadable MIDI file \(the file is cut short\)"):
        read_midi_notes(tmp_path / "cut.rmi")


def test_impossible_format_is_one_line(tmp_path):
    path = write_file(tmp_path / "good.mid", 480, note(60, 0, 100))
    raw = bytearray(path.read_bytes())
    raw[8:10] = (7).to_bytes(2, "big")  # format 7
    (tmp_path / "format.mid").write_bytes(bytes(raw))
    with pytest.raises(MidiError, match=r"format\.mid: impossible MIDI header \(format 7"):
        read_midi_notes(tmp_path / "format.mid")


def parser_failures(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = write_file(tmp_path / "good.mid", 480, note(60, 0, 100))
    raw = good.read_bytes()
    (tmp_path / "cut.mid").write_bytes(raw[:-6])  # ends inside the track
    (tmp_path / "header_only.mid").write_bytes(raw[:14])
    (tmp_path / "not_midi.mid").write_bytes(b"RIFF\x00\x00\x00\x00WAVE")
    (tmp_path / "tiny.mid").write_bytes(b"hi\n")  # shorter than a header: not a MIDI file cut short
    key = with_track_bytes(good, tmp_path / "key.mid", bytes([0x00, 0xFF, 0x59, 0x02, 0xF7, 0x00]))  # 9 flats
    data = with_track_bytes(good, tmp_path / "data.mid", bytes([0x00, 0x90, 0x3C, 0xC8]))  # velocity 200
    status = with_track_bytes(good, tmp_path / "status.mid", bytes([0x00, 0xF4, 0x00]))  # undefined status
    return {
        "cut short": (tmp_path / "cut.mid", "cut short"),
        "no track": (tmp_path / "header_only.mid", "cut short"),
        "not MIDI": (tmp_path / "not_midi.mid", "not a MIDI file: it does not begin with the MThd header"),
        "three bytes": (tmp_path / "tiny.mid", "not a MIDI file: it does not begin with the MThd header"),
        "key signature": (key, "9 flats"),
        "data byte": (data, "data byte"),
        "status byte": (status, "status byte"),
    }


def test_every_parser_exception_is_one_line_with_a_reason(tmp_path):
    for case, (path, reason) in parser_failures(tmp_path).items():
        with pytest.raises(MidiError) as err:
            read_midi_notes(path)
        message = str(err.value)
        assert message.startswith(f"{path}: unreadable MIDI file ("), case
        assert reason in message and "()" not in message and "\n" not in message, (case, message)


def test_an_empty_midi_file_is_said_to_be_empty(tmp_path):
    """Before: "unreadable MIDI file (not a MIDI file: it does not begin with the MThd header)", where
    prepare and serve say a 0-byte file is empty."""
    (tmp_path / "zero.mid").write_bytes(b"")
    with pytest.raises(MidiError) as err:
        open_midi(tmp_path / "zero.mid")
    assert str(err.value) == f"{tmp_path / 'zero.mid'}: empty file (0 bytes), not a MIDI file"
    with pytest.raises(MidiError, match=r"missing\.mid: unreadable MIDI file \("):
        open_midi(tmp_path / "missing.mid")


def test_sustain_spans_per_channel_over_all_tracks(tmp_path):
    from conditioning import read_sustain

    cc = lambda value, time, channel=0: mido.Message(  # noqa: E731
        "control_change", control=64, value=value, time=time, channel=channel)
    mid = mido.MidiFile(type=1, ticks_per_beat=480)  # 120 bpm: 480 ticks = 0.5 s
    mid.tracks.append(mido.MidiTrack(note(60, 0, 960)))
    mid.tracks.append(mido.MidiTrack([cc(127, 240), cc(100, 240), cc(0, 480),  # down 0.25 (again 0.5), up 1.0
                                      cc(64, 480, channel=3),  # 64 is down; never released
                                      mido.Message("control_change", control=7, value=0, time=480)]))
    mid.save(tmp_path / "p.mid")
    spans = read_sustain(tmp_path / "p.mid")
    assert spans == {0: [(0.25, 1.0)], 3: [(1.5, 2.0)]}  # the last comes up at the file's last event
    assert read_sustain(write_file(tmp_path / "none.mid", 480, note(60, 0, 480))) == {}
    assert read_sustain(open_midi(tmp_path / "p.mid")) == spans  # the parsed file reads the same


def test_a_parsed_file_reads_as_its_path_does(tmp_path):
    path = write_file(tmp_path / "two.mid", 480, note(60, 0, 480) + note(64, 0, 240))
    parsed = open_midi(path)
    assert read_midi_notes(parsed) == read_midi_notes(path) and len(read_midi_notes(parsed)) == 2
    for bad, reason in parser_failures(tmp_path).values():  # open_midi refuses as the readers do
        with pytest.raises(MidiError, match=reason):
            open_midi(bad)


def test_an_all_notes_off_ends_its_channels_notes_and_frees_their_note_offs(tmp_path):
    """A type-1 file at 480 ticks a beat, 120 bpm: D3 on channel 1 and a kick on channel 10 at 0 s,
    an all-notes-off for channels 1 and 10 on another track at 0.5 s, D3 again at 1 s and one note-off
    at 1.5 s: the first D3 ends at the all-notes-off, the note-off is the second D3's (not the first's,
    leaving the second hanging); a note struck at the all-notes-off's own tick and the drum channel's
    notes are left as they are."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    notes = mido.MidiTrack([mido.Message("note_on", note=50, velocity=90, time=0),
                            mido.Message("note_on", note=36, velocity=90, channel=9, time=0),
                            mido.Message("note_on", note=60, velocity=70, time=480),
                            mido.Message("note_on", note=50, velocity=80, time=480),
                            mido.Message("note_off", note=50, time=480),
                            mido.Message("note_off", note=60, time=0),
                            mido.Message("note_off", note=36, channel=9, time=0)])
    offs = mido.MidiTrack([mido.Message("control_change", control=123, value=0, time=480),
                           mido.Message("control_change", control=123, value=0, channel=9, time=0)])
    mid.tracks += [notes, offs]
    mid.save(tmp_path / "off.mid")
    got = [(n.pitch, n.velocity, n.start, n.stop, n.hanging) for n in read_midi_notes(tmp_path / "off.mid")]
    assert got == [(36, 90, 0.0, 1.5, False), (50, 90, 0.0, 0.5, False), (60, 70, 0.5, 1.5, False),
                   (50, 80, 1.0, 1.5, False)]
