"""The nsynth layout: examples.json + audio/, filters by instrument, family and source, the fixed
note-off at 3 s, and a reason for every entry that cannot be used."""

from __future__ import annotations

import json

import pytest
from support.audio import tone, write_audio

from samplernn.common.errors import UserError
from samplernn.prepare.sources import NsynthFilter, nsynth_notes, to_discovery

SR = 16000


def entry(instrument: str, pitch: int, velocity: int) -> dict:
    family, source, _ = instrument.rsplit("_", 2) if instrument.count("_") >= 2 else (instrument, "x", "0")
    return {"pitch": pitch, "velocity": velocity, "sample_rate": SR, "instrument_str": instrument,
            "instrument_family_str": family, "instrument_source_str": source, "qualities_str": []}


@pytest.fixture
def split(tmp_path):
    """A tiny NSynth split: two instruments of two families, short notes (real ones last 4 s)."""
    root = tmp_path / "nsynth-test"
    notes = {
        "bass_synthetic_033-045-100": entry("bass_synthetic_033", 45, 100),
        "bass_synthetic_033-045-050": entry("bass_synthetic_033", 45, 50),
        "guitar_acoustic_010-060-075": entry("guitar_acoustic_010", 60, 75),
        "guitar_acoustic_021-062-127": entry("guitar_acoustic_021", 62, 127),
    }
    for key, e in notes.items():
        write_audio(root / "audio" / f"{key}.wav", tone(SR, e["pitch"], 0.0, 0.3, tail=0.1), SR)
    (root / "examples.json").write_text(json.dumps(notes))
    return root


def test_pitch_velocity_and_release_come_from_the_json(split):
    found = nsynth_notes(split)
    assert found.layout == "nsynth" and not found.failures
    assert [(n.pitch, n.velocity) for n in found.notes] == [(45, 50), (45, 100), (60, 75), (62, 127)]
    assert all(n.release == 3.0 and n.aligned and n.described_by.name == "examples.json" for n in found.notes)
    assert found.notes[0].source == "audio/bass_synthetic_033-045-050.wav"


def test_filters(split, tmp_path):
    assert len(nsynth_notes(split, NsynthFilter(families=("guitar",))).notes) == 2
    assert len(nsynth_notes(split, NsynthFilter(instruments=("guitar_acoustic_01*",))).notes) == 1
    assert len(nsynth_notes(split, NsynthFilter(sources=("synthetic",))).notes) == 2
    assert len(nsynth_notes(tmp_path).notes) == 4  # a folder of splits
    with pytest.raises(UserError, match="families: bass, guitar"):
        nsynth_notes(split, NsynthFilter(families=("organ",)))


def test_bad_entries_are_failures(split):
    data = json.loads((split / "examples.json").read_text())
    data["bass_synthetic_033-200-100"] = entry("bass_synthetic_033", 200, 100)
    data["bass_synthetic_033-050-000"] = entry("bass_synthetic_033", 50, 0)
    data["bass_synthetic_033-047-100"] = entry("bass_synthetic_033", 47, 100)  # no audio file
    data["junk"] = [1, 2]
    (split / "examples.json").write_text(json.dumps(data))
    found = nsynth_notes(split)
    assert len(found.notes) == 4
    reasons = {f.source: f.message for f in found.failures}
    assert "pitch 200 is not a MIDI number" in reasons["examples.json#bass_synthetic_033-200-100"]
    assert "velocity 0 is not in 1..127" in reasons["examples.json#bass_synthetic_033-050-000"]
    assert "missing audio file" in reasons["examples.json#bass_synthetic_033-047-100"]
    assert "not a JSON object" in reasons["examples.json#junk"]


def test_not_an_nsynth_folder(tmp_path):
    with pytest.raises(UserError, match="no examples.json"):
        nsynth_notes(tmp_path)
    (tmp_path / "examples.json").write_text("{not json")
    with pytest.raises(UserError, match="unreadable NSynth examples file"):
        nsynth_notes(tmp_path)
    (tmp_path / "examples.json").write_text("[]")
    with pytest.raises(UserError, match="expected a JSON object"):
        nsynth_notes(tmp_path)


def test_nsynth_notes_are_aligned_jobs_released_at_three_seconds(split):
    out = to_discovery(nsynth_notes(split, NsynthFilter(instruments=("guitar_acoustic_010",))))
    job = out.jobs[0]
    assert (job.pitch, job.velocity, job.on, job.off, job.synced) == (60, 75, 0.0, 3.0, True)
    assert job.midi.name == "examples.json" and job.window is None
