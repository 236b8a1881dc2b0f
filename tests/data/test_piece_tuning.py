"""A tonal drum piece's resonance: the strongest peak of its train hits' bodies, what the
oscillator runs at with `train --piece-tuning`; pieces without one get none."""

from __future__ import annotations

import numpy as np
import pytest
from support.drum_kit import write_drum_dataset

from samplernn.data.dataset import load_dataset
from samplernn.data.piece_tuning import piece_tuning
from samplernn.measures.resonance import TONAL_SHARE, body_power, in_tune, resonance

SR = 16000


def strike(hz: float, noise: float, seed: int = 0) -> np.ndarray:
    """A stick's 20 ms noise burst, then a 0.3 s decaying sine at `hz` under `noise` white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(SR) / SR
    out = np.exp(-t / 0.3) * (np.sin(2 * np.pi * hz * t) + noise * rng.standard_normal(len(t)))
    out[: SR // 50] += rng.standard_normal(SR // 50)
    return out


@pytest.mark.parametrize("hz", [41.5, 136.2, 1183.6])
def test_a_ringing_body_is_found_at_its_frequency_however_loud_the_strike(hz):
    peak, share = resonance(*body_power(strike(hz, 0.05), SR))
    assert peak == pytest.approx(hz, rel=0.005)  # within a tenth of a semitone
    # a 0.47 s Hann window's main lobe is ±4.3 Hz: wider than ±3 % of a bass drum's 41.5 Hz
    assert share > (0.5 if hz < 100 else 0.8)
    assert in_tune((peak, share), hz * 2 ** (40 / 1200)) and not in_tune((peak, share), hz * 2 ** (60 / 1200))
    assert not in_tune((peak, 0.2), hz)  # in tune but hardly ringing: a rumble's loudest bin


def test_noise_has_no_resonance_and_a_silent_body_no_error():
    noise = np.random.default_rng(1).standard_normal(SR)
    assert resonance(*body_power(noise, SR))[1] < TONAL_SHARE
    power, hz = body_power(np.zeros(SR // 100), SR)  # shorter than the body, silent: padded
    assert not power.any() and len(power) == len(hz)
    assert resonance(power, hz)[1] == 0.0


def test_a_kit_lists_its_tonal_pieces_alone():
    # support.drum_kit: 36 a 70 Hz tone, 38 white noise over a 190 Hz sine, 42 a hiss
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        table = piece_tuning(load_dataset(write_drum_dataset(Path(tmp) / "kit", {"train": 1, "val": 1})))
    assert list(table) == [36]
    assert table[36] == pytest.approx(70.0, abs=0.5)
