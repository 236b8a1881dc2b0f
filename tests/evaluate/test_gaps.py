"""What the bank lacks: semitones missing within its range and velocities between its layers,
scored with fake generators whose answers are known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support.eval_data import tone, velocity_amp

from conditioning import BankStats
from samplernn.evaluate.gaps import (
    MISSING_HELD_S,
    bank_layers,
    between_copies,
    missing_pitch_streams,
    missing_pitches,
)
from samplernn.evaluate.run import evaluate_model

SR = 16000


def test_bank_layers_and_missing_pitches(long_dataset, bank_stats) -> None:
    layers = bank_layers(bank_stats)
    assert layers == {48: [40, 80, 120], 55: [40, 80, 120]}
    assert bank_layers(BankStats(SR), long_dataset.notes) == layers  # empty statistics: the notes
    assert missing_pitches(layers) == [49, 50, 51, 52, 53, 54]
    assert missing_pitches({}) == [] and missing_pitches({60: [80], 61: [80]}) == []


def test_missing_pitch_streams(bank_stats) -> None:
    specs = missing_pitch_streams({48: [40, 80, 120], 55: [100]}, bank_stats, SR, 4000, 8000)
    assert [s.event.pitch for s in specs] == [49, 50, 51, 52, 53, 54]
    # The middle layer of the nearest pitch (the lower one on a tie: 48 for 51).
    assert [s.event.velocity for s in specs] == [80, 80, 80, 100, 100, 100]
    ev = specs[0].event
    assert ev.onset == 4000 and ev.release - ev.onset == round(MISSING_HELD_S * SR)
    assert ev.end - ev.release == bank_stats.release_tail(49, 80) and len(specs[0].cond) == ev.end + 8000


def test_between_copies(long_dataset) -> None:
    records = sorted(long_dataset.split("test"), key=lambda r: (r.pitch, r.velocity))
    copies = between_copies(records, long_dataset.notes)
    assert [(c.pitch, c.velocity) for c in copies] == [(48, 60), (48, 100), (55, 60), (55, 100)]
    first = records[0]
    assert copies[0].id == f"{first.id}@v60" and (copies[0].onset, copies[0].end) == (first.onset, first.end)
    # Layers less than 2 apart have no velocity between them.
    assert between_copies(records[:1], [records[0], dataclasses.replace(records[0], velocity=41)]) == []


def test_oracle_plays_missing_semitones_and_between_velocities(long_dataset, bank_stats, fakes) -> None:
    r = evaluate_model(None, long_dataset, "test", max_notes=2, generate=fakes.oracle(),
                       stats=bank_stats).report
    missing = r["missing_pitches"]
    assert missing["pitches"] == [49, 50, 51, 52, 53, 54] and missing["n_notes"] == 6
    assert missing["pitch"]["accuracy"] == 1.0 and missing["length"]["median_abs_ms"] < 6
    between = r["between_velocities"]
    assert between["share"] == 1.0 and between["n_pitches"] == 2 and between["note_share"] == 1.0
    cell = between["per_pitch"]["48"][0]
    assert (cell["velocity"], cell["low"], cell["high"]) == (60, 40, 80)
    assert cell["low_db"] < cell["rms_db"] < cell["high_db"]
    bars = {b["name"]: b["passed"] for b in r["bars"]}
    assert bars["missing-pitch accuracy"] is True and bars["in-between velocities"] is True


def _snap_and_flat(conds: list[np.ndarray]) -> list[np.ndarray]:
    """Plays every note at the bank's nearest pitch (48 or 55), every velocity at one level."""
    out = []
    for c in conds:
        active = np.flatnonzero(c[:, 0] > 0)
        onset, end = int(active[0]), int(active[-1]) + 1
        pitch = min((48, 55), key=lambda p: (abs(p - int(c[onset, 0])), p))
        out.append(tone(pitch, len(c), onset, onset + (end - onset) * 3 // 4, end, velocity_amp(80)))
    return out


def test_snapping_flat_generator_misses_by_the_known_cents(long_dataset, bank_stats) -> None:
    r = evaluate_model(None, long_dataset, "test", max_notes=2, generate=_snap_and_flat,
                       stats=bank_stats).report
    p = r["missing_pitches"]["pitch"]
    assert p["accuracy"] == 0.0 and p["kinds"]["other"] == 6
    # 49 … 51 played at 48, 52 … 54 at 55 (pYIN's bins are 10 cents apart).
    assert p["misses_cents"] == pytest.approx([-300, -200, -100, 100, 200, 300], abs=11)
    assert r["between_velocities"]["share"] == 0.0  # one level for all: nothing lies strictly between
    bars = {b["name"]: b["passed"] for b in r["bars"]}
    assert bars["missing-pitch accuracy"] is False and bars["in-between velocities"] is False


def test_between_velocities_not_swept_read_as_not_measured() -> None:
    """With --no-velocity-sweep the row read "— of 0 pitches (— of notes)", as if the bank had no
    velocity between its layers; it now says the notes were not generated, and why."""
    from rich.console import Console

    from samplernn.evaluate.view_gaps import gaps_table

    report = {"settings": {"velocity_sweep": False}, "missing_pitches": None,
              "between_velocities": {"share": None, "n_pitches": 0, "note_share": None, "per_pitch": {}},
              "bars": [{"name": "in-between velocities", "value": None, "target": ">= 80% of pitches",
                        "passed": None}]}
    console = Console(record=True, width=200)
    console.print(gaps_table(report))
    text = console.export_text()
    assert "not measured (--no-velocity-sweep)" in text and "of 0 pitches" not in text
