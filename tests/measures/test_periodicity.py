"""The periodicity score the onset search ranks candidates by."""

from __future__ import annotations

import numpy as np
import pytest

from samplernn.measures.periodicity import difference_function, periodicity_score

SR = 16000


def tone(freq: float, n: int = 2400, harmonics: int = 6) -> np.ndarray:
    t = np.arange(n) / SR
    return sum(np.sin(2 * np.pi * k * freq * t + k) / k for k in range(1, harmonics + 1))


def test_difference_function_is_yins_cumulative_mean_normalised_difference() -> None:
    x = np.random.default_rng(0).standard_normal(300)
    max_lag = 40
    n = len(x) - max_lag
    d = np.array([np.sum((x[:n] - x[t : t + n]) ** 2) for t in range(max_lag + 1)])
    want = np.ones(max_lag + 1)
    want[1:] = d[1:] / (np.cumsum(d[1:]) / np.arange(1, max_lag + 1))
    np.testing.assert_allclose(difference_function(x, max_lag), want, rtol=1e-9, atol=1e-9)


def test_difference_function_refuses_a_signal_too_short_for_its_lags() -> None:
    with pytest.raises(ValueError, match="too short"):
        difference_function(np.ones(10), 9)


@pytest.mark.parametrize("freq", [82.4, 146.8, 349.2])
def test_the_wanted_pitch_scores_far_above_octave_twelfth_noise_and_silence(freq: float) -> None:
    period = SR / freq
    right = periodicity_score(tone(freq), period)
    assert right > 0.6
    wrong = {
        "octave up": tone(2 * freq),
        "twelfth up": tone(3 * freq),
        "octave down": tone(freq / 2),
        "noise": np.random.default_rng(1).standard_normal(2400),
    }
    for name, x in wrong.items():
        assert periodicity_score(x, period) < right - 0.4, name
    assert periodicity_score(np.zeros(2400), period) == 0.0


def test_a_slightly_mistuned_tone_within_50_cents_still_scores_high() -> None:
    period = SR / 110.0
    assert periodicity_score(tone(110.0 * 2 ** (40 / 1200)), period) > 0.6


def test_too_short_a_span_scores_zero_and_a_tiny_period_is_refused() -> None:
    assert periodicity_score(tone(110.0, n=200), SR / 110.0) == 0.0
    with pytest.raises(ValueError, match="period"):
        periodicity_score(tone(110.0), 2.0)
