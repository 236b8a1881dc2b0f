"""One-shot releases from the envelope, root keys stored in sample files, and the bridge from a
source's notes to prepare's NoteJobs."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from support.audio import tone, write_audio

from samplernn.prepare.notes import NoteError
from samplernn.prepare.sources.records import SampleNote, SourceResult, note_id, to_discovery
from samplernn.prepare.sources.release import one_shot_release
from samplernn.prepare.sources.root_key import read_root_key, wavpack_message

SR = 16000


def decay(sr: int, at: float, tau: float, total: float, hz: float = 200.0) -> np.ndarray:
    """A struck sound: silence until `at`, then an exponential decay (time constant `tau`)."""
    t = np.arange(round(total * sr)) / sr
    env = np.where(t >= at, np.exp(-(t - at) / tau), 0.0)
    return (0.8 * env * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def with_chunk(path: Path, cid: bytes, body: bytes, big_endian: bool = False) -> Path:
    """Insert a chunk right after the RIFF/FORM header of an audio file (before its data)."""
    data = path.read_bytes()
    fmt = ">I" if big_endian else "<I"
    chunk = cid + struct.pack(fmt, len(body)) + body + (b"\0" if len(body) % 2 else b"")
    out = data[:12] + chunk + data[12:]
    out = out[:4] + struct.pack(fmt, len(out) - 8) + out[8:]
    path.write_bytes(out)
    return path


def smpl_body(note: int, fraction: int = 0) -> bytes:
    return struct.pack("<9I", 0, 0, 62500, note, fraction, 0, 0, 0, 0)


def test_a_sustained_note_is_released_where_its_plateau_ends():
    x = tone(SR, 60, 0.2, 1.2, tail=0.3)
    shape = one_shot_release(x, SR)
    assert shape is not None and not shape.percussive
    assert shape.start == pytest.approx(0.2, abs=0.01)
    assert shape.release == pytest.approx(1.2, abs=0.03)
    assert shape.end == pytest.approx(1.5, abs=0.03)


def test_tremolo_does_not_end_the_plateau():
    x = tone(SR, 69, 0.1, 2.0, tail=0.5)
    x = x * (1 + 0.4 * np.sin(2 * np.pi * 5 * np.arange(x.size) / SR)).astype(np.float32)
    shape = one_shot_release(x, SR)
    assert shape is not None and shape.release == pytest.approx(2.0, abs=0.06)


def test_a_percussive_sound_is_released_at_its_attack_unless_asked_for_the_end():
    x = decay(SR, 0.1, 0.15, 1.5)
    shape = one_shot_release(x, SR)
    assert shape is not None and shape.percussive
    assert shape.release - shape.start < 0.15 and shape.end - shape.release > 0.5
    at_end = one_shot_release(x, SR, percussive_end=True)
    assert at_end is not None and at_end.release == at_end.end


def test_silence_before_a_hit_does_not_move_its_start_or_release():
    """A kick (a falling sine: its net area is not zero) after 3 s of silence was found to start
    65 ms early, where the Hilbert envelope's skirt before it (area / (π t)) passes the threshold,
    and released 70 ms after that start against 10 ms for the same kick at the file's start."""
    t = np.arange(round(0.5 * SR)) / SR
    glide = 2 * np.pi * 55 * t * (1 + 0.5 * np.exp(-30 * t))  # a kick's falling pitch
    kick = (0.8 * np.exp(-t / 0.12) * np.sin(glide)).astype(np.float32)
    alone = one_shot_release(kick, SR)
    late = one_shot_release(np.concatenate([np.zeros(3 * SR, np.float32), kick]), SR)
    assert late.start == pytest.approx(3.0, abs=0.001) and alone.start == pytest.approx(0.0, abs=0.001)
    assert late.release - late.start == pytest.approx(alone.release - alone.start, abs=0.001)


def test_a_hit_trimmed_at_its_attack_ends_where_it_meets_the_hiss_after_it():
    """No lead-in: the floor is read from the 2 s of steady hiss after the decay, and the end lies
    16 dB above it (~0.7 s) rather than at the file's end; a decay to the file's end keeps it."""
    hiss = np.random.default_rng(1).standard_normal(3 * SR).astype(np.float32) * 1e-3
    shape = one_shot_release(decay(SR, 0.0, 0.15, 3.0) + hiss, SR)
    assert shape.percussive and 0.5 < shape.end < 1.0
    assert one_shot_release(decay(SR, 0.0, 1.0, 3.0), SR).end == pytest.approx(3.0, abs=0.01)


def test_silence_has_no_shape():
    with pytest.raises(NoteError, match="silent recording"):
        one_shot_release(np.zeros(1000, np.float32), SR)


