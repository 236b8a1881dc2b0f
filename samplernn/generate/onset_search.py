"""Best-of-N note onsets: which part of each stream the search scores, and which candidate wins.

A model that writes a note sample by sample sometimes loses the pitch where the attack turns into
the sustained tone (40–150 ms after the note-on, docs/training.md "The attack") and then plays
noise or the octave above for the rest of a short note. Offline, where every note is known in
advance, `samplernn.generate.engine.generate_classes` (per-note streams) and the streaming
engine's scout voices (`samplernn.generate.stream`, render's voices) generate each note's onset
several times with different random numbers (in OnsetSearch.rounds, until a candidate scores
OnsetSearch.accept), score each candidate here, and generate the note to the end from the best
one's random numbers — the same draw replayed, so the note's start is the
scored candidate (on both CPU engines sample for sample, as the tests check; on CUDA float
rounding in a differently sized batch could let it drift, and it is then another sample of the
same model).

The score (OnsetSearch.measure) is, for a pitched note, `samplernn.measures.periodicity.
periodicity_score` over the probe at the note's period: a tone at the note's pitch scores high;
noise, silence and octave-up tones score low. For a drum hit it is the level error
(`samplernn.measures.oneshot.level_error_db`, negated) of the probe against the level column the
model was given, the kit's typical envelope for that piece and velocity, less ATTACK_DB_PER_MS
for every ms the probe takes to reach its peak: a hit that starts as loud and as sharp and falls
as fast as the kit's scores high, a soft, slow or late start low, and a start that reaches full
scale or sticks on one value lowest of all (-inf: a kit's real samples never clip nor stick, and
most clipped takes of a kit model clip within their first 40 ms). When the checkpoint carries its
kit's piece centroids (measures.oneshot.PieceCentroids) a hit is also scored by likeness: each
candidate is generated for the centroids' window (the hit's body, not only its first 40 ms) and gains
HIT_LIKENESS_WEIGHT × how much nearer its own piece's centroid it lies than any other piece's (dB),
so that a snare that sounds like a tom is passed over (`hit_score`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conditioning.events import LEVEL_INDEX, NOTE_INDEX, VELOCITY_INDEX, level_column_db
from samplernn.generate.options import HIT_LIKENESS_WEIGHT, HIT_PROBE_SECONDS
from samplernn.measures.oneshot import (
    STUCK_SECONDS,
    PieceCentroids,
    attack_ms,
    features,
    level_error_db,
    likeness_margin_db,
    stuck_ms,
)
from samplernn.measures.periodicity import periodicity_score
from samplernn.measures.sound import clip_share, midi_to_hz

#: What a hit's slow start costs in the "level" score: dB of level error per ms the probe takes to
#: come within 3 dB of its peak (measures.oneshot.attack_ms). The level column's 10 ms frames
#: cannot say how sharp a hit's first milliseconds are; on a pool of a kit model's takes, 0.05
#: took the good attacks of the chosen takes from 82 to 89 % at the same decays (docs/drums.md).
ATTACK_DB_PER_MS = 0.05


@dataclass(frozen=True)
class Probe:
    """The part of one stream the search scores: samples [onset, stop) of its first note, whose
    MIDI `pitch` gives the wanted period and `level` (stop - onset,) the wanted level in dBFS
    (the level column's, `probe_level`; None when the stream has none). `stop` is also how far
    each candidate is generated."""

    onset: int
    stop: int
    pitch: int
    level: np.ndarray | None = None


def probe_level(rows: np.ndarray) -> np.ndarray | None:
    """The wanted level, dBFS (n,), of conditioning rows (n, 5): their level column in dB; None
    when the column is empty (a bank without loudness envelopes)."""
    column = rows[:, LEVEL_INDEX]
    return level_column_db(column) if column.any() else None


def stream_probe(cond: np.ndarray, probe_samples: int) -> Probe | None:
    """The probe of a stream with conditioning `cond` (n, 5): from its first note-on, the next
    `probe_samples` samples, cut at that note's end or the stream's. None for a stream without a
    note (nothing to search)."""
    sounding = np.flatnonzero(cond[:, VELOCITY_INDEX] > 0)
    if len(sounding) == 0:
        return None
    onset = int(sounding[0])
    pitch = int(cond[onset, NOTE_INDEX])
    after = np.flatnonzero(cond[onset:, NOTE_INDEX] != pitch)
    end = onset + int(after[0]) if len(after) else len(cond)
    stop = min(end, onset + probe_samples)
    return Probe(onset, stop, pitch, probe_level(cond[onset:stop]))


def score_candidate(
    audio: np.ndarray, probe: Probe, sample_rate: int, measure: str = "periodicity",
    pieces: PieceCentroids | None = None,
) -> float:
    """The score of one candidate's audio (its stream from sample 0, at least probe.stop samples)
    over the probe: "periodicity" at the period of probe.pitch (samples); "level" (`hit_score`):
    minus the level error (dB) of the first HIT_PROBE_SECONDS against probe.level and the attack
    term, plus the likeness term when `pieces` are given, -inf for a probe that reaches full scale
    (sound.clip_share) or sticks (measures.oneshot.stuck_ms over STUCK_SECONDS). Raises ValueError
    for an unknown measure."""
    part = audio[probe.onset : probe.stop]
    if measure == "level":
        return hit_score(part, probe, sample_rate, pieces)
    if measure != "periodicity":
        raise ValueError(f"unknown onset measure {measure!r}")
    return periodicity_score(part, max(sample_rate / midi_to_hz(probe.pitch), 3.0))


def hit_score(part: np.ndarray, probe: Probe, sample_rate: int,
              pieces: PieceCentroids | None = None) -> float:
    """A drum hit candidate's score from its probe `part` (n,) (from the note-on): minus the level
    error (dB, measures.oneshot.level_error_db) of its first HIT_PROBE_SECONDS against probe.level
    (0 when there is no level to follow) and ATTACK_DB_PER_MS for every ms it takes to come within
    3 dB of its peak; plus HIT_LIKENESS_WEIGHT × measures.oneshot.likeness_margin_db of its
    features over pieces.seconds against the kit's piece centroids, when given and holding the
    hit's piece; -inf when the part reaches full scale or holds one value longer than STUCK_SECONDS."""
    if clip_share(part) > 0 or stuck_ms(part, sample_rate) > STUCK_SECONDS * 1000.0:
        return -math.inf
    head = part[: max(1, round(HIT_PROBE_SECONDS * sample_rate))]
    score = 0.0
    if probe.level is not None and head.size:
        error = level_error_db(head, probe.level[: head.size], sample_rate)
        attack = attack_ms(head, sample_rate)
        score = -error - ATTACK_DB_PER_MS * (head.size * 1000.0 / sample_rate if attack is None else attack)
    if pieces is not None:
        feats = features(part, sample_rate, seconds=pieces.seconds)
        margin = likeness_margin_db(feats, pieces.centroids, probe.pitch)
        score += 0.0 if margin is None else HIT_LIKENESS_WEIGHT * margin
    return score


def best_candidates(scores: Sequence[Sequence[float]]) -> list[int]:
    """For each stream, the index of its highest-scoring candidate (the first on a tie, so that
    candidate 0, the draw an unsearched generation makes, wins when nothing tells them apart)."""
    return [int(np.argmax(row)) if len(row) else 0 for row in scores]
