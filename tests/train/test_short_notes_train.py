"""--short-notes: the train bank holds short copies of its long notes, conditioned as short notes;
a drum kit or an unconditioned model gets none."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from conditioning import ELAPSED_INDEX, REMAINING_INDEX
from samplernn.train.data import load_train_data
from samplernn.train.loop import train


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    # 2-s notes at 4 kHz: held parts of ~0.8 s, long enough for every drawn length
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", pitches=(48, 55), min_len=8000,
                               max_len=8000, per_split={"train": 2, "val": 1})


def test_the_train_bank_holds_short_copies_conditioned_as_short_notes(dataset):
    mcfg = tiny_train_config().model_config()
    plain = load_train_data(dataset, mcfg)
    short = load_train_data(dataset, mcfg, short_notes=2, seed=3)
    n = len(plain.train)
    assert plain.shortened == 0 and short.shortened == len(short.train) - n >= n
    assert short.fingerprint == plain.fingerprint and len(short.val) == len(plain.val)
    bank = short.train
    assert torch.equal(bank.audio[: plain.train.n_samples], plain.train.audio)
    for i in range(n, len(bank)):
        assert "~" in bank.ids[i] and int(bank.lengths[i]) < 8000
        s = int(bank.starts[i])
        onset = int(bank.onsets[i])
        at_onset = bank.cond[s + onset]
        # at note-on: nothing elapsed, and the whole (short) note still to come
        assert int(at_onset[ELAPSED_INDEX]) == 0
        assert int(at_onset[REMAINING_INDEX]) < 0.4 * 4000 + (int(bank.lengths[i]) - int(bank.releases[i]))
    again = load_train_data(dataset, mcfg, short_notes=2, seed=3)
    assert again.train.ids == bank.ids  # the same copies on resume


def test_a_run_says_how_many_short_copies_it_trains_on(dataset, tmp_path):
    logged: list[str] = []
    cfg = tiny_train_config(short_notes=1, fill_pitches=0)
    train(dataset, tmp_path / "run", cfg, log=logged.append)
    made = load_train_data(dataset, cfg.model_config(), short_notes=1, seed=cfg.seed).shortened
    assert made >= 3 and any(f"{made} short copies of the long train notes" in line for line in logged)
