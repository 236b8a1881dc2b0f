"""`samplernn bench generate`: generation speed of a preset with random weights.

Speed does not depend on training, so a freshly initialised model of the preset's size is timed.
Reports samples/s per stream and in aggregate, the real-time factor (per stream / sample rate),
and the first-call overhead (folding, plus numba loading or compiling its kernel, plus one frame).
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from conditioning import NoteEvent, events_to_conditioning
from samplernn.generate.engine import engine_device, generate_classes, pick_backend, resolve_weight_dtype
from samplernn.generate.fold import fold_model
from samplernn.generate.options import GenerationOptions
from samplernn.model.config import ModelConfig
from samplernn.model.config import preset as get_preset
from samplernn.model.network import build_model
from samplernn.prepare.settings import PrepareSettings

BENCH_OPTIONS = GenerationOptions(device="auto")


def bench_sample_rate(cfg: ModelConfig) -> int:
    """The rate the real-time factor is measured against (Hz): the model's own when its config
    records one, else the rate `samplernn prepare` makes datasets at by default."""
    return cfg.sample_rate or PrepareSettings().sample_rate


def _note_conds(batch: int, n: int, sample_rate: int) -> list[np.ndarray]:
    """`batch` identical one-note streams of n samples (silence, note, release, tail)."""
    lead = min(n // 8, sample_rate // 4)
    end = max(lead + 1, n - n // 16)
    ev = NoteEvent(48, 100, lead, max(lead, end - n // 8), end)
    cond = events_to_conditioning([ev], n)
    cond[lead:end, 4] = 600  # a level of -20 dBFS (speed does not depend on the values)
    return [cond] * batch


def _device_name(dev: torch.device) -> str:
    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"


def bench_generate(
    preset: str = "small",
    batch: int = 1,
    seconds: float = 1.0,
    repeats: int = 3,
    options: GenerationOptions = BENCH_OPTIONS,
) -> dict[str, Any]:
    """Time generation of `batch` streams of `seconds` each; best of `repeats` timed runs.

    `options` picks device, backend, weight dtype and threads (seed 0 and batch size `batch`
    are set here). Returns the figures as a dict (see the keys below). Raises ValueError for
    bad sizes or an engine the device cannot run, UserError for an unavailable device.
    """
    if batch < 1 or not 0 < seconds < math.inf or repeats < 1:
        raise ValueError("batch >= 1, finite seconds > 0 and repeats >= 1 are required")
    cfg = get_preset(preset)
    sr = bench_sample_rate(cfg)
    dev = engine_device(options.device)
    torch.manual_seed(0)
    model = build_model(cfg).to(dev).eval()
    backend = pick_backend(dev, options.backend)
    t = time.perf_counter()
    weight_dtype = resolve_weight_dtype(options.weight_dtype, backend, fold_model(model, dev))
    fold_s = time.perf_counter() - t
    n = max(cfg.lookback, round(seconds * sr))
    conds = _note_conds(batch, n, sr)
    opts = replace(options, seed=0, batch_size=batch, device=dev, backend=backend, weight_dtype=weight_dtype)

    def run(c: list[np.ndarray]) -> float:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t = time.perf_counter()
        generate_classes(model, c, opts)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return time.perf_counter() - t

    first = fold_s + run(_note_conds(batch, cfg.lookback, sr))  # fold + kernel load/compile + one frame
    times = [run(conds) for _ in range(repeats)]
    per_stream = n / min(times)
    return {
        "preset": preset,
        "dim": cfg.dim,
        "n_rnn": cfg.n_rnn,
        "frame_sizes": list(cfg.frame_sizes),
        "batch": batch,
        "seconds": n / sr,
        "sample_rate": sr,
        "device": str(dev),
        "device_name": _device_name(dev),
        "backend": backend,
        "weight_dtype": weight_dtype,
        "threads": opts.cpu_threads if backend == "numba" else torch.get_num_threads(),
        "first_call_s": first,
        "fold_s": fold_s,
        "times_s": times,
        "samples_per_s_per_stream": per_stream,
        "samples_per_s_aggregate": per_stream * batch,
        "realtime_factor_per_stream": per_stream / sr,
        "realtime_factor_aggregate": per_stream * batch / sr,
    }
