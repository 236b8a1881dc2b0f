"""A prepared dataset folder: audio/, manifest.csv, dataset.json — the contract between `prepare`
(which writes it) and training / evaluation (which read it).

dataset.json holds `created_by`, `sample_rate`, the prepare settings, counts, the bank statistics
(`bank_stats`, see conditioning.BankStats) and the files that failed; manifest.csv has one row per
note (samplernn.data.manifest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats
from samplernn.common.audio import read_audio
from samplernn.common.errors import UserError
from samplernn.common.files import refuse_inside, write_json
from samplernn.data.manifest import AUDIO_DIR, MANIFEST_COLUMNS, SPLITS, NoteRecord, read_manifest

# The manifest's names are re-exported: readers of a dataset need them together.
__all__ = [
    "CREATED_BY",
    "DATASET_ENTRIES",
    "INFO_FILE",
    "MANIFEST_COLUMNS",
    "MANIFEST_FILE",
    "SPLITS",
    "NoteRecord",
    "PreparedDataset",
    "is_dataset_info",
    "load_dataset",
    "write_dataset_info",
]

MANIFEST_FILE = "manifest.csv"
INFO_FILE = "dataset.json"
DATASET_ENTRIES = (AUDIO_DIR, MANIFEST_FILE, INFO_FILE)  # everything a dataset folder holds
CREATED_BY = "samplernn prepare"  # dataset.json's `created_by`: marks a folder `prepare` may replace


@dataclass
class PreparedDataset:
    """A prepared bank: its notes, sample rate, statistics and the settings that made it."""

    root: Path
    sample_rate: int
    notes: list[NoteRecord]
    stats: BankStats
    info: dict[str, Any]

    def split(self, name: str) -> list[NoteRecord]:
        """The notes of one split ('train', 'val' or 'test')."""
        return [n for n in self.notes if n.split == name]

    def load_audio(self, note: NoteRecord) -> np.ndarray:
        """The note's audio as float32 (n_samples,) in [-1, 1]."""
        path = self.root / note.audio
        audio, sr = read_audio(path)
        if sr != self.sample_rate:
            raise UserError(f"{path}: sample rate {sr} Hz, dataset says {self.sample_rate} Hz")
        x = audio.mean(axis=1)
        if x.shape[0] != note.n_samples:
            raise UserError(f"{path}: {x.shape[0]} samples, manifest says {note.n_samples}")
        return x


def write_dataset_info(root: str | Path, info: dict[str, Any]) -> None:
    """Write ROOT/dataset.json: `created_by` first, then `info` (which must hold `sample_rate`)."""
    if "sample_rate" not in info:
        raise ValueError("dataset.json needs a sample_rate")
    write_json(Path(root) / INFO_FILE, {"created_by": CREATED_BY, **info})


def is_dataset_info(path: str | Path) -> bool:
    """True if `path` is a dataset.json that `samplernn prepare` wrote (readable, right `created_by`)."""
    try:
        info = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("created_by") == CREATED_BY


def enclosing_dataset(path: str | Path) -> Path | None:
    """The prepared dataset folder that `path` is or lies in (the nearest folder up the path that
    holds a dataset.json `prepare` wrote), or None. `path` need not exist."""
    here = Path(path).resolve()
    for folder in (here, *here.parents):
        if is_dataset_info(folder / INFO_FILE):
            return folder
    return None


def refuse_writing_in_a_dataset(outputs: Iterable[str | Path]) -> None:
    """UserError naming the first output that lies in a prepared dataset (synth's, render's and
    pack's --out, as evaluate's --plots and --audio folders): the folder is `prepare`'s, whose next
    run into it refuses a file it did not write, and a generated WAV in audio/ could be taken for a
    recorded note. Raised by common.files.refuse_inside, in evaluate's words."""
    for out in outputs:
        root = enclosing_dataset(out)
        if root is not None:
            refuse_inside([out], root, "the dataset")


def load_dataset(root: str | Path) -> PreparedDataset:
    """Read and validate a prepared dataset directory; UserError names the problem."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: not a directory (expected a dataset made by `samplernn prepare`)")
    info_path, manifest_path = root / INFO_FILE, root / MANIFEST_FILE
    for p in (info_path, manifest_path):
        if not p.is_file():
            raise UserError(f"{p}: missing — {root} is not a prepared dataset (run `samplernn prepare`)")
    try:
        info = json.loads(info_path.read_text())
        sample_rate = int(info["sample_rate"])
        stats = BankStats.from_dict(info.get("bank_stats", {"sample_rate": sample_rate}))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{info_path}: malformed dataset.json ({exc})") from None
    notes = read_manifest(manifest_path)
    if not notes:
        raise UserError(f"{manifest_path}: no notes")
    return PreparedDataset(root, sample_rate, notes, stats, info)
