"""Min-p truncation (GenerationOptions.min_p): no engine draws a class under min_p × the top one's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from samplernn.common.errors import UserError
from samplernn.generate.engine import generate_classes, numba_available, teacher_forced_logprobs
from samplernn.generate.fold import fold_model
from samplernn.generate.min_p import min_p_curve
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream_kernels import NumbaVoices, TorchVoices
from samplernn.generate.temperature import AttackSpan
from samplernn.model.checkpoint import check_contents

pytestmark = pytest.mark.usefixtures("one_thread")
NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]
MIN_P = 0.6  # the tiny model is nearly flat: a third of its draws fall under 0.6 of the top


def tiny_model():
    """The shared tiny model moved off its init, 32 levels: its distributions are broad, so
    untruncated draws often land on classes well under the top one."""
    return tiny.tiny_model(seed=0, perturb=0.2, q_levels=32)


def note_cond(n: int, pitch: int = 48) -> np.ndarray:
    """(n, 5): one note over the whole stream."""
    return events_to_conditioning([NoteEvent(pitch, 100, 0, n - 7, n - 2)], n)


def under_threshold(
    model, streams: list[np.ndarray], conds: list[np.ndarray], upto: int | None = None, start: int = 0
) -> int:
    """How many drawn samples (of `start` to `upto`, all unless told) had a probability
    (temperature 1) under MIN_P × the top class's."""
    x, c = torch.from_numpy(np.stack(streams)), torch.from_numpy(np.stack(conds))
    logp = teacher_forced_logprobs(model, x, c, full=True)  # (B, n, Q)
    rel = (logp - logp.amax(dim=-1, keepdim=True)).exp()  # p[q] / p[top]
    drawn = rel.gather(2, x.long()[..., None])[..., 0]
    return int((drawn[:, start:upto] < MIN_P * (1 - 1e-4)).sum())


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_draw_falls_under_min_p_and_without_it_many_do(backend: str) -> None:
    model = tiny_model()
    conds = [note_cond(256, pitch=40 + 3 * i) for i in range(4)]
    free = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0)
    cut = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0, min_p=MIN_P)
    assert under_threshold(model, free, conds) > 100  # the test can see a truncation that is missing
    assert under_threshold(model, cut, conds) == 0


@pytest.mark.parametrize("voices", [TorchVoices, pytest.param(NumbaVoices, marks=NO_NUMBA)])
def test_the_streaming_kernels_truncate_too(voices: type) -> None:
    model = tiny_model()
    folded = fold_model(model, "cpu")
    cond = note_cond(128)[None]
    uniforms = np.random.default_rng(0).random((1, 128), dtype=np.float32)

    def kernel(min_p: float):
        if voices is NumbaVoices:
            return NumbaVoices(folded, 1, 128, 1.0, "float32", None, min_p)
        return TorchVoices(folded, 1, 1.0, None, min_p)

    free = kernel(0.0).run([0], cond, uniforms, [])
    cut = kernel(MIN_P).run([0], cond, uniforms, [])
    assert under_threshold(model, [free[0]], [cond[0]]) > 20
    assert under_threshold(model, [cut[0]], [cond[0]]) == 0


def test_min_p_0_draws_what_no_truncation_draws() -> None:
    model = tiny_model()
    conds = [note_cond(200)]
    a = generate_classes(model, conds, seed=5, min_p=0.0)
    b = generate_classes(model, conds, seed=5)
    np.testing.assert_array_equal(a[0], b[0])


def test_a_checkpoint_s_min_p_is_the_default_a_given_one_wins_and_greedy_ignores_it() -> None:
    kit = SimpleNamespace(temperature=0.9, attack_temperature=None, sample_rate=16000, min_p=0.1,
                          piece_min_p=None)
    assert GenerationOptions().for_checkpoint(kit).active_min_p == 0.1
    assert GenerationOptions(min_p=0.0).for_checkpoint(kit).active_min_p == 0.0
    assert GenerationOptions(min_p=0.2).for_checkpoint(kit).active_min_p == 0.2
    assert GenerationOptions(temperature=0.0).for_checkpoint(kit).active_min_p == 0.0
    assert GenerationOptions().active_min_p == 0.0


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), True])
def test_a_min_p_outside_0_to_1_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="min_p must be a number in"):
        GenerationOptions(min_p=bad)


