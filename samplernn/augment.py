"""Input corruption for training: the model reads a perturbed history but predicts the clean target.

Free-running generation feeds the model its own output, which drifts from anything in the
training data (exposure bias); a sustained note then tends to decay into silence. Two remedies,
applied to the input classes only:
  noise — uniform integer noise of ±k quantisation levels on every input sample (as LPCNet does);
  gain  — a share of the rows read their whole window at a random gain (0.3…1.5, log-uniform) while
          the targets keep the true level, so the model learns to restore the level that the
          conditioning (pitch, velocity, place in the note) implies instead of following a drift.
"""

from __future__ import annotations

import math

import torch

from samplernn.config import ModelConfig
from samplernn.quantize import dequantize, quantize

GAIN_RANGE = (0.3, 1.5)


def corrupt_inputs(
    x: torch.Tensor, cfg: ModelConfig, noise: int = 0, gain_share: float = 0.0
) -> torch.Tensor:
    """x (B, L+T) int64 classes → perturbed classes (B, L+T) in [0, Q-1]; x itself is untouched."""
    q = cfg.q_levels
    if gain_share > 0:
        b = x.shape[0]
        lo, hi = math.log(GAIN_RANGE[0]), math.log(GAIN_RANGE[1])
        g = torch.exp(torch.empty(b, device=x.device).uniform_(lo, hi))
        g = torch.where(torch.rand(b, device=x.device) < gain_share, g, torch.ones_like(g))
        x = quantize(dequantize(x, q, cfg.quantization) * g[:, None], q, cfg.quantization)
    if noise > 0:
        x = (x + torch.randint(-noise, noise + 1, x.shape, device=x.device)).clamp_(0, q - 1)
    return x
