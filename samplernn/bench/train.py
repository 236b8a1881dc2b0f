"""Training throughput benchmark: samples/s of the real training step on synthetic windows.

The asked preset runs at `samplernn train`'s batch and window unless told otherwise
(train.config.TrainConfig), so the figure is what a default run trains at. The `reference` preset
(the 2017 PyTorch SampleRNN's default architecture, batch 16, window 1024, conditioning off) is
measured beside it so the figure can be set against the 2017 code's own (~1,600–2,500 samples/s
on a 2-core CPU).
"""

from __future__ import annotations

import platform
import time
from typing import Any

import torch

from samplernn.common.device import resolve_device
from samplernn.common.errors import UsageError
from samplernn.data.batching import Batch
from samplernn.model.config import preset as make_preset
from samplernn.model.network import build_model
from samplernn.train.config import SCHEDULED_SAMPLING, TrainConfig, check_precision_and_threads
from samplernn.train.step import make_optimizer, train_step, use_bf16_by_default

#: `samplernn train`'s batch rows and TBPTT window (samples): the asked preset's default here.
TRAIN_BATCH = TrainConfig.batch_size
TRAIN_WINDOW = TrainConfig.window
#: The 2017 code's training setting, at which the `reference` preset is always measured.
REFERENCE_BATCH = 16
REFERENCE_WINDOW = 1024


def synthetic_batch(
    batch_size: int, lookback: int, window: int, q_levels: int, gen: torch.Generator
) -> Batch:
    """A window of random classes with a sounding note's conditioning: x (B, L+T), cond (B, T, 5)."""
    B, T = batch_size, window
    x = torch.randint(0, q_levels, (B, lookback + T), generator=gen)
    t = torch.arange(T)
    cond = torch.stack(
        [torch.full((T,), 60), torch.full((T,), 100), 40000 - t, t, torch.full((T,), 600)], dim=-1
    )
    cond = cond.to(torch.int32).expand(B, T, 5).contiguous()
    return Batch(
        x, cond, torch.ones(B, T, dtype=torch.bool), torch.zeros(B, dtype=torch.bool), torch.arange(B)
    )


def bench_train(
    preset: str = "small",
    *,
    batch_size: int = TRAIN_BATCH,
    window: int = TRAIN_WINDOW,
    device: str = "auto",
    steps: int = 5,
    warmup: int = 2,
    conditioning: bool = True,
    compile: bool = False,
    precision: str = "auto",
    seed: int = 0,
    scheduled_sampling: float = 0.0,
) -> dict[str, Any]:
    """Time `steps` training steps (forward, backward, clipping, Adam; with `scheduled_sampling`
    > 0 that share of the inputs drawn by the model first, train.step.own_draws) after `warmup`
    untimed ones.

    Returns {preset, batch_size, window, conditioning, scheduled_sampling, params, samples_per_s,
    ms_per_step, device, precision}. Raises UsageError for an unknown preset, a window that is not
    a multiple of the lookback, steps or batch_size below 1, or scheduled_sampling outside [0, 1).
    """
    dev = resolve_device(device)
    torch.manual_seed(seed)
    try:
        cfg = make_preset(preset, conditioning=conditioning)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if window <= 0 or window % cfg.lookback:
        raise UsageError(
            f"--window {window} must be a positive multiple of the model's lookback {cfg.lookback}"
        )
    if steps < 1 or batch_size < 1:
        raise UsageError(f"--steps ({steps}) and --batch-size ({batch_size}) must be at least 1")
    if not 0.0 <= scheduled_sampling < 1.0:
        raise UsageError(f"--scheduled-sampling must be in [0, 1), got {scheduled_sampling:g}")
    model = build_model(cfg).to(dev).train()
    fwd = torch.compile(model) if compile else model
    opt = make_optimizer(model, 1e-3, dev)
    gen = torch.Generator().manual_seed(seed)
    b = synthetic_batch(batch_size, cfg.lookback, window, cfg.q_levels, gen).to(dev)
    state = None
    scale = 1.0 / (batch_size * window)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    def step(state: list[torch.Tensor] | None) -> list[torch.Tensor]:
        return train_step(fwd, model, opt, b, state, scale, 1.0, dev, precision,
                          scheduled_sampling=scheduled_sampling)[2]  # fmt: skip

    for _ in range(warmup):
        state = step(state)
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        state = step(state)
    sync()
    dt = time.perf_counter() - t0
    return {
        "preset": preset,
        "batch_size": batch_size,
        "window": window,
        "conditioning": conditioning,
        "scheduled_sampling": scheduled_sampling,
        "params": sum(p.numel() for p in model.parameters()),
        "samples_per_s": batch_size * window * steps / dt,
        "ms_per_step": 1000 * dt / steps,
        "device": str(dev),
        "precision": precision_name(precision, dev),
    }


def precision_name(precision: str, device: torch.device) -> str:
    """What precision 'auto' means on `device`."""
    if precision == "auto":
        return "bf16" if use_bf16_by_default(device) else "fp32"
    return precision


def cpu_name() -> str:
    """The CPU model (from /proc/cpuinfo on Linux), or what platform knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def bench_train_report(
    preset: str = "small",
    *,
    batch_size: int = TRAIN_BATCH,
    window: int = TRAIN_WINDOW,
    device: str = "auto",
    steps: int = 5,
    reference: bool = True,
    compile: bool = False,
    precision: str = "auto",
    threads: int = 0,
    scheduled_sampling: float = SCHEDULED_SAMPLING,
) -> dict[str, Any]:
    """The asked preset (by default at `samplernn train`'s batch and window and a pitched bank's
    scheduled sampling, SCHEDULED_SAMPLING: the step a default run takes), then `reference` at
    REFERENCE_BATCH / REFERENCE_WINDOW / conditioning off / no scheduled sampling (the 2017 step).

    threads > 0 sets torch's CPU thread count first (0 keeps torch's default). Raises UsageError
    for a precision other than PRECISIONS or threads below 0 (and as bench_train does).
    """
    check_precision_and_threads(precision, threads)
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        return _report(preset, batch_size, window, device, steps, reference, compile, precision,
                       scheduled_sampling)  # fmt: skip
    finally:
        torch.set_num_threads(before)


def _report(
    preset: str,
    batch_size: int,
    window: int,
    device: str,
    steps: int,
    reference: bool,
    compile: bool,
    precision: str,
    scheduled_sampling: float,
) -> dict[str, Any]:
    dev = resolve_device(device)
    runs = [
        bench_train(
            preset,
            batch_size=batch_size,
            window=window,
            device=str(dev),
            steps=steps,
            compile=compile,
            precision=precision,
            scheduled_sampling=scheduled_sampling,
        )
    ]
    if reference:
        runs.append(
            bench_train(
                "reference",
                batch_size=REFERENCE_BATCH,
                window=REFERENCE_WINDOW,
                device=str(dev),
                steps=steps,
                conditioning=False,
                compile=compile,
                precision=precision,
            )
        )
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_name()
    return {
        "device": f"{dev} ({name})",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "runs": runs,
    }
