"""A drum model's min-p per piece, fitted on the kit's train hits (samplernn.train.min_p_fit)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from support.drum_kit import PIECES, drum_checkpoint, drum_stats, write_drum_dataset

from samplernn.data.dataset import load_dataset
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.min_p_fit import PieceMinPFit, choose, fit_hits, fit_piece_min_p, write_piece_min_p
from samplernn.train.recipe import playing_hints

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    return write_drum_dataset(tmp_path_factory.mktemp("kit") / "kit", {"train": 3, "test": 1})


@pytest.fixture
def ckpt_path(kit: Path, tmp_path: Path) -> Path:
    return drum_checkpoint(tmp_path / "kit.pt", drum_stats(kit), generation=playing_hints(load_dataset(kit)))


def test_the_smallest_truncation_within_the_tie_of_the_best_is_chosen() -> None:
    assert choose({0.0: 1.0, 0.1: 1.3, 0.3: 2.0}, tie_db=0.5) == 0.3
    assert choose({0.0: 1.0, 0.1: 1.4, 0.3: 1.2}, tie_db=0.5) == 0.0  # 0.4 dB better is a tie
    assert choose({0.0: -3.0, 0.1: 1.0, 0.3: 1.2}, tie_db=0.5) == 0.1
    assert choose({0.0: 2.0, 0.1: 1.0, 0.3: 0.0}, tie_db=0.5) == 0.0


def test_a_truncation_whose_takes_stick_is_passed_over_however_like_its_piece_they_are() -> None:
    margins = {0.0: 1.0, 0.1: 1.5, 0.3: 4.0}
    assert choose(margins, {0.0: 0, 0.1: 0, 0.3: 8}, takes=8) == 0.1
    assert choose(margins, {0.0: 0, 0.1: 4, 0.3: 8}, takes=8) == 0.0  # half of them stick: passed over
    assert choose(margins, {0.0: 0, 0.1: 1, 0.3: 3}, takes=8) == 0.3  # a few: the hit search passes them
    assert choose(margins, {0.0: 8, 0.1: 6, 0.3: 6}, takes=8) == 0.3  # all stick: the fewest, then the margin
    assert choose(margins, {}) == choose(margins) == 0.3  # none counted: the margin alone
    fit = PieceMinPFit({36: 0.1, 38: 0.3}, {36: margins, 38: {0.0: 1.0, 0.3: 2.0}}, 8, 1.0,
                       {36: {0.0: 0, 0.1: 0, 0.3: 8}, 38: {0.0: 0, 0.3: 0}})
    assert fit.summary().endswith("passed over for stuck output: 36 at 0.3 (8 of 8 takes)")
    assert "passed over" not in replace(fit, stuck={}).summary()


def test_each_piece_plays_up_to_four_train_hits_from_its_softest_to_its_loudest(kit: Path) -> None:
    hits = fit_hits(load_dataset(kit), max_hits=4)
    assert sorted(hits) == sorted(PIECES)
    for key, recs in hits.items():
        assert len(recs) == 4 and {r.split for r in recs} == {"train"} and {r.pitch for r in recs} == {key}
        velocities = [r.velocity for r in recs]
        assert velocities == sorted(velocities) and velocities[0] == 40 and velocities[-1] == 100
    assert all(len(r) == 2 for r in fit_hits(load_dataset(kit), max_hits=2).values())


def test_the_truncation_is_the_only_difference_between_the_rungs(kit: Path, ckpt_path: Path) -> None:
    ckpt, ds = load_checkpoint(ckpt_path), load_dataset(kit)
    # 1e-9 × the top class's probability cuts nothing on a tiny model: the same takes, the same margins
    calls: list[tuple[int, int]] = []
    same = fit_piece_min_p(ckpt, ds, ladder=(0.0, 1e-9), max_hits=2, takes=1,
                           progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert done == sorted(done) and len({t for _, t in calls}) == 1 and done[-1] == calls[-1][1] > 0
    assert any(d == calls[-1][1] // 2 for d in done)  # the first rung ends half-way
    for key in PIECES:
        assert same.margins[key][0.0] == same.margins[key][1e-9]
        assert same.chosen[key] == 0.0  # a tie goes to the smaller P
    cut = fit_piece_min_p(ckpt, ds, ladder=(0.0, 0.6), max_hits=2, takes=1)
    assert any(cut.margins[k][0.0] != cut.margins[k][0.6] for k in PIECES)
    assert set(cut.chosen) == set(PIECES) and set(cut.chosen.values()) <= {0.0, 0.6}
    assert cut.takes == 2
    for key, p in cut.chosen.items():
        assert p == choose(cut.margins[key], cut.stuck[key], 2)
        assert set(cut.stuck[key]) == {0.0, 0.6} and all(0 <= n <= 2 for n in cut.stuck[key].values())


def test_the_fitted_table_goes_into_the_checkpoint_and_is_played(ckpt_path: Path) -> None:
    before = torch.load(ckpt_path, weights_only=True)
    fit = PieceMinPFit({36: 0.0, 38: 0.3, 42: 0.1}, {36: {0.0: 1.0}, 38: {0.0: 1.0}, 42: {0.0: 1.0}}, 8, 1.0)
    write_piece_min_p(ckpt_path, fit)
    after = torch.load(ckpt_path, weights_only=True)
    assert after["generation"]["piece_min_p"] == {"36": 0.0, "38": 0.3, "42": 0.1}
    assert after["generation"]["temperature"] == before["generation"]["temperature"]
    assert after["generation"]["pieces"] == before["generation"]["pieces"]
    for name, w in before["state_dict"].items():
        assert torch.equal(after["state_dict"][name], w)
    assert [p.name for p in ckpt_path.parent.iterdir()] == [ckpt_path.name]  # no temporary file left
    ckpt = load_checkpoint(ckpt_path)
    assert ckpt.piece_min_p == {36: 0.0, 38: 0.3, 42: 0.1}
    assert GenerationOptions().for_checkpoint(ckpt).active_piece_min_p == {36: 0.0, 38: 0.3, 42: 0.1}
    assert "38: 0.3" in fit.summary() and "42: 0.1" in fit.summary()


def test_a_kit_of_one_piece_has_no_likeness_to_fit_by(kit: Path, ckpt_path: Path) -> None:
    ds = load_dataset(kit)
    one = replace(ds, notes=[r for r in ds.notes if r.pitch == 38])
    with pytest.raises(ValueError, match="needs two pieces or more"):
        fit_piece_min_p(load_checkpoint(ckpt_path), one)
