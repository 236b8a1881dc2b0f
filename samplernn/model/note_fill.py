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
