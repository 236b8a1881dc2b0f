"""Pitches a bank lacks are filled by resampled copies of the nearest pitch it has."""

from __future__ import annotations

import numpy as np
import pytest

from samplernn.data.manifest import NoteRecord
from samplernn.data.pitch_fill import fill_plan, missing_pitches, nearest_source, shift_note

SR = 16000


def note(pitch: int, velocity: int = 80, n: int = 16000, split: str = "train") -> NoteRecord:
    return NoteRecord(f"n{pitch}_v{velocity}", f"audio/n{pitch}_v{velocity}.wav", split, pitch, velocity,
                      1000, 9000, 12000, n, "src.wav")


def test_missing_pitches_lie_inside_the_range():
    assert missing_pitches([60, 48, 51, 54, 57]) == [49, 50, 52, 53, 55, 56, 58, 59]
    assert missing_pitches([]) == [] and missing_pitches([60]) == []


def test_the_nearest_source_is_one_pitch_the_lower_when_equally_near():
    have = {48, 51, 55}
    assert nearest_source(49, have, 2) == 48
    assert nearest_source(50, have, 2) == 51
    assert nearest_source(53, have, 2) == 51  # two away on both sides: the lower
    assert nearest_source(53, have, 1) is None  # too far for a shift of one


def test_a_shift_of_a_semitone_raises_the_pitch_and_shortens_the_note():
    t = np.arange(16000) / SR
    x = (0.5 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    rec, y = shift_note(note(57), x, 1, SR)
    ratio = 2 ** (1 / 12)
    assert rec.pitch == 58 and rec.id == "n57_v80@+1" and rec.velocity == 80
    assert rec.n_samples == len(y) and abs(len(y) - 16000 / ratio) <= 2
    assert (rec.onset, rec.release, rec.end) == tuple(round(p / ratio) for p in (1000, 9000, 12000))
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak_hz = np.argmax(spectrum) * SR / len(y)
    assert abs(peak_hz - 220.0 * ratio) < 1.5  # 233.1 Hz, not 220
    down, z = shift_note(note(57), x, -2, SR)
    assert down.pitch == 55 and len(z) > len(x) and down.end <= down.n_samples


def test_a_shift_out_of_the_midi_range_is_refused():
    with pytest.raises(ValueError, match="pitch"):
        shift_note(note(127), np.zeros(1000, np.float32), 1, SR)


def test_the_plan_copies_every_layer_of_the_source_pitch():
    notes = [note(p, v) for p in (48, 51) for v in (40, 100)]
    plan = fill_plan(notes, 2)
    assert sorted((n.pitch, n.velocity, k) for n, k in plan) == [
        (48, 40, 1), (48, 100, 1), (51, 40, -1), (51, 100, -1),
    ]
    assert fill_plan(notes, 0) == [] and fill_plan([note(48), note(52)], 1) == [(note(48), 1), (note(52), -1)]
