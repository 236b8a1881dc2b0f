"""The learning-rate schedule, fitted to the run's budget: a linear warm-up over the first steps
(at most a quarter of the budget), then a half cosine from the peak rate down to the final rate
over the run's progress.

Progress is the larger of the two fractions of the budget spent, max(step / steps, elapsed /
max_minutes), so a run bounded by --steps and a run bounded by --max-minutes both end annealed
(see docs/training.md).
"""

from __future__ import annotations

import math


def run_progress(step: int, steps: int, elapsed_s: float = 0.0, max_minutes: float | None = None) -> float:
    """The share of the run's budget spent after `step` steps and `elapsed_s` seconds of training,
    in [0, 1]: the larger of step/steps and elapsed/max_minutes (time ignored without a limit)."""
    spent = step / steps
    if max_minutes:
        spent = max(spent, elapsed_s / (60.0 * max_minutes))
    return min(max(spent, 0.0), 1.0)


#: The most of a run's budget its warm-up takes: a run shorter than four times --warmup-steps warms
#: up over its first quarter instead, so that it reaches --lr and ends at --lr-final (a 3-minute
#: one-thread kit run of 99 steps peaked at 1.4e-4 under the 200-step warm-up and ended at 5e-5).
WARMUP_MAX_SHARE = 0.25


def warmup_factor(step: int, warmup_steps: int, progress: float = 0.0) -> float:
    """(step + 1) / warmup_steps during the warm-up, 1 after it (and without one): the first step
    runs at lr / warmup_steps, step warmup_steps − 1 at the full rate. The warm-up also ends once
    `progress` (run_progress) reaches WARMUP_MAX_SHARE, rising linearly with it until then."""
    if warmup_steps <= 0:
        return 1.0
    return min(1.0, max((step + 1) / warmup_steps, progress / WARMUP_MAX_SHARE))


def cosine_rate(lr: float, lr_final: float | None, progress: float) -> float:
    """lr at progress 0, annealed along a half cosine to min(lr_final, lr) at progress 1 (None:
    constant lr). The cap lets the default final rate stand beside any --lr."""
    if lr_final is None:
        return lr
    lr_final = min(lr_final, lr)
    return lr_final + 0.5 * (lr - lr_final) * (1.0 + math.cos(math.pi * progress))


def learning_rate(
    step: int,
    *,
    lr: float,
    lr_final: float | None,
    warmup_steps: int,
    steps: int,
    elapsed_s: float = 0.0,
    max_minutes: float | None = None,
) -> float:
    """The rate of the optimiser step that follows `step` completed steps and `elapsed_s` seconds
    of training: the warm-up factor times the cosine at the run's progress."""
    progress = run_progress(step, steps, elapsed_s, max_minutes)
    return warmup_factor(step, warmup_steps, progress) * cosine_rate(lr, lr_final, progress)
