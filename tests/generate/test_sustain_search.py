"""The sustain search: a note that loses its pitch is drawn again from just before, its start kept."""

from __future__ import annotations

import numpy as np
import pytest
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from conditioning.events import LEVEL_INDEX, level_column
from samplernn.generate import sustain_search
from samplernn.generate.engine import generate_classes, numba_available
from samplernn.generate.options import OnsetSearch
from samplernn.generate.sustain_search import (
    SUSTAIN_BACKTRACK_SECONDS,
    Sustain,
    first_lapse,
    hold_pitch,
    spliced,
    sustains,
)
from samplernn.measures.sound import midi_to_hz

SR = 16000
NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]


def tone(pitch: int, seconds: float, third_only_from: float | None = None) -> np.ndarray:
    """A cello-like tone (harmonics 1–6 at -24, -9, 0, -6, -7, -16 dB, the bank's C2) that keeps only
    its third harmonic from `third_only_from` seconds on."""
    t = np.arange(round(seconds * SR)) / SR
    gains = 10.0 ** (np.array([-24, -9, 0, -6, -7, -16]) / 20.0)
    f0 = midi_to_hz(pitch)
    full = sum(g * np.sin(2 * np.pi * (h + 1) * f0 * t) for h, g in enumerate(gains))
    third = np.sin(2 * np.pi * 3 * f0 * t)
    if third_only_from is not None:
        full = np.where(t < third_only_from, full, third)
    return (0.3 * full / np.abs(full).max()).astype(np.float32)


def test_sustains_are_each_held_note_after_the_probe() -> None:
    cond = events_to_conditioning([NoteEvent(60, 80, 100, 1000, 1100), NoteEvent(62, 70, 1300, 1390, 1400)],
                                  1500)
    assert sustains(cond, probe_samples=150) == [Sustain(250, 1100, 60, 100)]  # the second is all probe
    assert sustains(cond, probe_samples=50) == [Sustain(150, 1100, 60, 100), Sustain(1350, 1400, 62, 1300)]
    assert sustains(np.zeros((10, 5), np.int32), 5) == []


def test_a_note_that_falls_to_its_third_harmonic_lapses_where_it_falls() -> None:
    note = Sustain(round(0.15 * SR), 2 * SR, 36, 0)
    assert first_lapse(tone(36, 2.0), [note], SR) is None
    at = first_lapse(tone(36, 2.0, third_only_from=1.0), [note], SR)
    assert at is not None and 0.85 * SR <= at <= 1.05 * SR  # the window holding 1 s, or the next


def test_a_release_tail_fading_to_silence_is_not_a_lapse() -> None:
    x = tone(48, 2.0)
    fade = np.clip((2.0 - np.arange(len(x)) / SR) / 0.8, 0.0, 1.0) ** 4  # 0 dB to silence over 1.2–2 s
    x = x * fade
    x[round(1.9 * SR) :] = 0.0
    assert first_lapse(x, [Sustain(round(0.15 * SR), 2 * SR, 48, 0)], SR) is None
    noise = np.random.default_rng(0).normal(0, 0.1, 2 * SR).astype(np.float32)
    assert first_lapse(noise, [Sustain(round(0.15 * SR), 2 * SR, 48, 0)], SR) == round(0.15 * SR)


def test_a_note_that_falls_silent_while_its_level_column_says_it_sounds_lapses() -> None:
    """Without the level column a window 20 dB under the note's loudest is a release tail and not
    scored; with it, a note that falls silent at 0.6 s while its column stays loud has lost its pitch
    (a redraw that dies away must not count as one that holds)."""
    x = tone(48, 2.0)
    x[round(0.6 * SR) :] = 0.0
    cond = events_to_conditioning([NoteEvent(48, 90, 0, round(1.8 * SR), 2 * SR)], 2 * SR)
    assert first_lapse(x, sustains(cond, round(0.15 * SR)), SR) is None  # no level column: a tail
    cond[: round(1.9 * SR), LEVEL_INDEX] = level_column(np.full(round(1.9 * SR), -12.0))
    (note,) = sustains(cond, round(0.15 * SR))
    assert note.quiet_from == round(1.9 * SR)
    at = first_lapse(x, [note], SR)
    assert at is not None and 0.55 * SR <= at <= 0.65 * SR


def test_a_note_above_a_third_of_the_rate_is_scored_not_refused() -> None:
    """Note 115 at 16 kHz has a period of 1.9 samples: periodicity_score refuses periods under 3, as
    the onset search knows (max 3); the sustain windows raised ValueError from synth."""
    x = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    assert first_lapse(x, [Sustain(round(0.15 * SR), SR, 115, 0)], SR) == round(0.15 * SR)


def test_spliced_random_numbers_keep_the_start_and_draw_the_rest_afresh() -> None:
    kept = lambda n: np.random.default_rng(1).random(n, dtype=np.float32)  # noqa: E731
    fresh = lambda n: np.random.default_rng(2).random(n, dtype=np.float32)  # noqa: E731
    u = spliced(kept, 40, fresh)(100)
    np.testing.assert_array_equal(u[:40], kept(40))
    np.testing.assert_array_equal(u[40:], fresh(60))
    np.testing.assert_array_equal(spliced(kept, 40, fresh)(30), kept(30))


