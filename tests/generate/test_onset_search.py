"""Best-of-N onsets: the probe, the choice, and the winner replayed exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from conditioning.events import LEVEL_INDEX, level_column, level_column_db
from samplernn.generate import engine as engine_module
from samplernn.generate.engine import classes_to_audio, generate_classes, numba_available
from samplernn.generate.onset_search import (
    ATTACK_DB_PER_MS,
    Probe,
    best_candidates,
    score_candidate,
    stream_probe,
)
from samplernn.generate.options import (
    HIT_ACCEPT,
    HIT_LIKENESS_WEIGHT,
    HIT_PROBE_SECONDS,
    GenerationOptions,
    OnsetSearch,
)
from samplernn.measures.oneshot import PieceCentroids, attack_ms, features, level_error_db, likeness_margin_db

NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]


def model():
    return tiny.tiny_model(seed=1, perturb=0.3, q_levels=32, dim=12, sample_rate=16000)


def conds() -> list[np.ndarray]:
    """Three note streams of different lengths and onsets, and one silent stream."""
    out = [events_to_conditioning([NoteEvent(48 + i, 90, 20 + 8 * i, 120, 150)], 170 + 30 * i)
           for i in range(3)]  # fmt: skip
    return [*out, np.zeros((90, 5), np.int32)]


def test_the_probe_starts_at_the_note_on_and_stops_at_its_length_or_the_notes_end() -> None:
    cond = events_to_conditioning([NoteEvent(50, 80, 30, 60, 70), NoteEvent(55, 80, 70, 100, 110)], 130)
    assert stream_probe(cond, 25) == Probe(30, 55, 50)
    assert stream_probe(cond, 1000) == Probe(30, 70, 50)  # the next note is not this one's probe
    assert stream_probe(np.zeros((40, 5), np.int32), 25) is None


def test_the_best_candidate_is_the_highest_and_the_first_on_a_tie() -> None:
    assert best_candidates([[0.1, 0.7, 0.3], [0.0, 0.0], []]) == [1, 0, 0]


def test_the_rounds_double_what_was_tried_and_stop_at_the_most_candidates() -> None:
    rounds = {n: OnsetSearch(sample_rate=16000, candidates=n).rounds for n in (1, 2, 3, 4, 8, 10, 16)}
    assert rounds == {1: (1,), 2: (2,), 3: (2, 1), 4: (2, 2), 8: (2, 2, 4), 10: (2, 2, 4, 2),
                      16: (2, 2, 4, 8)}  # fmt: skip
    assert OnsetSearch(sample_rate=16000).rounds == (2, 2, 4)  # the default: at most 8


def test_search_options_are_checked() -> None:
    assert OnsetSearch(sample_rate=16000, candidates=4, probe_seconds=0.15).probe_samples == 2400
    bad_values = ({"candidates": 0}, {"candidates": 2.5}, {"candidates": True}, {"probe_seconds": 0.0},
                  {"probe_seconds": float("nan")}, {"probe_seconds": "0.15"}, {"sample_rate": 0},
                  {"sample_rate": float("nan")})
    for bad in bad_values:
        with pytest.raises(ValueError):
            OnsetSearch(**{"sample_rate": 16000, "candidates": 2, **bad})
    for bad in ({"accept": float("nan")}, {"accept": True}, {"accept": "0.4"}):
        with pytest.raises(ValueError, match="accept"):
            OnsetSearch(**{"sample_rate": 16000, **bad})
    # numpy's scalars are the numbers they hold (a score or rate read from an array)
    numpy_made = OnsetSearch(sample_rate=np.int64(16000), candidates=np.int32(4), accept=np.float32(0.5),
                             probe_seconds=np.float64(0.15))  # fmt: skip
    assert numpy_made == OnsetSearch(sample_rate=16000, candidates=4, accept=0.5, probe_seconds=0.15)
    assert type(numpy_made.sample_rate) is int and type(numpy_made.accept) is float
    with pytest.raises(TypeError):  # keyword arguments only: (4, 16000) would read as 16,000 candidates
        OnsetSearch(4, 16000)
    with pytest.raises(ValueError, match="OnsetSearch"):
        GenerationOptions(onset_search=4)
    opts = GenerationOptions().with_onset_search(3, 16000)
    assert opts.onset_candidates == 3 and opts.with_onset_search(1, 16000).onset_search is None
    greedy = GenerationOptions(temperature=0.0).with_onset_search(3, 16000)  # every candidate the same draw
    assert greedy.active_onset_search is None and greedy.onset_candidates == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_candidate_is_exactly_the_unsearched_generation(backend: str) -> None:
    m = model()
    plain = generate_classes(m, conds(), seed=3, backend=backend, batch_size=2)
    search = OnsetSearch(sample_rate=16000, candidates=1)
    one = generate_classes(m, conds(), seed=3, backend=backend, batch_size=2, onset_search=search)
    for a, b in zip(plain, one, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_winning_candidate_is_replayed_sample_for_sample(backend: str, monkeypatch) -> None:
    m = model()
    seen: dict[int, list[tuple[np.ndarray, Probe]]] = {}

    def score(audio: np.ndarray, probe: Probe, sample_rate: int, measure: str = "periodicity",
              pieces=None) -> float:
        # Prefer the candidate whose probe holds the largest mean square: a rule unrelated to the draw order.
        seen.setdefault(probe.pitch, []).append((audio.copy(), probe))
        return float(np.mean(audio[probe.onset : probe.stop] ** 2))

    monkeypatch.setattr(engine_module, "score_candidate", score)
    search = OnsetSearch(sample_rate=16000, candidates=3, probe_seconds=0.004, accept=math.inf)  # 64 samples
    done: list[tuple[int, int]] = []
    out = generate_classes(m, conds(), seed=5, backend=backend, batch_size=4, onset_search=search,
                           progress=lambda d, t: done.append((d, t)))  # fmt: skip
    assert sorted(seen) == [48, 49, 50]  # three candidates of each note stream, none of the silent one
    plain = generate_classes(m, conds(), seed=5, backend=backend, batch_size=4)
    picked = 0
    for i, (q, p) in enumerate(zip(out[:3], plain[:3], strict=True)):
        candidates = seen[48 + i]
        assert len(candidates) == 3
        scores = [np.mean(a[pr.onset : pr.stop] ** 2) for a, pr in candidates]
        best_audio, probe = candidates[int(np.argmax(scores))]
        got = classes_to_audio(q, m)[: probe.stop]
        np.testing.assert_allclose(got, best_audio[: probe.stop], atol=1e-6)
        picked += int(np.argmax(scores)) != 0 and not np.array_equal(q, p)
    assert picked >= 1  # at least one stream took another draw than the unsearched one
    np.testing.assert_array_equal(out[3], plain[3])  # nothing to search: as unsearched
    assert done[-1][0] == done[-1][1] > sum(len(c) for c in conds())  # the candidates are counted too


# --- the streaming engine's search (render's voices) ---------------------------------------------

SR = 4000


def stream_engine(m, search: OnsetSearch | None, backend: str):
    from conditioning import BankStats
    from samplernn.generate.stream import StreamConfig, StreamEngine

    stats = BankStats(SR, {(48, 100): 60, (52, 90): 60}, {(48, 100): 1, (52, 90): 1})
    cfg = StreamConfig(voices=2, block=64, lead=0.02, tail=0.01)
    opts = GenerationOptions(seed=4, backend=backend, weight_dtype="float32", onset_search=search)
    return StreamEngine(m, stats, SR, cfg, opts, capture=True)


def play(eng) -> None:
    eng.note_on("a", 48, 100, at=70, release=300)  # offline: the note-off known at the note-on
    eng.note_on("b", 52, 90, at=200, release=420)
    eng.note_on("live", 48, 100, at=500)  # live: the end unknown, not searched
    eng.note_off("live", at=700)
    while eng.pending:
        eng.render_block()


@pytest.mark.parametrize("pre_emphasis", [0.0, 0.7])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_voice_replays_its_notes_winning_onset_sample_for_sample(backend: str, pre_emphasis: float,
                                                                   monkeypatch) -> None:
    from samplernn.generate import stream

    m = tiny.tiny_model(seed=2, perturb=0.3, q_levels=32, pre_emphasis=pre_emphasis)
    scouts: list[tuple[np.ndarray, Probe]] = []

    def score(audio: np.ndarray, probe: Probe, sample_rate: int, measure: str = "periodicity",
              pieces=None) -> float:
        scouts.append((audio.copy(), probe))
        return float(np.mean(audio[probe.onset : probe.stop] ** 2))

    monkeypatch.setattr(stream, "score_candidate", score)
    search = OnsetSearch(sample_rate=SR, candidates=3, probe_seconds=0.02, accept=math.inf)  # 80 samples
    eng = stream_engine(m, search, backend)
    play(eng)
    assert eng.counters.searched == 2 and len(scouts) == 6  # three scouts for each offline note
    for k, take in enumerate(eng.takes[:2]):
        candidates = scouts[3 * k : 3 * k + 3]
        best, probe = candidates[int(np.argmax([np.mean(a[p.onset : p.stop] ** 2) for a, p in candidates]))]
        assert take.start == take.note.onset - take.note.onset % m.lookback  # loaded at a frame boundary
        np.testing.assert_allclose(take.audio[: probe.stop], best[: probe.stop], atol=1e-6)
    assert eng.takes[2].note.draw is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_candidate_leaves_the_stream_engine_as_it_was(backend: str) -> None:
    m = tiny.tiny_model(seed=2, perturb=0.3, q_levels=32)
    one_candidate = OnsetSearch(sample_rate=SR, candidates=1)
    plain, one = stream_engine(m, None, backend), stream_engine(m, one_candidate, backend)
    play(plain)
    play(one)
    assert one.counters.searched == 0
    for a, b in zip(plain.takes, one.takes, strict=True):
        np.testing.assert_array_equal(a.audio, b.audio)


# --- rounds: a note stops being searched once a round reaches the accept score ------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_per_note_streams_stop_searching_a_note_once_a_round_is_accepted(backend: str, monkeypatch) -> None:
    m = model()
    tried: dict[int, int] = {}

    def score(audio: np.ndarray, probe: Probe, sample_rate: int, measure: str = "periodicity",
              pieces=None) -> float:
        tried[probe.pitch] = tried.get(probe.pitch, 0) + 1
        return 1.0 if probe.pitch == 48 else 0.0  # the first note passes at once, the others never

    monkeypatch.setattr(engine_module, "score_candidate", score)
    search = OnsetSearch(sample_rate=16000, candidates=8, probe_seconds=0.004, accept=0.5)
    done: list[tuple[int, int]] = []
    out = generate_classes(m, conds(), seed=5, backend=backend, batch_size=3, onset_search=search,
                           progress=lambda d, t: done.append((d, t)))  # fmt: skip
    assert tried == {48: 2, 49: 8, 50: 8}  # one round of 2; all three rounds (2, 2, 4)
    assert done[-1][0] == done[-1][1]  # the bar ends full although its first total counted 24 candidates
    assert done[0][1] > done[-1][1]
    plain = generate_classes(m, conds(), seed=5, backend=backend, batch_size=3)
    np.testing.assert_array_equal(out[1], plain[1])  # all scores tie at 0: candidate 0, the plain draw


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_voice_stops_searching_once_a_round_is_accepted(backend: str, monkeypatch) -> None:
    from samplernn.generate import stream

    m = tiny.tiny_model(seed=2, perturb=0.3, q_levels=32)
    monkeypatch.setattr(stream, "score_candidate",
                        lambda audio, probe, sr, measure, pieces=None: 1.0 if probe.pitch == 52 else 0.0)
    eng = stream_engine(m, OnsetSearch(sample_rate=SR, candidates=8, probe_seconds=0.02, accept=0.5), backend)
    play(eng)
    assert eng.counters.searched == 2 and eng.counters.candidates == 8 + 2  # note a: every round; b: one


# --- drum hits: the level search ---------------------------------------------------------------


def hit_cond(n: int = 2000, onset: int = 40, start_db: float = -12.0) -> np.ndarray:
    """A hit's stream: its level column falls 30 dB from `start_db` over the hit."""
    cond = events_to_conditioning([NoteEvent(38, 100, onset, onset + 1000, n)], n)
    cond[onset:, LEVEL_INDEX] = level_column(np.linspace(start_db, start_db - 30.0, n - onset))
    return cond


