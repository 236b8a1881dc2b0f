"""Reading a prepared dataset directory: audio/, manifest.csv, dataset.json.

This is the contract between `prepare` (which writes it) and training / evaluation (which read it).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats, NoteEvent, events_to_conditioning
from samplernn.common.audio import read_audio
from samplernn.common.errors import UserError

MANIFEST_COLUMNS = (
    "id", "audio", "split", "pitch", "velocity", "onset", "release", "end", "n_samples", "source",
)
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class NoteRecord:
    """One row of manifest.csv: a prepared single-note file; positions in samples."""

    id: str
    audio: str
    split: str
    pitch: int
    velocity: int
    onset: int
    release: int
    end: int
    n_samples: int
    source: str

    @property
    def event(self) -> NoteEvent:
        return NoteEvent(self.pitch, self.velocity, self.onset, self.release, self.end)

    def conditioning(self, stats: BankStats | None = None) -> np.ndarray:
        """Per-sample conditioning (n_samples, 5) int32 for this file (level column from `stats`)."""
        return events_to_conditioning([self.event], self.n_samples, stats)


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


def _parse_row(path: Path, line: int, row: dict[str, str]) -> NoteRecord:
    try:
        rec = NoteRecord(
            id=row["id"],
            audio=row["audio"],
            split=row["split"],
            pitch=int(row["pitch"]),
            velocity=int(row["velocity"]),
            onset=int(row["onset"]),
            release=int(row["release"]),
            end=int(row["end"]),
            n_samples=int(row["n_samples"]),
            source=row.get("source", ""),
        )
        rec.event  # validates the positions  # noqa: B018
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path}:{line}: malformed manifest row ({exc})") from None
    if rec.split not in SPLITS:
        raise UserError(f"{path}:{line}: unknown split {rec.split!r} (expected train, val or test)")
    if rec.end > rec.n_samples:
        raise UserError(f"{path}:{line}: note end {rec.end} is past the file's {rec.n_samples} samples")
    return rec


def load_dataset(root: str | Path) -> PreparedDataset:
    """Read and validate a prepared dataset directory; UserError names the problem."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: not a directory (expected a dataset made by `samplernn prepare`)")
    info_path, manifest_path = root / "dataset.json", root / "manifest.csv"
    for p in (info_path, manifest_path):
        if not p.is_file():
            raise UserError(f"{p}: missing — {root} is not a prepared dataset (run `samplernn prepare`)")
    try:
        info = json.loads(info_path.read_text())
        sample_rate = int(info["sample_rate"])
        stats = BankStats.from_dict(info.get("bank_stats", {"sample_rate": sample_rate}))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{info_path}: malformed dataset.json ({exc})") from None
    with manifest_path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise UserError(f"{manifest_path}: missing columns {sorted(missing)}")
        notes = [_parse_row(manifest_path, i, row) for i, row in enumerate(reader, start=2)]
    if not notes:
        raise UserError(f"{manifest_path}: no notes")
    return PreparedDataset(root, sample_rate, notes, stats, info)
