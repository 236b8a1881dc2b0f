"""The CPU kernel's faster paths give the plain loops' floats (reordered short sums, grouped matrix
products), its buffers lie on cache lines, and a voice's samples do not depend on the voices
stepped with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from llvmlite import binding
from support import tiny

from samplernn.generate.engine import numba_available
from samplernn.generate.fold import fold_model

pytestmark = [
    pytest.mark.usefixtures("one_thread"),
    pytest.mark.skipif(not numba_available(), reason="numba is not installed"),
]


# CPUs on which the faster paths were checked to sum as the plain loops (elsewhere the kernel
# checks for itself, and may run the plain loops only).
CHECKED_CPUS = ("znver4",)


def model():
    """Frames of 16 and 64 samples and 21 conditioning features: tier 0's and the sample MLP's
    short sums in the reordered path's range, tier 1's frame sum beyond it."""
    return tiny.tiny_model(seed=1, perturb=0.2, frame_sizes=(16, 4), dim=32, note_embed_dim=16)


def inputs(B: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw conditioning (B, n, 5) of notes that differ per stream, and uniforms (B, n)."""
    rng = np.random.default_rng(seed)
    cond = np.zeros((B, n, 5), np.int32)
    cond[:, :, 0] = rng.integers(40, 70, (B, 1))
    cond[:, :, 1] = rng.integers(40, 120, (B, 1))
    cond[:, :, 2] = rng.integers(0, 10_000, (B, 1)) + np.arange(n)
    cond[:, :, 3] = rng.integers(n, 20_000, (B, 1)) - np.arange(n)
    return cond, rng.random((B, n), dtype=np.float32)


def log_probs(folded, tw, mw, cond: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """numba_engine.run_chunk scoring seq (B, n) (teacher forcing) from h0 and silence: every
    log-prob (B, n, Q), all of the network's floats."""
    from samplernn.generate import numba_engine as ne

    B, n = seq.shape
    L, D = folded.lookback, folded.dim
    h0 = folded.numpy_arrays()["h0"]
    state = ne.State(
        np.broadcast_to(h0[:, :, None, :], (folded.n_tiers, folded.n_rnn, B, D)).copy(),
        np.zeros((folded.n_tiers, B, max(folded.ratios), 3 * D), np.float32),
        np.zeros((B, folded.frames[0], D), np.float32),
    )
    history = np.concatenate([np.full((B, L), folded.zero, np.int32), seq], axis=1)
    feats = folded.features(torch.from_numpy(cond), 0, n, B).numpy()
    lp, full = np.zeros((B, n), np.float32), np.zeros((B, n, folded.q_levels), np.float32)
    ne.run_chunk(
        history, L, 0, n, feats, np.zeros((B, n), np.float32), np.float32(1.0), ne.NO_CURVE, np.float32(0.0),
        ne.NO_CURVE, True, lp, full, tw, mw, state,
    )
    return full


@pytest.mark.parametrize("weight_dtype", ["float32", "float16"])
def test_faster_paths_give_the_plain_floats(weight_dtype: str) -> None:
    from samplernn.generate.numba_engine import weight_records

    folded = fold_model(model())
    tw, mw = weight_records(folded, weight_dtype)
    plain_tw = tw._replace(ordered=np.zeros_like(tw.ordered), groups=np.zeros(1, np.bool_))
    plain_mw = mw._replace(mlp_cond_t=np.zeros((0, folded.dim), np.float32))
    if binding.get_host_cpu_name() in CHECKED_CPUS:  # the paths under test are taken
        assert tw.ordered[0] and not tw.ordered[1] and tw.groups[0]
        assert len(mw.mlp_cond_t)
    cond, _ = inputs(7, 256)  # 7 streams: a group of 4 and one of 3
    seq = np.random.default_rng(2).integers(0, folded.q_levels, (7, 256)).astype(np.int32)
    fast = log_probs(folded, tw, mw, cond, seq)
    plain = log_probs(folded, plain_tw, plain_mw, cond, seq)
    assert np.array_equal(fast.view(np.int32), plain.view(np.int32))
    assert np.isfinite(fast).all() and fast.std() > 0.1


def test_voices_stepped_together_equal_each_voice_alone() -> None:
    from samplernn.generate.products import groups_match
    from samplernn.generate.stream_kernels import NumbaVoices

    if not groups_match():
        pytest.skip("this CPU's compiled loops sum a stream differently in a group")
    folded = fold_model(model())
    V, block = 6, 128
    cond, uniforms = inputs(V, 2 * block, seed=1)
    together = NumbaVoices(folded, V, block, 1.0, "float16")
    primed = together.snapshot(0)
    loads = [(64, 2, primed)]  # voice 2 restarts from h0 and silence at sample 64 of block 1
    got = np.concatenate(
        [together.run(range(V), cond[:, :block], uniforms[:, :block], []),
         together.run(range(V), cond[:, block:], uniforms[:, block:], loads)], axis=1)  # fmt: skip
    for v in range(V):
        alone = NumbaVoices(folded, 1, block, 1.0, "float16")
        first = alone.run([0], cond[v : v + 1, :block], uniforms[v : v + 1, :block], [])
        own = [(64, 0, primed)] if v == 2 else []
        second = alone.run([0], cond[v : v + 1, block:], uniforms[v : v + 1, block:], own)
        assert np.array_equal(got[v], np.concatenate([first[0], second[0]])), f"voice {v}"


def test_buffers_and_weights_lie_on_cache_lines() -> None:
    from samplernn.generate.aligned import ALIGN, aligned_copy, aligned_zeros
    from samplernn.generate.stream_kernels import NumbaVoices

    for shape, dtype in [((3, 5), np.float32), (7, np.int32), ((4, 9), np.uint16)]:
        a = aligned_zeros(shape, dtype)
        assert a.ctypes.data % ALIGN == 0 and a.flags.c_contiguous and a.dtype == dtype and not a.any()
    assert aligned_zeros((2, 0), np.float32).shape == (2, 0)
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    copy = aligned_copy(src.T)
    assert np.array_equal(copy, src.T) and copy.ctypes.data % ALIGN == 0 and copy.flags.c_contiguous
    folded = fold_model(model())
    for name, array in folded.numpy_arrays("float16").items():
        # an empty array's pointer is its buffer's start, wherever that lies: nothing is read there
        assert array.size == 0 or array.ctypes.data % ALIGN == 0, name
    voices = NumbaVoices(folded, 5, 64, 1.0, "float32")
    assert all(buf.ctypes.data % ALIGN == 0 for buf in voices._flat.values())