def test_the_probe_carries_the_level_column_in_db_and_none_without_one() -> None:
    cond = hit_cond()
    probe = stream_probe(cond, 64)
    assert (probe.onset, probe.stop) == (40, 104)
    np.testing.assert_allclose(probe.level, level_column_db(cond[40:104, LEVEL_INDEX]))
    assert probe.level[0] == pytest.approx(-12.0, abs=0.2) and probe.level[-1] < probe.level[0]
    no_levels = events_to_conditioning([NoteEvent(38, 100, 40, 240, 400)], 400)  # no statistics
    assert stream_probe(no_levels, 64).level is None


def test_a_hit_that_follows_the_kit_s_envelope_outscores_a_soft_or_late_one() -> None:
    sr, cond = 16000, hit_cond(start_db=-12.0)
    probe = stream_probe(cond, 320)  # 20 ms
    noise = np.random.default_rng(0).standard_normal(2000).astype(np.float32)
    gain = np.zeros(2000, np.float32)
    gain[40:] = 10 ** (np.linspace(-12.0, -42.0, 1960) / 20)  # the RMS of noise × gain is the curve
    follows = noise * gain
    soft = follows * 10 ** (-12 / 20)
    late = np.concatenate([np.zeros(160, np.float32), follows[:-160]])
    scores = [score_candidate(x, probe, sr, "level") for x in (follows, soft, late)]
    assert scores[0] > -3.0 and scores[0] > scores[1] + 6 and scores[0] > scores[2] + 6
    part = soft[probe.onset : probe.stop]  # the score: level error plus ATTACK_DB_PER_MS per ms of attack
    want = -level_error_db(part, probe.level, sr) - ATTACK_DB_PER_MS * attack_ms(part, sr)
    assert scores[1] == pytest.approx(want)
    swell = follows.copy()
    swell[40:360] *= np.linspace(0.3, 1.0, 320)  # the same hit rising 10 dB over its first 20 ms
    assert attack_ms(swell[40:360], sr) > 5 and score_candidate(swell, probe, sr, "level") < scores[0]
    clipped = follows.copy()
    clipped[50] = 1.0  # a start that reaches full scale is never preferred to one that does not
    assert score_candidate(clipped, probe, sr, "level") == -math.inf < min(scores)
    longer = stream_probe(cond, 640)  # 40 ms: a stuck stretch of 30 ms fits in it
    stuck = follows.copy()
    stuck[100:580] = -0.11  # one value held 30 ms, as a truncated kit model's bass drum does
    held = score_candidate(stuck, longer, sr, "level")
    assert held == -math.inf < score_candidate(follows, longer, sr, "level")
    stuck[120:580] = follows[120:580]  # held 1.25 ms: a real hit can do as much
    assert score_candidate(stuck, longer, sr, "level") > -math.inf
    bare = Probe(probe.onset, probe.stop, probe.pitch)  # a bank without envelopes: nothing to prefer
    assert score_candidate(follows, bare, sr, "level") == score_candidate(soft, bare, sr, "level") == 0.0
    with pytest.raises(ValueError, match="onset measure"):
        score_candidate(follows, probe, sr, "loudness")


