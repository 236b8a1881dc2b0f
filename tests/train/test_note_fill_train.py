"""Training fills the note embedding rows of pitches the bank lacks, without changing what it learns."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.train import loop
from samplernn.train.loop import train

KEY = "cond_features.note_embed.weight"


def cfg(**overrides):
    """The tiny config with no resampled copies: the rows between 48, 55 and 60 stay untrained."""
    return tiny_train_config(**{"fill_pitches": 0, **overrides})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", pitches=(48, 55, 60))


def last_weights(run) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)["state_dict"]


def test_checkpoints_hold_interpolated_rows_and_training_is_unchanged(dataset, tmp_path, monkeypatch):
    rows_after_fill = []

    def watch(step, model):
        if step in (4, 5):  # after the fill at the step-3 validation: Adam leaves the rows alone
            rows_after_fill.append(model.cond_features.note_embed.weight[52].detach().clone())

    train(dataset, tmp_path / "filled", cfg(), on_step=watch)
    assert torch.equal(rows_after_fill[0], rows_after_fill[1])
    w = last_weights(tmp_path / "filled")
    emb = w[KEY]
    torch.testing.assert_close(emb[52], emb[48] + (emb[55] - emb[48]) * 4 / 7)
    assert torch.equal(emb[30], emb[48]) and torch.equal(emb[100], emb[60])

    monkeypatch.setattr(loop, "fill_untrained_notes", lambda emb, trained: [])
    train(dataset, tmp_path / "plain", cfg())
    plain = last_weights(tmp_path / "plain")
    assert not torch.equal(plain[KEY][52], emb[52])
    for k, v in plain.items():  # every weight the data trains, the same to the bit
        mine = w[k][[0, 48, 55, 60]] if k == KEY else w[k]
        theirs = v[[0, 48, 55, 60]] if k == KEY else v
        assert torch.equal(mine, theirs), k


def test_note_interpolation_trains_the_neighbours_in_place_of_the_note(dataset, tmp_path):
    rows = []

    def watch(step, model):
        assert model.cond_features.note_interpolation == 1.0
        rows.append(model.cond_features.note_embed.weight[[48, 55, 60]].detach().clone())

    train(dataset, tmp_path / "interp", cfg(steps=4, note_interpolation=1.0), on_step=watch)
    first, last = rows[0], rows[-1]
    # every row reads 55 as the line from 48 to 60: its own row is never used, theirs are trained
    assert torch.equal(first[1], last[1])
    assert not torch.equal(first[0], last[0]) and not torch.equal(first[2], last[2])
