"""The CPU training GRU equals torch.nn.GRU: outputs, final state and every gradient."""

from __future__ import annotations

import pytest
import torch

from samplernn.model.gru import gru_forward


@pytest.mark.parametrize("layers", [1, 2])
def test_gru_forward_matches_torch(layers):
    torch.manual_seed(0)
    B, S, D = 3, 5, 6
    rnn = torch.nn.GRU(D, D, layers, batch_first=True)
    x = torch.randn(B, S, D, requires_grad=True)
    h = torch.randn(layers, B, D, requires_grad=True)
    gy, gh = torch.randn(B, S, D), torch.randn(layers, B, D)
    results = []
    for fn in (lambda: rnn(x, h), lambda: gru_forward(rnn, x, h)):
        x.grad = h.grad = None
        rnn.zero_grad()
        y, hn = fn()
        ((y * gy).sum() + (hn * gh).sum()).backward()
        results.append([y.detach(), hn.detach(), x.grad, h.grad] + [p.grad for p in rnn.parameters()])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


def test_gru_bf16_autocast_is_close():
    torch.manual_seed(0)
    rnn = torch.nn.GRU(8, 8, 1, batch_first=True)
    x, h = torch.randn(2, 4, 8), torch.zeros(1, 2, 8)
    ref, _ = rnn(x, h)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y, _ = gru_forward(rnn, x, h)
    torch.testing.assert_close(y.float(), ref, rtol=0.05, atol=0.05)