def test_with_the_kits_pieces_a_hit_like_its_own_piece_outscores_one_like_another() -> None:
    sr, cond = 16000, hit_cond(start_db=-12.0)  # a hit of key 38
    probe = stream_probe(cond, round(0.1 * sr))
    gain = np.zeros(2000, np.float32)
    gain[40:] = 10 ** (np.linspace(-12.0, -42.0, 1960) / 20)
    noise = np.random.default_rng(0).standard_normal(2000).astype(np.float32) * gain
    tone = (np.sqrt(2) * np.sin(2 * np.pi * 200 * np.arange(2000) / sr)).astype(np.float32) * gain
    hits = [(38, np.random.default_rng(1).standard_normal(2000).astype(np.float32) * gain, 40),
            (42, tone, 40)]
    pieces = PieceCentroids.of_hits(hits, sr, 0.1)
    like, unlike = (score_candidate(x, probe, sr, "level", pieces) for x in (noise, tone))
    assert like > unlike + 3  # the same level and attack: only the likeness tells them apart
    head = Probe(probe.onset, probe.onset + round(HIT_PROBE_SECONDS * sr), 38, probe.level[:640])
    margin = likeness_margin_db(features(noise[40:1640], sr, seconds=0.1), pieces.centroids, 38)
    assert margin > 0 and like == pytest.approx(score_candidate(noise, head, sr, "level")
                                                 + HIT_LIKENESS_WEIGHT * margin, abs=1e-4)
    alone = PieceCentroids(0.1, {38: pieces.centroids[38]})  # one piece: nothing to tell it from
    alone_score = score_candidate(tone, probe, sr, "level", alone)
    assert alone_score == pytest.approx(score_candidate(tone, head, sr, "level"))


