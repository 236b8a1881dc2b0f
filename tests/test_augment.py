"""Input corruption: gain rows keep their shape at one random level, silence stays silent."""

from __future__ import annotations

import torch

from samplernn.augment import GAIN_RANGE, corrupt_inputs
from samplernn.config import preset
from samplernn.quantize import dequantize, quantize, zero_level


def test_gain_scales_each_row_by_one_factor():
    torch.manual_seed(0)
    cfg = preset("small")
    t = torch.arange(4000, dtype=torch.float32)
    audio = 0.5 * torch.sin(2 * torch.pi * 220 * t / 16000)
    x = quantize(audio.repeat(6, 1), cfg.q_levels, cfg.quantization)
    x[:, :500] = zero_level(cfg.q_levels, cfg.quantization)  # a silent stretch
    before = x.clone()
    y = corrupt_inputs(x, cfg, gain_share=1.0)
    assert torch.equal(x, before)  # the batch itself is not touched (the targets come from it)
    assert torch.equal(y[:, :500], x[:, :500])  # silence stays exactly silent
    a, b = dequantize(x, cfg.q_levels), dequantize(y, cfg.q_levels)
    loud = a.abs() > 0.2
    ratios = [float((b[r][loud[r]] / a[r][loud[r]]).median()) for r in range(6)]
    for r, g in enumerate(ratios):
        assert GAIN_RANGE[0] * 0.95 <= g <= GAIN_RANGE[1] * 1.05
        spread = (b[r][loud[r]] / a[r][loud[r]] - g).abs().max()
        assert spread < 0.06 * g  # one factor per row, up to mu-law rounding
    assert max(ratios) - min(ratios) > 0.1  # rows get different gains
    assert torch.equal(corrupt_inputs(x, cfg, gain_share=0.0), x)
