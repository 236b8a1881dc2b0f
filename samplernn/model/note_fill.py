"""Note embeddings for the pitches a bank lacks, interpolated from the pitches it holds.

The note embedding is a table of 128 learned rows (CondFeatures.note_embed, row 0 = no note).
Training only moves the rows of the pitches its notes play; every other row keeps its random
initialisation (N(0, 1) per value), so a semitone the bank skips, or a note just outside its
range, conditions the network on a vector it has never seen: the model trained on a cello bank
with every third semitone left out played 0 of 12 left-out semitones in tune (docs/training.md).

`fill_untrained_notes` sets each such row on the line between the rows of its nearest trained
pitches below and above (linear in semitones), and to the nearest trained row outside the
bank's range, so the network reads a vector of the kind it was trained on next to the normalised
pitch column. Rows that never receive a gradient keep what is written (Adam's moments stay zero
for them), so training calls it before every validation without changing what it learns.

`neighbour_table` is the same rule with each trained pitch left out of its own interpolation:
training can then show the network, for a share of its rows, the vector a missing pitch would
get (`CondFeatures.interpolate_notes`, `train --note-interpolation`), so that the line between
two trained rows comes to mean the pitches between them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import torch
from torch import nn

#: Row 0 of the note embedding means "no note" (silence); it is trained on every silent sample.
NO_NOTE = 0


@torch.no_grad()
def fill_untrained_notes(embedding: nn.Embedding, trained: Iterable[int]) -> list[int]:
    """Overwrite the rows of `embedding` (128, E) for MIDI notes 1…127 not in `trained` by linear
    interpolation between the nearest trained notes below and above (the nearest one beyond the
    range); return the notes written, ascending. Row 0 and the trained rows are left as they are.

    Raises ValueError for a trained note outside 1…127. No trained note: nothing is written.
    """
    notes = sorted({int(n) for n in trained})
    if any(not NO_NOTE < n < embedding.num_embeddings for n in notes):
        raise ValueError(f"trained notes must lie in 1…{embedding.num_embeddings - 1}, got {notes}")
    if not notes:
        return []
    weight, known = embedding.weight, set(notes)
    missing = [n for n in range(NO_NOTE + 1, embedding.num_embeddings) if n not in known]
    for n in missing:
        i = bisect.bisect(notes, n)
        below, above = notes[max(i - 1, 0)], notes[min(i, len(notes) - 1)]
        if below == above:  # beyond the range: the nearest trained row
            weight[n] = weight[below]
            continue
        t = (n - below) / (above - below)
        weight[n] = (1.0 - t) * weight[below] + t * weight[above]
    return missing


def neighbour_table(
    trained: Iterable[int], size: int = 128
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For every note n of 0…size-1: its nearest trained notes strictly below and above (n itself
    left out) and the weight t of the upper one, so that (1 - t)·row[below] + t·row[above] is the
    row `fill_untrained_notes` would give n had n not been trained.

    Returns below, above (size,) int64 and t (size,) float32. Notes without a trained neighbour on
    both sides (row 0, the ends of the range) get below = above = n and t = 0: their own row.
    Raises ValueError for a trained note outside 1…size-1.
    """
    notes = sorted({int(n) for n in trained})
    if any(not NO_NOTE < n < size for n in notes):
        raise ValueError(f"trained notes must lie in 1…{size - 1}, got {notes}")
    below = torch.arange(size, dtype=torch.int64)
    above, t = below.clone(), torch.zeros(size, dtype=torch.float32)
    for n in range(NO_NOTE + 1, size):
        i = bisect.bisect_left(notes, n)
        j = bisect.bisect_right(notes, n)
        if i > 0 and j < len(notes):
            lo, hi = notes[i - 1], notes[j]
            below[n], above[n], t[n] = lo, hi, (n - lo) / (hi - lo)
    return below, above, t
