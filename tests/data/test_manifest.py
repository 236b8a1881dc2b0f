"""The dataset folder contract: manifest.csv and dataset.json written and read back by samplernn.data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samplernn.common.errors import UserError
from samplernn.data.dataset import CREATED_BY, INFO_FILE, is_dataset_info, write_dataset_info
from samplernn.data.manifest import (
    MANIFEST_COLUMNS,
    NoteRecord,
    note_audio_path,
    read_manifest,
    write_manifest,
)


def _record(note_id: str, split: str = "train", **changes: int) -> NoteRecord:
    fields = {"pitch": 60, "velocity": 100, "onset": 400, "release": 4000, "end": 5000, "n_samples": 6000}
    fields.update(changes)
    return NoteRecord(note_id, note_audio_path(note_id), split, source=f"{note_id}.wav", **fields)


def test_manifest_round_trip(tmp_path: Path) -> None:
    records = [_record("a"), _record("b, with a comma", "test", pitch=48)]
    write_manifest(tmp_path / "manifest.csv", records)
    assert (tmp_path / "manifest.csv").read_text().splitlines()[0] == ",".join(MANIFEST_COLUMNS)
    assert read_manifest(tmp_path / "manifest.csv") == records
    assert records[0].audio == "audio/a.wav"


@pytest.mark.parametrize("row, fragment", [
    (_record("x", "dev"), "unknown split 'dev'"),
    (_record("x", end=7000), "past the file's 6000 samples"),
])
def test_manifest_reader_names_the_bad_line(tmp_path: Path, row: NoteRecord, fragment: str) -> None:
    write_manifest(tmp_path / "manifest.csv", [_record("ok"), row])
    with pytest.raises(UserError, match=fragment) as info:
        read_manifest(tmp_path / "manifest.csv")
    assert "manifest.csv:3:" in str(info.value)


def test_dataset_info_is_marked_as_ours(tmp_path: Path) -> None:
    write_dataset_info(tmp_path, {"sample_rate": 16000, "counts": {"notes": 0}})
    info = json.loads((tmp_path / INFO_FILE).read_text())
    assert list(info)[:2] == ["created_by", "sample_rate"] and info["created_by"] == CREATED_BY
    assert is_dataset_info(tmp_path / INFO_FILE)
    (tmp_path / "other.json").write_text('{"sample_rate": 16000}')
    assert not is_dataset_info(tmp_path / "other.json") and not is_dataset_info(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="sample_rate"):
        write_dataset_info(tmp_path, {})


def test_a_note_file_missing_from_a_dataset_is_said_to_be_missing(tmp_path: Path) -> None:
    from support.synth_data import write_synth_dataset

    from samplernn.data.dataset import load_dataset

    dataset = load_dataset(write_synth_dataset(tmp_path / "bank"))
    note = dataset.notes[0]
    (dataset.root / note.audio).unlink()
    with pytest.raises(UserError, match=f"{note.audio}: no such file$"):  # was libsndfile's "System error."
        dataset.load_audio(note)
