"""One-shot measures on synthetic hits whose answers are known: attack, decay, loudness, the
nearest-centroid likeness, novelty against the training samples, dynamics, clipping."""

from __future__ import annotations

import numpy as np
import pytest
from support.drum_kit import SR, one_shot

from conditioning import BankStats
from conditioning.bankstats import envelope_hop, note_levels
from samplernn.measures import oneshot

KINDS = {36: ("tone", 0.12), 38: ("noise", 0.08), 42: ("hiss", 0.03)}


def kit(n_per_piece: int = 4, seed0: int = 0, mfcc: bool = False) -> list[oneshot.Sound]:
    """Real hits of three pieces, each a fresh noise seed and a slightly different level (`mfcc`:
    measured by the second judge's features too)."""
    out = []
    for key, (kind, decay) in KINDS.items():
        for i in range(n_per_piece):
            x = one_shot(kind, decay, 0.3 + 0.1 * i, seed=seed0 + 100 * key + i)
            out.append(oneshot.measure(x, SR, key, 40 + 20 * i, mfcc=mfcc))
    return out


def test_attack_of_a_sharp_hit_is_at_its_start_and_a_slow_swell_is_late() -> None:
    assert oneshot.attack_ms(one_shot("noise", 0.1), SR) < 2.0
    swell = one_shot("tone", 0.5, attack=round(0.05 * SR))  # linear rise over 50 ms
    assert 25.0 < oneshot.attack_ms(swell, SR) < 50.0
    lead = np.concatenate([np.zeros(800, np.float32), one_shot("noise", 0.1)])
    assert oneshot.attack_ms(lead, SR, start=800) < 2.0  # measured from the given start
    assert oneshot.attack_ms(np.zeros(100, np.float32), SR) is None


@pytest.mark.parametrize("decay_s", [0.05, 0.15, 0.3])
def test_decay_is_the_time_to_fall_20_db(decay_s: float) -> None:
    got = oneshot.decay_ms(one_shot("noise", decay_s, n=SR), SR)
    assert got == pytest.approx(1000 * decay_s, abs=15.0)


def test_loudness_is_the_loudest_frame_and_clipping_is_seen() -> None:
    quiet, loud = one_shot("tone", 0.1, 0.1), one_shot("tone", 0.1, 0.8)
    assert oneshot.loudness_db(loud, SR) - oneshot.loudness_db(quiet, SR) == pytest.approx(18.06, abs=0.1)
    assert not oneshot.measure(loud, SR, 36, 100).clipped
    assert oneshot.measure(np.clip(loud * 2, -1, 1), SR, 36, 100).clipped


