"""manifest.csv, one row per prepared note: the row type, its reader and its writer.

    id,audio,split,pitch,velocity,onset,release,end,n_samples,source
    c4_v100,audio/c4_v100.wav,train,60,100,4000,8800,10400,12400,c4_v100.wav

Positions (onset = note-on, release = note-off, end = audible end, exclusive) are samples of the
note's own file; `audio` is relative to the dataset folder; `source` names the recording it came from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conditioning import BankStats, NoteEvent, events_to_conditioning
from samplernn.common.errors import UserError
from samplernn.common.files import writing

MANIFEST_COLUMNS = (
    "id", "audio", "split", "pitch", "velocity", "onset", "release", "end", "n_samples", "source",
)
SPLITS = ("train", "val", "test")
AUDIO_DIR = "audio"  # the notes' WAV files, inside the dataset folder


def note_audio_path(note_id: str) -> str:
    """Where a note's WAV lives, relative to the dataset folder: audio/<id>.wav."""
    return f"{AUDIO_DIR}/{note_id}.wav"


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


def read_manifest(path: str | Path) -> list[NoteRecord]:
    """Every row of a manifest.csv, validated; UserError names the file, line and problem."""
    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise UserError(f"{path}: missing columns {sorted(missing)}")
        return [_parse_row(path, i, row) for i, row in enumerate(reader, start=2)]


def write_manifest(path: str | Path, records: Iterable[NoteRecord]) -> None:
    """Write `records` as manifest.csv (header MANIFEST_COLUMNS, one row per note, in order);
    UserError naming `path` when it cannot be written."""
    with writing(path), Path(path).open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(MANIFEST_COLUMNS)
        for r in records:
            writer.writerow([r.id, r.audio, r.split, r.pitch, r.velocity, r.onset, r.release, r.end,
                             r.n_samples, r.source])
