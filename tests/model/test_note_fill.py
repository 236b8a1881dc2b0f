"""Note embedding rows of the pitches a bank lacks: interpolated from the trained rows; and the
training augmentation that reads trained notes from their neighbours' rows."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from samplernn.model.network import CondFeatures
from samplernn.model.note_fill import fill_untrained_notes, neighbour_table


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


def test_neighbour_table_leaves_each_trained_note_out_of_its_own_line():
    below, above, t = neighbour_table([60, 48, 51, 57])
    assert (int(below[51]), int(above[51])) == (48, 57) and float(t[51]) == pytest.approx(3 / 9)
    assert (int(below[57]), int(above[57])) == (51, 60) and float(t[57]) == pytest.approx(6 / 9)
    for n in (0, 48, 60, 61, 127):  # no note, the ends of the range, beyond it: their own row
        assert int(below[n]) == int(above[n]) == n and float(t[n]) == 0.0
    with pytest.raises(ValueError, match="trained notes"):
        neighbour_table([0, 60])


def _features(share: float) -> CondFeatures:
    torch.manual_seed(0)
    cf = CondFeatures(3)
    cf.interpolate_notes([48, 51, 57, 60], share)
    return cf


def _raw(notes: list[int]) -> torch.Tensor:
    raw = torch.zeros(len(notes), 4, 5, dtype=torch.long)
    raw[..., 0] = torch.tensor(notes).unsqueeze(1)
    return raw


def test_training_rows_read_a_note_as_its_neighbours_line_and_train_them():
    cf = _features(1.0).train()
    w = cf.note_embed.weight
    rows = cf(_raw([51, 60]))[..., :3]
    torch.testing.assert_close(rows[0], (w[48] + (w[57] - w[48]) / 3).expand(4, 3))
    torch.testing.assert_close(rows[1], w[60].expand(4, 3))  # the top of the range keeps its row
    rows[0].sum().backward()
    grad = cf.note_embed.weight.grad
    assert grad[48].abs().sum() > 0 and grad[57].abs().sum() > 0 and grad[51].abs().sum() == 0
    assert list(cf.state_dict()) == ["note_embed.weight"]  # nothing new in a checkpoint


def test_eval_mode_and_share_zero_read_the_notes_own_rows():
    for cf in (_features(1.0).eval(), _features(0.0).train()):
        torch.testing.assert_close(cf(_raw([51]))[0, :, :3], cf.note_embed.weight[51].expand(4, 3))
    with pytest.raises(ValueError, match="share"):
        _features(1.5)


def test_a_share_of_the_rows_whole_rows_at_a_time():
    cf = _features(0.5).train()
    torch.manual_seed(1)
    rows = cf(_raw([51] * 400))[..., :3]
    own = (rows == cf.note_embed.weight[51]).all(-1)  # (rows, time)
    assert torch.equal(own.all(1), own.any(1))  # a row is either interpolated or not, all along
    assert 150 < int(own.all(1).sum()) < 250
