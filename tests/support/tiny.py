"""The one tiny model every test builds on: a few hundred parameters, fast on one CPU thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from conditioning import BankStats
from samplernn.model.checkpoint import make_payload, save_checkpoint
from samplernn.model.config import ModelConfig
from samplernn.model.network import SampleRNN, build_model
from samplernn.train.config import TrainConfig

# Two frame tiers (4 and 8 samples), a width of 8: every code path of the full model, tiny.
TINY_MODEL: dict[str, Any] = {
    "frame_sizes": (4, 2),
    "dim": 8,
    "n_rnn": 1,
    "embed_dim": 4,
    "note_embed_dim": 2,
}


def tiny_config(**overrides: Any) -> ModelConfig:
    """TINY_MODEL with `overrides` (any ModelConfig field)."""
    return ModelConfig(**{**TINY_MODEL, **overrides})


def tiny_model(seed: int = 0, perturb: float = 0.0, **overrides: Any) -> SampleRNN:
    """A tiny model in eval mode, seeded; `perturb` > 0 adds that much Gaussian noise to every
    parameter (moves it off the init's zero biases and zero h0, so every term is exercised)."""
    torch.manual_seed(seed)
    model = build_model(tiny_config(**overrides)).eval()
    if perturb:
        with torch.no_grad():
            for p in model.parameters():
                p.add_(perturb * torch.randn_like(p))
    return model


def tiny_checkpoint(
    path: Path, sample_rate: int = 16000, stats: BankStats | None = None, seed: int = 0, **overrides: Any
) -> Path:
    """Save a tiny model as a self-contained checkpoint at `path` and return the path."""
    model = tiny_model(seed=seed, **overrides)
    save_checkpoint(path, make_payload(model, sample_rate, stats or BankStats(sample_rate)))
    return path


def tiny_train_config(**overrides: Any) -> TrainConfig:
    """A TrainConfig for the tiny model: 6 steps of 4 rows × 32 samples on one CPU thread,
    validating every 3 steps; `overrides` replace any field (model_overrides included)."""
    base: dict[str, Any] = dict(
        model_overrides=dict(TINY_MODEL), steps=6, batch_size=4, window=32, val_every=3, log_every=2,
        device="cpu", eval_batch_size=8, threads=1,  # tiny models: one thread is faster
    )
    return TrainConfig(**{**base, **overrides})
