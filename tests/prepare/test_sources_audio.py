"""The audio layout: recordings without notes cut into chunks for unconditional training, with
silence dropped and unusable recordings reported."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from support.audio import write_audio

from samplernn.common.errors import UserError
from samplernn.prepare.sources import ChunkSettings, audio_chunks, to_discovery
from samplernn.prepare.sources.plain_audio import cut, sound_spans

SR = 8000


def music(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SR), np.float32)


def test_silence_is_dropped_and_stretches_are_cut(tmp_path):
    src = tmp_path / "album"
    # lead-in, 5 s of music, a 0.5 s break (kept), 2 s more, a 3 s pause (dropped), 3 s, run-out
    x = np.concatenate([silence(1), music(5), silence(0.5), music(2), silence(3), music(3), silence(1)])
    write_audio(src / "01 Song.wav", x, SR)
    found = audio_chunks(src, ChunkSettings(seconds=4.0, min_seconds=2.0))
    assert found.layout == "audio" and not found.failures
    windows = [n.window for n in found.notes]
    assert windows == [(1.0, 5.0), (5.0, 8.5), (11.5, 14.5)]
    assert [n.source for n in found.notes] == ["01 Song.wav#1", "01 Song.wav#2", "01 Song.wav#3"]
    assert all(n.pitch == 0 and n.velocity == 0 and n.aligned for n in found.notes)
    assert [n.release for n in found.notes] == pytest.approx([4.0, 3.5, 3.0])


def test_cutting_rules():
    settings = ChunkSettings(seconds=4.0, min_seconds=1.5)
    assert cut([(0.0, 9.0)], settings) == [(0.0, 4.0), (4.0, 8.0)]  # the last 1 s is too short
    assert cut([(0.0, 9.5)], settings) == [(0.0, 4.0), (4.0, 8.0), (8.0, 9.5)]
    assert cut([(2.0, 3.0)], settings) == []
    levels = np.array([-90, -10, -12, -90, -11, -90, -90, -90, -9], dtype=float)
    spans = sound_spans(levels, 0.5, ChunkSettings(max_gap=0.5))
    assert spans == [(0.5, 2.5), (4.0, 4.5)]
    with pytest.raises(ValueError):
        ChunkSettings(seconds=2.0, min_seconds=3.0)
    with pytest.raises(ValueError):
        ChunkSettings(silence_db=3.0)


def test_unusable_recordings_are_failures(tmp_path):
    src = tmp_path / "album"
    write_audio(src / "good.flac", music(3), SR)
    write_audio(src / "quiet.wav", silence(3), SR)
    write_audio(src / "short.wav", music(0.5), SR)
    bad = music(3)
    bad[100] = np.inf
    sf.write(src / "broken.wav", bad, SR, subtype="FLOAT")
    (src / "notes.txt").write_text("not audio")
    (src / "junk.mp3").write_bytes(b"not an mp3 at all")
    found = audio_chunks(src, ChunkSettings(seconds=2.0, min_seconds=1.0))
    assert [n.source for n in found.notes] == ["good.flac#1", "good.flac#2"]
    reasons = {f.source: f.message for f in found.failures}
    assert "broken.wav: 1 non-finite sample(s) (NaN or ±inf)" in reasons["broken.wav"]
    assert "silent recording" in reasons["quiet.wav"]
    assert "no stretch of sound lasts 1 s" in reasons["short.wav"]
    assert "unreadable audio file" in reasons["junk.mp3"]
    with pytest.raises(UserError, match="no audio files"):
        audio_chunks(src / "nothing" if (src / "nothing").mkdir() is None else src)


def test_chunks_become_aligned_jobs_over_their_window(tmp_path):
    write_audio(tmp_path / "a.wav", music(6), SR)
    out = to_discovery(audio_chunks(tmp_path, ChunkSettings(seconds=4.0, min_seconds=1.0)))
    assert [(j.id, j.pitch, j.velocity, j.on, j.off, j.window, j.synced) for j in out.jobs] == [
        ("a-001", 0, 0, 0.0, 4.0, (0.0, 4.0), True), ("a-002", 0, 0, 4.0, 6.0, (4.0, 6.0), True)]
