"""The best-checkpoint and plateau rules of samplernn.train.plateau, on scripted validations."""

from __future__ import annotations

from samplernn.model.nll import NLLResult
from samplernn.train.plateau import NLL_MIN_GAIN, SCORE_TIE_BAND
from samplernn.train.state import EvalRecord


def run(
    validations: list[tuple[float, float]], by_sound: bool = True, band: float = SCORE_TIE_BAND
) -> tuple[EvalRecord, list[bool]]:
    """An EvalRecord fed (sound score, val NLL) at steps 1, 2, …; and which were new bests."""
    rec = EvalRecord()
    bests = [rec.add(i + 1, NLLResult(v), None, s, by_sound, band) for i, (s, v) in enumerate(validations)]
    return rec, bests


def test_a_score_within_the_noise_is_a_tie_that_the_lower_nll_wins():
    rec, bests = run([(0.80, 2.0), (0.78, 1.9), (0.83, 1.95)])
    assert bests == [True, True, False] and rec.best_step == 2  # 0.83 is within the band of 0.78
    rec, bests = run([(0.80, 2.0), (0.70, 1.5)])
    assert bests == [True, False]  # a score clearly lower loses whatever its NLL
    rec, bests = run([(0.70, 1.5), (0.70 + SCORE_TIE_BAND + 0.01, 1.9)])
    assert bests == [True, True]  # a score clearly higher wins whatever its NLL


def test_ties_cannot_drift_down_one_band_at_a_time():
    falling = [(0.90 - 0.04 * i, 2.0 - 0.1 * i) for i in range(5)]  # each within the band of the last
    rec, bests = run(falling)
    assert bests == [True, True, False, False, False] and rec.best_score == 0.86
    assert rec.peak_score == 0.90


def test_a_run_whose_nll_still_falls_has_not_plateaued():
    rec, _ = run([(0.8, 2.0)] + [(0.75, 2.0 - 0.01 * i) for i in range(1, 12)])
    assert rec.bad_evals == 0 and rec.progress_step == 12
    creep = NLL_MIN_GAIN * 0.6  # a slow fall adds up: every second validation counts
    rec, _ = run([(0.8, 2.0)] + [(0.75, 2.0 - creep * i) for i in range(1, 12)])
    assert rec.bad_evals <= 1


def test_a_plateau_is_when_neither_the_score_nor_the_nll_improves():
    rec, _ = run([(0.5, 2.0), (0.8, 1.9), (0.7, 1.9 - NLL_MIN_GAIN / 2), (0.8, 1.95), (0.6, 1.91)])
    assert rec.bad_evals == 3 and rec.progress_step == 2 and rec.low_val == 1.9
    rec, _ = run([(0.5, 2.0), (0.8, 1.9), (0.81, 1.95)])
    assert rec.bad_evals == 0  # a new highest score is progress even when the NLL rose


def test_with_no_tie_band_the_score_alone_decides_as_the_first_rule_did():
    # a drum kit's default: a lower NLL within the noise does not win, nor count as progress
    rec, bests = run([(0.80, 2.0), (0.78, 1.9), (0.80, 1.95), (0.79, 1.5)], band=0.0)
    assert bests == [True, False, True, False] and rec.best_step == 3  # equal score: NLL breaks the tie
    assert rec.bad_evals == 1 and rec.progress_step == 3


def test_choosing_by_nll_is_the_plain_rule():
    rec, bests = run([(0.9, 2.0), (0.1, 1.9999), (0.95, 2.1)], by_sound=False)
    assert bests == [True, True, False] and rec.bad_evals == 1 and rec.best_step == 2


def test_a_record_from_before_the_rule_takes_its_best_for_the_new_fields():
    old = {"val": 1.8, "step": 500, "bad_evals": 2, "score": 0.7, "last_score": 0.6}
    rec = EvalRecord.from_dict(old)
    assert (rec.peak_score, rec.low_val, rec.progress_step) == (0.7, 1.8, 500)
    assert EvalRecord.from_dict(rec.to_dict()) == rec


def test_no_tie_band_is_the_first_rule_on_noisy_runs():
    """scripts/simulate_plateau.py's rules: at --score-tie 0 today's rule picks and stops as the
    first one did, on every shape and draw."""
    import runpy
    from pathlib import Path

    import numpy as np

    sim = runpy.run_path(str(Path(__file__).parents[2] / "scripts" / "simulate_plateau.py"))
    rng = np.random.default_rng(1)
    t = np.arange(40, dtype=float)
    for quality, nll in sim["shapes"](t).values():
        for _ in range(50):
            scores = np.round(quality + rng.normal(0, 0.04, t.size), 2)
            noisy = nll + rng.normal(0, 0.002, t.size)
            assert sim["new_rule"](scores, noisy, 10, 0.0) == sim["old_rule"](scores, noisy, 10)
