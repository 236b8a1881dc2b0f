"""Which validation is the best so far, and when a run has stopped getting better.

The sound score of a validation (samplernn.train.sound_score: 24 unsearched notes by default) is
noisy: on the 120-minute default trombone run of docs/training.md it moved by about ±0.05 between
neighbouring validations while the validation NLL fell at nearly every one. Two rules follow:

* **best.pt by sound, within its noise.** A validation is the best so far when its sound score
  beats the best checkpoint's by more than SCORE_TIE_BAND, or when it lies within SCORE_TIE_BAND
  of the highest score seen yet and its val NLL is lower than the best checkpoint's (a tie in the
  noise: the better predictor wins). Measuring the band from the highest score seen, not from the
  best checkpoint's, keeps a chain of ties from drifting down one band at a time.
* **A plateau is when both stall.** A validation counts as progress when it is the new best.pt,
  its sound score is the highest seen yet, or its val NLL lies at least NLL_MIN_GAIN bits/sample
  below the lowest NLL counted so far (so a slow steady fall adds up and counts). `--patience`
  validations in a row without progress stop the run.

The band is `--score-tie` (TrainConfig.score_tie; unset, train.recipe.fit_to_bank makes it
SCORE_TIE_BAND for a pitched bank and 0 for a drum kit); at 0 the sound score alone picks best.pt
and tells a plateau (NLL only breaks exact ties), which is a drum kit's default: a kit's NLL keeps
falling as it learns its hits by heart while they sound no better (docs/drums.md), and in
`scripts/simulate_plateau.py` a band of 0.05 on such a run picked a best.pt 0.037 below the run's
true best against 0.010 with none. Choosing by NLL alone (`--choose-by nll`) is the plain rule: best
= lowest val NLL, progress = a new lowest val NLL.
"""

from __future__ import annotations

SCORE_TIE_BAND = 0.05  # sound scores this close count as a tie (measured noise, docs/training.md)
NLL_MIN_GAIN = 0.001  # bits/sample: a smaller fall of val NLL is no progress
_EPS = 1e-9  # scores are rounded to 0.01: compare them with a margin for float error


def better_by_sound(
    score: float, val: float, best_score: float | None, best_val: float, peak: float | None,
    band: float = SCORE_TIE_BAND,
) -> bool:
    """Whether a validation with sound `score` and val NLL `val` (bits/sample) beats the best
    checkpoint's (`best_score`, `best_val`), given the highest score seen so far `peak` (None:
    none recorded yet, as for a checkpoint chosen by NLL) and the tie `band`."""
    if best_score is None or peak is None:
        return True
    if score > best_score + band + _EPS:
        return True
    return score >= peak - band - _EPS and val < best_val


def new_peak(score: float | None, peak: float | None, by_sound: bool) -> bool:
    """Whether sound `score` counts as progress: choosing by sound, a score above `peak`, the
    highest seen before it (None: none yet)."""
    return by_sound and score is not None and (peak is None or score > peak + _EPS)


def nll_fell(val: float, low_val: float | None, by_sound: bool, band: float = SCORE_TIE_BAND) -> bool:
    """Whether val NLL `val` (bits/sample) counts as progress: at least NLL_MIN_GAIN below
    `low_val`, the lowest counted before (None: the first validation); choosing by NLL alone,
    any fall below it; choosing by sound with no tie `band`, never after the first."""
    if low_val is None:
        return True
    if by_sound and band <= 0:
        return False
    return val < low_val - (NLL_MIN_GAIN if by_sound else 0.0)
