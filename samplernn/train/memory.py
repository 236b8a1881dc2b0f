"""Will a training step fit in memory? An estimate from the batch, the window and the model, checked
against what the device has free before the run starts (an oversized --batch-size otherwise ends
in the kernel's OOM kill — exit 137, nothing said — or an allocator traceback)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from samplernn.common.errors import UsageError
from samplernn.model.config import ModelConfig

#: Bytes a training step holds per sample position (batch row × window sample) per unit of
#: (q_levels + dim): the logits and their gradient scale with q_levels, the sample-level MLP's
#: activations with dim. Measured on the CPU (float32, peak RSS of 2-step runs at several batch
#: sizes, 2026-12-04): `small` (dim 256) 5.2 KB per position = 10.2 per unit, `base` (dim 1024)
#: 13.5 KB = 10.5 per unit.
BYTES_PER_POSITION_UNIT = 10.5


def step_memory_bytes(mcfg: ModelConfig, rows: int, window: int) -> float:
    """Estimated memory (bytes) one training step of `rows` batch rows × `window` samples holds
    beyond the model itself (BYTES_PER_POSITION_UNIT)."""
    return BYTES_PER_POSITION_UNIT * (mcfg.q_levels + mcfg.dim) * rows * window


def available_memory_bytes(device: torch.device) -> float | None:
    """Memory free for a new allocation on `device` (bytes): CUDA's free memory on that GPU, the
    kernel's MemAvailable on a Linux CPU; None where it cannot be read (the check is skipped)."""
    if device.type == "cuda":
        try:
            return float(torch.cuda.mem_get_info(device)[0])
        except RuntimeError:
            return None
    if device.type != "cpu":
        return None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_step_memory(
    mcfg: ModelConfig, batch_size: int, window: int, device: torch.device, world_size: int = 1
) -> None:
    """Raise UsageError when a training step's estimated memory (`step_memory_bytes`) exceeds what
    `device` has free. Under DDP each process takes batch_size / world_size rows: on a GPU each
    has its own memory, on the CPU they share the machine's."""
    free = available_memory_bytes(device)
    if free is None:
        return
    rows = -(-batch_size // world_size) if device.type == "cuda" else batch_size
    need = step_memory_bytes(mcfg, rows, window)
    if need > free:
        where = "this GPU has" if device.type == "cuda" else "this machine has"
        raise UsageError(
            f"--batch-size {batch_size} with --window {window} needs about {need / 2**30:.1f} GiB for a "
            f"training step of this model, more than the {free / 2**30:.1f} GiB {where} free: lower "
            "--batch-size or --window")
