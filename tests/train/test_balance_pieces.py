"""--balance-pieces: a drum kit's pieces with less audio than the mean piece are drawn more often
an epoch, the run says which; a kit of equal pieces and a pitched bank say it changes nothing."""

from __future__ import annotations

import csv

import pytest
import torch
from support.drum_kit import write_drum_dataset
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.train.config import TrainConfig
from samplernn.train.data import piece_balance_draws
from samplernn.train.loop import train
from samplernn.train.recipe import fit_to_bank


def test_pieces_under_the_mean_are_drawn_up_to_the_mean():
    pitches = torch.tensor([36, 36, 38, 49, 49])
    lengths = torch.tensor([100, 100, 50, 1000, 1000])  # pieces 200, 50, 2000 samples: mean 750
    got = piece_balance_draws(pitches, lengths, 16)
    assert got is not None and got.tolist() == [4, 4, 15, 1, 1]  # 3.75 → 4, 15, 0.375 → once
    capped = piece_balance_draws(pitches, lengths, 8)
    assert capped is not None and capped.tolist() == [4, 4, 8, 1, 1]
    assert piece_balance_draws(pitches, torch.tensor([100, 100, 200, 100, 100]), 16) is None  # equal
    assert piece_balance_draws(pitches, lengths, 1) is None
    assert piece_balance_draws(torch.tensor([], dtype=torch.int64), torch.tensor([]), 4) is None
    with pytest.raises(ValueError, match="at least 1"):
        piece_balance_draws(pitches, lengths, 0)


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    """Two kits of three pieces: equal ones, and one whose bass drum (36) has half the train hits."""
    root = tmp_path_factory.mktemp("kits")
    equal = write_drum_dataset(root / "equal", {"train": 1, "val": 1})
    short = write_drum_dataset(root / "short", {"train": 2, "val": 1})
    manifest = short / "manifest.csv"
    with manifest.open() as f:
        rows = list(csv.DictReader(f))
    kept = [r for r in rows if not (r["pitch"] == "36" and r["split"] == "train" and r["id"].endswith("_1"))]
    with manifest.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return equal, short


def test_a_kit_run_draws_its_short_piece_more_often_and_says_so(kits, tmp_path):
    _, short = kits
    lines: list[str] = []
    run = tmp_path / "run"
    train(short, run, tiny_train_config(steps=1, balance_pieces=True), log=lines.append)
    said = [line for line in lines if line.startswith("--balance-pieces:")]
    assert len(said) == 1 and "1 piece's hits drawn more often an epoch (36 ×2)" in said[0], lines
    data = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["data"]
    train_pitches = [r.pitch for r in load_dataset(short).split("train")]
    counts = torch.bincount(data["epoch_notes"], minlength=len(train_pitches)).tolist()
    assert sorted(set(counts)) == [1, 2]
    assert all((c == 2) == (p == 36) for c, p in zip(counts, train_pitches, strict=True))
    plain: list[str] = []
    train(short, tmp_path / "plain", tiny_train_config(steps=1), log=plain.append)
    assert not any("--balance-pieces" in line for line in plain)
    # the work after the last step is said at the start (a 3-minute kit run took 7 minutes, unsaid)
    said = [line for line in lines if line.startswith("after the last step a min-p per piece")]
    assert len(said) == 1 and "3 pieces, ~10-15 s each" in said[0], lines


def test_balance_pieces_that_change_nothing_say_so(kits, tmp_path):
    equal, _ = kits
    lines: list[str] = []
    train(equal, tmp_path / "run", tiny_train_config(steps=1, balance_pieces=True), log=lines.append)
    assert any(line.startswith("--balance-pieces changes nothing") for line in lines), lines
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    cfg = fit_to_bank(TrainConfig(balance_pieces=True), bank, said.append)
    assert not cfg.balance_pieces
    assert [line for line in said if line.startswith("--balance-pieces off") and "not a drum kit" in line]
