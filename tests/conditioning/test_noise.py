"""The noise floor under a note: measured only where the sound is not (the lead-in before it and the
tail after it, both there, steady, broadband and at one level; or, for a recording that starts on
its sound, the tail alone when it is long and flat), never in the sound itself."""

from __future__ import annotations

import numpy as np
import pytest

from conditioning import DEFAULT_THRESHOLD, envelope
from conditioning.noise import extent_threshold, noise_floor, remove_dc

SR = 44100


def db(level: float) -> float:
    return 10 ** (level / 20)


def hiss(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(round(seconds * SR)) * db(level)).astype(np.float32)


def soft_note(seconds: float = 1.5, amplitude: float = 0.01, at: float = 0.0) -> np.ndarray:
    """A sine from `at` (5 ms attack), held to 1 s after it, then decaying (150 ms time constant)."""
    t = np.arange(round(seconds * SR)) / SR - at
    env = np.where(t < 1.0, np.clip(t / 0.005, 0.0, 1.0), np.exp(-(t - 1.0) / 0.15))
    return (amplitude * env * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def threshold_of(x: np.ndarray) -> tuple[float, float | None]:
    return extent_threshold(x, SR, DEFAULT_THRESHOLD, float(envelope(x).max()))


def sizzle(seconds: float = 1.5, tau: float = 0.35) -> np.ndarray:
    """An open hi-hat: noise from the first sample, decaying slowly (steady over 100 ms, broadband)."""
    t = np.arange(round(seconds * SR)) / SR
    return (hiss(seconds, 0.0, seed=3) * 0.5 * np.exp(-t / tau)).astype(np.float32)


def test_an_open_hats_sizzle_is_not_a_noise_floor():
    assert threshold_of(sizzle()) == (DEFAULT_THRESHOLD, None)


def test_a_sound_cut_while_it_still_rings_has_no_floor_at_its_end():
    """Hiss before the hat, but the file ends in the sizzle: the tail is the sound's own decay."""
    x = np.concatenate([hiss(0.1, -70.0), sizzle(0.6) + hiss(0.6, -70.0, seed=1)])
    assert noise_floor(x, SR) is None


def test_quantisation_noise_of_a_soft_note_is_not_a_floor():
    """A soft note rendered to dithered 16-bit audio from its first sample (as NSynth's are)."""
    x = soft_note(2.0)
    dither = np.random.default_rng(2).triangular(-1.0, 0.0, 1.0, x.size)
    x16 = (np.round(x * 32768 + dither) / 32768).astype(np.float32)
    assert threshold_of(x16) == (DEFAULT_THRESHOLD, None)


def test_hiss_before_and_after_a_quiet_note_is_its_floor():
    x = soft_note(2.0, at=0.2) + hiss(2.0, -75.0)
    share, floor = threshold_of(x)
    assert 20 * np.log10(floor) == pytest.approx(-75.0, abs=1.0)
    assert share == pytest.approx(floor * db(16.0) / float(envelope(x).max()))


@pytest.mark.parametrize("case", ["faded out", "tonal hum", "louder after", "no lead-in, short tail"])
def test_no_floor_unless_the_same_steady_hiss_is_before_and_after(case):
    t = np.arange(round(2.0 * SR)) / SR
    x = soft_note(2.0, at=0.2) + hiss(2.0, -75.0)
    if case == "faded out":  # an editor's fade to digital silence: nothing to measure after the note
        x[t > 1.6] = 0.0
    elif case == "tonal hum":
        x = soft_note(2.0, at=0.2) + (db(-70.0) * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    elif case == "louder after":  # hiss 12 dB louder after the note than before it
        x = x + np.where(t > 1.3, hiss(2.0, -63.0, seed=4), 0.0).astype(np.float32)
    else:  # a lead-in of 20 ms, and 0.3 s of hiss after the note: too short to take alone
        x = soft_note(1.8, at=0.02) + hiss(1.8, -75.0)
    assert noise_floor(x, SR) is None


@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_a_sample_trimmed_at_its_attack_takes_its_floor_from_its_tail(sr):
    """No lead-in (the file starts on the attack, as libraries ship samples): 1.5 s of the same hiss
    after the note is its floor."""
    t = np.arange(round(3.0 * sr)) / sr
    env = np.where(t < 1.0, np.clip(t / 0.005, 0.0, 1.0), np.exp(-(t - 1.0) / 0.15))
    noise = np.random.default_rng(5).standard_normal(t.size) * db(-75.0)
    x = 0.01 * env * np.sin(2 * np.pi * 440 * t) + noise
    floor = noise_floor(x.astype(np.float32), sr)
    assert floor is not None and 20 * np.log10(floor) == pytest.approx(-75.0, abs=1.0)


def ringing(rate_db_s: float, seconds: float = 4.0, tonal: bool = False) -> np.ndarray:
    """A hit from the first sample: 30 dB down over 0.3 s, then decaying `rate_db_s` dB/s to the
    file's end; broadband (a cymbal) or two partials with 16-bit dither under them (a piano)."""
    t = np.arange(round(seconds * SR)) / SR
    level = np.where(t < 0.3, -100.0 * t, -30.0 - rate_db_s * (t - 0.3))
    if tonal:
        source = np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 331 * t)
        source += np.random.default_rng(7).triangular(-1.0, 0.0, 1.0, t.size) / (0.5 * 32768 * db(level))
    else:
        source = np.random.default_rng(6).standard_normal(t.size)
    return (0.5 * db(level) * source).astype(np.float32)


@pytest.mark.parametrize("rate", [2.0, 3.0, 5.0, 10.0])
@pytest.mark.parametrize("tonal", [False, True], ids=["cymbal", "piano"])
def test_a_decay_still_falling_at_the_files_end_is_no_floor(rate, tonal):
    """Steady within 6 dB over its last 0.6-3 s, broadband for the cymbal, but still falling."""
    assert noise_floor(ringing(rate, tonal=tonal), SR) is None


def test_dc_is_removed_only_when_it_matters():
    x = soft_note(0.5, amplitude=0.5)
    y, dc = remove_dc(x + np.float32(0.1))
    assert dc == pytest.approx(0.1, abs=1e-3) and abs(float(np.mean(y))) < 1e-4
    assert remove_dc(x + np.float32(1e-5)) == (pytest.approx(x + np.float32(1e-5)), 0.0)
