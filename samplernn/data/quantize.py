"""Quantisation of audio in [-1, 1] to `levels` integer classes: mu-law (default) or linear."""

from __future__ import annotations

import math

import torch


def quantize(x: torch.Tensor, levels: int = 256, method: str = "mu-law") -> torch.Tensor:
    """Float audio (...,) in [-1, 1] → int64 classes (...,) in [0, levels-1]."""
    x = x.clamp(-1.0, 1.0)
    if method == "mu-law":
        mu = levels - 1
        x = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    elif method != "linear":
        raise ValueError(f"unknown quantisation {method!r} (use 'mu-law' or 'linear')")
    return ((x + 1.0) * 0.5 * (levels - 1) + 0.5).floor().long().clamp(0, levels - 1)


def dequantize(q: torch.Tensor, levels: int = 256, method: str = "mu-law") -> torch.Tensor:
    """Int classes (...,) → float audio (...,) in [-1, 1] (inverse of `quantize` up to rounding)."""
    y = q.float() / (levels - 1) * 2.0 - 1.0
    if method == "mu-law":
        mu = levels - 1
        y = torch.sign(y) * ((1.0 + mu) ** y.abs() - 1.0) / mu
    elif method != "linear":
        raise ValueError(f"unknown quantisation {method!r} (use 'mu-law' or 'linear')")
    return y


def zero_level(levels: int = 256, method: str = "mu-law") -> int:
    """The class that silence (0.0) quantises to; used to pad before a note's start."""
    return int(quantize(torch.zeros(()), levels, method))