def test_a_checkpoint_with_a_damaged_min_p_is_refused() -> None:
    model = tiny_model()
    check_contents("kit.pt", model, 16000, {"temperature": 0.9, "min_p": 0.1})
    with pytest.raises(UserError, match=r"kit.pt: its generation.min_p 1.5 is not a truncation"):
        check_contents("kit.pt", model, 16000, {"temperature": 0.9, "min_p": 1.5})


# -- a min-p per piece (GenerationOptions.piece_min_p, generate.min_p) --------------------------


def test_the_curve_gives_each_note_its_key_s_min_p_and_the_rest_the_default() -> None:
    cond = np.stack([events_to_conditioning([NoteEvent(38, 90, 10, 20, 30)], 40),
                     events_to_conditioning([NoteEvent(42, 90, 5, 8, 12)], 40)])
    curve = min_p_curve(cond, 0.05, {38: 0.3})
    assert curve is not None and curve.shape == (2, 40) and curve.dtype == np.float32
    np.testing.assert_array_equal(curve[0, 10:30], np.float32(0.3))  # onset to audible end
    np.testing.assert_array_equal(curve[0, :10], np.float32(0.05))
    np.testing.assert_array_equal(curve[0, 30:], np.float32(0.05))
    np.testing.assert_array_equal(curve[1], np.float32(0.05))  # a key the table lacks
    assert min_p_curve(cond, 0.05, {51: 0.3}) is None  # no note of a key in the table
    assert min_p_curve(cond, 0.05, None) is None and min_p_curve(None, 0.0, {38: 0.3}) is None


def test_a_piece_s_min_p_ramps_in_after_the_attack_span() -> None:
    cond = events_to_conditioning([NoteEvent(38, 90, 10, 20, 30)], 40)[None]
    curve = min_p_curve(cond, 0.05, {38: 0.3}, AttackSpan(hold=3, ramp=4))
    np.testing.assert_array_equal(curve[0, :13], np.float32(0.05))  # before the note and its hold
    ramp = curve[0, 13:17]
    assert np.all(np.diff(ramp) > 0) and 0.05 < ramp[0] and ramp[-1] < 0.3
    np.testing.assert_array_equal(curve[0, 17:30], np.float32(0.3))  # then the piece's own, to the end
    np.testing.assert_array_equal(curve[0, 30:], np.float32(0.05))
    assert min_p_curve(cond, 0.05, {38: 0.3}, AttackSpan(hold=20)) is None  # the note ends in its hold
    with pytest.raises(ValueError, match="hold and ramp must be >= 0"):
        AttackSpan(hold=-1)
    assert AttackSpan.at_rate(16000) == AttackSpan(160, 320)  # 10 ms, then 20 ms (generate.temperature)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_attack_span_is_drawn_untruncated(backend: str) -> None:
    model = tiny_model()
    conds = [note_cond(256, pitch=40)]
    span = AttackSpan(hold=48, ramp=16)
    after = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0, min_p=0.0,
                             piece_min_p={40: MIN_P}, piece_min_p_attack=span)
    free = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0)
    np.testing.assert_array_equal(after[0][:48], free[0][:48])  # the hold: as if no table
    assert under_threshold(model, after, conds, upto=256 - 2, start=64) == 0  # past the ramp: at MIN_P
    assert not np.array_equal(after[0][64:], free[0][64:])


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_piece_is_truncated_at_its_own_min_p_and_only_its_own(backend: str) -> None:
    model = tiny_model()
    conds = [note_cond(256, pitch=40), note_cond(256, pitch=45)]
    table = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0, min_p=0.0,
                             piece_min_p={40: MIN_P})
    one_p = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0, min_p=MIN_P)
    free = generate_classes(model, conds, seed=3, backend=backend, temperature=1.0)
    note = 256 - 2  # note_cond's audible end: the last two samples are outside the note
    assert under_threshold(model, table[:1], conds[:1], upto=note) == 0
    np.testing.assert_array_equal(table[0][:note], one_p[0][:note])  # key 40 as if all were at MIN_P
    np.testing.assert_array_equal(table[1], free[1])  # key 45 untouched
    assert under_threshold(model, table[1:], conds[1:]) > 20


