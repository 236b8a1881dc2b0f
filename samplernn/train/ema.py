"""An exponential moving average (EMA) of the weights: the model a run validates, saves and plays.

Polyak averaging (Polyak & Juditsky 1992) as WaveNet and most neural vocoders train: after every
optimiser step each parameter's average moves towards it, avg ← d·avg + (1 − d)·w. Early steps use
a smaller d, min(d, (1 + n) / (10 + n)) after n updates (TensorFlow's ExponentialMovingAverage
`num_updates` rule), so a fresh run's average does not hold on to its random start. Measured on the
bundled trombone bank: docs/training.md, "Weight averaging".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


class WeightEMA:
    """The moving average of `model`'s parameters (float32, on the parameters' device).

    `decay` d in (0, 1): each update keeps d of the average (0.999: a memory of ~1,000 steps).
    Buffers are not averaged: the played model takes the live model's. Raises ValueError for a
    decay outside (0, 1).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.names = [name for name, _ in model.named_parameters()]
        self.average = [p.detach().float().clone() for _, p in model.named_parameters()]
        self.updates = 0

    def rate(self) -> float:
        """The decay the next update uses (smaller over the first updates)."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards `model`'s parameters (after an optimiser step)."""
        weight = 1.0 - self.rate()
        torch._foreach_lerp_(self.average, [p.detach().float() for p in model.parameters()], weight)
        self.updates += 1

    @contextmanager
    def played(self, model: nn.Module) -> Iterator[None]:
        """Within the block `model` holds the average (its own parameters restored after, also on
        an exception): validation, the sound check and previews hear the model the run saves.
        What the block writes into the parameters (the note fill of pitches the bank lacks) is
        kept in the average."""
        params = [p.data for p in model.parameters()]
        live = [p.clone() for p in params]
        with torch.no_grad():
            torch._foreach_copy_(params, self.average)
        try:
            yield
            with torch.no_grad():
                torch._foreach_copy_(self.average, params)
        finally:
            with torch.no_grad():
                torch._foreach_copy_(params, live)

    def state_dict(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """`model.state_dict()` (on the CPU) with the average in place of every parameter."""
        out = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        for name, avg in zip(self.names, self.average, strict=True):
            out[name] = avg.detach().cpu().to(out[name].dtype)
        return out

    def load(self, weights: dict[str, torch.Tensor], updates: int) -> None:
        """Take the average from a checkpoint's played weights (`weights`: a state_dict)."""
        for name, avg in zip(self.names, self.average, strict=True):
            avg.copy_(weights[name].float())
        self.updates = int(updates)

    def to_dict(self) -> dict[str, Any]:
        """What a checkpoint records of the average beside its weights."""
        return {"decay": self.decay, "updates": self.updates}
