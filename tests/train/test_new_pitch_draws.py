"""--new-pitch-draws: a fine-tune asked to draw the train notes on pitches its --init model was
never trained on more often than the others, and says so; a default fine-tune says which pitches
are new to its init without drawing them more often; a run from scratch, a fine-tune within its
init's range and a resumed one say nothing (the last takes its draws from its own state)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.train.config import NEW_PITCH_DRAWS
from samplernn.train.data import new_pitch_draws
from samplernn.train.init import init_pitch_range
from samplernn.train.loop import train


def test_notes_outside_the_known_range_are_drawn_more_often():
    pitches = torch.tensor([36, 38, 40, 52, 65, 67])
    got = new_pitch_draws(pitches, (40, 65), 3)
    assert got is not None and got.tolist() == [3, 3, 1, 1, 1, 3]
    assert new_pitch_draws(pitches, (40, 65), 1) is None  # off
    assert new_pitch_draws(pitches, None, 3) is None  # an init of no notes
    assert new_pitch_draws(pitches, (30, 70), 3) is None  # nothing new to it


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    root = tmp_path_factory.mktemp("banks")
    low = write_synth_dataset(root / "low", pitches=(48, 50))
    return low, write_synth_dataset(root / "wide", pitches=(45, 48, 50))


def test_a_fine_tune_draws_the_new_pitches_and_resumes_with_them(banks, tmp_path):
    low, wide = banks
    base = tmp_path / "base"
    train(low, base, tiny_train_config(steps=2))
    init = str(base / "checkpoints" / "last.pt")
    assert init_pitch_range(init) == load_dataset(low).stats.pitch_range == (48, 50)
    lines: list[str] = []
    tuned = tmp_path / "tuned"
    drawn = tiny_train_config(steps=2, init=init, fill_pitches=0, new_pitch_draws=3)
    train(wide, tuned, drawn, log=lines.append)
    said = [line for line in lines if "pitches the --init model was not trained on" in line]
    assert said and "(A2; it knows C3-D3)" in said[0] and "drawn 3 times" in said[0], lines
    data = torch.load(tuned / "checkpoints" / "last.pt", weights_only=True)["data"]
    pitches = load_dataset(wide).split("train")
    counts = torch.bincount(data["epoch_notes"])
    assert counts.max() == 3 and counts.min() == 1
    assert int(counts.sum()) == len(data["order"]) > len(pitches)
    plain: list[str] = []
    assert NEW_PITCH_DRAWS == 1  # off by default: tried at 3, no gain
    train(wide, tmp_path / "plain", tiny_train_config(steps=1, init=init), log=plain.append)
    warned = [line for line in plain if "was not trained on" in line]
    assert len(warned) == 1 and "(A2, A#2, B2; it knows C3-D3)" in warned[0], plain  # B2, A#2 filled
    assert "less surely" in warned[0] and "drawn" not in warned[0]
    quiet: list[str] = []
    scratch = tiny_train_config(steps=1, new_pitch_draws=3)  # no --init: nothing is new
    train(wide, tmp_path / "scratch", scratch, log=quiet.append)
    train(low, tmp_path / "same", tiny_train_config(steps=1, init=init), log=quiet.append)  # within range
    assert not any("was not trained on" in line for line in quiet)
    (base / "checkpoints" / "last.pt").unlink()  # a resumed fine-tune takes its draws from its own state
    assert train(wide, tuned, replace(drawn, steps=3), resume=True).step == 3


def test_new_pitch_draws_that_draw_nothing_more_say_so(banks, tmp_path):
    """Before: --new-pitch-draws 3 without --init, or on a fine-tune whose train notes all lie in
    its init model's range, was taken and changed nothing, unsaid."""
    low, wide = banks
    base = tmp_path / "base"
    train(low, base, tiny_train_config(steps=1))
    init = str(base / "checkpoints" / "last.pt")
    cases = (
        (wide, tiny_train_config(steps=1, new_pitch_draws=3), "no --init"),
        (low, tiny_train_config(steps=1, init=init, new_pitch_draws=3),
         "within the --init model's range (C3-D3)"),
    )
    for k, (dataset, cfg, why) in enumerate(cases):
        lines: list[str] = []
        train(dataset, tmp_path / f"run{k}", cfg, log=lines.append)
        said = [line for line in lines if line.startswith("--new-pitch-draws 3 changes nothing")]
        assert len(said) == 1 and why in said[0], lines
    lines = []
    train(wide, tmp_path / "plain", tiny_train_config(steps=1), log=lines.append)
    assert not any("--new-pitch-draws" in line for line in lines)
