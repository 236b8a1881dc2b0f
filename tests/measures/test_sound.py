"""Sound measures on signals with known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from support.eval_data import SR, tone

from samplernn.measures import sound as measures

N, ONSET, RELEASE, END = 8000, 800, 4800, 6400


def test_sine_pitch_within_cents() -> None:
    x = tone(57, N, ONSET, RELEASE, END)
    f0, cents = measures.note_pitch_cents(x, SR, 57, ONSET, RELEASE, END)
    assert f0 == pytest.approx(220.0, rel=0.005)
    assert abs(cents) < 6  # pYIN bins are 10 cents apart


def test_pitch_one_semitone_off_fails() -> None:
    x = tone(58, N, ONSET, RELEASE, END)
    _, cents = measures.note_pitch_cents(x, SR, 57, ONSET, RELEASE, END)
    assert cents == pytest.approx(100, abs=5)
    assert abs(cents) > measures.PitchSettings().tolerance_cents


def test_a_tone_exactly_50_cents_off_is_in_tune() -> None:
    """pYIN's f0 lies on a 10-cent grid about the pitch: a tone a quarter-tone sharp or flat
    measures 50 cents, which is within ±50 whatever the float rounding of the logarithm."""
    for sign in (1, -1):
        hz = 220.0 * 2.0 ** (sign * 50 / 1200)
        assert abs(measures.cents_between(hz, 57)) == 50.0
        assert measures.pitch_error_kind(measures.cents_between(hz, 57)) == "ok"
    # an f0 pYIN reported for an E3 in an evaluation: 1200·log2 alone gives 50.00000000000008
    assert measures.cents_between(169.64319079487348, 52) == 50.0


def test_silence_is_unvoiced() -> None:
    assert measures.note_pitch_cents(np.zeros(N, np.float32), SR, 57, ONSET, RELEASE, END) == (None, None)


def test_sustain_region() -> None:
    assert measures.sustain_region(800, 8000, 9000, SR) == (800 + int(0.08 * SR), 8000)
    assert measures.sustain_region(0, 40000, 48000, SR) == (1280, 1280 + SR)  # at most 1 s
    # A short note keeps at most a quarter of its held part as attack and still gets one frame.
    a, b = measures.sustain_region(1000, 1200, 5000, SR)
    assert a == 1050 and b - a == 1024


def test_audible_end_of_envelope() -> None:
    x = tone(57, N, ONSET, RELEASE, END)
    assert abs(measures.audible_end(x) - END) <= SR * 0.002
    assert measures.end_error_ms(x, ONSET, END, SR) < 2.0
    assert measures.end_error_ms(x, ONSET, END - 800, SR) == pytest.approx(50.0, abs=2.0)


def test_silent_note_ends_at_onset() -> None:
    silent = np.zeros(N, np.float32)
    assert measures.audible_end(silent) is None
    assert measures.end_error_ms(silent, ONSET, END, SR) == pytest.approx((END - ONSET) / SR * 1000)


def test_clipping_and_dc() -> None:
    x = tone(57, N, ONSET, RELEASE, END, amp=0.5)
    assert measures.clip_share(x) == 0.0
    clipped = np.clip(3 * x, -1, 1)
    assert measures.clip_share(clipped) > 0.1
    assert abs(measures.dc_offset(x)) < 1e-3
    assert measures.dc_offset(x + 0.1) == pytest.approx(0.1, abs=1e-3)


def test_rms_of_sine() -> None:
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)
    assert measures.rms(x) == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)
    assert measures.to_db(1.0) == 0.0 and measures.to_db(0.0) == -120.0


def test_rises_with_velocity() -> None:
    assert measures.rises_with_velocity([40, 80, 120], [0.1, 0.2, 0.3]) is True
    assert measures.rises_with_velocity([120, 40, 80], [0.3, 0.1, 0.2]) is True  # order-free
    assert measures.rises_with_velocity([40, 80, 120], [0.3, 0.2, 0.1]) is False
    assert measures.rises_with_velocity([40, 80, 120], [0.1, 0.3, 0.2]) is False
    assert measures.rises_with_velocity([40, 40, 80], [0.1, 0.5, 0.4]) is True  # medians 0.3 < 0.4
    assert measures.rises_with_velocity([80, 80], [0.1, 0.2]) is None


def test_timbre_distance() -> None:
    saw = tone(48, N, ONSET, RELEASE, END, wave="sawtooth")
    sine = tone(48, N, ONSET, RELEASE, END, wave="sine")
    assert measures.timbre_distance(saw, saw, SR, ONSET, END) == pytest.approx(0.0, abs=1e-9)
    assert measures.timbre_distance(sine, saw, SR, ONSET, END) > 10.0
    # The baseline of a sawtooth note is nearly the note itself; of a sine note, far from it.
    base = measures.sawtooth_baseline(saw, 48, ONSET, END, SR)
    assert measures.rms(base, ONSET, END) == pytest.approx(measures.rms(saw, ONSET, END), rel=1e-3)
    assert measures.timbre_distance(base, saw, SR, ONSET, END) < 3.0
    base = measures.sawtooth_baseline(sine, 48, ONSET, END, SR)
    assert measures.timbre_distance(base, sine, SR, ONSET, END) > 10.0


def test_sawtooth_is_band_limited() -> None:
    x = measures.sawtooth(1000.0, SR, SR)
    spectrum = np.abs(np.fft.rfft(x))
    assert np.abs(x).max() == pytest.approx(1.0, abs=1e-6)
    assert spectrum[1000] > 100 * spectrum[1500]  # harmonics only, nothing between them
    assert spectrum[8000] < 1e-3 * spectrum[1000]  # nothing at Nyquist (7 harmonics below 8 kHz)


def test_pitch_error_kind() -> None:
    kind = measures.pitch_error_kind
    assert [kind(c) for c in (0.0, -49.0, 50.0)] == ["ok"] * 3
    assert [kind(c) for c in (1200.0, -1180.0, 2420.0)] == ["octave"] * 3
    assert [kind(c) for c in (100.0, 1900.0, 1260.0, -700.0)] == ["other"] * 4
    assert kind(None) == "unvoiced"
    assert kind(80.0, tolerance=100.0) == "ok"


def test_end_offset_is_signed() -> None:
    x = tone(57, N, ONSET, RELEASE, END)
    assert measures.end_offset_ms(x, ONSET, END - 800, SR) == pytest.approx(50.0, abs=2.0)  # late
    assert measures.end_offset_ms(x, ONSET, END + 800, SR) == pytest.approx(-50.0, abs=2.0)  # early


def test_low_notes_are_tracked_without_a_librosa_warning() -> None:
    # C2 − span reaches below two periods per 1024-sample frame at 16 kHz: the search floor binds
    sr = 16000
    x = np.sin(2 * np.pi * 65.406 * np.arange(sr) / sr).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f0 = measures.median_f0(x, sr, 36, 0, sr)
    assert f0 is not None and abs(1200 * np.log2(f0 / 65.406)) < 50


def test_settle_of_a_tone_in_tune_from_note_on_is_its_first_frame() -> None:
    x = tone(57, N, ONSET, RELEASE, END)
    first_centre = 512 / 2 * 1000 / SR  # 16 ms: ~32-ms frames at 16 kHz
    assert measures.settle_ms(x, SR, 57, ONSET, RELEASE) == pytest.approx(first_centre)


def test_settle_waits_for_the_octave_to_give_way() -> None:
    # 0.15 s an octave up, then the note: the first in-tune run starts once the frames hold the note
    x = tone(57, N, ONSET, RELEASE, END)
    split = ONSET + int(0.15 * SR)
    x[ONSET:split] = tone(69, N, ONSET, RELEASE, END)[ONSET:split]
    ms = measures.settle_ms(x, SR, 57, ONSET, RELEASE)
    assert ms is not None and 130.0 <= ms <= 190.0


def test_settle_none_for_a_wrong_pitch_noise_or_a_too_short_note() -> None:
    assert measures.settle_ms(tone(58, N, ONSET, RELEASE, END), SR, 57, ONSET, RELEASE) is None
    noise = np.random.default_rng(0).normal(0, 0.3, N).astype(np.float32)
    assert measures.settle_ms(noise, SR, 57, ONSET, RELEASE) is None
    assert measures.settle_ms(tone(57, N, ONSET, RELEASE, END), SR, 57, ONSET, ONSET + 600) is None
