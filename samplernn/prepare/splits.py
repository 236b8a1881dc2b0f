"""Train/val/test splits: deterministic, stratified by pitch, with validation and test notes even
in a small bank."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping

#: A bank of at least this many different recordings gets at least one validation and one test
#: note (where their fractions are not 0): `samplernn train` needs validation notes.
MIN_NOTES_FOR_HELD_OUT = 3


def _rank(seed: int, note_id: str) -> str:
    """A stable pseudo-random order: the same note keeps its place whatever else is in the bank."""
    return hashlib.sha1(f"{seed}:{note_id}".encode()).hexdigest()


def _share(n: int, fraction: float) -> int:
    return int(n * fraction + 0.5)


def _shares(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(val, test) counts of n notes, rounded half-up, leaving at least one note for train."""
    n_val, n_test = _share(n, val_fraction), _share(n, test_fraction)
    while n_val + n_test > max(n - 1, 0):
        if n_test >= n_val and n_test > 0:
            n_test -= 1
        else:
            n_val -= 1
    return n_val, n_test


def _leaving_order(by_pitch: dict[int, list[str]], seed: int, copied: frozenset[str] = frozenset()
                   ) -> list[str]:
    """The notes of several pitches in the order they leave train: one per pitch per round (the
    pitches with the most notes first; within a round, notes in `copied` last), and a pitch's last
    note only after every other note, the fewest-noted pitches' last notes first (a pitch that has
    given notes to val and test keeps its last where another can leave instead: two kicks beside
    one-sample pieces both left, and the kit's one piece of two samples never trained)."""
    pitches = sorted(by_pitch, key=lambda p: (-len(by_pitch[p]), _rank(seed, str(p))))
    rounds = [[by_pitch[p][r] for p in pitches if len(by_pitch[p]) - 1 > r]
              for r in range(max(len(ids) for ids in by_pitch.values()) - 1)]
    rounds.append([by_pitch[p][-1] for p in reversed(pitches)])
    return [note_id for notes in rounds for note_id in sorted(notes, key=lambda i: i in copied)]


def assign_splits(
    notes: Iterable[tuple[str, int]], val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0,
    recordings: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """{note id: 'train' | 'val' | 'test'} for (id, pitch) pairs.

    Within each pitch the notes are ordered by a hash of (seed, id); the first ~val_fraction go to
    val, the next ~test_fraction to test, the rest to train. Rounding is half-up, and train keeps
    at least one note per pitch (5 notes at 10 %/10 %: 3/1/1; 12: 10/1/1).

    A pitch with too few notes for that (where a share with a fraction above 0 rounds to none:
    1-4 notes at 10 %) is pooled with the other such pitches, and the pool is split as a whole
    with the same fractions: its val and test notes are taken one per pitch in turn, from the
    pitches with the most notes first, so that the pitches keep train notes where they can (a
    pitch's last note last, the fewest-noted pitches' first: `_leaving_order`). A bank
    of MIN_NOTES_FOR_HELD_OUT or more different recordings always gets a val and a test note (36
    notes, 4 on each of 9 pitches: 28/4/4; 3 notes: 1/1/1). The result does not depend on the
    order of `notes`.

    `recordings` ({note id: a key of its audio, e.g. a digest}) marks copies: the notes of one key
    are one recording, counted once and all put in its split. A recording held more than once is
    the last of its pitch (and of its round in the pool) to be held out, so that copies stay in
    train where the bank allows, and the other recordings fill val and test.
    """
    members = _by_recording(notes, recordings or {}, seed)
    copied = frozenset(first for first, (_, ids) in members.items() if len(ids) > 1)
    by_pitch: dict[int, list[str]] = defaultdict(list)
    for first, (pitch, _) in members.items():
        by_pitch[pitch].append(first)
    splits: dict[str, str] = {}
    pool: dict[int, list[str]] = {}
    for pitch, ids in by_pitch.items():
        ids.sort(key=lambda i: (i in copied, _rank(seed, i)))
        n_val, n_test = _shares(len(ids), val_fraction, test_fraction)
        if (val_fraction > 0 and n_val == 0) or (test_fraction > 0 and n_test == 0):
            pool[pitch] = ids
            continue
        for k, note_id in enumerate(ids):
            splits[note_id] = "val" if k < n_val else "test" if k < n_val + n_test else "train"
    if pool:
        splits.update(_split_pool(pool, splits, val_fraction, test_fraction, seed, copied))
    return {note_id: splits[first] for first, (_, ids) in members.items() for note_id in ids}


def _by_recording(notes: Iterable[tuple[str, int]], recordings: Mapping[str, str], seed: int
                  ) -> dict[str, tuple[int, list[str]]]:
    """{the first note of each recording (by rank): (its pitch, every note of that recording)}."""
    groups: dict[tuple[bool, str], list[tuple[str, int]]] = defaultdict(list)
    for note_id, pitch in notes:
        key = recordings.get(note_id)
        groups[(True, key) if key is not None else (False, note_id)].append((note_id, pitch))
    members = {}
    for same in groups.values():
        first, pitch = min(same, key=lambda note: _rank(seed, note[0]))
        members[first] = (pitch, [note_id for note_id, _ in same])
    return members


def _split_pool(
    pool: dict[int, list[str]], others: dict[str, str], val_fraction: float, test_fraction: float, seed: int,
    copied: frozenset[str],
) -> dict[str, str]:
    """Splits of the pooled pitches' notes (`others`: the rest of the bank's, already split)."""
    n = sum(len(ids) for ids in pool.values())
    n_val, n_test = _shares(n, val_fraction, test_fraction)
    held = set(others.values())
    if n + len(others) >= MIN_NOTES_FOR_HELD_OUT:
        # Train is never empty here: a bank of 3+ notes has room for one val and one test note.
        n_val = max(n_val, int(val_fraction > 0 and "val" not in held))
        n_test = max(n_test, int(test_fraction > 0 and "test" not in held))
        while n_val + n_test > n - int("train" not in held):
            if n_test >= n_val and n_test > 0:
                n_test -= 1
            else:
                n_val -= 1
    labels = _interleave(n_val, n_test)
    order = _leaving_order(pool, seed, copied)
    return {note_id: labels[k] if k < len(labels) else "train" for k, note_id in enumerate(order)}


def _interleave(n_val: int, n_test: int) -> list[str]:
    """'val', 'test', 'val', … while both last, then the rest of the longer one."""
    pairs = [s for _ in range(min(n_val, n_test)) for s in ("val", "test")]
    return pairs + ["val"] * (n_val - n_test) + ["test"] * (n_test - n_val)
