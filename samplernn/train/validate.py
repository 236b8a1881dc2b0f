"""Validation: test and val NLL of the model being trained (bits per sample, per pitch), and the
sound score of a few generated validation notes."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from samplernn.data.batching import NoteBank
from samplernn.model.network import SampleRNN
from samplernn.model.nll import NLLResult, note_nll_sums, summarize
from samplernn.train.distributed import DistInfo, all_reduce_
from samplernn.train.recipe import playing_temperature
from samplernn.train.sound_check import Probe, listen
from samplernn.train.sound_score import SoundScore
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


def sound_device(state: TrainState) -> torch.device:
    """Where the sound check generates: the training GPU (the torch engine), else the CPU (numba)."""
    return state.device if state.device.type == "cuda" else torch.device("cpu")


def validate_sound(state: TrainState, probes: Sequence[Probe]) -> SoundScore | None:
    """The sound score of `state`'s model on `probes` (None when the run has no sound check).

    Rank 0 generates and scores (`probes` are its; other ranks pass none); its score reaches
    every rank, so all take the same best-checkpoint and plateau decisions (every rank must call
    it under DDP). Other ranks get a SoundScore holding the score alone.
    """
    if not state.cfg.sound_notes:
        return None
    result = None
    if state.info.is_main:
        result = listen(state.model, probes, state.data.sample_rate, seed=state.cfg.seed,
                        device=sound_device(state), threads=torch.get_num_threads(),
                        temperature=playing_temperature(state.data.dataset),
                        draws=state.cfg.sound_draws or 1)  # fmt: skip
    if not state.info.enabled:
        return result
    shared = torch.tensor([result.score if result else 0.0], dtype=torch.float64, device=state.device)
    all_reduce_(shared, state.info)  # only rank 0 adds a score: the sum is its score
    return result if result is not None else SoundScore(float(shared.item()))
