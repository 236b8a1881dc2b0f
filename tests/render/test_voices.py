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
from samplernn.render.voices import most_at_once, voice_spans, voice_takes, voice_work

pytestmark = pytest.mark.usefixtures("one_thread")
SR = 4000


def test_the_pool_is_the_most_notes_sounding_at_once():
    assert most_at_once([(0, 10), (10, 20), (20, 30)]) == 1  # spans are half-open
    assert most_at_once([(0, 10), (5, 20), (8, 9), (30, 40)]) == 3
    assert most_at_once([]) == 1
    stats = BankStats(SR, {(50, 100): 100})
    note = MidiNote(50, 100, 0.1, 0.2, 0, 0)
    assert voice_spans([(note, 50)], stats, SR, 8, 40) == [(400, 800 + 100 + 40)]


def test_voices_render_the_same_length_as_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import samplernn.render.midi as render_module

    built = []  # per-note streams' conditioning, made whole up front; the voices make their own
    real_note_stream = render_module.note_stream
    monkeypatch.setattr(render_module, "note_stream", lambda *a: built.append(a) or real_note_stream(*a))
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
        assert len(built) == 3  # only the notes engine built them (a stuck note's held memory)
        lengths[engine] = len(audio)
    assert lengths["notes"] == lengths["voices"]
    again = tmp_path / "again.wav"
    render_midi(ckpt, midi, again, RenderOptions(engine="voices", generation=GenerationOptions(seed=2)))
    assert np.array_equal(read_audio(again)[0], read_audio(tmp_path / "voices.wav")[0])
    with pytest.raises(UsageError, match="--engine .fast.: choose from"):
        render_midi(ckpt, midi, again, RenderOptions(engine="fast"))


def test_voice_work_counts_every_block_a_span_touches():
    assert voice_work([(0, 512)], 512) == 512
    assert voice_work([(0, 513), (256, 300)], 512) == 1024 + 512
    assert voice_work([(600, 1100)], 512) == 1024  # blocks 1 and 2


def test_progress_follows_the_searches_and_the_voices_not_the_mix_clock(tmp_path: Path):
    """Hits all start together: their searches come before the first block is done; the bar moves
    with each of them, never goes back and ends full."""
    stats = BankStats(SR, {(p, 100): 400 for p in (36, 38)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=SR, stats=stats))
    reports: list[tuple[int, int]] = []
    gen = GenerationOptions(seed=0, progress=lambda done, total: reports.append((done, total)))
    gen = gen.with_onset_search(4, SR, hits=True)
    notes = [(MidiNote(k, 100, 0.25, 0.3, 9, 0), k) for k in (36, 38, 36)]
    takes = voice_takes(ckpt.model, stats, SR, notes, 0.25, 0.1, gen)
    assert len(takes) == 3
    done = [d for d, _ in reports]
    total = {t for _, t in reports}
    assert len(total) == 1 and done == sorted(done) and done[-1] == total.pop()
    # one report per searched hit before any voice generates (the blocks before the hits report 0):
    # each counts its 4 candidates' probes, 4 × 168 samples (0.04 s at 4 kHz, whole lookbacks of 8)
    assert [d for d in done if d][:3] == [672, 1344, 2016]