def test_the_hit_search_and_its_options() -> None:
    hits = OnsetSearch.for_hits(16000, candidates=4)
    assert (hits.measure, hits.probe_seconds, hits.accept, hits.candidates) == ("level", HIT_PROBE_SECONDS,
                                                                                HIT_ACCEPT, 4)
    assert GenerationOptions().with_onset_search(4, 16000, hits=True).onset_search == hits
    assert GenerationOptions().with_onset_search(4, 16000).onset_search.measure == "periodicity"
    assert GenerationOptions().with_onset_search(1, 16000, hits=True).onset_search is None
    pieces = PieceCentroids(0.2, {38: np.zeros(3, np.float32), 42: np.ones(3, np.float32)})
    by_likeness = GenerationOptions().with_onset_search(4, 16000, hits=True, pieces=pieces).onset_search
    assert by_likeness.pieces is pieces and by_likeness.probe_seconds == 0.2  # the body, not 40 ms
    assert (by_likeness.scored_by, hits.scored_by) == ("level and likeness", "level")
    assert OnsetSearch(sample_rate=16000).scored_by == "pitch"
    short = PieceCentroids(0.01, pieces.centroids)
    assert OnsetSearch.for_hits(16000, 4, short).probe_seconds == HIT_PROBE_SECONDS
    with pytest.raises(ValueError, match="onset measure"):
        OnsetSearch(sample_rate=16000, measure="loudness")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_searched_hit_follows_the_level_column_at_least_as_closely_as_the_unsearched(backend: str) -> None:
    # 256 classes: an untrained model reaches full scale on ~0.4 % of its samples, not 3 % (32 classes)
    m, sr = tiny.tiny_model(seed=1, perturb=0.3, q_levels=256, dim=12, sample_rate=16000), 16000
    conds = [hit_cond(onset=30 + 10 * i, start_db=-6.0 - 6 * i) for i in range(3)]
    search = OnsetSearch(sample_rate=sr, candidates=6, probe_seconds=0.004, accept=math.inf, measure="level")
    out = generate_classes(m, conds, seed=7, backend=backend, batch_size=3, onset_search=search)
    plain = generate_classes(m, conds, seed=7, backend=backend, batch_size=3)
    errors = []
    for c, q, p in zip(conds, out, plain, strict=True):
        probe = stream_probe(c, search.probe_samples)
        errors.append([-score_candidate(classes_to_audio(x, m), probe, sr, "level") for x in (q, p)])
    assert all(searched <= unsearched + 1e-6 for searched, unsearched in errors)
    assert any(searched < unsearched - 0.1 for searched, unsearched in errors)  # the search did choose
    assert all(math.isfinite(searched) for searched, _ in errors)  # and no start at full scale


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_voice_searches_a_hit_by_the_level_its_note_is_given(backend: str, monkeypatch) -> None:
    from conditioning import BankStats
    from conditioning.bankstats import note_levels
    from samplernn.generate import stream
    from samplernn.generate.stream import StreamConfig, StreamEngine

    hit = 0.5 * np.exp(-np.arange(SR) / (0.05 * SR)).astype(np.float32)  # a hit falling 17 dB per 100 ms
    hop = round(0.01 * SR)
    layers = ((48, 100), (52, 90))
    stats = BankStats.from_notes(SR, [(p, v, 200) for p, v in layers],
                                 [(p, v, *note_levels(hit, 0, hop, 1000, hop)) for p, v in layers])
    seen: list[tuple[float, bool]] = []

    def spy(audio: np.ndarray, probe: Probe, sample_rate: int, measure: str = "periodicity",
            pieces=None) -> float:
        value = score_candidate(audio, probe, sample_rate, measure, pieces)
        seen.append((value, probe.level is not None and measure == "level"))
        return value

    monkeypatch.setattr(stream, "score_candidate", spy)
    search = OnsetSearch(sample_rate=SR, candidates=4, probe_seconds=0.02, accept=math.inf, measure="level")
    opts = GenerationOptions(seed=4, backend=backend, weight_dtype="float32", onset_search=search)
    m = tiny.tiny_model(seed=2, perturb=0.3, q_levels=256)
    cfg = StreamConfig(voices=2, block=64, lead=0.02, tail=0.01)
    eng = StreamEngine(m, stats, SR, cfg, opts, capture=True)
    play(eng)
    assert eng.counters.searched == 2 and len(seen) == 8 and all(level for _, level in seen)
    assert len({round(v, 6) for v, _ in seen}) > 2  # the candidates differ in how well they follow it
