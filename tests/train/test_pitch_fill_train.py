"""--fill-pitches: the train bank holds resampled copies for the pitches it lacks, and the note
embedding rows of those pitches are trained rather than interpolated."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from conditioning import NOTE_INDEX
from samplernn.train.config import TrainConfig
from samplernn.train.data import load_train_data
from samplernn.train.loop import train

KEY = "cond_features.note_embed.weight"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", pitches=(48, 51))


def test_the_train_bank_holds_copies_at_the_missing_pitches(dataset):
    mcfg = tiny_train_config().model_config()
    plain = load_train_data(dataset, mcfg)
    filled = load_train_data(dataset, mcfg, fill_pitches=2)
    assert plain.filled == [] and filled.filled == [49, 50]
    assert len(filled.train) == 2 * len(plain.train) and len(filled.val) == len(plain.val)
    assert filled.fingerprint == plain.fingerprint  # the copies follow from the notes
    bank = filled.train
    for i in range(len(plain.train), len(bank)):
        s, n = int(bank.starts[i]), int(bank.lengths[i])
        note_column = bank.cond[s : s + n, NOTE_INDEX]
        assert int(bank.pitches[i]) in (49, 50) and int(note_column.max()) == int(bank.pitches[i])
    assert torch.equal(bank.audio[: plain.train.n_samples], plain.train.audio)


def test_filled_pitches_are_trained_not_interpolated(dataset, tmp_path):
    logged: list[str] = []
    assert TrainConfig().fill_pitches == 2  # on by default
    train(dataset, tmp_path / "fill", tiny_train_config(), log=logged.append)
    train(dataset, tmp_path / "plain", tiny_train_config(fill_pitches=0))
    assert any("2 pitches the bank lacks (C#3, D3)" in line for line in logged)
    filled, plain = (
        torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True)["state_dict"][KEY]
        for r in ("fill", "plain")
    )
    between = plain[48] + (plain[51] - plain[48]) / 3  # the plain run's row 49: its neighbours' line
    torch.testing.assert_close(plain[49], between)
    assert not torch.allclose(filled[49], filled[48] + (filled[51] - filled[48]) / 3)


@pytest.mark.parametrize(("name", "old", "given"), [("fill_pitches", 0, 1), ("sound_draws", 1, 3)])
def test_a_run_from_before_the_option_resumes_with_it_off(tmp_path, monkeypatch, name, old, given):
    """fill_pitches: the same train notes as before; sound_draws: one draw a note, as its best.pt
    was scored (the mean of four would rarely beat one lucky draw)."""
    from samplernn.train import init
    from samplernn.train.run_dir import RunPaths

    last = RunPaths(tmp_path).last
    last.parent.mkdir(parents=True)
    last.write_bytes(b"")
    stored = {k: v for k, v in TrainConfig().to_dict().items() if k != name}
    monkeypatch.setattr(init, "read_payload", lambda path: {"train_config": stored})
    resolve = init.resolve_train_config
    assert getattr(resolve(tmp_path, {}, resume=True), name) == old
    assert getattr(resolve(tmp_path, {name: given}, resume=True), name) == given
    assert getattr(resolve(tmp_path, {}, resume=False), name) == getattr(TrainConfig(), name)
