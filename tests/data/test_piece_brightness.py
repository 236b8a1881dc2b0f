"""A drum piece's brightness: the spectral centroid of its train hits as a MIDI pitch, what the
pitch column reads with `train --piece-brightness`."""

from __future__ import annotations

import numpy as np
import pytest
from support.drum_kit import write_drum_dataset

from samplernn.data.dataset import load_dataset
from samplernn.data.piece_brightness import hit_centroid_hz, hz_to_pitch, piece_brightness

SR = 16000


@pytest.mark.parametrize("hz", [110.0, 440.0, 3000.0])
def test_a_sine_is_as_bright_as_its_frequency(hz):
    t = np.arange(SR // 2) / SR
    decaying = np.exp(-t / 0.1) * np.sin(2 * np.pi * hz * t)
    assert hz_to_pitch(hit_centroid_hz(decaying, SR)) == pytest.approx(hz_to_pitch(hz), abs=0.5)


def test_the_centroid_weighs_power_so_a_faint_hiss_barely_lifts_a_tone():
    t = np.arange(SR // 2) / SR
    tone = np.sin(2 * np.pi * 100 * t)
    hiss = 0.05 * np.random.default_rng(0).standard_normal(len(t))  # -26 dB under the tone's peak
    assert hz_to_pitch(hit_centroid_hz(tone + hiss, SR)) - hz_to_pitch(100.0) < 12.0  # under an octave
    assert hit_centroid_hz(np.zeros(SR // 4), SR) == 0.0
    assert hit_centroid_hz(np.ones(10), SR) >= 0.0  # shorter than one STFT frame: padded, no error


def test_a_kits_pieces_are_ordered_by_how_bright_they_sound(tmp_path):
    kit = load_dataset(write_drum_dataset(tmp_path / "kit"))  # 36 a 70 Hz tone, 38 noise, 42 hiss
    table = piece_brightness(kit)
    assert sorted(table) == [36, 38, 42]
    assert table[36] == pytest.approx(hz_to_pitch(70.0), abs=1.0)
    assert table[36] < table[38] < table[42]
    assert hz_to_pitch(440.0) == 69.0 and hz_to_pitch(880.0) == pytest.approx(81.0)
