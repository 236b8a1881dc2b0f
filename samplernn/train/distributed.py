"""torch.distributed glue: the same `train` runs alone or under `torchrun --nproc_per_node N`.

Under torchrun (RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT in the environment)
the process group starts with NCCL on CUDA and gloo on CPU. Only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from samplernn.common.device import resolve_device


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job; world_size 1 when not distributed."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def row_range(self, batch_size: int) -> tuple[int, int]:
        """This rank's share [start, stop) of `batch_size` batch rows (contiguous, as even as possible)."""
        base, extra = divmod(batch_size, self.world_size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (1 if self.rank < extra else 0)


def env_dist() -> DistInfo:
    """The rank/world size torchrun put in the environment (world 1 if none)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    return DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))


def init_distributed(device: torch.device) -> DistInfo:
    """Start the process group if launched by torchrun; NCCL for CUDA devices, gloo otherwise."""
    info = env_dist()
    if info.enabled and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend, rank=info.rank, world_size=info.world_size)
    return info


@contextmanager
def process_group(device_name: str) -> Iterator[tuple[torch.device, DistInfo]]:
    """This process's device and place in the job, with the process group up while inside.

    A bare 'cuda' means torchrun's LOCAL_RANK GPU under DDP. A group that was already running
    is left running. Raises UserError for an unknown or unavailable device.
    """
    info = env_dist()
    device = resolve_device(device_name, local_rank=info.local_rank if info.enabled else None)
    owns_group = not (dist.is_available() and dist.is_initialized())
    info = init_distributed(device)
    try:
        yield device, info
        if owns_group:
            # every rank past its last collective before any tears the group down: a gloo rank
            # whose peer had already gone aborted once at exit ("terminate called without an
            # active exception") in one run of the DDP test on a loaded machine
            barrier(info)
    finally:
        if owns_group:
            shutdown()


def wrap_model(model: nn.Module, device: torch.device, info: DistInfo, compile: bool = False) -> nn.Module:
    """What the training step calls: `model`, in DistributedDataParallel under DDP, compiled if asked.

    The wrappers share `model`'s parameters; checkpoints save `model` itself.
    """
    fwd = model
    if info.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        fwd = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    if compile:
        fwd = torch.compile(fwd)  # type: ignore[assignment]
    return fwd


def shutdown() -> None:
    """Tear the process group down (no-op when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op when not distributed)."""
    if info.enabled:
        dist.barrier()


def all_reduce_(t: torch.Tensor, info: DistInfo, op: str = "sum") -> torch.Tensor:
    """In-place all-reduce of `t` across ranks (sum or max); identity when not distributed."""
    if info.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return t


def gather_rows(t: torch.Tensor, info: DistInfo, batch_size: int, dim: int = 0) -> torch.Tensor:
    """Concatenate every rank's rows of `t` along `dim` (ranks may hold unequal shares)."""
    if not info.enabled:
        return t
    shares = [DistInfo(r, info.world_size).row_range(batch_size) for r in range(info.world_size)]
    longest = max(b - a for a, b in shares)
    pad = list(t.shape)
    pad[dim] = longest - t.shape[dim]
    padded = torch.cat([t, t.new_zeros(pad)], dim=dim).contiguous()
    parts = [torch.empty_like(padded) for _ in range(info.world_size)]
    dist.all_gather(parts, padded)
    return torch.cat([p.narrow(dim, 0, b - a) for p, (a, b) in zip(parts, shares, strict=True)], dim=dim)