def _fake_model(lapse_after: float):
    """generate/to_audio that play a C3 tone falling to its third harmonic at the first random number
    above `lapse_after` past 0.3 s (and never below it): a stand-in model whose draws decide the lapse."""

    def generate(conds, draws):
        return [d(len(c)) for c, d in zip(conds, draws, strict=True)]

    def to_audio(u: np.ndarray) -> np.ndarray:
        late = np.flatnonzero(u[round(0.3 * SR) :] > lapse_after)
        fall = None if len(late) == 0 else 0.3 + late[0] / SR
        return tone(48, len(u) / SR, fall)

    return generate, to_audio


def test_a_lapsing_stream_is_drawn_again_from_before_its_lapse_and_its_start_kept() -> None:
    cond = events_to_conditioning([NoteEvent(48, 90, 0, round(1.8 * SR), 2 * SR)], 2 * SR)
    base = np.random.default_rng(0).random(2 * SR, dtype=np.float32) * 0.5
    base[round(1.0 * SR)] = 0.999  # the note falls at 1 s
    clean = lambda i, j: lambda n: np.random.default_rng([i, j]).random(n, dtype=np.float32) * 0.5  # noqa: E731
    generate, to_audio = _fake_model(0.99)
    held, spent = hold_pitch([cond], [lambda n: base[:n]], [base], generate, to_audio, clean, (2, 2, 4),
                             round(0.15 * SR), SR)
    assert spent == 2  # one round of two candidates: both hold the pitch
    assert first_lapse(to_audio(held[0]), sustains(cond, round(0.15 * SR)), SR) is None
    lapse = first_lapse(to_audio(base), sustains(cond, round(0.15 * SR)), SR)
    cut = lapse - round(SUSTAIN_BACKTRACK_SECONDS * SR)
    np.testing.assert_array_equal(held[0][:cut], base[:cut])
    assert not np.array_equal(held[0][cut:], base[cut:])


def test_a_stream_no_candidate_improves_is_tried_in_every_round_and_left_as_it_was() -> None:
    cond = events_to_conditioning([NoteEvent(48, 90, 0, round(1.8 * SR), 2 * SR)], 2 * SR)
    generate, to_audio = _fake_model(0.2)  # every draw falls within a few samples of 0.3 s
    base = np.random.default_rng(0).random(2 * SR, dtype=np.float32)
    calls = []

    def fresh(i: int, j: int):
        calls.append(j)
        return lambda n: np.random.default_rng([i, j]).random(n, dtype=np.float32)

    held, spent = hold_pitch([cond], [lambda n: base[:n]], [base], generate, to_audio, fresh, (2, 2, 4),
                             round(0.15 * SR), SR)
    assert spent == 8 and calls == list(range(8))  # rounds of 2, 2, 4
    np.testing.assert_array_equal(held[0], base)


def _long_notes() -> list[np.ndarray]:
    return [events_to_conditioning([NoteEvent(48 + i, 90, 20, 600, 650)], 700) for i in range(2)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_engine_redraws_a_lapsing_note_after_its_cut_and_replays_it_before(backend: str,
                                                                              monkeypatch) -> None:
    rate = 1000  # a model at 1 kHz: the 0.2-s backtrack is 200 samples, the streams short
    m = tiny.tiny_model(seed=1, perturb=0.3, q_levels=32, dim=12, sample_rate=rate)
    seen = []

    def lapse(audio: np.ndarray, notes, sample_rate: int, floor: float = 0.0) -> int | None:
        seen.append(len(audio))
        return notes[0].start + 400 if len(seen) <= 2 else None  # the two first passes lapse, redraws hold

    monkeypatch.setattr(sustain_search, "first_lapse", lapse)
    search = OnsetSearch(sample_rate=rate, candidates=2, probe_seconds=0.01)  # a probe of 10 samples
    done: list[tuple[int, int]] = []
    out = generate_classes(m, _long_notes(), seed=4, backend=backend, onset_search=search,
                           progress=lambda d, t: done.append((d, t)))
    assert len(seen) == 2 + 2 * 2  # each stream scored, then its round of two candidates
    unsearched = OnsetSearch(sample_rate=rate, candidates=2, probe_seconds=0.01, sustain=False)
    plain = generate_classes(m, _long_notes(), seed=4, backend=backend, onset_search=unsearched)
    cut = 20 + 10 + 400 - round(SUSTAIN_BACKTRACK_SECONDS * rate)
    for q, p in zip(out, plain, strict=True):
        np.testing.assert_array_equal(q[:cut], p[:cut])
        assert not np.array_equal(q[cut:], p[cut:])
    assert done[-1][0] == done[-1][1] and all(d <= t for d, t in done)
    assert all(a[0] <= b[0] for a, b in zip(done, done[1:], strict=False))  # never back: redraws count on
    assert done[-1][1] >= 6 * 700  # the two streams and their four redraws counted
