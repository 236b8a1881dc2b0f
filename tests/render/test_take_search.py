"""The take search (render.take_search): a drum take whose body is unlike its piece, clipped or
stuck is struck again, whole, with random numbers of its own; the best take is kept; takes that
are like their piece cost nothing more; off without body centroids or without the hit search."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from support.drum_kit import PIECES, SR, drum_checkpoint, drum_stats, one_shot, write_drum_dataset

from samplernn.data.dataset import load_dataset
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.measures.oneshot import FEATURE_SECONDS, PieceCentroids
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render import hits as hits_mod
from samplernn.render import take_search as ts
from samplernn.render.pack import round_seed
from samplernn.train.recipe import playing_hints

pytestmark = pytest.mark.usefixtures("one_thread")
HITS = {k: one_shot(kind, decay, seed=k) for k, (kind, decay) in PIECES.items()}
BODIES = PieceCentroids.of_hits(((k, x, 0) for k, x in HITS.items()), SR, FEATURE_SECONDS)
SEARCH = GenerationOptions(seed=0).with_onset_search(ONSET_CANDIDATES, SR, hits=True)


@pytest.fixture(scope="module")
def kit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_drum_dataset(tmp_path_factory.mktemp("kit") / "data")


def test_a_take_scores_its_likeness_and_minus_infinity_when_broken() -> None:
    kick, snare = HITS[36], HITS[38]
    assert ts.take_score(kick, 36, BODIES, SR) > 0 > ts.take_score(snare, 36, BODIES, SR)
    clipped = kick.copy()
    clipped[100] = 1.0
    assert ts.take_score(clipped, 36, BODIES, SR) == -math.inf
    stuck = kick.copy()
    stuck[2000:2000 + round(0.03 * SR)] = 0.2  # one value held for 30 ms (over STUCK_SECONDS)
    assert ts.take_score(stuck, 36, BODIES, SR) == -math.inf
    assert ts.take_score(kick, 50, BODIES, SR) is None  # a piece the centroids lack: not judged


def test_unlike_takes_are_struck_again_until_one_is_like_and_the_best_is_kept() -> None:
    """The snare (38) comes out as a kick until the second round; the kick and the hat are like
    their pieces at once and are not struck again; a piece the centroids lack is left alone."""
    calls: list[tuple[list[int], int | None]] = []
    shown: list[tuple[int, int | None]] = []

    def strike(hits, gen):
        calls.append(([k for k, _, _ in hits], gen.seed))
        gen.progress(0, 10 * len(hits))
        gen.progress(10 * len(hits), 10 * len(hits))
        late = len(calls) >= 3
        return [HITS.get(k, HITS[42]) if k != 38 or late else HITS[36] for k, _, _ in hits]

    hits = [(36, 100, 1), (38, 100, 1), (42, 100, 1), (50, 100, 1)]
    gen = dataclasses.replace(SEARCH, progress=lambda d, t=None, **_: shown.append((d, t)))
    takes, spent = ts.search_takes(hits, strike, gen, BODIES, SEARCH.onset_search.rounds, SR)
    assert [c[0] for c in calls] == [[36, 38, 42, 50], [38, 38], [38, 38]]
    want = [HITS.get(k, HITS[42]) for k, _, _ in hits]
    assert spent == 4 and all(np.array_equal(t, w) for t, w in zip(takes, want, strict=True))
    seeds = [c[1] for c in calls]
    assert len(set(seeds)) == 3 and seeds[0] == 0  # every round its own numbers ...
    assert not set(seeds[1:]) & {round_seed(SEARCH, r).seed for r in (1, 2, 3)}  # ... not the pack's rounds'
    done = [d for d, _ in shown]
    assert done == sorted(done) and shown[-1] == (80, 80)  # one count over the rounds, never back


def test_a_take_no_candidate_betters_is_kept_and_every_round_is_tried() -> None:
    calls: list[int] = []

    def strike(hits, gen):
        calls.append(len(hits))
        return [HITS[38] for _ in hits]  # always a snare, asked for a kick

    takes, spent = ts.search_takes([(36, 80, 1)], strike, SEARCH, BODIES, (2, 2, 4), SR)
    assert calls == [1, 2, 2, 4] and spent == 8 and np.array_equal(takes[0], HITS[38])


def test_strike_searches_takes_where_the_checkpoint_carries_bodies(kit_dir: Path, tmp_path: Path,
                                                                    monkeypatch) -> None:
    hints = playing_hints(load_dataset(kit_dir))
    bodies = hints["bodies"]
    assert bodies["seconds"] == FEATURE_SECONDS and sorted(bodies["centroids"]) == ["36", "38", "42"]
    with_bodies = load_checkpoint(drum_checkpoint(tmp_path / "b.pt", drum_stats(kit_dir), generation=hints))
    before = load_checkpoint(drum_checkpoint(tmp_path / "p.pt", drum_stats(kit_dir),
                                             generation={k: v for k, v in hints.items() if k != "bodies"}))
    assert with_bodies.hit_bodies.seconds == FEATURE_SECONDS and before.hit_bodies is None
    struck: list[int] = []
    real = hits_mod.strike_once

    def counting(ckpt, hits, gen, lead, tail, engine):
        struck.append(len(hits))
        return real(ckpt, hits, gen, lead, tail, engine)

    monkeypatch.setattr(hits_mod, "strike_once", counting)
    gen = GenerationOptions(seed=0, threads=1)
    gen = gen.with_onset_search(4, SR, hits=True, pieces=with_bodies.hit_pieces)
    out = hits_mod.strike(with_bodies, [(38, 100, 800)], gen, 0.05, 0.02)
    assert struck[0] == 1 and len(out) == 1 and out[0].dtype == np.float32
    # an untrained model's snare is no snare: every round of the search is struck
    assert struck == [1, 2, 2]
    for ckpt, g in ((before, gen), (with_bodies, gen.with_onset_search(1, SR, hits=True))):
        struck.clear()
        hits_mod.strike(ckpt, [(38, 100, 800)], g, 0.05, 0.02)
        assert struck == [1]  # no bodies, or no hit search: struck once
