"""Start a model with more conditioning inputs from one with fewer (fine-tuning with --init).

A checkpoint without the level column, the oscillator or the held flag can seed a model that has
them: the new inputs' weights start at zero, so the widened model computes exactly what the old
one did and training then learns to use them. Adam's moments are widened the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from samplernn.model.config import ModelConfig
from samplernn.model.network import SampleRNN, cond_feature_names


def can_widen(old: ModelConfig, new: ModelConfig) -> bool:
    """Whether `new` is `old` plus conditioning inputs (level column, oscillator, held flag),
    nothing else."""
    if not (old.conditioning and new.conditioning):
        return False
    grown = replace(
        old,
        level_conditioning=new.level_conditioning,
        oscillator=new.oscillator,
        sample_rate=new.sample_rate,
        held_flag=new.held_flag,
    )
    return grown == new and set(_names(old)) <= set(_names(new))


def widen_state(
    state: dict[str, torch.Tensor], optimizer: dict[str, Any] | None, old: ModelConfig, model: SampleRNN
) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    """Weights (and Adam state, if given) of an `old` model laid out for `model` (see `can_widen`).

    Every conditioning projection (D, C_old) becomes (D, C_new): old columns moved to their
    feature's new position, new columns zero. Returns new dicts; the inputs are not modified.
    """
    target = model.state_dict()
    position = {n: i for i, n in enumerate(_names(model.cfg))}
    cols = torch.tensor([position[n] for n in _names(old)])
    out = {k: _widen(v, target[k].shape, cols) for k, v in state.items()}
    if optimizer is None:
        return out, None
    shapes = [p.shape for p in model.parameters()]  # Adam's state is in this order
    opt = {**optimizer, "state": {}}
    for i, st in optimizer["state"].items():
        opt["state"][i] = {k: _widen(v, shapes[int(i)], cols) if torch.is_tensor(v) and v.dim() == 2 else v
                           for k, v in st.items()}  # fmt: skip
    return out, opt


def _names(cfg: ModelConfig) -> list[str]:
    return cond_feature_names(cfg.note_embed_dim, cfg.level_conditioning, cfg.oscillator, cfg.held_flag)


def _widen(v: torch.Tensor, shape: torch.Size, cols: torch.Tensor) -> torch.Tensor:
    if v.shape == shape:
        return v
    if v.dim() != 2 or v.shape[0] != shape[0] or v.shape[1] != cols.numel():
        raise ValueError(f"cannot widen a {tuple(v.shape)} tensor to {tuple(shape)}")
    w = v.new_zeros(shape)
    w[:, cols] = v
    return w
