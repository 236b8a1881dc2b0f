"""The generation engine: step-by-step equals the training forward pass; seeds; batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from samplernn.common.errors import UsageError
from samplernn.common.threads import MAX_THREADS
from samplernn.generate.engine import (
    generate_classes,
    numba_available,
    resolve_weight_dtype,
    synthesize,
    teacher_forced_logprobs,
)
from samplernn.generate.fold import fold_model
from samplernn.generate.options import THREADS_ENV, GenerationOptions, default_threads

NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]


def tiny_model(
    frame_sizes: tuple[int, ...],
    n_rnn: int = 2,
    conditioning: bool = True,
    seed: int = 0,
    level: bool = False,
    oscillator: int = 0,
    held: bool = False,
    tuning: tuple[tuple[int, float], ...] = (),
):
    """The shared tiny model, a little wider, with 32 levels (silence = class 16), moved off its
    init (zero biases, zero h0) so that every term of the engines is exercised."""
    return tiny.tiny_model(
        seed=seed, perturb=0.2, frame_sizes=frame_sizes, dim=12, n_rnn=n_rnn, q_levels=32, embed_dim=6,
        note_embed_dim=4, conditioning=conditioning, level_conditioning=level, oscillator=oscillator,
        sample_rate=16000, held_flag=held, piece_tuning=tuning,
    )  # fmt: skip


def scoring(backend: str, weight_dtype: str = "float32") -> GenerationOptions:
    return GenerationOptions(backend=backend, weight_dtype=weight_dtype)


def note_cond(n: int, onset: int = 5, pitch: int = 48, velocity: int = 100) -> np.ndarray:
    """One note with a level column that rises then falls (as bank statistics would give)."""
    cond = events_to_conditioning([NoteEvent(pitch, velocity, onset, max(onset, n - 7), n - 2)], n)
    inside = cond[:, 0] > 0
    cond[inside, 4] = 300 + (np.arange(n)[inside] * 37) % 400
    return cond


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("frame_sizes", "n_rnn", "conditioning", "level", "oscillator", "held", "tuning"),
    [
        ((4, 2), 2, True, False, 0, False, ()),
        ((2, 2, 3), 1, True, True, 3, False, ()),
        ((3, 2), 1, False, False, 0, False, ()),
        ((4, 2), 1, True, True, 0, True, ()),
        # a drum kit's --piece-tuning: note 48 rings at 93.5 Hz, note 60 has no oscillator
        ((4, 2), 1, True, True, 1, False, ((48, 93.5),)),
    ],
)
def test_step_equals_forward(
    backend: str, frame_sizes, n_rnn: int, conditioning: bool, level: bool, oscillator: int, held: bool,
    tuning: tuple[tuple[int, float], ...],
) -> None:
    model = tiny_model(frame_sizes, n_rnn, conditioning, level=level, oscillator=oscillator, held=held,
                       tuning=tuning)
    L = model.lookback
    B, T = 2, 4 * L
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 32, (B, L + T), generator=g)
    x[:, :L] = 16  # the engine's history: silence (mu-law zero level of 32 classes)
    cond = torch.from_numpy(np.stack([note_cond(T), note_cond(T, onset=1, pitch=60, velocity=30)]))
    if held:  # the key down, the end unknown over the first half (live play)
        cond[:, : T // 2, 2] = torch.where(cond[:, : T // 2, 0] > 0, -1, 0)
    with torch.no_grad():
        logits, _ = model(x, cond if conditioning else None)
    expected = torch.log_softmax(logits, dim=-1)
    c = cond if conditioning else None
    got = teacher_forced_logprobs(model, x[:, L:], c, full=True, options=scoring(backend))
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)
    lp = teacher_forced_logprobs(model, x[:, L:], c, options=scoring(backend))
    torch.testing.assert_close(lp, expected.gather(2, x[:, L:, None])[..., 0], atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_audio(backend: str) -> None:
    model = tiny_model((4, 2))
    conds = [note_cond(50), note_cond(23, pitch=50), note_cond(64, onset=0)]
    a = generate_classes(model, conds, seed=7, batch_size=2, backend=backend)
    b = generate_classes(model, conds, seed=7, batch_size=2, backend=backend)
    c = generate_classes(model, conds, seed=8, batch_size=2, backend=backend)
    assert [len(x) for x in a] == [50, 23, 64]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert all(x.min() >= 0 and x.max() < 32 for x in a)


def test_synthesize_audio() -> None:
    model = tiny_model((4, 2))
    out = synthesize(model, [note_cond(40), note_cond(17)], seed=3, batch_size=8)
    assert [o.shape for o in out] == [(40,), (17,)]
    assert all(o.dtype == np.float32 and np.abs(o).max() <= 1.0 for o in out)
    assert synthesize(model, [], seed=1) == []


def test_greedy_ignores_seed() -> None:
    model = tiny_model((4, 2))
    a = generate_classes(model, [note_cond(30)], temperature=0.0, seed=1)
    b = generate_classes(model, [note_cond(30)], temperature=0.0, seed=2)
    assert np.array_equal(a[0], b[0])


@NO_NUMBA
def test_backends_draw_the_same_streams() -> None:
    """Both engines sample the same model with the same uniforms, so they draw the same streams,
    sample for sample. Float rounding may only flip a draw whose uniform sits on the boundary of
    two classes (the streams then diverge): allowed where the model's CDF puts it there, and in
    at most one stream of eight."""
    model = tiny_model((4, 2))
    seed, n = 5, 512
    conds = [note_cond(n, pitch=40 + 2 * i) for i in range(8)]
    a = generate_classes(model, conds, seed=seed, backend="torch")
    b = generate_classes(model, conds, seed=seed, backend="numba", weight_dtype="float32")
    diverged = 0
    for i, (x, y, c) in enumerate(zip(a, b, conds, strict=True)):
        differ = np.flatnonzero(x != y)
        if not differ.size:
            continue
        diverged += 1
        t = int(differ[0])
        u = np.random.default_rng([seed, i]).random(t + 1, dtype=np.float32)[t]  # the engines' draw
        logp = teacher_forced_logprobs(model, x[None, : t + 1], c[None, : t + 1], full=True)[0, t]
        cdf = torch.cumsum(logp.double().exp(), 0)
        boundary = float(cdf[min(x[t], y[t])] / cdf[-1])
        assert abs(u - boundary) < 1e-5, (i, t, u, boundary)
    assert diverged <= 1
    # The scores the draws come from agree too.
    x, c = torch.from_numpy(np.stack(a[:2])), torch.from_numpy(np.stack(conds[:2]))
    torch.testing.assert_close(
        teacher_forced_logprobs(model, x, c, full=True, options=scoring("numba")),
        teacher_forced_logprobs(model, x, c, full=True, options=scoring("torch")),
        atol=2e-5,
        rtol=1e-5,
    )


@pytest.mark.parametrize("level", [False, True])
def test_level_column_is_used_only_by_level_models(level: bool) -> None:
    model = tiny_model((4, 2), level=level)
    L = model.lookback
    x = torch.randint(0, 32, (1, L + 4 * L), generator=torch.Generator().manual_seed(0))
    cond = torch.from_numpy(note_cond(4 * L))[None]
    louder = cond.clone()
    louder[..., 4] = torch.where(cond[..., 0] > 0, 800, 0)
    with torch.no_grad():
        a, _ = model(x, cond)
        b, _ = model(x, louder)
    assert (not torch.allclose(a, b)) == level


def test_level_model_refuses_conditioning_without_levels() -> None:
    model = tiny_model((4, 2), level=True)
    cond = note_cond(40)
    cond[:, 4] = 0
    with pytest.raises(ValueError, match="level"):
        synthesize(model, [cond])
    assert len(synthesize(model, [note_cond(40)], seed=0)[0]) == 40


def test_bad_inputs() -> None:
    model = tiny_model((4, 2))
    with pytest.raises(ValueError, match="shape"):
        synthesize(model, [np.zeros((10, 3), np.int32)])
    with pytest.raises(ValueError, match="temperature"):
        synthesize(model, [note_cond(10)], temperature=-1)
    with pytest.raises(ValueError, match="threads"):
        synthesize(model, [note_cond(10)], threads=MAX_THREADS + 1)


def test_threads_from_the_environment_are_bounded(monkeypatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "100000")
    assert default_threads() == MAX_THREADS
    monkeypatch.setenv(THREADS_ENV, "0")  # was taken for 1 unsaid: a usage error (common/test_threads.py)
    with pytest.raises(UsageError, match="SAMPLERNN_THREADS='0'"):
        default_threads()


@NO_NUMBA
def test_float16_weights_close_to_forward() -> None:
    model = tiny_model((4, 2))
    L, T = model.lookback, 4 * model.lookback
    x = torch.randint(0, 32, (1, L + T), generator=torch.Generator().manual_seed(2))
    x[:, :L] = 16
    cond = torch.from_numpy(note_cond(T)[None])
    with torch.no_grad():
        expected = torch.log_softmax(model(x, cond)[0], dim=-1)
    got = teacher_forced_logprobs(model, x[:, L:], cond, full=True, options=scoring("numba", "float16"))
    torch.testing.assert_close(got, expected, atol=2e-2, rtol=0)
    out = generate_classes(model, [note_cond(40)], seed=1, weight_dtype="float16")
    assert out[0].shape == (40,)
    with pytest.raises(ValueError, match="numba"):
        generate_classes(model, [note_cond(40)], seed=1, weight_dtype="float16", backend="torch")


def test_weight_dtype_auto() -> None:
    model = tiny_model((4, 2))
    folded = fold_model(model)
    assert resolve_weight_dtype("auto", "numba", folded) == "float16"
    assert resolve_weight_dtype("auto", "torch", folded) == "float32"
    with torch.no_grad():
        model.sample_mlp.hidden.bias.zero_()
        model.tiers[0].rnn.weight_hh_l0[0, 0] = 1e6  # beyond float16
    folded = fold_model(model)  # parameters changed: folded again
    assert resolve_weight_dtype("auto", "numba", folded) == "float32"
    with pytest.raises(ValueError, match="float16"):
        folded.numpy_arrays("float16")


def test_options_refuse_bad_values() -> None:
    for bad in ({"temperature": -1.0}, {"temperature": float("nan")}, {"batch_size": 0}, {"backend": "jax"},
                {"weight_dtype": "bf16"}, {"threads": 0}):  # fmt: skip
        with pytest.raises(ValueError):
            GenerationOptions(**bad)
    model = tiny_model((4, 2))
    with pytest.raises(TypeError):
        generate_classes(model, [note_cond(10)], sead=1)  # a misspelt option is an error
    assert GenerationOptions().with_default_temperature(0.7).temperature == 0.7
    assert GenerationOptions(temperature=0.0).with_default_temperature(0.7).inverse_temperature == -1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_progress_reports_every_stream_sample(backend: str) -> None:
    model = tiny_model((4, 2))
    reports: list[tuple[int, int]] = []
    opts = GenerationOptions(seed=0, batch_size=2, backend=backend, threads=2,
                             progress=lambda done, total: reports.append((done, total)))  # fmt: skip
    out = generate_classes(model, [note_cond(50), note_cond(23), note_cond(64)], opts)
    L = model.lookback
    total = 2 * 64 + 1 * 24  # two streams padded to 64 samples, one to 24 (multiples of L = 8)
    assert L == 8 and [len(x) for x in out] == [50, 23, 64]
    assert reports[0] == (0, total) and reports[-1] == (total, total)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


@NO_NUMBA
def test_kernels_read_every_packed_weight_by_name() -> None:
    from samplernn.generate.numba_engine import MlpWeights, TierWeights, weight_records

    folded = fold_model(tiny_model((2, 2, 3), n_rnn=2))
    packed = folded.numpy_arrays("float16")
    assert set(TierWeights._fields) | set(MlpWeights._fields) | {"h0"} == set(packed)
    tiers, mlp = weight_records(folded, "float16")
    assert tiers.w_hh is packed["w_hh"] and tiers.w_hh.dtype == np.uint16  # float16 bits
    assert mlp.mlp_cond is packed["mlp_cond"] and tiers.bias1.dtype == np.float32
