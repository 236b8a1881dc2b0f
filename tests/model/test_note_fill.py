"""Note embedding rows of the pitches a bank lacks: interpolated from the trained rows."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from samplernn.model.note_fill import fill_untrained_notes


def test_rows_between_trained_notes_lie_on_the_line_and_beyond_copy_the_nearest():
    torch.manual_seed(0)
    emb = nn.Embedding(128, 3)
    before = emb.weight.detach().clone()
    filled = fill_untrained_notes(emb, [60, 48, 51, 60])
    w = emb.weight.detach()
    assert filled == [n for n in range(1, 128) if n not in (48, 51, 60)]
    for n in (0, 48, 51, 60):  # no-note row and trained rows untouched
        assert torch.equal(w[n], before[n])
    torch.testing.assert_close(w[49], before[48] + (before[51] - before[48]) / 3)
    torch.testing.assert_close(w[54], before[51] + (before[60] - before[51]) * 3 / 9)
    assert torch.equal(w[1], before[48]) and torch.equal(w[47], before[48])
    assert torch.equal(w[61], before[60]) and torch.equal(w[127], before[60])


def test_nothing_trained_writes_nothing_and_bad_notes_raise():
    emb = nn.Embedding(128, 2)
    before = emb.weight.detach().clone()
    assert fill_untrained_notes(emb, []) == []
    assert torch.equal(emb.weight, before)
    with pytest.raises(ValueError, match="trained notes"):
        fill_untrained_notes(emb, [0, 60])
    with pytest.raises(ValueError, match="trained notes"):
        fill_untrained_notes(emb, [128])
