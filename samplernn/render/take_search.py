"""Drawing a drum hit again when its body sounds like another piece or breaks (the take search).

The hit search (samplernn.generate.onset_search) chooses how a hit starts: its first
HIT_PIECE_SECONDS (0.2 s) follow the level column and lie nearest their own piece. A take that
starts like a tom can still ring on like the floor tom, and one that starts clean can stick on one
sample value or reach full scale later in its body (docs/drums.md, *Drawing again for the pieces a
pack is short of*: "a start that sounds like its piece for 0.2 s can still turn into another piece
after it"). Offline, where a one-shot is made whole before anyone hears it, each take is scored
whole (`take_score`): minus infinity when it clips or sticks anywhere, else its likeness margin —
how many dB nearer its own piece's centroid its first `bodies.seconds` (0.5 s, the window of
evaluate's likeness, measures.oneshot.FEATURE_SECONDS) lie than any other piece's, against the
centroids of the kit's train split the checkpoint carries (`generation.bodies`, written by
training: train.recipe.playing_hints). A take scoring 0 or less is struck again — whole, hit search
included, with random numbers of its own (`search_seed`) — in rounds of 2, 2, 4 candidates
(OnsetSearch.rounds); the best-scoring of the take and its candidates is kept, and a take stops at
its first candidate above 0. The pack's `--best` rounds (render.pack.redraw) then draw whole layers
again where even this leaves too few usable takes.

The model is unchanged: the search spends generation time on the takes that need it (each
candidate a whole hit) and none on the others. It runs where the onset search does and the
checkpoint carries `bodies`; `--onset-candidates 1` turns it off with the hit search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from samplernn.generate.options import GenerationOptions
from samplernn.measures.oneshot import STUCK_SECONDS, PieceCentroids, features, likeness_margin_db, stuck_ms
from samplernn.measures.sound import clip_share

#: Mixed into a seed so that the take search's rounds draw numbers of their own: unlike the
#: pack's redraw rounds (render.pack.round_seed) and the seeds a user gives.
TAKE_SEARCH_KEY = 0x7A4E

Hit = tuple[int, int, int]
Strike = Callable[[list[Hit], GenerationOptions], list[np.ndarray]]


def searches_takes(generation: GenerationOptions, bodies: PieceCentroids | None) -> bool:
    """Whether takes made with `generation` by a checkpoint carrying `bodies`
    (Checkpoint.hit_bodies) are searched whole: an active hit search
    (GenerationOptions.active_onset_search) with OnsetSearch.sustain on, and body centroids."""
    search = generation.active_onset_search
    return search is not None and search.sustain and bodies is not None


def take_score(x: np.ndarray, key: int, bodies: PieceCentroids, sample_rate: int) -> float | None:
    """A whole one-shot's score (module doc): -inf when x (n,) reaches full scale (sound.clip_share)
    or holds one value longer than STUCK_SECONDS (measures.oneshot.stuck_ms), else the likeness
    margin (dB, measures.oneshot.likeness_margin_db) of its first bodies.seconds against `bodies`
    for GM key `key`; None where the centroids hold no such piece (or no other)."""
    if clip_share(x) > 0 or stuck_ms(x, sample_rate) > STUCK_SECONDS * 1000.0:
        return -math.inf
    return likeness_margin_db(features(x, sample_rate, seconds=bodies.seconds), bodies.centroids, key)


def search_seed(gen: GenerationOptions, r: int) -> GenerationOptions:
    """`gen` with the seed of take-search round `r` (numpy's SeedSequence of (seed,
    TAKE_SEARCH_KEY, r)); None stays None (fresh entropy)."""
    if gen.seed is None:
        return gen
    return replace(gen, seed=int(np.random.SeedSequence([gen.seed, TAKE_SEARCH_KEY, r]).generate_state(1)[0]))


class RoundProgress:
    """One progress count over rounds of generation: a round's stream-samples are counted on from
    where the rounds before it ended (the first reported on `progress` with its total), so the bar's
    count and ETA go on instead of starting again."""

    def __init__(self, progress: Any) -> None:
        self.progress, self.base, self.last = progress, 0, 0

    def next(self) -> None:
        """A new round: its counts start where the last total ended."""
        self.base += self.last
        self.last = 0

    def update(self, done: int, total: int | None = None, **values: Any) -> None:
        """A generation's progress(done, total) in stream-samples, passed on counted from `base`."""
        if self.progress is None:
            return
        if total is not None:
            self.last = total
        self.progress(self.base + done, None if total is None else self.base + total, **values)


def search_takes(
    hits: Sequence[Hit],
    strike: Strike,
    generation: GenerationOptions,
    bodies: PieceCentroids,
    rounds: Sequence[int],
    sample_rate: int,
) -> tuple[list[np.ndarray], int]:
    """Strike `hits` ((GM key, velocity, held samples) each) and draw again the takes that score 0
    or less (`take_score`), in `rounds` (candidates per round). strike(hits, gen) → one-shots
    float32 (n_i,) in the order of `hits`, generated with `gen` (its seed and progress). Returns
    the kept takes in the order of `hits` and how many candidates were struck after the first
    takes."""
    count = RoundProgress(generation.progress)
    takes = strike(list(hits), replace(generation, progress=count.update))
    scores = [take_score(x, k, bodies, sample_rate) for x, (k, _, _) in zip(takes, hits, strict=True)]
    spent = 0
    for r, size in enumerate(rounds, 1):
        open_ = [i for i, s in enumerate(scores) if s is not None and s <= 0]
        if not open_:
            break
        jobs = [i for i in open_ for _ in range(size)]
        count.next()
        gen = replace(search_seed(generation, r), progress=count.update)
        for i, x in zip(jobs, strike([hits[i] for i in jobs], gen), strict=True):
            s = take_score(x, hits[i][0], bodies, sample_rate)
            if s is not None and s > scores[i]:
                takes[i], scores[i] = x, s
        spent += len(jobs)
    return takes, spent
