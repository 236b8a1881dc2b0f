"""Short copies of long notes: the held part cut, spliced to the release without a click."""

from __future__ import annotations

import numpy as np
import pytest

from samplernn.data.manifest import NoteRecord
from samplernn.data.short_notes import (
    MAX_LEVEL_MATCH_DB,
    SHORT_HELD_SECONDS,
    short_copies,
    short_plan,
    shorten_note,
    splice_lag,
)

SR = 16000


def note(pitch: int = 57, onset: int = 1000, release: int = 25000, end: int = 29000, n: int = 32000,
         velocity: int = 80) -> NoteRecord:
    return NoteRecord(f"n{pitch}_v{velocity}_{release}", "audio/x.wav", "train", pitch, velocity,
                      onset, release, end, n, "src.wav")


def held_note(rec: NoteRecord, freq: float = 220.0, swell: bool = False) -> np.ndarray:
    """A sine over the note: rising linearly from onset to release when `swell`, then a 4-ms-per-dB
    exponential release to `end`; silence before the onset."""
    t = np.arange(rec.n_samples)
    env = np.zeros(rec.n_samples)
    held = np.arange(rec.release - rec.onset)
    env[rec.onset : rec.release] = 0.1 + 0.7 * held / len(held) if swell else 0.5
    top = env[rec.release - 1]
    env[rec.release : rec.end] = top * np.exp(-np.arange(rec.end - rec.release) / 800)
    return (env * np.sin(2 * np.pi * freq * t / SR)).astype(np.float32)


def test_no_copies_for_zero_and_none_for_notes_held_too_briefly():
    assert short_plan([note()], 0, SR) == []
    brief = note(release=1000 + int(0.15 * SR), end=1000 + int(0.3 * SR))
    assert short_plan([brief], 4, SR) == []  # 0.15 s held: no draw of 0.1 s or more fits twice


def test_the_plan_is_seeded_in_range_and_its_lengths_unique_per_note():
    notes = [note(release=r) for r in (30000, 31000, 31500)]
    plan = short_plan(notes, 3, SR, seed=5)
    assert plan == short_plan(notes, 3, SR, seed=5) and plan != short_plan(notes, 3, SR, seed=6)
    lo, hi = SHORT_HELD_SECONDS
    assert all(lo * SR - 16 <= held <= hi * SR + 16 for _, held in plan)
    pairs = [(rec.id, held) for rec, held in plan]
    assert len(pairs) == len(set(pairs)) and len(plan) >= 7


def test_the_splice_lands_in_phase():
    x = np.sin(2 * np.pi * 200.0 * np.arange(20000) / SR).astype(np.float32)  # period 80 samples
    s = splice_lag(x, 3000, 12345, span=80, window=160)
    assert (s - 3000) % 80 in (0, 1, 79) and abs(s - 12345) <= 80


def test_a_short_copy_keeps_its_attack_ends_sooner_and_has_no_click():
    rec = note()
    held = int(0.2 * SR)
    x = held_note(rec, freq=285.5 / 1.3)  # note-off 1.3 s after the cut: half a period out of phase
    short, y = shorten_note(rec, x, held, SR)
    assert short.id == f"{rec.id}~200ms" and short.pitch == rec.pitch and short.velocity == rec.velocity
    assert (short.onset, short.release) == (rec.onset, rec.onset + held) and short.n_samples == len(y)
    tail = rec.end - rec.release
    assert abs((short.end - short.release) - tail) <= 80  # the release tail, within a period
    assert short.n_samples - short.end == rec.n_samples - rec.end  # what follows the end, exactly
    np.testing.assert_array_equal(y[: short.release - 200], x[: short.release - 200])  # attack kept
    steepest = np.abs(np.diff(x[rec.onset : rec.release])).max()
    assert np.abs(np.diff(y[short.release - 400 : short.release + 400])).max() <= 1.05 * steepest
    def rms(a: np.ndarray) -> float:
        return float(np.sqrt((a**2).mean()))

    cut = short.release  # in phase: no cancellation dip in the crossfade
    assert rms(y[cut - 128 : cut]) >= 0.9 * rms(y[cut - 400 : cut - 128])


def test_the_release_starts_from_the_level_reached_at_the_cut():
    rec = note()
    x = held_note(rec, swell=True)  # 0.1 at note-on rising to 0.8 at note-off
    short, y = shorten_note(rec, x, int(0.1 * SR), SR)
    cut = short.release
    before = np.sqrt((y[cut - 320 : cut] ** 2).mean())
    after = np.sqrt((y[cut : cut + 320] ** 2).mean())
    assert after == pytest.approx(before, rel=0.15)
    assert after < 0.5 * np.sqrt((x[rec.release : rec.release + 320] ** 2).mean())


def test_a_held_part_too_short_to_cut_is_refused():
    rec = note(release=1000 + 3000)
    with pytest.raises(ValueError, match="cannot be cut"):
        shorten_note(rec, held_note(rec), 2990, SR)


def test_very_low_and_high_notes_at_high_rates_splice():
    for pitch, sr in ((12, 48000), (21, 44100), (108, 48000)):
        rec = note(pitch, onset=100, release=100 + sr, end=100 + sr + sr // 4, n=100 + 2 * sr)
        t = np.arange(rec.n_samples) / sr
        x = (0.3 * np.sin(2 * np.pi * 440 * 2 ** ((pitch - 69) / 12) * t)).astype(np.float32)
        x[: rec.onset] = 0
        short, y = shorten_note(rec, x, int(0.1 * sr), sr)
        assert short.n_samples == len(y) and short.release == rec.onset + int(0.1 * sr) < short.end


def test_a_note_that_decays_while_held_makes_no_copy():
    rec = note()
    t = np.arange(rec.n_samples)
    decay = np.exp(-np.maximum(t - rec.onset, 0) / (0.2 * SR))  # a piano-like note: -43 dB by note-off
    x = (decay * np.sin(2 * np.pi * 220.0 * t / SR)).astype(np.float32)
    x[: rec.onset] = 0
    with pytest.raises(ValueError, match="dB to start at the cut's level"):
        shorten_note(rec, x, int(0.1 * SR), SR)
    made = short_copies([rec, note(release=30000)], [x, held_note(note(release=30000))], 2, SR)
    assert made and all(r.id.startswith("n57_v80_30000~") for r, _ in made)
    assert MAX_LEVEL_MATCH_DB < 43
