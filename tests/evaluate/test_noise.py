"""The noise floor in `evaluate`: real notes, real notes after the model's quantisation, generated
notes with a known amount of white noise between their harmonics."""

from __future__ import annotations

import numpy as np
import pytest
from support.eval_data import velocity_amp

from samplernn.evaluate.noise import quantize_roundtrip
from samplernn.evaluate.run import evaluate_model


def test_quantize_roundtrip() -> None:
    x = np.linspace(-1, 1, 10001, dtype=np.float32)
    mu = quantize_roundtrip(x)
    # 8-bit mu-law steps are widest at full scale, finest near silence.
    assert mu.dtype == np.float32 and np.abs(mu - x).max() < 0.04
    assert np.abs(mu[4990:5010] - x[4990:5010]).max() < 1e-3
    assert np.abs(quantize_roundtrip(x, (65536, "linear")) - x).max() < 2e-5


def _floors(dataset, stats, generate) -> dict:
    r = evaluate_model(None, dataset, "test", max_notes=2, generate=generate, stats=stats,
                       missing_pitches=False, sweep_velocities=False).report
    return r["noise_floor"]


def test_white_noise_raises_the_generated_floor_by_the_expected_db(long_dataset, bank_stats, fakes) -> None:
    quiet = _floors(long_dataset, bank_stats, fakes.noisy(1e-3))
    loud = _floors(long_dataset, bank_stats, fakes.noisy(1e-2))
    # Both notes are at velocity 40: a sine of amplitude A under noise s: 10·log10(s² / (A²/2)).
    amp = velocity_amp(40)
    expected = 10 * np.log10(1e-3**2 / (amp**2 / 2))
    assert quiet["generated"]["n_notes"] == 2
    assert quiet["generated"]["median_db"] == pytest.approx(expected, abs=1.5)
    assert loud["generated"]["median_db"] - quiet["generated"]["median_db"] == pytest.approx(20, abs=1)
    # The real notes do not depend on the generator: 16-bit files far below their 8-bit mu-law copies.
    assert loud["real"] == quiet["real"] and loud["real_quantized"] == quiet["real_quantized"]
    assert quiet["real"]["median_db"] < -75 and -50 < quiet["real_quantized"]["median_db"] < -30
    assert quiet["quantization"] == "256-level mu-law"


def test_short_notes_are_not_measured(fakes) -> None:
    from samplernn.evaluate.noise import noise_summary

    s = noise_summary([{"real": None, "real_quantized": None, "generated": None}], (256, "mu-law"))
    assert s["real"] == {"median_db": None, "n_notes": 0}
