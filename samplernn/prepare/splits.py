"""Train/val/test splits: deterministic, stratified by pitch, every pitch in train."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable


def _rank(seed: int, note_id: str) -> str:
    """A stable pseudo-random order: the same note keeps its place whatever else is in the bank."""
    return hashlib.sha1(f"{seed}:{note_id}".encode()).hexdigest()


def _share(n: int, fraction: float) -> int:
    return int(n * fraction + 0.5)


def assign_splits(
    notes: Iterable[tuple[str, int]], val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> dict[str, str]:
    """{note id: 'train' | 'val' | 'test'} for (id, pitch) pairs.

    Within each pitch the notes are ordered by a hash of (seed, id); the first ~val_fraction go to
    val, the next ~test_fraction to test, the rest to train. Rounding is half-up, and train always
    keeps at least one note per pitch, so a pitch with few notes goes to train first (1–4 notes
    at 10 %/10 %: all train; 5: 3/1/1; 12: 10/1/1).
    """
    by_pitch: dict[int, list[str]] = defaultdict(list)
    for note_id, pitch in notes:
        by_pitch[pitch].append(note_id)
    splits: dict[str, str] = {}
    for ids in by_pitch.values():
        ids.sort(key=lambda i: _rank(seed, i))
        n = len(ids)
        n_val, n_test = _share(n, val_fraction), _share(n, test_fraction)
        while n - n_val - n_test < 1:
            if n_test >= n_val and n_test > 0:
                n_test -= 1
            else:
                n_val -= 1
        for k, note_id in enumerate(ids):
            splits[note_id] = "val" if k < n_val else "test" if k < n_val + n_test else "train"
    return splits
