"""`render --engine voices`: a MIDI file through persistent voices, every note-off known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.audio import write_midi
from support.tiny import tiny_checkpoint

from conditioning import BankStats, MidiNote
from samplernn.common.audio import read_audio
from samplernn.common.errors import UsageError
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render.midi import RenderOptions, render_midi
from samplernn.render.voices import most_at_once, voice_spans

pytestmark = pytest.mark.usefixtures("one_thread")
SR = 4000


def test_the_pool_is_the_most_notes_sounding_at_once():
    assert most_at_once([(0, 10), (10, 20), (20, 30)]) == 1  # spans are half-open
    assert most_at_once([(0, 10), (5, 20), (8, 9), (30, 40)]) == 3
    assert most_at_once([]) == 1
    stats = BankStats(SR, {(50, 100): 100})
    note = MidiNote(50, 100, 0.1, 0.2, 0, 0)
    assert voice_spans([(note, 50)], stats, SR, 8, 40) == [(400, 800 + 100 + 40)]


def test_voices_render_the_same_length_as_notes(tmp_path: Path):
    stats = BankStats(SR, {(p, 100): 60 for p in range(45, 66)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=SR, stats=stats))
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.2), (55, 90, 0.1, 0.3), (52, 80, 0.15, 0.4)])
    lengths = {}
    for engine in ("notes", "voices"):
        out = tmp_path / f"{engine}.wav"
        report = render_midi(
            ckpt, midi, out, RenderOptions(engine=engine, generation=GenerationOptions(seed=2))
        )
        audio, sr = read_audio(out)
        assert report.n_notes == 3 and sr == SR and np.abs(audio).max() > 0
        lengths[engine] = len(audio)
    assert lengths["notes"] == lengths["voices"]
    again = tmp_path / "again.wav"
    render_midi(ckpt, midi, again, RenderOptions(engine="voices", generation=GenerationOptions(seed=2)))
    assert np.array_equal(read_audio(again)[0], read_audio(tmp_path / "voices.wav")[0])
    with pytest.raises(UsageError, match="--engine .fast.: choose from"):
        render_midi(ckpt, midi, again, RenderOptions(engine="fast"))
