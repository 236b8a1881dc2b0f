"""Takes are ranked by pitch error, noise floor and level against the bank."""

from __future__ import annotations

import numpy as np
import pytest
from support.audio import tone

from conditioning import BankStats, NoteEvent
from samplernn.serve.ranking import RankWeights, TakeMeasures, bank_level_db, measure_take, rank

SR = 16000
EVENT = NoteEvent(57, 100, 4000, 12000, 13600)  # A3 (220 Hz): 0.25 s lead, 0.5 s held, 0.1 s release


def bank(db: float = -20.0) -> BankStats:
    held, released = np.full(60, db, np.float32), np.linspace(db, db - 40.0, 10, dtype=np.float32)
    return BankStats.from_notes(SR, [(57, 100, 1600)], [(57, 100, held, released)])


def take(cents: float = 0.0, noise: float = 0.0, amplitude: float = 0.14) -> np.ndarray:
    """A3 detuned by `cents`, plus white noise of that RMS everywhere."""
    x = tone(SR, 57 + cents / 100, 0.25, 0.75, tail=0.1, total=1.0, amplitude=amplitude)  # type: ignore[arg-type]
    return (x + noise * np.random.default_rng(0).standard_normal(x.size)).astype(np.float32)


def test_measures_of_a_clean_take_against_the_bank() -> None:
    m = measure_take(take(), EVENT, bank(-20.0), SR)
    assert m.cents == pytest.approx(0.0, abs=5.0)
    assert m.noise_floor_db is not None and m.noise_floor_db < -70  # near silence around the note
    assert m.bank_level_db == pytest.approx(-20.0, abs=1.5)
    assert m.level_diff_db == pytest.approx(m.level_db - m.bank_level_db)


def test_a_detuned_take_or_a_noisy_one_ranks_below_a_clean_one() -> None:
    stats = bank(-20.0)
    takes = [take(cents=60.0), take(noise=0.03), take()]
    measures = [measure_take(x, EVENT, stats, SR) for x in takes]
    assert measures[0].cents == pytest.approx(60.0, abs=10.0)
    assert measures[1].noise_floor_db == pytest.approx(-30.5, abs=1.0)
    assert rank(measures)[0] == 2


def test_level_far_from_the_bank_costs_and_unknown_measures_cost_nothing() -> None:
    quiet = TakeMeasures(220.0, 0.0, None, -40.0, -20.0)
    right = TakeMeasures(220.0, 0.0, None, -20.0, -20.0)
    unknown = TakeMeasures(220.0, 0.0, None, -40.0, None)
    assert rank([quiet, right]) == [1, 0]
    assert quiet.score() == pytest.approx(20.0 / RankWeights().level_scale_db)
    assert unknown.score() == 0.0 == right.score()


def test_unvoiced_costs_as_much_as_far_out_of_tune() -> None:
    unvoiced = TakeMeasures(None, None, None, -20.0, None)
    octave = TakeMeasures(440.0, 1200.0, None, -20.0, None)
    assert unvoiced.score() == octave.score() == RankWeights().unvoiced
    assert rank([unvoiced, octave]) == [0, 1]  # a tie keeps the generation order


def test_banks_without_envelopes_have_no_level_to_compare() -> None:
    assert bank_level_db(BankStats.from_notes(SR, [(57, 100, 1600)]), EVENT) is None
