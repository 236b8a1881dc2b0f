"""The training data of a run: the prepared dataset's train, val and test notes, loaded once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.data.batching import NoteBank, build_bank
from samplernn.data.dataset import NoteRecord, PreparedDataset, load_dataset
from samplernn.model.config import ModelConfig


@dataclass
class TrainData:
    """The banks of the three splits (test may be absent), and what a checkpoint records of them.

    path: the dataset dir as it was given; fingerprint: see `dataset_fingerprint`.
    """

    dataset: PreparedDataset
    train: NoteBank
    val: NoteBank
    test: NoteBank | None
    path: str
    fingerprint: str

    @property
    def sample_rate(self) -> int:
        return self.dataset.sample_rate


def dataset_fingerprint(notes: list[NoteRecord]) -> str:
    """A short hash of the training notes (ids and lengths): resuming on other data is refused."""
    h = hashlib.sha1()
    for n in sorted(notes, key=lambda n: n.id):
        h.update(f"{n.id}:{n.n_samples};".encode())
    return h.hexdigest()[:16]


def load_train_data(
    dataset_dir: str | Path, mcfg: ModelConfig, ds: PreparedDataset | None = None
) -> TrainData:
    """Load and quantise every split for a model of `mcfg` (`ds`: the dataset at `dataset_dir`,
    when the caller has read it already).

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
    banks = {
        s: build_bank(ds, notes[s], mcfg.q_levels, mcfg.quantization, pre_emphasis=mcfg.pre_emphasis)
        if notes[s]
        else None
        for s in notes
    }
    return TrainData(
        ds, banks["train"], banks["val"], banks["test"], str(dataset_dir), dataset_fingerprint(notes["train"])
    )
