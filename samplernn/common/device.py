"""Choosing the torch device: one rule for every command."""

from __future__ import annotations

import functools
import os

import torch

from samplernn.common.errors import UsageError, UserError


def resolve_device(
    name: str | torch.device | None = "auto", *, local_rank: int | None = None
) -> torch.device:
    """'auto' (or None) → CUDA when available, else CPU; 'cpu', 'cuda', 'cuda:1' as given.

    A bare 'cuda' means `local_rank`'s GPU when given (DDP: one GPU per process, torchrun's
    LOCAL_RANK), else the current CUDA device.

    Raises:
        UserError: an unknown device name, or CUDA asked for where none is available.
    """
    name = "auto" if name is None else str(name)
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UsageError(f"--device {name!r}: unknown device (use auto, cpu, cuda or cuda:N)") from None
    if dev.type not in ("cpu", "cuda"):
        raise UsageError(f"--device {name!r}: unsupported device (use auto, cpu, cuda or cuda:N)")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {name!r} asked for, but no CUDA GPU is available (use --device cpu)")
        if dev.index is None:
            dev = torch.device("cuda", torch.cuda.current_device() if local_rank is None else local_rank)
    return dev


def cpu_threads() -> int:
    """CPU cores this process may use (its affinity mask, else os.cpu_count())."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@functools.cache  # asked at every training step; the CPU does not change
def cpu_has_native_bf16() -> bool:
    """True where this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX tiles), so bf16
    autocast trains faster than float32: `small`, batch 32, one thread on a Zen 4 EPYC made
    51,700 vs 31,200 samples/s (docs/benchmarks.md). Elsewhere bf16 is emulated and slower.

    Reads torch.cpu's private feature probes; False where this torch has none.
    """
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    try:
        return any(getattr(torch.cpu, name)() for name in probes if hasattr(torch.cpu, name))
    except RuntimeError:
        return False
