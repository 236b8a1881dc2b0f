"""Negative log-likelihood of held-out notes in bits per sample (the SampleRNN paper's metric).

Every note file is scored whole, first sample to last, with L samples of silent history before
it and the hidden state carried across windows; overall and per pitch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch.nn.utils import parametrize

from conditioning import BankStats
from samplernn.common.errors import UserError
from samplernn.data.batching import NoteBank, build_bank, eval_windows
from samplernn.data.dataset import PreparedDataset, load_dataset
from samplernn.model.network import SampleRNN

LN2 = math.log(2.0)


@dataclass
class NLLResult:
    """NLL in bits per sample: `overall` over all scored samples, `per_pitch` by MIDI pitch."""

    overall: float
    per_pitch: dict[int, float] = field(default_factory=dict)
    n_samples: int = 0

    def to_dict(self) -> dict:
        return {
            "overall": self.overall,
            "per_pitch": {str(p): v for p, v in sorted(self.per_pitch.items())},
            "n_samples": self.n_samples,
        }


def masked_nll(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-target NLL in nats, zero where masked: logits (B, T, Q), targets/mask (B, T) → (B, T)."""
    B, T, Q = logits.shape
    nll = F.cross_entropy(logits.float().reshape(B * T, Q), targets.reshape(B * T), reduction="none")
    return nll.view(B, T) * mask


@torch.no_grad()
def note_nll_sums(
    model: SampleRNN,
    bank: NoteBank,
    *,
    window: int = 1024,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    notes: slice | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed NLL (nats) and scored-sample count per note of `bank`: two (n_notes,) float64 tensors.

    `notes` limits scoring to a slice of the bank (a rank's share under DDP); other notes get 0.
    """
    was_training = model.training
    model.eval()
    device = torch.device(device)
    sums = torch.zeros(len(bank), dtype=torch.float64)
    counts = torch.zeros(len(bank), dtype=torch.float64)
    index = torch.arange(len(bank))[notes] if notes is not None else torch.arange(len(bank))
    if len(index) == 0:
        return sums, counts
    sub = _sub_bank(bank, index) if notes is not None else bank
    state = None
    L = model.lookback
    window = max(1, -(-window // L)) * L  # round up to a multiple of the lookback
    try:
        with parametrize.cached():  # weight norm computed once for the whole pass, not per window
            for batch in eval_windows(sub, batch_size, L, window):
                b = batch.to(device)
                logits, state = model(b.x, b.cond, state, b.reset)
                nll = masked_nll(logits, b.x[:, L:], b.mask).sum(1).double().cpu()  # (B,)
                active = batch.note >= 0
                rows = index[batch.note[active]]
                sums.index_add_(0, rows, nll[active])
                counts.index_add_(0, rows, batch.mask[active].sum(1).double())
    finally:
        model.train(was_training)
    return sums, counts


def _sub_bank(bank: NoteBank, index: torch.Tensor) -> NoteBank:
    """A view of `bank` restricted to the notes in `index` (audio shared, not copied)."""
    return NoteBank(
        bank.audio,
        bank.cond,
        bank.starts[index],
        bank.lengths[index],
        bank.pitches[index],
        [bank.ids[i] for i in index.tolist()],
        bank.zero,
    )


def summarize(bank: NoteBank, sums: torch.Tensor, counts: torch.Tensor) -> NLLResult:
    """Per-note sums/counts (n_notes,) → NLLResult in bits per sample."""
    total = float(counts.sum())
    if total == 0:
        raise UserError("no samples to score")
    per_pitch = {}
    for p in sorted(set(bank.pitches.tolist())):
        sel = bank.pitches == p
        c = float(counts[sel].sum())
        if c > 0:
            per_pitch[int(p)] = float(sums[sel].sum()) / c / LN2
    return NLLResult(float(sums.sum()) / total / LN2, per_pitch, int(total))


def bank_nll(
    model: SampleRNN,
    bank: NoteBank,
    *,
    window: int = 1024,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> NLLResult:
    """NLL of every note in an already quantised bank, bits per sample."""
    sums, counts = note_nll_sums(model, bank, window=window, batch_size=batch_size, device=device)
    return summarize(bank, sums, counts)


def dataset_nll(
    model: SampleRNN,
    dataset: PreparedDataset | str,
    split: str,
    *,
    window: int = 1024,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    stats: BankStats | None = None,
) -> NLLResult:
    """NLL in bits per sample of the whole note files of one split (masked past each note's end).

    `stats` fill the level column (default: the dataset's; evaluate passes the checkpoint's).

    window is the TBPTT window in samples (a multiple of model.lookback); the model is left in the
    training/eval mode it was in. UserError for an empty split.
    """
    if not isinstance(dataset, PreparedDataset):
        dataset = load_dataset(dataset)
    notes = dataset.split(split)
    if not notes:
        raise UserError(f"{dataset.root}: the {split!r} split holds no notes")
    cfg = model.cfg
    bank = build_bank(dataset, notes, cfg.q_levels, cfg.quantization, stats, cfg.pre_emphasis)
    return bank_nll(model, bank, window=window, batch_size=batch_size, device=device)
