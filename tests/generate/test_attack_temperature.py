"""A temperature that follows the note (generate.temperature): the curve, and every engine using it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from samplernn.generate.engine import generate_classes, numba_available
from samplernn.generate.fold import fold_model
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream_kernels import NumbaVoices, TorchVoices
from samplernn.generate.temperature import AttackTemperature, inverse_temperatures, sample_curve

pytestmark = pytest.mark.usefixtures("one_thread")
NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]


def tiny_model():
    """The shared tiny model moved off its init, 32 levels."""
    return tiny.tiny_model(seed=0, perturb=0.2, q_levels=32)


def note_cond(n: int, onset: int = 5, pitch: int = 48) -> np.ndarray:
    """(n, 5): one note from `onset` to 2 samples before the end."""
    return events_to_conditioning([NoteEvent(pitch, 100, onset, max(onset, n - 7), n - 2)], n)


def test_the_curve_holds_ramps_and_leaves_silence_at_the_body_temperature() -> None:
    cond = events_to_conditioning([NoteEvent(48, 100, 10, 60, 80)], 100)[None]  # (1, 100, 5)
    inv = inverse_temperatures(cond, 1 / 0.8, AttackTemperature(1.0, hold=5, ramp=10))[0]
    assert inv.shape == (100,) and inv.dtype == np.float32
    with pytest.raises(ValueError, match="attack hold and ramp must be >= 0"):
        AttackTemperature(1.0, hold=-1, ramp=0)
    np.testing.assert_allclose(1 / inv[:10], 0.8, rtol=1e-6)  # before the note-on
    np.testing.assert_allclose(1 / inv[10:15], 1.0, rtol=1e-6)  # elapsed 0 … hold - 1
    np.testing.assert_allclose(1 / inv[20], 1.0 * 5 / 11 + 0.8 * 6 / 11, rtol=1e-6)  # elapsed 10: 6/11 down
    assert np.all(np.diff(1 / inv[14:26]) < 0)  # down the ramp, then the body from elapsed hold + ramp
    np.testing.assert_allclose(1 / inv[25:80], 0.8, rtol=1e-6)  # the body, to the note's end
    np.testing.assert_allclose(1 / inv[80:], 0.8, rtol=1e-6)  # after it


def test_a_huge_attack_temperature_still_leaves_the_body_at_its_own() -> None:
    """In float32, 1e9 + (0.8 - 1e9) was 0: the body was sampled at 1/T = inf."""
    cond = events_to_conditioning([NoteEvent(48, 100, 0, 60, 80)], 100)[None]
    inv = inverse_temperatures(cond, 1 / 0.8, AttackTemperature(1e9, hold=5, ramp=10))[0]
    assert np.isfinite(inv).all()
    np.testing.assert_allclose(1 / inv[15:], 0.8, rtol=1e-6)


def test_no_curve_when_greedy_or_without_an_attack() -> None:
    cond = note_cond(64)[None]
    attack = AttackTemperature(1.0, 4, 4)
    assert sample_curve(cond, -1.0, attack) is None
    assert sample_curve(cond, 1.0, None) is None
    assert GenerationOptions(temperature=0.0, attack=attack).active_attack is None
    assert GenerationOptions(temperature=0.9, attack=attack).active_attack == attack


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_attack_temperatures_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="attack temperature"):
        GenerationOptions().with_attack_temperature(bad, 16000)


def test_at_rate_counts_samples() -> None:
    a = GenerationOptions().with_attack_temperature(1.0, 16000).attack
    assert (a.hold, a.ramp) == (160, 320)
    assert GenerationOptions().with_attack_temperature(None, 16000).attack is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_attack_at_the_body_temperature_changes_nothing(backend: str) -> None:
    model, conds = tiny_model(), [note_cond(256, pitch=40 + i) for i in range(3)]
    kw = {"seed": 3, "temperature": 0.7, "backend": backend, "weight_dtype": "float32"}
    flat = generate_classes(model, conds, **kw)
    same = generate_classes(model, conds, attack=AttackTemperature(0.7, 32, 32), **kw)
    for a, b in zip(flat, same, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_near_greedy_attack_plays_greedy_until_its_hold_ends(backend: str) -> None:
    """The note sounds from sample 0: with the attack at T → 0 held for 96 samples, those samples
    are the greedy stream's; after them the body temperature of 1.5 draws away from it."""
    model, hold = tiny_model(), 96
    conds = [note_cond(384, onset=0, pitch=40 + 3 * i) for i in range(4)]
    kw = {"seed": 1, "backend": backend, "weight_dtype": "float32"}
    greedy = generate_classes(model, conds, temperature=0.0, **kw)
    curved = generate_classes(model, conds, temperature=1.5, attack=AttackTemperature(1e-4, hold, 0), **kw)
    for g, c in zip(greedy, curved, strict=True):
        np.testing.assert_array_equal(c[:hold], g[:hold])
    assert any(not np.array_equal(c[hold:], g[hold:]) for g, c in zip(greedy, curved, strict=True))


@pytest.mark.parametrize("voices", [TorchVoices, pytest.param(NumbaVoices, marks=NO_NUMBA)])
def test_voices_follow_the_curve(voices: type) -> None:
    """The streaming kernels read the curve from each block's conditioning: a near-greedy attack
    over the note (samples 0 … 125) draws what flat near-greedy sampling draws with the same
    numbers (the two samples after the note-off are drawn at the body temperature)."""
    folded = fold_model(tiny_model(), "cpu")
    cond = note_cond(128, onset=0)[None]
    uniforms = np.random.default_rng(0).random((1, 128), dtype=np.float32)

    def kernel(inv_temp: float, attack: AttackTemperature | None):
        if voices is NumbaVoices:
            return NumbaVoices(folded, 1, 128, inv_temp, "float32", attack)
        return TorchVoices(folded, 1, inv_temp, attack)

    flat = kernel(1e4, None).run([0], cond, uniforms, [])
    curved = kernel(1 / 1.5, AttackTemperature(1e-4, 128, 0)).run([0], cond, uniforms, [])
    hot = kernel(1 / 1.5, None).run([0], cond, uniforms, [])
    np.testing.assert_array_equal(curved[:, :126], flat[:, :126])
    assert not np.array_equal(hot, flat)


def test_a_checkpoint_s_attack_temperature_is_the_default_and_a_given_one_wins() -> None:
    kit = SimpleNamespace(temperature=0.8, attack_temperature=1.0, sample_rate=16000, min_p=0.0,
                          piece_min_p=None)
    played = GenerationOptions().for_checkpoint(kit)
    assert played.temperature == 0.8 and played.attack == AttackTemperature(1.0, 160, 320)
    assert played.attack_at == 1.0
    given = GenerationOptions(temperature=0.7, attack_temperature=1.2).for_checkpoint(kit)
    assert (given.temperature, given.attack_at) == (0.7, 1.2)
    assert GenerationOptions(temperature=0.0).for_checkpoint(kit).attack_at is None  # greedy: none
    pitched = SimpleNamespace(temperature=1.0, attack_temperature=None, sample_rate=16000, min_p=0.0,
                              piece_min_p=None)
    assert GenerationOptions().for_checkpoint(pitched).attack is None
    curve = AttackTemperature(2.0, 1, 1)  # set by the caller: kept
    assert GenerationOptions(attack=curve).for_checkpoint(kit).attack is curve


@pytest.mark.parametrize("bad", [0.0, -0.5, float("nan"), float("inf")])
def test_an_attack_temperature_that_is_not_above_0_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="attack temperature must be a finite number > 0"):
        GenerationOptions(attack_temperature=bad)