def test_a_take_stuck_at_one_value_is_not_clean_but_silence_and_a_square_kick_are() -> None:
    """A take that holds -0.877 for 45 ms and jumps to 0 (as an undertrained kit model's did) is
    stuck; digital silence at 0 and a 20 Hz square wave (25 ms halves) are not."""
    hit = one_shot("tone", 0.1, 0.5)
    stuck = hit.copy()
    stuck[800 : 800 + round(0.045 * SR)] = -0.877
    assert oneshot.stuck_ms(stuck, SR) == pytest.approx(45.0, abs=0.1)
    take = oneshot.measure(stuck, SR, 36, 100)
    assert take.stuck and not take.clipped and not take.clean
    padded = np.concatenate([np.zeros(SR // 2, np.float32), hit, np.zeros(SR // 2, np.float32)])
    assert oneshot.stuck_ms(padded, SR) == 0.0 and oneshot.measure(padded, SR, 36, 100).clean
    t = np.arange(SR // 2) / SR
    square = (0.5 * np.sign(np.sin(2 * np.pi * 20 * t + 1e-3))).astype(np.float32)
    assert oneshot.stuck_ms(square, SR) == pytest.approx(25.0, abs=0.1)
    assert oneshot.measure(square, SR, 36, 100).clean


def test_features_ignore_level_but_not_sound() -> None:
    x = one_shot("noise", 0.08, 0.5, seed=1)
    assert oneshot.feature_distance(oneshot.features(x, SR), oneshot.features(0.1 * x, SR)) < 0.5
    other = one_shot("hiss", 0.08, 0.5, seed=1)
    assert oneshot.feature_distance(oneshot.features(x, SR), oneshot.features(other, SR)) > 5.0


def test_the_band_floor_rises_with_noise_under_a_tone_whatever_its_level() -> None:
    """A clean low tone's picture lies on the floor (-60 dB) in most bands; the same tone with white
    noise 20 dB under it, decaying with it, lies ~9 dB above; the floor is level-free."""
    tone = one_shot("tone", 0.3, 0.5)
    decay = 10 ** (-np.arange(tone.size) / SR / 0.3)
    noisy = tone + (0.05 * decay * np.random.default_rng(0).standard_normal(tone.size)).astype(np.float32)
    clean = oneshot.band_floor_db(oneshot.features(tone, SR))
    assert clean == pytest.approx(-oneshot.FEATURE_FLOOR_DB, abs=1.0)
    assert oneshot.band_floor_db(oneshot.features(noisy, SR)) > clean + 6.0
    assert oneshot.band_floor_db(oneshot.features(0.1 * noisy, SR)) == pytest.approx(
        oneshot.band_floor_db(oneshot.features(noisy, SR)), abs=0.5)


def test_each_piece_is_nearest_its_own_centroid() -> None:
    real = kit()
    ref = oneshot.KitReference.from_sounds(real, real)
    assert oneshot.loo_nearest_piece(real) == [s.key for s in real]
    lone = [*real, oneshot.measure(one_shot("tone", 0.1, 0.4, seed=5), SR, 99, 80)]
    assert oneshot.loo_nearest_piece(lone)[-1] is None  # a piece of one sample cannot be judged
    for key, (kind, decay) in KINDS.items():
        take = oneshot.measure(one_shot(kind, decay, 0.4, seed=999), SR, key, 80)
        assert ref.nearest_piece(take.features) == key


def test_the_second_judge_puts_each_piece_nearest_its_own_and_a_swapped_take_elsewhere() -> None:
    assert all(s.mfcc is None for s in kit())  # measured only when asked (evaluate, not pack)
    real = kit(mfcc=True)
    assert all(s.mfcc is not None and s.mfcc.shape == (2 * oneshot.MFCC_COEFFS,) for s in real)
    judge = oneshot.MfccJudge([(s.key, s.mfcc) for s in real])
    assert judge.leave_one_out() == [True] * len(real)
    for key, (kind, decay) in KINDS.items():
        take = oneshot.mfcc_features(one_shot(kind, decay, 0.4, seed=999), SR)
        assert judge.nearest_piece(take) == key
    assert judge.nearest_piece(oneshot.mfcc_features(one_shot("hiss", 0.03, 0.4, seed=7), SR)) != 36
    lone = oneshot.MfccJudge([(36, real[0].mfcc), (38, real[-1].mfcc), (38, real[-2].mfcc)])
    assert lone.leave_one_out()[0] is None  # a piece of one sample cannot be judged without it
    with pytest.raises(ValueError, match="no real samples"):
        oneshot.MfccJudge([])


def test_a_copy_is_not_novel_and_a_fresh_hit_is() -> None:
    real = kit()
    ref = oneshot.KitReference.from_sounds(real, real)
    copy = real[5]
    assert ref.nearest_train(copy.features) == 0.0 < ref.novelty_floor(copy.key)
    fresh = oneshot.measure(one_shot("noise", 0.08, 0.4, seed=4242), SR, 38, 80)
    assert ref.nearest_train(fresh.features) >= ref.novelty_floor(38)


def test_the_spread_leaves_copies_out() -> None:
    real = kit()
    doubled = real + [real[0], real[1]]  # a kit that reuses two files for other layers
    assert oneshot.KitReference.from_sounds(doubled, doubled).spread == oneshot.KitReference.from_sounds(
        real, real).spread
    assert all(v > 0 for v in oneshot.KitReference.from_sounds(real, real).spread.values())


def test_nearest_sibling_within_piece_and_velocity() -> None:
    a = oneshot.measure(one_shot("noise", 0.08, seed=1), SR, 38, 80)
    b = oneshot.measure(one_shot("noise", 0.08, seed=1), SR, 38, 80)  # the same take twice
    c = oneshot.measure(one_shot("noise", 0.08, seed=2), SR, 38, 100)
    assert oneshot.nearest_sibling([a, b, c]) == [0.0, 0.0, None]
    assert oneshot.nearest_sibling([a, c], by_velocity=False)[0] > 0.0


def test_decay_check_against_the_piece() -> None:
    ref = oneshot.KitReference.from_sounds(kit(), kit())
    assert ref.decay[36] == pytest.approx(120.0, abs=15.0)
    good = oneshot.measure(one_shot("tone", 0.13), SR, 36, 80)
    bad = oneshot.measure(one_shot("tone", 0.3), SR, 36, 80)
    assert oneshot.decay_ok(good, ref) is True and oneshot.decay_ok(bad, ref) is False


def test_dynamics_rise_with_velocity_per_piece() -> None:
    rising = ((40, 0.2), (80, 0.4), (120, 0.8))
    sounds = [oneshot.measure(one_shot("tone", 0.1, a), SR, 36, v) for v, a in rising]
    sounds += [oneshot.measure(one_shot("hiss", 0.1, a), SR, 42, v) for v, a in ((40, 0.8), (120, 0.2))]
    sounds.append(oneshot.measure(one_shot("noise", 0.1), SR, 38, 100))
    dyn = oneshot.dynamics(sounds)
    assert [dyn[k]["rising"] for k in (36, 38, 42)] == [True, None, False]


def test_decays_from_the_bank_statistics() -> None:
    hop = envelope_hop(SR)
    x = np.concatenate([np.zeros(800, np.float32), one_shot("noise", 0.1, n=SR)])
    end = 800 + SR
    levels = note_levels(x, 800, 800 + hop, end, hop)
    stats = BankStats.from_notes(SR, [(38, 100, end - 800 - hop)], [(38, 100, *levels)])
    ref = oneshot.KitReference.from_stats(stats)
    assert ref.decay[38] == pytest.approx(100.0, abs=20.0)
    assert ref.centroids == {} and ref.novelty_floor(38) == 0.0


def test_the_level_column_decays_as_the_envelope_held_then_released() -> None:
    """A snare whose level falls 20 dB in ~100 ms from the note-off on: its column decays so when
    struck with the kit's held part; held four times longer, its column holds the peak until then."""
    hop = envelope_hop(SR)
    x = np.concatenate([np.zeros(800, np.float32), one_shot("noise", 0.1, n=SR)])
    end = 800 + SR
    levels = note_levels(x, 800, 800 + hop, end, hop)
    stats = BankStats.from_notes(SR, [(38, 100, end - 800 - hop)], [(38, 100, *levels)])
    assert oneshot.column_decay_ms(stats, 38, 100, hop) == pytest.approx(100.0, abs=20.0)
    assert oneshot.column_decay_ms(stats, 38, 100, 4 * hop) == pytest.approx(130.0, abs=20.0)
    assert oneshot.column_decay_ms(BankStats(SR), 38, 100, hop) is None


def test_level_error_is_the_mean_db_distance_from_the_wanted_curve() -> None:
    x = np.where(np.arange(SR // 10) % 2, 0.1, -0.1).astype(np.float32)  # -20 dBFS in every frame
    assert oneshot.level_error_db(x, np.full(x.size, -20.0), SR) == pytest.approx(0.0, abs=1e-3)
    assert oneshot.level_error_db(x, np.full(x.size, -26.0), SR) == pytest.approx(6.0, abs=1e-3)
    falling = np.linspace(-20.0, -40.0, x.size)  # read at the frame centres, 5 ms apart
    hop = round(oneshot.LEVEL_MATCH_HOP_S * SR)
    assert oneshot.level_error_db(x, falling, SR) == pytest.approx(np.mean(-20.0 - falling[::hop]), abs=1e-3)
    assert oneshot.level_error_db(np.zeros(0, np.float32), np.zeros(0), SR) is None
    with pytest.raises(ValueError, match="level curve"):
        oneshot.level_error_db(x, np.full(10, -20.0), SR)


def test_the_likeness_margin_is_how_much_nearer_the_own_piece_lies_than_any_other() -> None:
    cents = {36: np.zeros(4), 38: np.full(4, 10.0), 42: np.full(4, 4.0)}
    f = np.ones(4)  # 1 dB from 36's centroid, 3 dB from 42's, 9 dB from 38's
    assert oneshot.likeness_margin_db(f, cents, 36) == pytest.approx(2.0)  # nearest: its own
    assert oneshot.likeness_margin_db(f, cents, 38) == pytest.approx(1.0 - 9.0)  # nearest: another
    assert oneshot.likeness_margin_db(f, cents, 50) is None  # a piece the kit lacks
    assert oneshot.likeness_margin_db(f, {36: cents[36]}, 36) is None  # nothing to tell it from


def test_piece_centroids_are_each_pieces_mean_features_and_survive_a_checkpoint(tmp_path) -> None:
    import torch

    hits = [(38, one_shot("noise", 0.08, 0.5, seed=1), 0), (38, one_shot("noise", 0.08, 0.3, seed=2), 0),
            (42, np.concatenate([np.zeros(160, np.float32), one_shot("hiss", 0.03, seed=3)]), 160)]
    pieces = oneshot.PieceCentroids.of_hits(hits, SR, 0.1)
    assert pieces.seconds == 0.1 and sorted(pieces.centroids) == [38, 42]
    want = np.mean([oneshot.features(x, SR, 0, 0.1) for _, x, _ in hits[:2]], axis=0)
    np.testing.assert_allclose(pieces.centroids[38], want, atol=1e-5)
    np.testing.assert_allclose(pieces.centroids[42], oneshot.features(hits[2][1], SR, 160, 0.1), atol=1e-5)
    torch.save({"pieces": pieces.to_payload()}, tmp_path / "c.pt")
    back = oneshot.PieceCentroids.from_payload(torch.load(tmp_path / "c.pt", weights_only=True)["pieces"])
    assert back.seconds == 0.1 and sorted(back.centroids) == [38, 42]
    np.testing.assert_allclose(back.centroids[42], pieces.centroids[42])
    ragged = {"seconds": 0.2, "centroids": {"38": [0.0, 1.0], "42": [0.0]}}
    for junk in (None, {}, {"seconds": 0.2}, {"seconds": 0, "centroids": {"38": [0.0]}}, "x", ragged,
                 {"seconds": 0.2, "centroids": {"38": 1.0}}):
        assert oneshot.PieceCentroids.from_payload(junk) is None
    with pytest.raises(ValueError, match="no hits"):
        oneshot.PieceCentroids.of_hits([], SR, 0.1)
