"""Simulate the best-checkpoint and plateau rules (samplernn.train.plateau) on noisy validations.

Each simulated run has a true sound quality per validation and a val NLL; the recorded sound
score is the true quality plus Gaussian noise (--noise, the ±0.05 seen between neighbouring
validations of a real run), rounded to 0.01 as training rounds it. Two shapes: `rising` (quality
rises and levels off while NLL keeps falling: the 120-minute trombone run) and `peaking` (quality
peaks, then falls while NLL creeps down: the drum-kit runs). Prints, per rule (the first rule:
score alone, stop when it stalls; today's with the default --score-tie; today's at --score-tie 0,
a drum kit's default), the median validation at which it stopped and the true quality of its
best.pt against the run's true best.

    python scripts/simulate_plateau.py [--runs 2000] [--noise 0.04] [--patience 10]
"""

from __future__ import annotations

import argparse

import numpy as np

from samplernn.model.nll import NLLResult
from samplernn.train.plateau import SCORE_TIE_BAND
from samplernn.train.state import EvalRecord

VALIDATIONS = 40  # 20,000 steps at --val-every 500


def shapes(t: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(true quality, val NLL in bits/sample) per validation index t, by shape."""
    rising = (0.9 * (1 - np.exp(-t / 6)), 1.55 + 0.6 * np.exp(-t / 12))
    peaking = (0.8 * (1 - np.exp(-t / 3)) - 0.012 * np.maximum(t - 10, 0), 3.5 + 0.3 * np.exp(-t / 15))
    return {"rising": rising, "peaking": peaking}


def old_rule(scores: np.ndarray, nll: np.ndarray, patience: int) -> tuple[int, int]:
    """(best index, stop index) of the first rule: best by the rounded score, NLL on exact ties;
    stop after `patience` validations without a new best."""
    best, bad = 0, 0
    for i in range(1, len(scores)):
        if scores[i] > scores[best] or (scores[i] == scores[best] and nll[i] < nll[best]):
            best, bad = i, 0
        else:
            bad += 1
        if patience and bad >= patience:
            return best, i
    return best, len(scores) - 1


def new_rule(scores: np.ndarray, nll: np.ndarray, patience: int, band: float) -> tuple[int, int]:
    """(best index, stop index) of samplernn.train.plateau through EvalRecord, tie band `band`."""
    rec = EvalRecord()
    for i, (s, v) in enumerate(zip(scores, nll, strict=True)):
        rec.add(i, NLLResult(float(v)), None, float(s), by_sound=True, band=band)
        if patience and rec.bad_evals >= patience:
            return rec.best_step, i
    return rec.best_step, len(scores) - 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--noise", type=float, default=0.04, help="SD of the sound score's noise")
    ap.add_argument("--patience", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    t = np.arange(VALIDATIONS, dtype=float)
    for shape, (quality, nll) in shapes(t).items():
        rows: dict[str, list] = {"old": [], "new": [], "band 0": []}
        for _ in range(args.runs):
            scores = np.round(quality + rng.normal(0, args.noise, VALIDATIONS), 2)
            noisy_nll = nll + rng.normal(0, 0.002, VALIDATIONS)
            picks = {"old": old_rule(scores, noisy_nll, args.patience),
                     "new": new_rule(scores, noisy_nll, args.patience, SCORE_TIE_BAND),
                     "band 0": new_rule(scores, noisy_nll, args.patience, 0.0)}
            for name, (best, stop) in picks.items():
                rows[name].append((stop, quality[best], quality[: stop + 1].max(), quality.max()))
        print(f"{shape} (true best quality {quality.max():.3f} at validation {int(quality.argmax())}):")
        for name, r in rows.items():
            a = np.array(r)
            print(f"  {name} rule: stops at validation {np.median(a[:, 0]):.0f} (median; "
                  f"{np.mean(a[:, 0] < VALIDATIONS - 1) * 100:.0f} % stop early), best.pt true quality "
                  f"{np.median(a[:, 1]):.3f} (p10 {np.percentile(a[:, 1], 10):.3f}), "
                  f"{np.median(a[:, 3] - a[:, 1]):.3f} below the run's true best")


if __name__ == "__main__":
    main()
