"""Short copies of long notes: the held part cut, spliced to the release without a click."""

from __future__ import annotations

import numpy as np
import pytest

from samplernn.data.manifest import NoteRecord
from samplernn.data.short_notes import SHORT_HELD_SECONDS, short_plan, shorten_note, splice_lag

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
    x = held_note(rec)
    held = int(0.2 * SR)
    short, y = shorten_note(rec, x, held, SR)
    assert short.id == f"{rec.id}~200ms" and short.pitch == rec.pitch and short.velocity == rec.velocity
    assert (short.onset, short.release) == (rec.onset, rec.onset + held) and short.n_samples == len(y)
    tail = rec.end - rec.release
    assert abs((short.end - short.release) - tail) <= 220  # the release tail, within a period or so
    np.testing.assert_array_equal(y[: short.release - 200], x[: short.release - 200])  # attack kept
    steepest = np.abs(np.diff(x[rec.onset : rec.release])).max()
    assert np.abs(np.diff(y[short.release - 400 : short.release + 400])).max() <= 1.05 * steepest


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