def test_a_constant_level_is_no_sound_not_all_zeros():
    """A file of constant 0.5 (peak 0.5): "silent (peak all zeros)" read as a lie; it is an offset."""
    from samplernn.prepare.notes import detect
    from samplernn.prepare.settings import PrepareSettings

    with pytest.raises(NoteError, match=r"dc.wav: no sound, only a constant offset of \+0.5"):
        detect(np.full(SR // 2, 0.5, np.float32), SR, PrepareSettings(), "dc.wav")


def test_root_keys_from_wav_smpl_and_aiff_inst(tmp_path):
    x = tone(SR, 60, 0.0, 0.2)
    wav = with_chunk(write_audio(tmp_path / "a.wav", x, SR), b"smpl", smpl_body(78, int(0.81 * 2**32)))
    key = read_root_key(wav)
    assert key is not None and key.chunk == "smpl" and key.note == 78 and key.pitch == 79
    assert key.cents == pytest.approx(81, abs=0.1)
    sf.read(wav)  # the file is still valid audio
    aiff = tmp_path / "b.aif"
    sf.write(aiff, x, SR, format="AIFF")
    with_chunk(aiff, b"INST", struct.pack(">bbbbbbh", 57, -10, 0, 127, 1, 127, 0) + b"\0" * 12, True)
    key = read_root_key(aiff)
    assert key is not None and (key.chunk, key.note, key.pitch) == ("INST", 57, 57)
    assert read_root_key(write_audio(tmp_path / "plain.wav", x, SR)) is None
    unset = with_chunk(write_audio(tmp_path / "unset.wav", x, SR), b"smpl", smpl_body(0))
    assert read_root_key(unset) is None  # unity note 0 with no fraction: what tools write when unset


def test_a_wavpack_file_in_disguise_is_named_with_the_remedy(tmp_path):
    riff = (tmp_path / "tmp.wav")
    with_chunk(write_audio(riff, tone(SR, 60, 0.0, 0.1), SR), b"smpl", smpl_body(55))
    fake = tmp_path / "043-G.wav"
    fake.write_bytes(b"wvpk" + b"\0" * 28 + riff.read_bytes()[:200])
    message = wavpack_message(fake)
    assert message is not None and "WavPack" in message and "wvunpack" in message
    assert wavpack_message(riff) is None
    key = read_root_key(fake)  # the RIFF header inside a WavPack block is still read
    assert key is not None and key.note == 55


def test_note_ids_are_unique_and_follow_the_midi_layouts_rule():
    taken: Counter[str] = Counter()
    assert note_id("sub/take 01.wav", taken) == "sub-take_01"
    assert note_id("sub/take 01.wav", taken) == "sub-take_01-2"
    assert note_id("album/song.flac#3", taken) == "album-song-003"
    assert note_id("Bourdon8/030-F#.wav", taken) == "Bourdon8-030-F_"
    assert note_id("Bourdon8/030-F#.wav#2", taken) == "Bourdon8-030-F_-002"


def test_to_discovery_places_one_shot_releases_and_keeps_known_ones(tmp_path):
    held = write_audio(tmp_path / "held.wav", tone(SR, 60, 0.3, 1.3, tail=0.3), SR)
    struck = write_audio(tmp_path / "struck.wav", decay(SR, 0.05, 0.1, 1.0), SR)
    silent = write_audio(tmp_path / "silent.wav", np.zeros(SR, np.float32), SR)
    packed = tmp_path / "packed.wav"
    packed.write_bytes(b"wvpk" + bytes(60))
    found = SourceResult("named", [
        SampleNote(packed, "packed.wav", 40, 100, tmp_path / "kit.xml"),
        SampleNote(held, "held.wav", 60, 80, held),
        SampleNote(struck, "struck.wav", 38, 100, struck),
        SampleNote(silent, "silent.wav", 40, 100, silent),
        SampleNote(held, "held.wav#1", 60, 90, tmp_path / "examples.json", 0.5, (0.3, 1.3), True),
    ])
    out = to_discovery(found)
    assert out.layout == "named" and [j.id for j in out.jobs] == ["held", "struck", "held-001"]
    one_shot, drum, known = out.jobs
    assert not one_shot.synced and one_shot.off - one_shot.on == pytest.approx(1.0, abs=0.04)
    assert drum.off - drum.on < 0.15
    assert known.synced and (known.on, known.off, known.window) == (0.3, 0.8, (0.3, 1.3))
    assert [f.source for f in out.failures] == ["packed.wav", "silent.wav"]
    assert "WavPack" in out.failures[0].message and "silent" in out.failures[1].message


def test_the_jobs_prepare_with_prepares_own_note_rule(tmp_path):
    from samplernn.common.audio import read_audio
    from samplernn.prepare.notes import prepare_note
    from samplernn.prepare.settings import PrepareSettings

    held = write_audio(tmp_path / "held.wav", tone(SR, 60, 0.3, 1.3, tail=0.3), SR)
    nsynth = write_audio(tmp_path / "ns.wav", tone(SR, 62, 0.0, 1.0, tail=0.2), SR)
    aligned = SampleNote(nsynth, "ns.wav", 62, 90, tmp_path / "examples.json", 1.0, None, True)
    found = SourceResult("x", [SampleNote(held, "held.wav", 60, 80, held), aligned])
    settings = PrepareSettings(sample_rate=SR)
    for job, held_s in zip(to_discovery(found).jobs, (1.0, 1.0), strict=True):
        x, sr = read_audio(job.audio, mono=True)
        note = prepare_note(x, sr, job, settings)
        assert (note.release - note.onset) / SR == pytest.approx(held_s, abs=0.04)
        assert note.end > note.release
