"""The training data of a run: the prepared dataset's train, val and test notes, loaded once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from samplernn.common.errors import UserError
from samplernn.data.batching import NoteBank, build_bank
from samplernn.data.dataset import NoteRecord, PreparedDataset, load_dataset
from samplernn.data.kit_retune import retune_plan
from samplernn.data.pitch_fill import fill_plan, shift_note
from samplernn.data.short_notes import short_copies
from samplernn.model.config import ModelConfig


@dataclass
class TrainData:
    """The banks of the three splits (test may be absent), and what a checkpoint records of them.

    path: the dataset dir as it was given; fingerprint: see `dataset_fingerprint`;
    filled: the pitches the train split lacks that resampled copies fill (see `fill_pitches`);
    retuned: the retuned copies of a drum kit's hits in the train bank (see `kit_retune`);
    shortened: the short copies of long train notes in the train bank (see `short_notes`).
    """

    dataset: PreparedDataset
    train: NoteBank
    val: NoteBank
    test: NoteBank | None
    path: str
    fingerprint: str
    filled: list[int] = field(default_factory=list)
    retuned: int = 0
    shortened: int = 0

    @property
    def sample_rate(self) -> int:
        return self.dataset.sample_rate

    @property
    def absolute_path(self) -> str:
        """`path` made absolute, as a checkpoint records it: pack, serve and the drum-model rule find
        the dataset again from any working directory (a relative one named a folder of wherever the
        checkpoint was later used)."""
        return str(Path(self.path).resolve())


def dataset_fingerprint(notes: list[NoteRecord]) -> str:
    """A short hash of the training notes (ids and lengths): resuming on other data is refused."""
    h = hashlib.sha1()
    for n in sorted(notes, key=lambda n: n.id):
        h.update(f"{n.id}:{n.n_samples};".encode())
    return h.hexdigest()[:16]


def load_train_data(
    dataset_dir: str | Path,
    mcfg: ModelConfig,
    ds: PreparedDataset | None = None,
    fill_pitches: int = 0,
    kit_retune: float = 0.0,
    short_notes: int = 0,
    seed: int = 0,
) -> TrainData:
    """Load and quantise every split for a model of `mcfg` (`ds`: the dataset at `dataset_dir`,
    when the caller has read it already). With `fill_pitches` K > 0 the train bank also holds
    resampled copies of the notes of the nearest trained pitch (at most K semitones away) for
    every pitch the train split lacks within its range (samplernn.data.pitch_fill); with
    `kit_retune` S > 0, two copies of every train note resampled S semitones down and up, its
    key kept (samplernn.data.kit_retune: for a drum kit, whose keys are pieces); with
    `short_notes` C > 0, C short copies (held part cut, spliced to the release; lengths drawn with
    `seed`) of every train note and resampled copy whose held part is long enough and does not
    decay (samplernn.data.short_notes).

    Raises UserError for a dataset that is missing, malformed, lacks the loudness envelopes a
    level-conditioned model needs, or has no train or val notes.
    """
    ds = load_dataset(dataset_dir) if ds is None else ds
    if mcfg.level_conditioning and not ds.stats.envelopes:
        raise UserError(
            f"{ds.root}: dataset.json holds no loudness envelopes, which this model is conditioned "
            "on (prepared by an older samplernn: run samplernn prepare again)"
        )
    notes = {s: ds.split(s) for s in ("train", "val", "test")}
    for s in ("train", "val"):
        if not notes[s]:
            raise UserError(f"{ds.root}: the {s!r} split holds no notes (training needs train and val)")

    def bank(recs: list[NoteRecord], sounds: list[np.ndarray] | None = None) -> NoteBank:
        return build_bank(ds, recs, mcfg.q_levels, mcfg.quantization, pre_emphasis=mcfg.pre_emphasis,
                          sounds=sounds)

    fill = fill_plan(notes["train"], fill_pitches)
    retune = retune_plan(notes["train"], kit_retune)
    train, sounds = _with_copies(ds, notes["train"], [(r, k, False) for r, k in fill]
                                 + [(r, k, True) for r, k in retune])
    shorts = []
    if short_notes > 0:
        sounds = [ds.load_audio(r) for r in train] if sounds is None else sounds
        shorts = short_copies(train, sounds, short_notes, ds.sample_rate, seed)
        train, sounds = train + [c[0] for c in shorts], sounds + [c[1] for c in shorts]
    filled = sorted({r.pitch + k for r, k in fill})
    return TrainData(
        ds, bank(train, sounds), bank(notes["val"]), bank(notes["test"]) if notes["test"] else None,
        str(dataset_dir), dataset_fingerprint(notes["train"]), filled, len(retune), len(shorts),
    )


def _with_copies(
    ds: PreparedDataset, train: list[NoteRecord], plan: list[tuple[NoteRecord, float, bool]]
) -> tuple[list[NoteRecord], list[np.ndarray] | None]:
    """The train notes followed by their resampled copies (source, semitones, keep_pitch: see
    pitch_fill.shift_note), with every note's audio; (train, None) without copies (build_bank
    then reads the files)."""
    if not plan:
        return train, None
    audio = {rec.id: ds.load_audio(rec) for rec in train}
    copies = [shift_note(rec, audio[rec.id], k, ds.sample_rate, keep_pitch=keep) for rec, k, keep in plan]
    return train + [c[0] for c in copies], [audio[r.id] for r in train] + [c[1] for c in copies]


def outside_range(pitches: torch.Tensor, known: tuple[int, int]) -> torch.Tensor:
    """(n_notes,) bool: which of `pitches` (MIDI, (n_notes,) int) lie outside `known`, the
    (lowest, highest) pitch an --init model was trained on."""
    return (pitches < known[0]) | (pitches > known[1])


def new_pitch_draws(pitches: torch.Tensor, known: tuple[int, int] | None, draws: int) -> torch.Tensor | None:
    """How many times an epoch each train note is drawn (samplernn.data.batching.WindowStream):
    `draws` for a note whose pitch (MIDI, `pitches` (n_notes,) int) lies outside `known`, the
    (lowest, highest) pitch an --init model was trained on, once for the others. Returns (n_notes,)
    int64, or None when every note is drawn once (draws 1, no known range, no note outside it)."""
    if draws <= 1 or known is None:
        return None
    outside = outside_range(pitches, known)
    if not bool(outside.any()):
        return None
    return torch.where(outside, int(draws), 1).to(torch.int64)


def piece_balance_draws(pitches: torch.Tensor, lengths: torch.Tensor, most: int) -> torch.Tensor | None:
    """How many times an epoch each of a drum kit's train hits is drawn so that the pieces train
    on more equal shares of audio (class-balanced sampling by piece): a piece whose hits hold
    fewer samples than the kit's mean piece, s_mean / s_piece times rounded, at most `most`; a
    piece at or above the mean once. A batch row streams a hit whole, so without it a piece's
    share of the training is its share of the audio: on ForzeeStereo the ride and the crash hold
    46 % of it and a tom 1.3-2.3 % (docs/drums.md, "Balanced pieces").

    pitches, lengths: (n_notes,) int (the GM drum key, the hit's samples). Returns (n_notes,)
    int64 >= 1, or None when every hit is drawn once. Raises ValueError for `most` < 1."""
    if most < 1:
        raise ValueError(f"the most draws a hit must be at least 1, got {most}")
    if len(pitches) == 0:
        return None
    keys, piece = torch.unique(pitches, return_inverse=True)
    seconds = torch.zeros(len(keys), dtype=torch.float64).index_add_(0, piece, lengths.to(torch.float64))
    per_piece = (seconds.mean() / seconds).round().clamp(1, most).to(torch.int64)
    draws = per_piece[piece]
    return None if bool((draws == 1).all()) else draws
