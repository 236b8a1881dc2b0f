"""Checkpoint choice by sound: the validation notes, the sound score, best.pt and the plateau stop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.synth_data import sine_note, write_synth_dataset
from support.tiny import tiny_train_config

import samplernn.train.validate as validate_module
from conditioning import NoteEvent
from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.measures.sound import rms, to_db
from samplernn.train.config import MAX_SOUND_DRAWS
from samplernn.train.curves import read_metrics
from samplernn.train.loop import train
from samplernn.train.sound_check import TAIL_SECONDS, make_probes, pick_notes, shorten
from samplernn.train.sound_score import NoteScore, SoundScore, score_note

tiny_cfg = tiny_train_config


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    # 2 val notes on each of 3 pitches, long enough to be shortened to 0.1 s
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", per_split={"train": 2, "val": 2},
                               min_len=500, max_len=900)  # fmt: skip


def test_probes_are_spread_over_the_val_notes_and_shortened(dataset):
    ds = load_dataset(dataset)
    val = ds.split("val")
    assert [r.pitch for r in pick_notes(val, 3)] == [48, 55, 60]  # lowest to highest
    assert len(pick_notes(val, 10)) == len(val)
    probes = make_probes(ds, 4, seconds=0.1)
    sr, max_len = ds.sample_rate, int(0.1 * ds.sample_rate)
    assert len(probes) == 4 and [p.id for p in probes] == [r.id for r in pick_notes(val, 4)]
    for p in probes:
        ev = p.event
        assert ev.length <= max_len and len(p.cond) == ev.end + round(TAIL_SECONDS * sr)
        assert (p.cond[ev.onset : ev.end, 0] == ev.pitch).all() and (p.cond[ev.end :, 0] == 0).all()
        assert p.cond[ev.onset, 2] == ev.length - 1  # the countdown of the shortened note
    ev = NoteEvent(60, 80, 10, 900, 1000)
    assert shorten(ev, 2000) is ev
    assert shorten(ev, 400) == NoteEvent(60, 80, 10, 310, 410)  # the release tail kept
    assert shorten(NoteEvent(60, 80, 0, 100, 1000), 400) == NoteEvent(60, 80, 0, 200, 400)  # at most half


def test_the_sound_score_of_notes():
    tuned = NoteScore(cents=10.0, level_error_db=0.0, length_error_ms=0.0)
    assert tuned.in_tune and tuned.value == 1.0
    off = NoteScore(cents=-60.0, level_error_db=-6.0, length_error_ms=100.0)
    assert not off.in_tune and off.value == pytest.approx(-0.25 * 0.5 - 0.25 * 0.5)
    silent = NoteScore(cents=None, level_error_db=-100.0, length_error_ms=1000.0)
    assert silent.value == -0.5  # the worst a note can do
    score = SoundScore.of([tuned, off, silent], seconds=1.5)
    assert score.score == round((1.0 - 0.25 - 0.5) / 3, 2)
    d = score.to_dict()
    assert d["in_tune"] == pytest.approx(1 / 3)
    assert d["level_error_db"] == 6.0 and d["length_error_ms"] == 100.0
    assert d["cents"] == [10.0, -60.0, None] and d["notes"] == 3 and d["seconds"] == 1.5
    with pytest.raises(ValueError):
        SoundScore.of([])


def test_a_note_played_right_scores_full_marks():
    sr, ev = 16000, NoteEvent(57, 100, 400, 6000, 7200)
    n = ev.end + int(TAIL_SECONDS * sr)
    real = sine_note(ev.pitch, n, ev.onset, ev.end, sr, 0.5)
    span = (ev.onset, ev.release)
    good = score_note(real, ev, sr, to_db(rms(real, *span)), span)
    assert good.in_tune and abs(good.level_error_db) < 0.01 and good.length_error_ms < 20
    half_as_loud_a_semitone_up = sine_note(ev.pitch + 1, n, ev.onset, ev.end, sr, 0.25)
    sharp = score_note(half_as_loud_a_semitone_up, ev, sr, to_db(rms(real, *span)), span)
    assert not sharp.in_tune and 80 < sharp.cents < 120
    assert sharp.level_error_db == pytest.approx(-6.02, abs=0.1)
    endless = score_note(0.5 * np.sin(np.arange(n) * 0.14), ev, sr, 0.0, span)
    assert endless.length_error_ms == pytest.approx(TAIL_SECONDS * 1000, abs=1)  # never stops


def test_every_validation_records_its_sound_and_what_it_cost(dataset, tmp_path):
    run = tmp_path / "run"
    result = train(dataset, run, tiny_cfg(sound_notes=4, sound_seconds=0.1))
    evals = [r for r in read_metrics(run / "metrics.jsonl") if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [3, 6]
    for r in evals:
        sound = r["sound"]
        parts = {"score", "in_tune", "level_error_db", "length_error_ms", "cents", "notes", "seconds"}
        assert set(sound) >= parts
        assert sound["notes"] == 4 and -0.5 <= sound["score"] <= 1.0 and 0 <= sound["in_tune"] <= 1
        assert r["seconds"]["sound"] == sound["seconds"] > 0 and r["seconds"]["nll"] > 0
    assert (run / "sound.png").is_file() and (run / "loss.png").is_file()
    best = torch.load(run / "checkpoints" / "best.pt", weights_only=True)["best"]
    assert result.best_score == best["score"] == max(r["sound"]["score"] for r in evals)


def scripted_scores(monkeypatch, scores: list[float]) -> None:
    """The sound check returns `scores` in turn (the model's notes are not generated)."""
    it = iter(scores)
    parts = [NoteScore(0.0, 0.0, 0.0)]
    monkeypatch.setattr(validate_module, "listen", lambda *a, **k: SoundScore(next(it), parts, 0.01))


def test_best_checkpoint_follows_the_sound_score(dataset, tmp_path, monkeypatch):
    scripted_scores(monkeypatch, [0.9, 0.2])
    result = train(dataset, tmp_path / "sound", tiny_cfg())
    assert result.best_step == 3 and result.best_score == 0.9
    evals = [r for r in read_metrics(tmp_path / "sound" / "metrics.jsonl") if r["kind"] == "eval"]
    assert [r["best"] for r in evals] == [True, False]
    assert torch.load(tmp_path / "sound" / "checkpoints" / "best.pt", weights_only=True)["step"] == 3

    scripted_scores(monkeypatch, [0.5, 0.5])  # equal scores: NLL breaks the tie
    result = train(dataset, tmp_path / "tie", tiny_cfg())
    evals = [r for r in read_metrics(tmp_path / "tie" / "metrics.jsonl") if r["kind"] == "eval"]
    assert result.best_step == min(evals, key=lambda r: r["val"]["overall"])["step"]

    scripted_scores(monkeypatch, [0.9, 0.2])  # the old choice, by NLL alone, is one switch away
    result = train(dataset, tmp_path / "nll", tiny_cfg(choose_by="nll"))
    evals = [r for r in read_metrics(tmp_path / "nll" / "metrics.jsonl") if r["kind"] == "eval"]
    assert result.best_step == min(evals, key=lambda r: r["val"]["overall"])["step"]
    assert all(r["sound"] for r in evals)  # still measured and recorded


def test_training_stops_when_quality_plateaus(dataset, tmp_path, monkeypatch):
    scripted_scores(monkeypatch, [0.3, 0.8, 0.7, 0.6, 0.9])
    lines: list[str] = []
    # a learning rate too small to move the weights: the val NLL stalls, so the score decides
    cfg = tiny_cfg(steps=30, lr=1e-30, patience=2)
    result = train(dataset, tmp_path / "run", cfg, log=lines.append)
    assert result.status == "early_stopped" and result.step == 12 and result.best_step == 6
    assert result.message.startswith("quality plateaued at step 6: neither the sound score (highest 0.80)")
    assert "up to step 12" in result.message and lines[-1] == result.message
    by_nll = tiny_cfg(steps=30, lr=1e-30, patience=2, choose_by="nll", sound_notes=0)
    plain = train(dataset, tmp_path / "nll", by_nll)
    assert plain.message.startswith("validation NLL plateaued at step 3")


def test_sound_settings_are_checked():
    with pytest.raises(UserError, match="--choose-by"):
        tiny_cfg(choose_by="loudness").validate()
    with pytest.raises(UserError, match="--sound-notes"):
        tiny_cfg(sound_notes=0).validate()
    tiny_cfg(sound_notes=0, choose_by="nll").validate()
    for draws in (0, MAX_SOUND_DRAWS + 1):
        with pytest.raises(UserError, match="--sound-draws"):
            tiny_cfg(sound_draws=draws).validate()
    with pytest.raises(UserError, match="--warmup-steps"):
        tiny_cfg(warmup_steps=-1).validate()


def test_with_no_tie_band_a_plateau_is_the_score_alone(dataset, tmp_path, monkeypatch):
    # a drum kit's default (--score-tie 0): the NLL still falls, the scores stall, the run stops
    scripted_scores(monkeypatch, [0.3, 0.8, 0.7, 0.6, 0.9])
    result = train(dataset, tmp_path / "run", tiny_cfg(steps=30, patience=2, score_tie=0.0))
    assert result.status == "early_stopped" and result.step == 12 and result.best_step == 6
    assert result.message.startswith("quality plateaued at step 6 (sound score 0.80); no better in the 2")
