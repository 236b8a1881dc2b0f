"""The shipped model and the README's main job: load the checkpoint, render notes, run `demo`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.audio import write_midi
from typer.testing import CliRunner

from conditioning import read_midi_notes
from samplernn.cli import app
from samplernn.common.audio import read_audio
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render.demo import DEFAULT_MELODY, DEFAULT_MODEL, render_demo

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="no shipped model in this checkout")


def test_shipped_checkpoint_is_self_contained() -> None:
    ckpt = load_checkpoint(DEFAULT_MODEL, "cpu")
    assert ckpt.sample_rate == 16000
    assert ckpt.config.conditioning
    lo, hi = ckpt.pitch_range
    assert lo <= 40 and hi >= 65  # the bundled bank's E2–F4
    assert ckpt.stats.release_tail(50, 100) > 0
    assert ckpt.config.level_conditioning and ckpt.stats.envelopes  # the level column's curves
    assert 0.0 < ckpt.temperature <= 1.0


def test_shipped_model_holds_a_long_note_at_the_banks_level() -> None:
    """The old failure: notes faded to silence 0.1–0.5 s after the attack. Four 1 s takes must
    keep (3 of 4 at least) within 8 dB of the bank's typical level from 0.3 to 0.9 s."""
    from samplernn.render.synth import synth_note

    ckpt = load_checkpoint(DEFAULT_MODEL, "cpu")
    sr = ckpt.sample_rate
    lead, a, b = round(0.25 * sr), round(0.3 * sr), round(0.9 * sr)
    res = synth_note(ckpt, 52, 100, 1.0, takes=4, generation=GenerationOptions(seed=0, threads=1))
    want = ckpt.stats.level_curve(52, 100, 2 * sr, sr)[a:b]
    want_db = 10 * np.log10(np.mean(10 ** (want / 10)))
    got_db = [10 * np.log10(np.mean(x[lead + a : lead + b] ** 2) + 1e-12) for x in res.takes]
    assert sum(abs(g - want_db) < 8 for g in got_db) >= 3, (want_db, got_db)


def test_shipped_melody_lies_in_the_shipped_model_range() -> None:
    lo, hi = load_checkpoint(DEFAULT_MODEL, "cpu").pitch_range
    notes = read_midi_notes(DEFAULT_MELODY)
    assert notes and all(lo <= n.pitch <= hi for n in notes)


def test_render_two_notes_with_the_shipped_model(tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "two.mid", [(46, 100, 0.0, 0.3), (53, 80, 0.2, 0.5)])
    res = render_demo(tmp_path / "out", DEFAULT_MODEL, midi, GenerationOptions(seed=1))
    audio, sr = read_audio(res.wav)
    x = audio.mean(axis=1)
    assert sr == 16000 and res.n_notes == 2
    assert 0.5 * sr < x.size < 1.5 * sr
    assert np.abs(x).max() < 0.999  # peak-safe, no clipping
    assert np.sqrt(np.mean(x**2)) > 1e-3  # not silent
    assert res.png.is_file() and res.png.stat().st_size > 1000


def test_demo_command_prints_where_the_files_are(tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "one.mid", [(50, 90, 0.0, 0.25)])
    result = CliRunner().invoke(app, ["demo", "--midi", str(midi), "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "d" / "one.wav") in result.output
    assert (tmp_path / "d" / "one.png").is_file()
    assert f"onsets searched (up to {ONSET_CANDIDATES} candidates)" in result.output  # the default search
    plain = CliRunner().invoke(app, ["demo", "--midi", str(midi), "--out", str(tmp_path / "e"),
                                     "--onset-candidates", "1"])  # fmt: skip
    assert plain.exit_code == 0 and "onsets searched" not in plain.output, plain.output


def test_the_shipped_model_is_named_without_a_path(tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "one.mid", [(50, 90, 0.0, 0.1)])
    r = CliRunner().invoke(app, ["render", "trombone-small", str(midi), "-o", str(tmp_path / "o.wav"),
                                 "--onset-candidates", "1", "-q"])  # fmt: skip
    assert r.exit_code == 0 and "rendered 1 note" in r.output, r.output
    r = CliRunner().invoke(app, ["synth", "tromboon", "--note", "C3", "-o", str(tmp_path / "s.wav")])
    assert r.exit_code == 1 and "tromboon: no such checkpoint file or shipped model" in r.output, r.output
    assert load_checkpoint("trombone-small").step == load_checkpoint(DEFAULT_MODEL).step
