"""A drum model's min-p per piece, fitted once at the end of training on the kit's train hits.

Min-p truncation (samplernn.generate.min_p) cleans the bed of noise under a take's tail. Where the
model's takes of a piece are noisier than its recordings that brings them back to their piece; where
they are as clean as the recordings it makes them cleaner than the real ones and takes them away:
one P for a kit helped the held-out kit and hurt the two it was tuned on (docs/drums.md, "Min-p
truncation"). So each piece gets its own P, chosen by what the truncation is for — that the takes
sound like their piece:

1. every piece's train hits (up to MAX_HITS, spread over its velocities) are generated TAKES times
   each at every P of LADDER, each hit as `evaluate` and `pack` make it (the checkpoint's
   temperature and attack curve, the hit search by level and likeness over ONSET_CANDIDATES
   starts), with the same random numbers at every P (one seed, one row order: the P is the only
   difference);
2. each take's likeness margin (measures.oneshot.likeness_margin_db: how much nearer the centroid of
   its own piece than the nearest other piece's, dB) is read over the first FEATURE_SECONDS against
   the centroids of all the kit's train hits;
3. a piece plays at the P of the largest mean margin (the smaller P on a tie: TIE_DB) among the
   rungs where fewer than STICKY_SHARE of its takes stick (hold one value longer than HELD_SECONDS;
   where every rung's do, the rungs with the fewest): a hard truncation can make the model repeat
   one value, and a margin read off the spectrum does not see it. On The Black Pearl the bass
   drum's margin was best at 0.3, where 12 of 12 loud takes of `synth` held −0.11 for 100–160 ms;
   at 0 and 0.1 none did (docs/drums.md, *Stuck output*).

Only the train split is read (the checkpoint's test figures stay unseen). The table goes into the
checkpoint as `generation.piece_min_p` (Checkpoint.piece_min_p), which synth, render, pack, play and
evaluate follow unless given --min-p.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conditioning import events_to_conditioning
from samplernn.common.progress import ProgressFn
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.generate.engine import synthesize
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.measures.oneshot import (
    FEATURE_SECONDS,
    PieceCentroids,
    features,
    likeness_margin_db,
    stuck_ms,
)
from samplernn.model.checkpoint import Checkpoint, load_checkpoint, read_payload, save_checkpoint

#: The truncations tried: none, and the two that docs/drums.md measured on three kits (0.1: the
#: held-out kit's floor +2.1 → +1.1 dB over the real one; 0.3: +0.1 dB, its likeness 46 → 62 %).
LADDER: tuple[float, ...] = (0.0, 0.1, 0.3)
#: Train hits generated per piece, and takes of each: 8 takes per piece and P.
MAX_HITS = 4
TAKES = 2
#: A fit take that holds one sample value longer than this sticks, seconds: a fifth of what
#: `evaluate` fails (measures.oneshot.STUCK_SECONDS), as the fit's takes are few and short and the
#: hit search already refuses a start that sticks that long. Measured on The Black Pearl's fit
#: (8 takes a piece): no real hit holds one value over 0.4 ms, no take at P 0 over 1.7 ms; at P 0.3
#: every bass-drum take held 6–13 ms, and evaluate's longer takes held 100 ms and more.
HELD_SECONDS = 0.005
#: A rung is passed over for a piece when this share of its takes stick or more. A few sticking
#: takes the hit search passes over (it refuses a start that sticks); a rung where most do leaves
#: it little to choose from. On The Black Pearl, passing over every rung with any sticking take
#: put the bass drum at 0: no take stuck, and its likeness fell from 83 to 42 % (docs/drums.md).
STICKY_SHARE = 0.5
#: Mean margins within this many dB of the best count as the best (the smaller P wins). Chosen on
#: the two kits the recipe was tuned on (docs/drums.md, "A min-p per piece"): 0 gave them the most
#: likeness of 0, 0.1, 0.25, 0.5 and 1 dB (78.3 % against 75.0 % at 0.5): only an exact tie.
TIE_DB = 0.0


@dataclass(frozen=True)
class PieceMinPFit:
    """The fitted table and what it was chosen by: chosen {GM key: P}; margins {key: {P: mean
    likeness margin of the piece's takes at P, dB}}; takes per piece and P; seconds it took; stuck
    {key: {P: how many of the piece's takes at P held one value longer than HELD_SECONDS}} (empty where
    none was counted)."""

    chosen: dict[int, float]
    margins: dict[int, dict[float, float]]
    takes: int
    seconds: float
    stuck: dict[int, dict[float, int]] = field(default_factory=dict)

    def to_payload(self) -> dict[str, float]:
        """The checkpoint's `generation.piece_min_p`: keys as decimal strings."""
        return {str(k): float(p) for k, p in sorted(self.chosen.items())}

    def summary(self) -> str:
        """One line for the training log: each key's P and its margin against no truncation."""
        parts = []
        for key, p in sorted(self.chosen.items()):
            m = self.margins[key]
            gain = f" ({m[p] - m[0.0]:+.1f} dB)" if p and p in m and 0.0 in m else ""
            parts.append(f"{key}: {p:g}{gain}")
        passed = [f"{key} at {q:g} ({n} of {self.takes} takes)" for key, row in sorted(self.stuck.items())
                  for q, n in sorted(row.items()) if n and n > row.get(self.chosen[key], 0)]
        said = f"; passed over for stuck output: {', '.join(passed)}" if passed else ""
        return (f"min-p per piece, fitted on {self.takes} takes of each piece's train hits per P in "
                f"{self.seconds:.0f} s: " + ", ".join(parts) + said)


def fit_hits(dataset: PreparedDataset, max_hits: int = MAX_HITS) -> dict[int, list[NoteRecord]]:
    """Each piece's train hits the fit plays: up to `max_hits`, evenly over the piece's hits sorted
    by velocity (its softest and loudest among them)."""
    by_key: dict[int, list[NoteRecord]] = {}
    for rec in dataset.split("train"):
        by_key.setdefault(rec.pitch, []).append(rec)
    out = {}
    for key, recs in sorted(by_key.items()):
        recs = sorted(recs, key=lambda r: (r.velocity, r.id))
        pick = np.unique(np.linspace(0, len(recs) - 1, min(max_hits, len(recs))).round().astype(int))
        out[key] = [recs[i] for i in pick]
    return out


def fit_piece_min_p(
    ckpt: Checkpoint,
    dataset: PreparedDataset,
    *,
    ladder: Sequence[float] = LADDER,
    max_hits: int = MAX_HITS,
    takes: int = TAKES,
    seed: int = 0,
    threads: int = 1,
    log: Callable[[str], None] | None = None,
    progress: ProgressFn | None = None,
) -> PieceMinPFit:
    """Fit a min-p per piece for drum model `ckpt` on `dataset`'s train hits (the module's steps).
    The model runs on its own device. `progress(done, total)` counts stream-samples generated over
    all the ladder's rungs (the hit search's candidates included). Raises ValueError for a kit with
    fewer than two pieces (a likeness needs another piece to be nearer than) or an empty ladder."""
    t0 = time.monotonic()
    hits = fit_hits(dataset, max_hits)
    if len(hits) < 2 or not ladder:
        raise ValueError(f"{dataset.root}: fitting a min-p per piece needs two pieces or more and a "
                         f"ladder of truncations ({len(hits)} pieces, ladder {list(ladder)})")
    sr = dataset.sample_rate
    train = dataset.split("train")
    real = PieceCentroids.of_hits(((r.pitch, dataset.load_audio(r), r.onset) for r in train), sr,
                                  FEATURE_SECONDS)
    n = round(FEATURE_SECONDS * sr)
    rows = [r for recs in hits.values() for r in recs for _ in range(takes)]
    conds = [events_to_conditioning([r.event], r.onset + n, dataset.stats) for r in rows]
    margins: dict[int, dict[float, float]] = {k: {} for k in hits}
    stuck: dict[int, dict[float, int]] = {k: {} for k in hits}
    for i, p in enumerate(ladder):
        opts = GenerationOptions(min_p=float(p), seed=seed, batch_size=len(rows), threads=threads,
                                 progress=_rung(progress, i, len(ladder)))
        opts = opts.for_checkpoint(ckpt).with_onset_search(ONSET_CANDIDATES, sr, hits=True,
                                                           pieces=ckpt.hit_pieces)
        with torch.inference_mode():
            out = synthesize(ckpt.model, conds, opts)
        per_key: dict[int, list[float]] = {}
        for r, x in zip(rows, out, strict=True):
            m = likeness_margin_db(features(x, sr, r.onset), real.centroids, r.pitch)
            per_key.setdefault(r.pitch, []).append(m if m is not None else 0.0)
            held = stuck_ms(x[r.onset:], sr) > HELD_SECONDS * 1000.0
            stuck[r.pitch][float(p)] = stuck[r.pitch].get(float(p), 0) + int(held)
        for key, ms in per_key.items():
            margins[key][float(p)] = float(np.mean(ms))
        if log is not None:
            log(f"min-p {p:g}: mean likeness margin {np.mean([margins[k][float(p)] for k in hits]):+.2f} dB "
                f"over {len(rows)} takes")
    chosen = {k: choose(m, stuck[k], takes * len(hits[k])) for k, m in margins.items()}
    return PieceMinPFit(chosen, margins, takes * max(len(r) for r in hits.values()), time.monotonic() - t0,
                        stuck)


def _rung(progress: ProgressFn | None, i: int, rungs: int) -> ProgressFn | None:
    """Rung `i` of `rungs`' generation progress(done, total) as progress over the whole ladder."""
    if progress is None:
        return None
    return lambda done, total: progress(i * total + done, rungs * total)


def choose(margins: dict[float, float], stuck: dict[float, int] | None = None, takes: int = 1,
           tie_db: float = TIE_DB) -> float:
    """The smallest P whose mean margin (dB) is within `tie_db` of the largest among the Ps where
    fewer than STICKY_SHARE of the `takes` stuck (`stuck` {P: count}; a P missing from it counts
    none), or, where no P is such, among those with the fewest."""
    counts = {p: (stuck or {}).get(p, 0) for p in margins}
    kept = {p: m for p, m in margins.items() if counts[p] < STICKY_SHARE * takes}
    if not kept:
        fewest = min(counts.values())
        kept = {p: m for p, m in margins.items() if counts[p] == fewest}
    best = max(kept.values())
    return min(p for p, m in kept.items() if m >= best - tie_db)


def write_piece_min_p(path: Path, fit: PieceMinPFit) -> None:
    """Put `fit`'s table into checkpoint `path` as `generation.piece_min_p` (written atomically;
    everything else in the file as it was). Raises UserError for a file that cannot be read or
    written."""
    payload: dict[str, Any] = read_payload(path)
    payload["generation"] = {**(payload.get("generation") or {}), "piece_min_p": fit.to_payload()}
    save_checkpoint(path, payload)


def fit_checkpoint(path: Path, dataset: PreparedDataset, *, threads: int = 1, seed: int = 0,
                   log: Callable[[str], None] | None = None,
                   progress: ProgressFn | None = None) -> PieceMinPFit:
    """Fit a min-p per piece for the drum model in checkpoint `path` on `dataset` (on the CPU) and
    write it into the file (`write_piece_min_p`). Raises what fit_piece_min_p and load_checkpoint
    raise."""
    ckpt = load_checkpoint(path, device="cpu")
    fit = fit_piece_min_p(ckpt, dataset, threads=threads, seed=seed, log=log, progress=progress)
    write_piece_min_p(path, fit)
    return fit
