"""The generation engine: step-by-step equals the training forward pass; seeds; batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conditioning import NoteEvent, events_to_conditioning
from samplernn.generate.engine import (
    generate_classes,
    numba_available,
    resolve_precision,
    synthesize,
    teacher_forced_logprobs,
)
from samplernn.generate.fold import fold_model
from samplernn.model.config import ModelConfig
from samplernn.model.network import build_model

NO_NUMBA = pytest.mark.skipif(not numba_available(), reason="numba is not installed")
BACKENDS = ["torch", pytest.param("numba", marks=NO_NUMBA)]


def tiny_model(
    frame_sizes: tuple[int, ...],
    n_rnn: int = 2,
    conditioning: bool = True,
    seed: int = 0,
    level: bool = False,
    oscillator: int = 0,
):
    torch.manual_seed(seed)
    cfg = ModelConfig(
        frame_sizes=frame_sizes,
        dim=12,
        n_rnn=n_rnn,
        q_levels=32,
        embed_dim=6,
        note_embed_dim=4,
        conditioning=conditioning,
        level_conditioning=level,
        oscillator=oscillator,
        sample_rate=16000,
    )
    model = build_model(cfg).eval()
    with torch.no_grad():  # move off the init (zero biases, zero h0) so every term is exercised
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return model


def note_cond(n: int, onset: int = 5, pitch: int = 48, velocity: int = 100) -> np.ndarray:
    """One note with a level column that rises then falls (as bank statistics would give)."""
    cond = events_to_conditioning([NoteEvent(pitch, velocity, onset, max(onset, n - 7), n - 2)], n)
    inside = cond[:, 0] > 0
    cond[inside, 4] = 300 + (np.arange(n)[inside] * 37) % 400
    return cond


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("frame_sizes", "n_rnn", "conditioning", "level", "oscillator"),
    [((4, 2), 2, True, False, 0), ((2, 2, 3), 1, True, True, 3), ((3, 2), 1, False, False, 0)],
)
def test_step_equals_forward(
    backend: str, frame_sizes, n_rnn: int, conditioning: bool, level: bool, oscillator: int
) -> None:
    model = tiny_model(frame_sizes, n_rnn, conditioning, level=level, oscillator=oscillator)
    L = model.lookback
    B, T = 2, 4 * L
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 32, (B, L + T), generator=g)
    x[:, :L] = 16  # the engine's history: silence (mu-law zero level of 32 classes)
    cond = torch.from_numpy(np.stack([note_cond(T), note_cond(T, onset=1, pitch=60, velocity=30)]))
    with torch.no_grad():
        logits, _ = model(x, cond if conditioning else None)
    expected = torch.log_softmax(logits, dim=-1)
    c = cond if conditioning else None
    got = teacher_forced_logprobs(model, x[:, L:], c, full=True, backend=backend)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)
    lp = teacher_forced_logprobs(model, x[:, L:], c, backend=backend)
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


def test_backends_agree_in_distribution() -> None:
    """Both engines sample the same model: teacher-forced scores agree, sampled streams mostly agree."""
    if not numba_available():
        pytest.skip("no numba")
    model = tiny_model((4, 2))
    conds = [note_cond(64), note_cond(64, pitch=55)]
    a = generate_classes(model, conds, seed=5, backend="torch")
    b = generate_classes(model, conds, seed=5, backend="numba", precision="float32")
    # Same uniforms, same model: only float rounding can flip a draw (then the streams diverge).
    assert any(np.array_equal(x[:16], y[:16]) for x, y in zip(a, b, strict=True))


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


@NO_NUMBA
def test_float16_weights_close_to_forward() -> None:
    model = tiny_model((4, 2))
    L, T = model.lookback, 4 * model.lookback
    x = torch.randint(0, 32, (1, L + T), generator=torch.Generator().manual_seed(2))
    x[:, :L] = 16
    cond = torch.from_numpy(note_cond(T)[None])
    with torch.no_grad():
        expected = torch.log_softmax(model(x, cond)[0], dim=-1)
    got = teacher_forced_logprobs(model, x[:, L:], cond, full=True, backend="numba", precision="float16")
    torch.testing.assert_close(got, expected, atol=2e-2, rtol=0)
    out = generate_classes(model, [note_cond(40)], seed=1, precision="float16")
    assert out[0].shape == (40,)
    with pytest.raises(ValueError, match="numba"):
        generate_classes(model, [note_cond(40)], seed=1, precision="float16", backend="torch")


def test_precision_auto() -> None:
    model = tiny_model((4, 2))
    folded = fold_model(model)
    assert resolve_precision("auto", "numba", folded) == "float16"
    assert resolve_precision("auto", "torch", folded) == "float32"
    with torch.no_grad():
        model.sample_mlp.hidden.bias.zero_()
        model.tiers[0].rnn.weight_hh_l0[0, 0] = 1e6  # beyond float16
    folded = fold_model(model)  # parameters changed: folded again
    assert resolve_precision("auto", "numba", folded) == "float32"
    with pytest.raises(ValueError, match="float16"):
        folded.numpy_arrays("float16")
