"""The noise floor between harmonics, on signals whose floor is known."""

from __future__ import annotations

import numpy as np
import pytest
from support.eval_data import SR

from samplernn.measures.noise import NoiseSettings, between_harmonics, noise_floor_db

F0, AMP = 220.0, 0.5


def _sine_in_noise(sigma: float, n: int = SR, f0: float = F0, seed: int = 0) -> np.ndarray:
    t = np.arange(n) / SR
    return AMP * np.sin(2 * np.pi * f0 * t) + sigma * np.random.default_rng(seed).standard_normal(n)


def _expected(sigma: float) -> float:
    """White noise of variance s² under a sine of amplitude A: 10·log10(s² / (A²/2))."""
    return 10 * np.log10(sigma**2 / (AMP**2 / 2))


@pytest.mark.parametrize("sigma", [1e-4, 1e-3, 1e-2])
def test_white_noise_floor_is_its_level_re_the_harmonic(sigma: float) -> None:
    assert noise_floor_db(_sine_in_noise(sigma), SR, F0) == pytest.approx(_expected(sigma), abs=1.0)


def test_ten_times_the_noise_raises_the_floor_by_20_db() -> None:
    quiet = noise_floor_db(_sine_in_noise(1e-3), SR, F0)
    loud = noise_floor_db(_sine_in_noise(1e-2), SR, F0)
    assert loud - quiet == pytest.approx(20.0, abs=0.5)


def test_harmonics_do_not_count_as_noise() -> None:
    # A sawtooth-like set of strong harmonics adds nothing between them.
    t = np.arange(SR) / SR
    rich = sum(np.sin(2 * np.pi * k * F0 * t) / k for k in range(1, 30)) * AMP
    clean = rich + 1e-3 * np.random.default_rng(0).standard_normal(SR)
    sine = _sine_in_noise(1e-3)
    assert noise_floor_db(clean, SR, F0) == pytest.approx(noise_floor_db(sine, SR, F0), abs=1.0)
    assert noise_floor_db(rich, SR, F0) < -100  # leakage of 29 harmonics stays far below


def test_span_and_resolution_limits() -> None:
    x = _sine_in_noise(1e-3)
    assert noise_floor_db(np.zeros(SR), SR, F0) is None  # silent
    assert noise_floor_db(x, SR, F0, 0, 32) is None  # too short for any frame
    # 1024 samples resolve 220 Hz harmonics 14 bins apart, not 55 Hz ones (3.5 bins).
    assert noise_floor_db(x, SR, F0, 0, 1024) is not None
    assert noise_floor_db(x, SR, 55.0, 0, 1024) is None
    assert noise_floor_db(x, SR, 55.0, 0, 1024, NoiseSettings(min_gap_bins=3)) is not None


def test_between_harmonics_mask() -> None:
    freqs = np.array([0.0, 50.0, 100.0, 110.0, 150.0, 200.0, 310.0])
    assert between_harmonics(freqs, 100.0, 0.3).tolist() == [False, True, False, False, True, False, False]
