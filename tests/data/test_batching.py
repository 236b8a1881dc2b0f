"""TBPTT windows: every note sample is a target exactly once, history is silence at a note's start."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset

from samplernn.common.errors import UserError
from samplernn.data.batching import WindowStream, build_bank, eval_windows, make_window
from samplernn.data.dataset import load_dataset

L, T = 8, 32


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    ds = load_dataset(write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", min_len=40, max_len=150))
    return build_bank(ds, ds.split("train"))


def note_targets(bank, batches):
    """{note: targets t streamed for it} from a sequence of batches, checking every window's content.

    A row that starts a note must have finished its previous one (targets 0..n-1, in order).
    """
    seen: dict[int, list[int]] = {}
    current: dict[int, tuple[int, list[int]]] = {}
    for b in batches:
        assert b.x.shape == (len(b.note), L + T) and b.cond.shape == (len(b.note), T, 5)
        for r in range(len(b.note)):
            i = int(b.note[r])
            if i < 0:
                assert not b.mask[r].any()
                continue
            if b.reset[r]:
                assert (b.x[r, :L] == bank.zero).all()  # silent history before the note
                if r in current:
                    j, ts = current[r]
                    assert ts == list(range(int(bank.lengths[j])))
                current[r] = (i, [])
            ts = current[r][1]
            start = int(bank.starts[i])
            m = b.mask[r]
            new = torch.arange(len(ts), len(ts) + int(m.sum()))
            assert torch.equal(b.x[r, L:][m], bank.audio[start + new].long())
            assert torch.equal(b.cond[r][m], bank.cond[start + new])
            assert (b.cond[r][~m] == 0).all()
            ts += new.tolist()
            seen[i] = ts
    return seen


def test_training_stream_covers_notes_in_order(bank):
    stream = WindowStream(bank, batch_size=3, lookback=L, window=T, seed=1)
    batches = [stream.next_batch() for _ in range(60)]
    seen = note_targets(bank, batches)
    assert len(seen) == len(bank)  # an epoch went by
    offsets = {int(o) for o in stream.offset}
    assert all(0 <= o < L for o in offsets)
    # the targets a row streamed before moving on are the note's samples 0..n-1, in order
    done = [i for i, ts in seen.items() if len(ts) == int(bank.lengths[i])]
    assert done and all(seen[i] == list(range(int(bank.lengths[i]))) for i in done)


def test_stream_state_roundtrip_and_seed(bank):
    a = WindowStream(bank, 3, L, T, seed=5)
    for _ in range(7):
        a.next_batch()
    b = WindowStream(bank, 3, L, T, seed=99)
    b.load_state_dict(a.state_dict())
    for _ in range(10):
        x, y = a.next_batch(), b.next_batch()
        assert torch.equal(x.x, y.x) and torch.equal(x.mask, y.mask) and torch.equal(x.reset, y.reset)
    c, d = WindowStream(bank, 3, L, T, seed=5), WindowStream(bank, 3, L, T, seed=6)
    assert not all(torch.equal(c.next_batch().x, d.next_batch().x) for _ in range(5))


def test_eval_windows_score_every_sample_once(bank):
    seen = note_targets(bank, eval_windows(bank, batch_size=4, lookback=L, window=T))
    assert sorted(seen) == list(range(len(bank)))
    assert all(seen[i] == list(range(int(bank.lengths[i]))) for i in seen)


def test_window_must_be_a_multiple_of_the_lookback(bank):
    with pytest.raises(UserError, match="multiple"):
        WindowStream(bank, 2, L, 30, seed=0)



def test_hidden_countdown_share_and_span(bank):
    """A share of the notes is streamed with the countdown hidden (-1) from onset to release and
    the true countdown after it; audio, mask and the other columns are those of the plain window."""
    stream = WindowStream(bank, 4, L, T, seed=3, hidden_countdown=0.5)
    starts = hidden = held_targets = 0
    for _ in range(300):
        rows = stream.hidden.clone()
        note, k, offset = stream.note.clone(), stream.k.clone(), stream.offset.clone()
        b = stream.next_batch()
        plain = make_window(bank, note, k, offset, L, T)
        starts += int(b.reset.sum())
        hidden += int((b.reset & rows).sum())
        assert torch.equal(b.x, plain.x) and torch.equal(b.mask, plain.mask)
        assert torch.equal(b.cond[..., [0, 1, 3, 4]], plain.cond[..., [0, 1, 3, 4]])
        held_len = (bank.releases - bank.onsets)[note.clamp_min(0)]
        inside = (plain.cond[..., 0] > 0) & (plain.cond[..., 3] < held_len[:, None])
        expect = torch.where(inside & rows[:, None], -1, plain.cond[..., 2])
        assert torch.equal(b.cond[..., 2], expect)
        held_targets += int((expect == -1).sum())
    assert held_targets > 0
    assert 0.35 < hidden / starts < 0.65, (hidden, starts)


def test_hidden_countdown_off_draws_nothing_and_resumes(bank):
    plain, zero = WindowStream(bank, 4, L, T, seed=3), WindowStream(bank, 4, L, T, seed=3, hidden_countdown=0)
    for _ in range(20):
        assert torch.equal(zero.next_batch().cond, plain.next_batch().cond)
    assert "hidden" not in zero.state_dict()
    a = WindowStream(bank, 4, L, T, seed=3, hidden_countdown=0.5)
    for _ in range(9):
        a.next_batch()
    b = WindowStream(bank, 4, L, T, seed=0, hidden_countdown=0.5)
    b.load_state_dict(a.state_dict())
    for _ in range(10):
        assert torch.equal(a.next_batch().cond, b.next_batch().cond)


def test_draws_repeat_notes_within_each_epoch_and_resume(bank):
    n = len(bank)
    draws = torch.ones(n, dtype=torch.int64)
    draws[0], draws[n - 1] = 3, 2
    stream = WindowStream(bank, 3, L, T, seed=4, draws=draws)
    assert sorted(stream.order.tolist()) == sorted([0, 0, 0] + list(range(1, n)) + [n - 1])
    stream.order = stream.order[:0]  # force the next epoch's order: its counts are the draws again
    stream._next_note()
    assert torch.equal(torch.bincount(stream.order, minlength=n), draws)
    plain = WindowStream(bank, 3, L, T, seed=4)
    ones = WindowStream(bank, 3, L, T, seed=4, draws=torch.ones(n, dtype=torch.int64))
    assert torch.equal(plain.order, ones.order)  # draws of one are the stream without them
    for _ in range(5):
        stream.next_batch()
    again = WindowStream(bank, 3, L, T, seed=0)  # no draws given: they come with the state
    again.load_state_dict(stream.state_dict())
    assert torch.equal(again.epoch_notes, stream.epoch_notes)
    for _ in range(30):  # across an epoch boundary
        x, y = stream.next_batch(), again.next_batch()
        assert torch.equal(x.x, y.x) and torch.equal(x.note, y.note)
    with pytest.raises(UserError, match="does not match"):
        plain.load_state_dict(stream.state_dict() | {"epoch_notes": torch.tensor([n + 5])})
    for bad in (torch.zeros(n, dtype=torch.int64), torch.ones(n + 1, dtype=torch.int64)):
        with pytest.raises(ValueError, match="draws must be"):
            WindowStream(bank, 3, L, T, seed=4, draws=bad)
