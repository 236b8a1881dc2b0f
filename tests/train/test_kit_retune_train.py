"""--kit-retune: a drum kit's train bank holds two retuned copies of every hit under the hit's own
key; a pitched bank never does."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from conditioning import NOTE_INDEX
from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.train.config import TrainConfig
from samplernn.train.data import load_train_data
from samplernn.train.loop import train
from samplernn.train.recipe import fit_to_bank


def test_the_kit_bank_holds_each_hit_three_times_under_its_key(kit):
    mcfg = tiny_train_config().model_config()
    plain = load_train_data(kit, mcfg)
    tuned = load_train_data(kit, mcfg, kit_retune=1.0)
    n = len(plain.train)
    assert plain.retuned == 0 and tuned.retuned == 2 * n and len(tuned.train) == 3 * n
    assert tuned.filled == [] and tuned.fingerprint == plain.fingerprint
    bank = tuned.train
    assert torch.equal(bank.audio[: plain.train.n_samples], plain.train.audio)
    for i in range(n):
        down, up = n + 2 * i, n + 2 * i + 1
        assert int(bank.pitches[down]) == int(bank.pitches[up]) == int(bank.pitches[i])
        assert int(bank.lengths[down]) > int(bank.lengths[i]) > int(bank.lengths[up])  # lower = longer
        s, k = int(bank.starts[up]), int(bank.lengths[up])
        assert int(bank.cond[s : s + k, NOTE_INDEX].max()) == int(bank.pitches[i])


def test_a_kit_run_says_how_many_copies_it_trains_on(kit, tmp_path):
    logged: list[str] = []
    train(kit, tmp_path / "run", tiny_train_config(kit_retune=1.0), log=logged.append)
    assert any("12 retuned copies of the kit's train hits (± 1 semitones)" in line for line in logged)


def test_a_pitched_bank_is_never_retuned(tmp_path):
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    cfg = fit_to_bank(TrainConfig(kit_retune=1.0), bank, said.append)
    assert cfg.kit_retune == 0 and said and "--kit-retune off" in said[0] and "not a drum kit" in said[0]
    for bad in (-1.0, 13.0):
        with pytest.raises(UserError, match="--kit-retune"):
            TrainConfig(kit_retune=bad).validate()
