"""assign_splits: stratified by pitch, stable, and val/test notes even in small banks."""

from __future__ import annotations

from collections import Counter

import pytest

from samplernn.prepare.splits import assign_splits


def counts(splits: dict[str, str]) -> tuple[int, int, int]:
    c = Counter(splits.values())
    return c["train"], c["val"], c["test"]


def test_splits_are_stratified_and_stable():
    notes = [(f"p{p}_{k}", p) for p in (40, 41) for k in range(12)] + [("lonely", 50)]
    splits = assign_splits(notes)
    assert assign_splits(list(reversed(notes))) == splits
    for p in (40, 41):
        got = sorted(splits[i] for i, q in notes if q == p)
        assert got.count("train") == 10 and got.count("val") == 1 and got.count("test") == 1
    assert splits["lonely"] == "train"  # the bank has val and test notes already; it keeps its pitch
    assert assign_splits(notes, seed=1) != splits
    five = list(assign_splits([(str(k), 1) for k in range(5)]).values())
    assert sorted(five) == ["test", "train", "train", "train", "val"]


def test_a_well_stocked_bank_splits_per_pitch_as_before():
    """12 notes on each of 26 pitches (the bundled bank's shape): 10/1/1 on every pitch."""
    notes = [(f"n{p}_{k}", p) for p in range(40, 66) for k in range(12)]
    splits = assign_splits(notes)
    for p in range(40, 66):
        assert counts({i: splits[i] for i, q in notes if q == p}) == (10, 1, 1)


def test_few_notes_per_pitch_are_split_over_the_whole_bank():
    """36 notes, 4 on each of 9 pitches: per pitch every share rounds to none; over the bank 4/4."""
    notes = [(f"n{p}_{k}", p) for p in range(50, 59) for k in range(4)]
    splits = assign_splits(notes)
    assert counts(splits) == (28, 4, 4)
    held_out = [q for i, q in notes if splits[i] != "train"]
    assert len(set(held_out)) == 8  # one held-out note per pitch: stratified
    for p in range(50, 59):
        assert any(splits[i] == "train" for i, q in notes if q == p)  # every pitch keeps train notes
    assert assign_splits(list(reversed(notes))) == splits
    assert assign_splits(notes, seed=3) != splits
    assert counts(assign_splits(notes, seed=3)) == (28, 4, 4)


@pytest.mark.parametrize("n", [3, 4, 5, 8, 20])
@pytest.mark.parametrize("pitches", ["one", "each"])
def test_three_notes_or_more_always_give_val_and_test(n, pitches):
    notes = [(f"n{k}", 60 if pitches == "one" else 40 + k) for k in range(n)]
    train, val, test = counts(assign_splits(notes))
    assert val >= 1 and test >= 1 and train >= 1 and train + val + test == n


def test_tiny_banks_and_zero_fractions():
    assert counts(assign_splits([("a", 60)])) == (1, 0, 0)
    assert counts(assign_splits([("a", 60), ("b", 62)])) == (2, 0, 0)
    assert counts(assign_splits([("a", 60), ("b", 62), ("c", 64)])) == (1, 1, 1)
    notes = [(f"n{k}", 40 + k) for k in range(6)]
    assert counts(assign_splits(notes, val_fraction=0.0)) == (5, 0, 1)  # no val asked for: none
    assert counts(assign_splits(notes, test_fraction=0.0)) == (5, 1, 0)
    assert counts(assign_splits(notes, val_fraction=0.0, test_fraction=0.0)) == (6, 0, 0)


def test_a_few_sparse_pitches_beside_well_stocked_ones():
    """Pitches with 2 notes beside pitches with 12: the sparse ones are split as one pool, each keeping
    a train note."""
    notes = [(f"full{p}_{k}", p) for p in (40, 41) for k in range(12)]
    notes += [(f"sparse{p}_{k}", p) for p in range(60, 70) for k in range(2)]
    splits = assign_splits(notes)
    sparse = {i: s for i, s in splits.items() if i.startswith("sparse")}
    assert counts(sparse) == (16, 2, 2)
    for p in range(60, 70):
        assert any(splits[f"sparse{p}_{k}"] == "train" for k in range(2))
    assert counts({i: s for i, s in splits.items() if i.startswith("full")}) == (20, 2, 2)


def test_copies_on_the_fullest_pitches_leave_val_and_test_to_other_recordings():
    """13 notes, 10 recordings: the three copies sit on the pitches with the most notes, which the
    pool holds out first; each recording is split as one, and val and test get other recordings."""
    notes = [("a", 60), ("a_copy", 60), ("a_copy2", 60), ("b", 62), ("b_copy", 62)]
    notes += [(f"single{p}", p) for p in range(64, 72)]
    recordings = {"a": "A", "a_copy": "A", "a_copy2": "A", "b": "B", "b_copy": "B"}
    splits = assign_splits(notes, recordings=recordings)
    assert counts(splits) == (11, 1, 1)
    assert {splits[i] for i in ("a", "a_copy", "a_copy2", "b", "b_copy")} == {"train"}
    assert assign_splits(list(reversed(notes)), recordings=recordings) == splits
    assert assign_splits(notes) != splits  # without the copies marked, they were the held-out notes


def test_a_bank_of_copies_still_gets_val_and_test_with_each_recording_in_one_split():
    """3 recordings, each twice: nothing but copies, yet 3 different recordings give 1/1/1 recordings."""
    notes = [(f"{r}{k}", 60 + i) for i, r in enumerate("xyz") for k in range(2)]
    splits = assign_splits(notes, recordings={i: i[0] for i, _ in notes})
    assert counts(splits) == (2, 2, 2)
    for r in "xyz":
        assert splits[f"{r}0"] == splits[f"{r}1"]
    two = [("x0", 60), ("x1", 60), ("y0", 62), ("y1", 62)]  # 4 notes but 2 recordings: too few to hold out
    assert counts(assign_splits(two, recordings={i: i[0] for i, _ in two})) == (4, 0, 0)


def test_a_pitch_that_gave_a_held_out_note_keeps_its_last_in_train():
    """Two kicks beside three one-sample pieces (a producer's small folder): the pool held out the
    first kick, then the second too, before any one-sample piece, and the kick, the one piece with
    two samples, never trained (the notice then told the user to give a piece 2 samples or more).
    The last notes now leave the fewest-noted pitches first: a kick stays in train."""
    for seed in range(6):
        notes = [("kick_a", 36), ("kick_b", 36), ("rim", 37), ("snare", 38), ("hat", 42)]
        splits = assign_splits(notes, seed=seed)
        assert counts(splits) == (3, 1, 1)
        assert "train" in (splits["kick_a"], splits["kick_b"]), (seed, splits)
        assert assign_splits(list(reversed(notes)), seed=seed) == splits
