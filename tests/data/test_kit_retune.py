"""A drum kit's hits are retuned down and up as extra training hits of the same piece."""

from __future__ import annotations

import numpy as np
import pytest

from samplernn.data.kit_retune import retune_plan
from samplernn.data.manifest import NoteRecord
from samplernn.data.pitch_fill import shift_note

SR = 16000


def hit(key: int, velocity: int = 100) -> NoteRecord:
    return NoteRecord(f"k{key}_v{velocity}", f"audio/k{key}_v{velocity}.wav", "train", key, velocity,
                      800, 1000, 8000, 8000, "kit.wav")


def test_every_hit_gets_a_copy_down_and_one_up():
    hits = [hit(36), hit(38, 40)]
    assert retune_plan(hits, 0.5) == [(hits[0], -0.5), (hits[0], 0.5), (hits[1], -0.5), (hits[1], 0.5)]
    assert retune_plan(hits, 0.0) == []


def test_a_retuned_hit_keeps_its_piece_and_moves_its_pitch():
    t = np.arange(8000) / SR
    x = (0.5 * np.sin(2 * np.pi * 200.0 * t)).astype(np.float32)
    rec, y = shift_note(hit(38), x, 0.5, SR, keep_pitch=True)
    ratio = 2 ** (0.5 / 12)
    assert rec.pitch == 38 and rec.velocity == 100 and rec.id == "k38_v100@+0.5"
    assert rec.n_samples == len(y) and abs(len(y) - 8000 / ratio) <= 2
    assert rec.onset == round(800 / ratio) and rec.end <= rec.n_samples
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert abs(np.argmax(spectrum) * SR / len(y) - 200.0 * ratio) < 2.5  # 205.9 Hz, not 200


def test_a_pitched_note_cannot_move_by_part_of_a_semitone():
    with pytest.raises(ValueError, match="not a MIDI note"):
        shift_note(hit(60), np.zeros(8000, np.float32), 0.5, SR)
