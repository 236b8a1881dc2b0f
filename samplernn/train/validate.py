"""Validation and test NLL of the model being trained (bits per sample, per pitch)."""

from __future__ import annotations

import torch

from samplernn.data.batching import NoteBank
from samplernn.model.network import SampleRNN
from samplernn.model.nll import NLLResult, note_nll_sums, summarize
from samplernn.train.distributed import DistInfo, all_reduce_
from samplernn.train.state import TrainState


def evaluate(
    model: SampleRNN, bank: NoteBank, window: int, batch_size: int, device: torch.device, info: DistInfo
) -> NLLResult:
    """NLL of every note of `bank` scored in windows of `window` samples, `batch_size` rows.

    Under DDP each rank scores every world_size-th note and the sums are all-reduced, so every
    rank returns the same result (every rank must call it).
    """
    share = slice(info.rank, None, info.world_size) if info.enabled else None
    sums, counts = note_nll_sums(
        model, bank, window=window, batch_size=batch_size, device=device, notes=share
    )
    if info.enabled:
        both = torch.stack([sums, counts]).to(device)
        all_reduce_(both, info)
        sums, counts = both.cpu()
    return summarize(bank, sums, counts)


def validate(state: TrainState) -> tuple[NLLResult, NLLResult | None]:
    """(val NLL, test NLL or None when the dataset has no test split) of `state`'s model."""
    cfg = state.cfg

    def score(bank: NoteBank) -> NLLResult:
        return evaluate(state.model, bank, cfg.window, cfg.eval_batch_size, state.device, state.info)

    return score(state.data.val), score(state.data.test) if state.data.test is not None else None
