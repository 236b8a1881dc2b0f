"""SampleRNN.logits_at: the logits of forward at chosen targets, computed at those alone."""

from __future__ import annotations

import pytest
import torch
from support.tiny import tiny_model

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("frame_sizes", [(2, 2, 2), (4, 4), (3,)])
def test_logits_at_equal_forward_at_the_chosen_targets(frame_sizes):
    model = tiny_model(perturb=0.3, frame_sizes=frame_sizes, level_conditioning=True, oscillator=2,
                       sample_rate=16000)
    B, L = 3, model.lookback
    T = 2 * L
    x = torch.randint(0, 256, (B, L + T))
    cond = torch.randint(0, 100, (B, T, 5), dtype=torch.int32)
    state = [torch.randn_like(h) for h in model.initial_state(B)]
    reset = torch.tensor([True, False, False])
    frames_x = torch.randint(0, 256, (B, L + T))
    where = torch.rand(B, T) < 0.4
    where[0, 0] = where[2, -1] = True  # the first and the last target of a row
    full, _ = model(x, cond, state, reset, frames_x)
    at = model.logits_at(where, x, cond, state, reset, frames_x)
    assert at.shape == (int(where.sum()), 256)
    torch.testing.assert_close(at, full[where], rtol=1e-5, atol=1e-5)


def test_logits_at_nothing_chosen_is_empty():
    model = tiny_model()
    B, L = 2, model.lookback
    x = torch.randint(0, 256, (B, 2 * L))
    cond = torch.randint(0, 100, (B, L, 5), dtype=torch.int32)
    assert model.logits_at(torch.zeros(B, L, dtype=torch.bool), x, cond).shape == (0, 256)
