"""Checks shared by the tests of a drum kit run's per-piece tables (--piece-brightness,
--piece-tuning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train
from support.tiny import tiny_train_config


def assert_resume_keeps_table(
    kit: Path, run: Path, field: str, said: str, expected: dict[int, float]
) -> None:
    """Resume `run` (stopped at step 1) to step 2: the log does not say the table (`said`, the
    start of its line) again, and the checkpoint's model config keeps `field` as `expected`."""
    stored = resolve_train_config(run, {"steps": 2}, True)
    again: list[str] = []
    train(kit, run, stored, resume=True, log=again.append)
    assert not any(line.startswith(said) for line in again)  # said once, when measured
    resumed = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert resumed["step"] == 2 and dict(map(tuple, resumed["model_config"][field])) == expected


def one_step_saying(kit: Path, run: Path, said: str, **options: Any) -> list[str]:
    """Train `run` on `kit` one step with the tiny model and `options` (TrainConfig fields, no
    min-p fit); the log lines that start with `said`."""
    lines: list[str] = []
    train(kit, run, tiny_train_config(steps=1, fit_min_p=False, **options), log=lines.append)
    return [line for line in lines if line.startswith(said)]