@pytest.mark.parametrize("voices", [TorchVoices, pytest.param(NumbaVoices, marks=NO_NUMBA)])
def test_the_streaming_kernels_follow_the_piece_table(voices: type) -> None:
    model = tiny_model()
    folded = fold_model(model, "cpu")
    cond = np.stack([note_cond(128, pitch=40), note_cond(128, pitch=45)])
    uniforms = np.random.default_rng(0).random((2, 128), dtype=np.float32)

    def kernel(min_p: float, table: dict[int, float] | None, span: AttackSpan = AttackSpan()):
        if voices is NumbaVoices:
            return NumbaVoices(folded, 2, 128, 1.0, "float32", None, min_p, table, span)
        return TorchVoices(folded, 2, 1.0, None, min_p, table, span)

    out = kernel(0.0, {40: MIN_P}).run([0, 1], cond, uniforms, [])
    free = kernel(0.0, None).run([0, 1], cond, uniforms, [])
    assert under_threshold(model, [out[0]], [cond[0]], upto=128 - 2) == 0
    np.testing.assert_array_equal(out[1], free[1])
    after = kernel(0.0, {40: MIN_P}, AttackSpan(hold=32, ramp=8)).run([0, 1], cond, uniforms, [])
    np.testing.assert_array_equal(after[0][:32], free[0][:32])
    assert under_threshold(model, [after[0]], [cond[0]], upto=128 - 2, start=40) == 0


def test_a_checkpoint_s_piece_table_is_played_unless_a_min_p_is_given() -> None:
    kit = SimpleNamespace(temperature=0.9, attack_temperature=None, sample_rate=16000, min_p=0.0,
                          piece_min_p={38: 0.3})
    assert GenerationOptions().for_checkpoint(kit).active_piece_min_p == {38: 0.3}
    given = GenerationOptions(min_p=0.1).for_checkpoint(kit)  # one P for every piece
    assert given.active_piece_min_p is None and given.active_min_p == 0.1
    assert GenerationOptions(temperature=0.0).for_checkpoint(kit).active_piece_min_p is None
    own = GenerationOptions(piece_min_p={36: 0.1}).for_checkpoint(kit)
    assert own.active_piece_min_p == {36: 0.1}
    # each piece's P after the attack temperature's span at the model's rate, unless told
    assert own.min_p_attack == AttackSpan(160, 320) and GenerationOptions().min_p_attack == AttackSpan()
    told = GenerationOptions(piece_min_p_attack=AttackSpan()).for_checkpoint(kit)
    assert told.min_p_attack == AttackSpan()
    # what pack's index and evaluate's report record beside the table
    assert own.piece_min_p_record == {"36": 0.1}
    assert own.piece_min_p_attack_record == {"hold": 160, "ramp": 320}
    assert given.piece_min_p_attack_record is None
    assert told.piece_min_p_attack_record == {"hold": 0, "ramp": 0}


@pytest.mark.parametrize("bad", [{128: 0.1}, {-1: 0.1}, {38: 1.0}, {38: -0.2}, {"38": 0.1}, [0.1]])
def test_a_bad_piece_table_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="piece_min_p must map MIDI keys"):
        GenerationOptions(piece_min_p=bad)


def test_a_checkpoint_with_a_damaged_piece_table_is_refused() -> None:
    model = tiny_model()
    check_contents("kit.pt", model, 16000, {"temperature": 0.9, "piece_min_p": {"38": 0.3, "42": 0}})
    for bad in ({"38": 1.5}, {"snare": 0.1}, {"300": 0.1}, [0.3]):
        with pytest.raises(UserError, match=r"kit.pt: its generation.piece_min_p is not a table"):
            check_contents("kit.pt", model, 16000, {"temperature": 0.9, "piece_min_p": bad})
