"""--piece-brightness: a drum kit's run measures its pieces' brightness, says it, stores the table
in its model (so every engine's pitch column reads it) and keeps it on resume; a pitched bank turns
it off and says why."""

from __future__ import annotations

import pytest
from support.kit_runs import assert_resume_keeps_table, one_step_saying
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.data.piece_brightness import piece_brightness
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.config import TrainConfig
from samplernn.train.loop import train
from samplernn.train.recipe import fit_to_bank

SAID = "the pitch column reads each piece's brightness"


def test_a_kit_run_stores_its_pieces_brightness_and_keeps_it_on_resume(kit, tmp_path):
    run = tmp_path / "run"
    said = one_step_saying(kit, run, SAID, piece_brightness=True)
    expected = piece_brightness(load_dataset(kit))
    assert len(said) == 1 and f"36: {expected[36]:.1f}" in said[0], said
    model = load_checkpoint(run / "checkpoints" / "last.pt").model
    assert dict(model.cfg.piece_brightness) == expected
    for key, pitch in expected.items():
        assert model.cond_features.note_pitch[key].item() == pytest.approx(pitch)
    assert model.cond_features.note_pitch[60].item() == 60.0  # no piece: its own number
    assert_resume_keeps_table(kit, run, "piece_brightness", SAID, expected)
    plain = tmp_path / "plain"
    train(kit, plain, tiny_train_config(steps=1, fit_min_p=False))
    assert load_checkpoint(plain / "checkpoints" / "last.pt").model.cfg.piece_brightness == ()
    # a model of key numbers fine-tunes into one of brightness: the table shapes no weight
    tuned = tmp_path / "tuned"
    init = str(plain / "checkpoints" / "last.pt")
    train(kit, tuned, tiny_train_config(steps=1, piece_brightness=True, fit_min_p=False, init=init))
    assert dict(load_checkpoint(tuned / "checkpoints" / "last.pt").model.cfg.piece_brightness) == expected


def test_a_pitched_bank_turns_piece_brightness_off_and_says_why(tmp_path):
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    cfg = fit_to_bank(TrainConfig(piece_brightness=True), bank, said.append)
    assert not cfg.piece_brightness
    assert [line for line in said if line.startswith("--piece-brightness off") and "not a drum kit" in line]
