"""--piece-tuning: a drum kit's run measures its tonal pieces' resonances, says them, stores the
table and an oscillator in its model and keeps them on resume; a kit with no tonal piece and a
pitched bank change nothing and say why."""

from __future__ import annotations

import pytest
from support.kit_runs import assert_resume_keeps_table, one_step_saying
from support.synth_data import write_synth_dataset
from support.tiny import TINY_MODEL, tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.data.piece_tuning import piece_tuning
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.config import TUNING_HARMONICS, TrainConfig
from samplernn.train.loop import train
from samplernn.train.recipe import fit_to_bank

SAID = "an oscillator ("


def test_a_kit_run_stores_its_pieces_resonance_and_keeps_it_on_resume(kit, tmp_path):
    run = tmp_path / "run"
    said = one_step_saying(kit, run, SAID, piece_tuning=True)
    expected = piece_tuning(load_dataset(kit))
    assert list(expected) == [36]
    assert len(said) == 1 and f"36: {expected[36]:g}" in said[0], said
    model = load_checkpoint(run / "checkpoints" / "last.pt").model
    assert dict(model.cfg.piece_tuning) == expected
    assert model.cfg.oscillator == TUNING_HARMONICS and model.cfg.sample_rate == 16000
    assert model.cond_features.note_hz[36].item() == pytest.approx(expected[36])
    assert model.cond_features.note_hz[38].item() == 0.0  # the noise snare: no oscillator
    assert_resume_keeps_table(kit, run, "piece_tuning", SAID, expected)
    # a plain kit model fine-tunes into a tuned one: the oscillator's inputs are widened in at zero
    plain = tmp_path / "plain"
    train(kit, plain, tiny_train_config(steps=1, fit_min_p=False))
    assert load_checkpoint(plain / "checkpoints" / "last.pt").model.cfg.oscillator == 0
    tuned = tmp_path / "tuned"
    init = str(plain / "checkpoints" / "last.pt")
    two = dict(TINY_MODEL, oscillator=2)
    cfg = tiny_train_config(steps=1, piece_tuning=True, fit_min_p=False, init=init, model_overrides=two)
    train(kit, tuned, cfg)
    cfg = load_checkpoint(tuned / "checkpoints" / "last.pt").model.cfg
    assert dict(cfg.piece_tuning) == expected and cfg.oscillator == 2  # --oscillator's harmonics


def test_a_kit_without_a_tonal_piece_and_a_pitched_bank_change_nothing(kit, tmp_path, monkeypatch):
    monkeypatch.setattr("samplernn.train.start.piece_tuning", lambda dataset: {})
    lines: list[str] = []
    train(kit, tmp_path / "run", tiny_train_config(steps=1, piece_tuning=True, fit_min_p=False),
          log=lines.append)
    assert [line for line in lines if line.startswith("--piece-tuning changes nothing")]
    cfg = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt").model.cfg
    assert cfg.piece_tuning == () and cfg.oscillator == 0
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    assert not fit_to_bank(TrainConfig(piece_tuning=True), bank, said.append).piece_tuning
    assert [line for line in said if line.startswith("--piece-tuning off") and "not a drum kit" in line]
