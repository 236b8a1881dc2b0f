"""Reading audio files: a WAV cut short is named as such, not read as a shorter recording."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from samplernn.common.audio import AudioError, audio_info, peak, read_audio

SR = 16000


def wav(path: Path, seconds: float = 1.0, subtype: str = "PCM_16") -> Path:
    sf.write(path, 0.3 * np.sin(np.arange(int(seconds * SR)) * 0.1), SR, subtype=subtype)
    return path


def test_a_truncated_wav_is_named_with_what_its_header_promised(tmp_path: Path) -> None:
    data = wav(tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 4])
    assert audio_info(tmp_path / "full.wav").frames == SR
    promised = r"cut\.wav: the file ends early: its header promises 1\.000 s, it holds 0\.2"
    with pytest.raises(AudioError, match=promised):
        audio_info(tmp_path / "cut.wav")


@pytest.mark.parametrize(("name", "subtype", "fmt"), [
    ("cut.wav", "FLOAT", "WAV"), ("cut.wav", "PCM_24", "WAVEX"), ("cut.aif", "PCM_16", "AIFF"),
    ("cut.aiff", "PCM_24", "AIFF"), ("cut.aif", "FLOAT", "AIFF"),
])
def test_a_truncated_float_extensible_or_aiff_file_is_named_too(tmp_path: Path, name, subtype, fmt) -> None:
    """Python's `wave` read only plain PCM WAVs: these, cut in half, were read as half a recording
    (a note cut off mid-sustain, prepared with at most a notice of no release tail)."""
    full = tmp_path / f"full.{name.split('.')[1]}"
    sf.write(full, 0.3 * np.sin(np.arange(SR)[:, None] * [0.1, 0.2]), SR, subtype=subtype, format=fmt)
    assert audio_info(full).frames == SR
    data = full.read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 2])
    promised = rf"{name}: the file ends early: its header promises 1\.000 s, it holds 0\.[45]"
    with pytest.raises(AudioError, match=promised):
        audio_info(tmp_path / name)


def test_float_and_streamed_wavs_are_not_taken_for_truncated_ones(tmp_path: Path) -> None:
    assert audio_info(wav(tmp_path / "float.wav", subtype="FLOAT")).frames == SR
    data = bytearray(wav(tmp_path / "streamed.wav").read_bytes())
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", 0xFFFFFFFF)  # a writer that never filled the size in
    (tmp_path / "streamed.wav").write_bytes(bytes(data))
    assert audio_info(tmp_path / "streamed.wav").frames == SR


def test_a_corrupt_mp3_is_not_reported_as_a_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "Piano_F4.mp3"
    bad.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(4000))
    for read in (read_audio, audio_info):
        with pytest.raises(AudioError) as info:
            read(bad)
        message = str(info.value)
        assert message.startswith(f"{bad}: ") and "does not exist" not in message, message


def test_a_wav_whose_header_was_never_finished_says_so(tmp_path: Path) -> None:
    good = wav(tmp_path / "good.wav", 0.5)
    data = bytearray(good.read_bytes())
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", 0)  # the data chunk's size never written
    data[4:8] = struct.pack("<I", 36)
    bad = tmp_path / "cut.wav"
    bad.write_bytes(bytes(data))
    says = r"holds no samples, though the file holds 16000 bytes .*sox --ignore-length"
    with pytest.raises(AudioError, match=says):
        audio_info(bad)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), SR)
    with pytest.raises(AudioError, match=r"holds no samples$"):
        audio_info(empty)


def test_a_zero_byte_file_is_said_to_be_empty_and_a_file_is_named_once(tmp_path: Path) -> None:
    (tmp_path / "kick.wav").write_bytes(b"")
    (tmp_path / "note.wav").write_bytes(b"not audio")
    with pytest.raises(AudioError, match=r"kick\.wav: empty file \(0 bytes\), not audio$"):
        read_audio(tmp_path / "kick.wav")
    with pytest.raises(AudioError) as err:
        read_audio(tmp_path / "note.wav")
    assert str(err.value).count("note.wav") == 1 and "unreadable audio file" in str(err.value)


def test_a_missing_file_is_said_to_be_missing(tmp_path: Path) -> None:
    """libsndfile says "System error." for a file that is not there: the message says so."""
    for read in (read_audio, audio_info, peak):
        with pytest.raises(AudioError, match=r"gone\.wav: no such file$"):
            read(tmp_path / "gone.wav")


def test_a_broken_link_is_named_as_one(tmp_path: Path) -> None:
    """libsndfile says "System error." for a link to nothing: the message names the link's target."""
    link = tmp_path / "Piano_F4.wav"
    link.symlink_to(tmp_path / "moved" / "Piano_F4.wav")
    said = r"Piano_F4\.wav: unreadable audio file \(a broken link to .*moved"
    for read in (read_audio, audio_info):
        with pytest.raises(AudioError, match=said):
            read(link)
