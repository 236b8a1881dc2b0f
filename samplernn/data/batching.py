"""Truncated-BPTT windows over variable-length notes, all held in memory.

Every batch row streams through one note at a time, window by window, carrying the hidden state:
at a note's first window the row's state resets to h0 and the row's L samples of history are
silence (the zero level); when the note ends mid-window, the rest of the row's loss is masked
and the row starts a new note (with a reset) at the next window. No padding to equal lengths.

Positions: a note of n samples is streamed as `pad` silent samples followed by the note, where
pad = L + offset (offset a random 0..L-1 in training, 0 for evaluation). Window k of the row
feeds x = padded[k*T : k*T + L + T] and predicts padded[k*T + L : k*T + L + T], i.e. note
samples t = k*T + j - offset for j in 0..T-1; targets outside 0 <= t < n are masked.

Hidden countdowns (live play's conditioning): a share of the notes a row starts is streamed with
the remaining column at REMAINING_HELD from note-on to note-off, the true countdown after it;
the targets are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from conditioning import REMAINING_INDEX, BankStats
from conditioning.events import REMAINING_HELD
from samplernn.common.errors import UserError
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.data.emphasis import pre_emphasize
from samplernn.data.quantize import quantize, zero_level


@dataclass
class NoteBank:
    """Quantised audio and raw conditioning of a set of notes, concatenated in memory.

    audio: (N,) uint8/int16/int32 classes of all notes back to back; cond: (N, 5) int32;
    starts, lengths: (n_notes,) int64; pitches: (n_notes,) int64; zero: the silence class;
    onsets, releases: (n_notes,) int64 note-on and note-off within each note's own samples (None
    for a bank that cannot hide countdowns).
    """

    audio: torch.Tensor
    cond: torch.Tensor
    starts: torch.Tensor
    lengths: torch.Tensor
    pitches: torch.Tensor
    ids: list[str]
    zero: int
    onsets: torch.Tensor | None = None
    releases: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_samples(self) -> int:
        return int(self.lengths.sum())


def _class_dtype(levels: int) -> torch.dtype:
    if levels <= 256:
        return torch.uint8
    return torch.int16 if levels <= 32768 else torch.int32


def build_bank(
    dataset: PreparedDataset,
    notes: Sequence[NoteRecord],
    levels: int = 256,
    method: str = "mu-law",
    stats: BankStats | None = None,
    pre_emphasis: float = 0.0,
    sounds: Sequence[np.ndarray] | None = None,
) -> NoteBank:
    """Load, quantise (once) and concatenate `notes`; conditioning from NoteRecord.conditioning()
    with the level column from `stats` (default: the dataset's own bank statistics). Each note is
    pre-emphasised first with the model's `pre_emphasis` (samplernn.data.emphasis; 0 = off).

    sounds: the notes' float32 audio, one (n_samples,) array per note, when the caller holds it
    (resampled copies, samplernn.data.pitch_fill); default: read from the dataset.
    """
    stats = dataset.stats if stats is None else stats
    if not notes:
        raise UserError(f"{dataset.root}: no notes to load")
    if sounds is not None and len(sounds) != len(notes):
        raise ValueError(f"{len(sounds)} sounds for {len(notes)} notes")
    dtype = _class_dtype(levels)
    audio, cond = [], []
    for i, rec in enumerate(notes):
        sound = dataset.load_audio(rec) if sounds is None else sounds[i]
        x = pre_emphasize(torch.from_numpy(sound), pre_emphasis)
        audio.append(quantize(x, levels, method).to(dtype))
        cond.append(torch.from_numpy(np.ascontiguousarray(rec.conditioning(stats), dtype=np.int32)))
    lengths = torch.tensor([len(a) for a in audio], dtype=torch.int64)
    starts = torch.cumsum(lengths, 0) - lengths
    return NoteBank(
        audio=torch.cat(audio),
        cond=torch.cat(cond),
        starts=starts,
        lengths=lengths,
        pitches=torch.tensor([rec.pitch for rec in notes], dtype=torch.int64),
        ids=[rec.id for rec in notes],
        zero=zero_level(levels, method),
        onsets=torch.tensor([rec.onset for rec in notes], dtype=torch.int64),
        releases=torch.tensor([rec.release for rec in notes], dtype=torch.int64),
    )


@dataclass
class Batch:
    """One TBPTT window for B rows.

    x: (B, L+T) int64 classes (history then targets' predecessors; targets = x[:, L:]);
    cond: (B, T, 5) int32 raw conditioning of the targets (0 where masked);
    mask: (B, T) bool, targets that belong to a note; reset: (B,) bool, rows starting a note;
    note: (B,) int64 index of each row's note in the bank (-1 for an idle row).
    """

    x: torch.Tensor
    cond: torch.Tensor
    mask: torch.Tensor
    reset: torch.Tensor
    note: torch.Tensor

    def rows(self, start: int, stop: int) -> Batch:
        """The sub-batch of rows start..stop-1 (a rank's share under DDP)."""
        return Batch(*(t[start:stop] for t in (self.x, self.cond, self.mask, self.reset, self.note)))

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return Batch(
            *(
                t.to(device, non_blocking=non_blocking)
                for t in (self.x, self.cond, self.mask, self.reset, self.note)
            )
        )


def make_window(
    bank: NoteBank,
    note: torch.Tensor,
    k: torch.Tensor,
    offset: torch.Tensor,
    lookback: int,
    window: int,
    hidden: torch.Tensor | None = None,
) -> Batch:
    """Assemble window k of each row's note (vectorised over rows; note -1 = idle row).

    note, k, offset: (B,) int64; hidden: (B,) bool, rows whose note has its countdown hidden
    (REMAINING_HELD from its onset to its release; needs bank.onsets). Returns a Batch with x (B, L+T).
    """
    L, T = lookback, window
    active = note >= 0
    safe = note.clamp_min(0)
    n = torch.where(active, bank.lengths[safe], torch.zeros_like(safe))  # (B,)
    base = k * T - (L + offset)  # note index of x[:, 0]
    idx = base[:, None] + torch.arange(L + T)[None, :]  # (B, L+T)
    valid = (idx >= 0) & (idx < n[:, None])
    flat = bank.starts[safe][:, None] + idx.clamp_min(0).minimum((n - 1).clamp_min(0)[:, None])
    x = torch.where(valid, bank.audio[flat].long(), bank.zero)  # (B, L+T)
    mask = valid[:, L:]  # (B, T)
    cond = bank.cond[flat[:, L:]] * mask[..., None]  # (B, T, 5)
    if hidden is not None and bool(hidden.any()):
        t = idx[:, L:]  # note-local sample of each target
        held = (t >= bank.onsets[safe][:, None]) & (t < bank.releases[safe][:, None])
        cond[..., REMAINING_INDEX] = cond[..., REMAINING_INDEX].masked_fill(
            held & mask & hidden[:, None], REMAINING_HELD
        )
    reset = k == 0
    return Batch(x, cond, mask, reset, torch.where(active, note, -1))


class WindowStream:
    """Endless training windows: rows draw notes from seeded shuffled epochs.

    With hidden_countdown = p > 0, each note a row starts has its countdown hidden with
    probability p (drawn from the same seeded generator; p = 0 draws nothing, so the data order
    is that of a stream without the option). With `draws` (n_notes,) int >= 1, note i comes
    draws[i] times in every epoch (None: once each, the same order as all ones). All state (order,
    positions, generator, hidden rows, an epoch's notes) is exported by `state_dict()` as tensors
    and ints, so a run resumes at exactly the same data position. Raises UserError for a window
    that is not a multiple of the lookback, ValueError for draws of another length than the bank
    or below 1.
    """

    def __init__(
        self,
        bank: NoteBank,
        batch_size: int,
        lookback: int,
        window: int,
        seed: int,
        random_offset: bool = True,
        hidden_countdown: float = 0.0,
        draws: torch.Tensor | None = None,
    ) -> None:
        if window <= 0 or window % lookback:
            raise UserError(f"window {window} must be a positive multiple of the model's lookback {lookback}")
        if hidden_countdown > 0 and bank.onsets is None:
            raise ValueError("hiding countdowns needs a bank with note onsets and releases")
        if draws is not None and (draws.shape != (len(bank),) or bool((draws < 1).any())):
            raise ValueError(f"draws must be ({len(bank)},) ints >= 1, got shape {tuple(draws.shape)}")
        self.bank, self.B, self.L, self.T = bank, batch_size, lookback, window
        self.random_offset = random_offset
        self.hidden_countdown = float(hidden_countdown)
        self.hidden = torch.zeros(batch_size, dtype=torch.bool)
        self.gen = torch.Generator().manual_seed(int(seed))
        self.epoch = 0
        self.epoch_notes = None if draws is None else torch.repeat_interleave(torch.arange(len(bank)), draws)
        self.order = self._shuffled()
        self.pos = 0
        self.note = torch.full((batch_size,), -1, dtype=torch.int64)
        self.k = torch.zeros(batch_size, dtype=torch.int64)
        self.offset = torch.zeros(batch_size, dtype=torch.int64)
        for r in range(batch_size):
            self._start_note(r)

    def _shuffled(self) -> torch.Tensor:
        """The next epoch's notes in a seeded random order (n_epoch,) int64."""
        if self.epoch_notes is None:
            return torch.randperm(len(self.bank), generator=self.gen)
        return self.epoch_notes[torch.randperm(len(self.epoch_notes), generator=self.gen)]

    def _next_note(self) -> int:
        if self.pos >= len(self.order):
            self.epoch += 1
            self.order = self._shuffled()
            self.pos = 0
        i = int(self.order[self.pos])
        self.pos += 1
        return i

    def _start_note(self, r: int) -> None:
        self.note[r] = self._next_note()
        self.k[r] = 0
        off = torch.randint(0, self.L, (1,), generator=self.gen) if self.random_offset else 0
        self.offset[r] = int(off)
        if self.hidden_countdown > 0:
            self.hidden[r] = bool(torch.rand(1, generator=self.gen) < self.hidden_countdown)

    def next_batch(self) -> Batch:
        """The next window of every row, then advance; rows whose note is done start a new one."""
        hidden = self.hidden if self.hidden_countdown > 0 else None
        batch = make_window(self.bank, self.note, self.k, self.offset, self.L, self.T, hidden)
        self.k += 1
        done = self.k * self.T - self.offset >= self.bank.lengths[self.note]  # all targets covered
        for r in torch.nonzero(done).flatten().tolist():
            self._start_note(r)
        return batch

    def state_dict(self) -> dict[str, Any]:
        d = {
            "gen": self.gen.get_state(),
            "epoch": self.epoch,
            "order": self.order.clone(),
            "pos": self.pos,
            "note": self.note.clone(),
            "k": self.k.clone(),
            "offset": self.offset.clone(),
        }
        if self.hidden_countdown > 0:
            d["hidden"] = self.hidden.clone()
        if self.epoch_notes is not None:
            d["epoch_notes"] = self.epoch_notes.clone()
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        notes = d.get("epoch_notes")
        epoch = len(self.bank) if notes is None else len(notes)
        fits = notes is None or int(notes.max()) < len(self.bank)
        if len(d["note"]) != self.B or len(d["order"]) != epoch or not fits:
            raise UserError("saved data position does not match this batch size / dataset")
        self.epoch_notes = None if notes is None else notes.clone()
        self.gen.set_state(d["gen"])
        self.epoch, self.pos = int(d["epoch"]), int(d["pos"])
        self.order = d["order"].clone()
        self.note, self.k, self.offset = d["note"].clone(), d["k"].clone(), d["offset"].clone()
        self.hidden = d["hidden"].clone() if "hidden" in d else torch.zeros(self.B, dtype=torch.bool)


def eval_windows(bank: NoteBank, batch_size: int, lookback: int, window: int):
    """Deterministic windows covering every note of `bank` once, from its first sample to its last.

    Each note starts with L samples of silent history (offset 0); rows take notes in order and go
    idle (note -1, mask all False) when none are left. Yields Batch until all rows are idle.
    """
    if window <= 0 or window % lookback:
        raise UserError(f"window {window} must be a positive multiple of the model's lookback {lookback}")
    B = min(batch_size, len(bank))
    note = torch.arange(B, dtype=torch.int64)
    k = torch.zeros(B, dtype=torch.int64)
    offset = torch.zeros(B, dtype=torch.int64)
    nxt = B
    while bool((note >= 0).any()):
        yield make_window(bank, note, k, offset, lookback, window)
        k += 1
        done = (note >= 0) & (k * window >= bank.lengths[note.clamp_min(0)])
        for r in torch.nonzero(done).flatten().tolist():
            note[r] = nxt if nxt < len(bank) else -1
            k[r] = 0
            nxt += 1
