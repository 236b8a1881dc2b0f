"""The sound check of a drum kit: its validation hits, generated and scored as one-shots.

A drum has no pitch, and its hits are too short and too varied for the pitched score's level and
length parts (sound_score), so for a drum bank (`data.drum_bank.is_drum_bank` of the layout the
dataset was prepared with: the rule `evaluate` and `render` use) every probe is a validation hit
played as the kit has it — its own note-on, held part and countdown, uncut — for the first
`sound_seconds` (the window) after its onset. The window of the generated hit and the same window
of the real one are measured with the one-shot measures (samplernn.measures.oneshot):

* level — the loudest 10 ms frame, dB against the real hit's (the same piece at the same velocity);
* attack — the envelope comes within ATTACK_NEAR_DB (3 dB) of its peak within ATTACK_MS (10 ms)
  of the onset;
* decay — the time from the loudest 10 ms frame until the level stays DECAY_DROP_DB (20 dB) below
  it is within DECAY_TOLERANCE (30 %) of the real hit's.

Attack and decay are judged only for a hit within LEVEL_SCALE_DB of the real one's loudness: the
near-silence of an untrained model is "at its peak" from the first sample and, like a cymbal
ringing through the window, never falls: it would pass both.

A hit's checks are a good attack, a good decay and, where the kit's train hits give piece
centroids, the **likeness** (`evaluate`'s: the hit's oneshot.features nearer its own piece's
centroid than any other's; judged, like attack and decay, only within LEVEL_SCALE_DB). A hit scores
the share of its checks it passes, minus a level penalty of up to PENALTY_WEIGHT growing linearly
to its full weight at LEVEL_SCALE_DB: 1 = it starts at once, dies away as the real hit does, sounds
like its piece, at its level; −0.25 = silence (or any sound LEVEL_SCALE_DB or more off the real
level). The sound score is the mean over the hits (sound_score.SoundScore), and picks best.pt and
tells a plateau as for a pitched bank.

The likeness is in the score since 2026-12-06: on a held-out kit (docs/drums.md, "The likeness in
the kit's sound score") the sound check's likeness of 7 checkpoints of one run ranked them as
`evaluate`'s likeness of their test takes did (Spearman 0.96) where the attack-and-decay score did
not (0.79), and a run whose score rose while `evaluate`'s likeness fell (scheduled sampling on a
kit) showed that the likeness was what the score missed. The **band floor** over the real hit's
(oneshot.band_floor_db) is recorded beside the score, not in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conditioning import NoteEvent, events_to_conditioning
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.measures import oneshot
from samplernn.train.sound_score import LEVEL_SCALE_DB, PENALTY_WEIGHT


@dataclass(frozen=True)
class HitScore:
    """One generated hit's measures over the window: attack in ms (None: silence), decay and the
    real hit's decay in ms, signed loudness error in dB, the likeness margin in dB
    (oneshot.likeness_margin_db: > 0 when its own piece's centroid is the nearest; None without
    centroids); beside the score, its band floor over the real hit's in dB (None when not measured)."""

    attack_ms: float | None
    decay_ms: float | None
    real_decay_ms: float | None
    level_error_db: float
    likeness_margin_db: float | None = None
    floor_over_db: float | None = None

    @property
    def judged(self) -> bool:
        """Within LEVEL_SCALE_DB of the real hit's loudness: attack and decay are judged."""
        return abs(self.level_error_db) <= LEVEL_SCALE_DB

    @property
    def attack_ok(self) -> bool:
        return self.judged and self.attack_ms is not None and self.attack_ms <= oneshot.ATTACK_MS

    @property
    def decay_ok(self) -> bool:
        return self.judged and bool(oneshot.decay_close(self.decay_ms, self.real_decay_ms))

    @property
    def like_ok(self) -> bool | None:
        """Nearest its own piece's centroid (evaluate's likeness); None without centroids."""
        return None if self.likeness_margin_db is None else self.likeness_margin_db > 0

    @property
    def value(self) -> float:
        """The share of its checks passed (attack, decay, and likeness where measured; none for a
        hit too far off the real level to be judged), minus the level penalty: in [−0.25, 1]."""
        level = min(abs(self.level_error_db) / LEVEL_SCALE_DB, 1.0)
        checks = [self.attack_ok, self.decay_ok]
        if self.like_ok is not None:
            checks.append(self.judged and self.like_ok)
        return float(np.mean(checks)) - PENALTY_WEIGHT * level

    @classmethod
    def parts(cls, notes: Sequence[HitScore]) -> dict[str, Any]:
        """kind "drum"; shares with a good attack and a good decay, median |level error| in dB,
        median |decay − real decay| in % of the real decay; per-hit attack, decay and real decay
        (ms); the share like their piece and the median band floor over the real (dB), None when
        not measured."""
        n = notes
        off = [abs(x.decay_ms - x.real_decay_ms) / max(x.real_decay_ms, oneshot.LEVEL_HOP_S * 1000.0)
               for x in n if x.decay_ms is not None and x.real_decay_ms is not None]
        like = [x.like_ok for x in n if x.like_ok is not None]
        floor = [x.floor_over_db for x in n if x.floor_over_db is not None]
        return {
            "kind": "drum",
            "attack": float(np.mean([x.attack_ok for x in n])) if n else None,
            "decay": float(np.mean([x.decay_ok for x in n])) if n else None,
            "level_error_db": float(np.median([abs(x.level_error_db) for x in n])) if n else None,
            "decay_error_pct": 100.0 * float(np.median(off)) if off else None,
            "attack_ms": [_ms(x.attack_ms) for x in n],
            "decay_ms": [_ms(x.decay_ms) for x in n],
            "real_decay_ms": [_ms(x.real_decay_ms) for x in n],
            "likeness": float(np.mean(like)) if like else None,
            "floor_over_db": round(float(np.median(floor)), 2) if floor else None,
        }


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def window(x: np.ndarray, onset: int, n: int) -> np.ndarray:
    """x[onset : onset + n] as float32 (n,), zero-padded past the end of x."""
    out = np.zeros(n, np.float32)
    part = np.asarray(x[onset : onset + n], dtype=np.float32)
    out[: part.size] = part
    return out


