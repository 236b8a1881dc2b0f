"""`samplernn bench generate`: generation speed of a preset with random weights.

Speed does not depend on training, so a freshly initialised model of the preset's size is timed.
Reports samples/s per stream and in aggregate, the real-time factor (per stream / sample rate),
and the first-call overhead (folding, plus numba loading or compiling its kernel, plus one frame).
"""

from __future__ import annotations

import platform
import time
from typing import Any

import numpy as np
import torch

from conditioning import NoteEvent, events_to_conditioning
from samplernn.generate.engine import (
    default_threads,
    generate_classes,
    pick_backend,
    resolve_device,
    resolve_precision,
)
from samplernn.generate.fold import fold_model
from samplernn.model.config import preset as get_preset
from samplernn.model.network import build_model

SAMPLE_RATE = 16000


def _note_conds(batch: int, n: int) -> list[np.ndarray]:
    """`batch` identical one-note streams of n samples (silence, note, release, tail)."""
    lead = min(n // 8, SAMPLE_RATE // 4)
    end = max(lead + 1, n - n // 16)
    ev = NoteEvent(48, 100, lead, max(lead, end - n // 8), end)
    cond = events_to_conditioning([ev], n)
    cond[lead:end, 4] = 600  # a level of -20 dBFS (speed does not depend on the values)
    return [cond] * batch


def bench_generate(
    preset: str = "small",
    batch: int = 1,
    seconds: float = 1.0,
    device: str = "auto",
    backend: str | None = None,
    repeats: int = 3,
    threads: int | None = None,
    precision: str = "auto",
) -> dict[str, Any]:
    """Time generation of `batch` streams of `seconds` each; best of `repeats` timed runs."""
    if batch < 1 or seconds <= 0 or repeats < 1:
        raise ValueError("batch >= 1, seconds > 0 and repeats >= 1 are required")
    cfg = get_preset(preset)
    dev = resolve_device(device)
    torch.manual_seed(0)
    model = build_model(cfg).to(dev).eval()
    backend = pick_backend(dev, backend)
    t = time.perf_counter()
    precision = resolve_precision(precision, backend, fold_model(model, dev))
    fold_s = time.perf_counter() - t
    n = max(cfg.lookback, round(seconds * SAMPLE_RATE))
    conds = _note_conds(batch, n)

    def run(c: list[np.ndarray]) -> float:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t = time.perf_counter()
        generate_classes(
            model,
            c,
            seed=0,
            batch_size=batch,
            device=dev,
            backend=backend,
            precision=precision,
            threads=threads,
        )
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return time.perf_counter() - t

    first = fold_s + run(_note_conds(batch, cfg.lookback))  # fold + kernel load/compile + one frame
    times = [run(conds) for _ in range(repeats)]
    best = min(times)
    per_stream = n / best
    return {
        "preset": preset,
        "dim": cfg.dim,
        "n_rnn": cfg.n_rnn,
        "frame_sizes": list(cfg.frame_sizes),
        "batch": batch,
        "seconds": n / SAMPLE_RATE,
        "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev)
        if dev.type == "cuda"
        else platform.processor() or "cpu",
        "backend": backend,
        "precision": precision,
        "threads": threads or default_threads() if backend == "numba" else torch.get_num_threads(),
        "first_call_s": first,
        "fold_s": fold_s,
        "times_s": times,
        "samples_per_s_per_stream": per_stream,
        "samples_per_s_aggregate": per_stream * batch,
        "realtime_factor_per_stream": per_stream / SAMPLE_RATE,
        "realtime_factor_aggregate": per_stream * batch / SAMPLE_RATE,
    }