@dataclass(frozen=True)
class HitProbe:
    """A validation hit as the sound check plays it: its event (uncut), conditioning (onset + n, 5)
    int32 for a window of n samples from the onset, the real hit's loudness (dB), decay (ms) and
    band floor (dB, oneshot.band_floor_db) over that window, and the kit's piece centroids (GM key
    → oneshot.features (d,)) its likeness is told by (None: not measured)."""

    id: str
    event: NoteEvent
    cond: np.ndarray
    real_db: float
    real_decay_ms: float | None
    real_floor_db: float | None = None
    centroids: Mapping[int, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def score(self, generated: np.ndarray, sample_rate: int) -> HitScore:
        """Measure the window of a generated hit (float (len(cond),)) against the real one."""
        onset = self.event.onset
        x = window(generated, onset, len(self.cond) - onset)
        feats = oneshot.features(x, sample_rate)
        key = self.event.pitch
        margin = oneshot.likeness_margin_db(feats, self.centroids, key) if self.centroids else None
        floor = None if self.real_floor_db is None else oneshot.band_floor_db(feats) - self.real_floor_db
        return HitScore(oneshot.attack_ms(x, sample_rate), oneshot.decay_ms(x, sample_rate),
                        self.real_decay_ms, oneshot.loudness_db(x, sample_rate) - self.real_db,
                        margin, floor)


def piece_centroids(dataset: PreparedDataset) -> dict[int, np.ndarray]:
    """GM key → the mean oneshot.features (d,) of the kit's train hits of that piece, over
    oneshot.FEATURE_SECONDS from each onset as `evaluate`'s likeness (oneshot.PieceCentroids);
    {} without train hits. Reads their audio once."""
    train = dataset.split("train")
    if not train:
        return {}
    hits = [(r.pitch, dataset.load_audio(r), r.onset) for r in train]
    return oneshot.PieceCentroids.of_hits(hits, dataset.sample_rate, oneshot.FEATURE_SECONDS).centroids


def hit_probe(
    dataset: PreparedDataset,
    rec: NoteRecord,
    seconds: float,
    centroids: Mapping[int, np.ndarray] | None = None,
) -> HitProbe:
    """The probe of validation hit `rec`: a window of `seconds` (at least one sample) after its
    onset; its likeness told by `centroids` (piece_centroids; the features span
    oneshot.FEATURE_SECONDS, so a shorter window reads as silence past its end)."""
    sr = dataset.sample_rate
    n = max(1, int(seconds * sr))
    real = window(dataset.load_audio(rec), rec.onset, n)
    cond = events_to_conditioning([rec.event], rec.onset + n, dataset.stats)
    floor = oneshot.band_floor_db(oneshot.features(real, sr))
    return HitProbe(rec.id, rec.event, cond, oneshot.loudness_db(real, sr), oneshot.decay_ms(real, sr),
                    floor, centroids)
