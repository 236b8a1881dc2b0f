"""CPU generation engine: the whole sample loop compiled with numba (no Python per sample).

Every frame tier runs at its own frame boundaries, the sample MLP runs every sample, and the
state (GRU hiddens, the pending upper-tier contributions, the MLP's per-sample bias) lives in
preallocated float32 arrays carried from chunk to chunk, on cache lines (samplernn.generate.aligned).
Mat-vecs are hand-written fastmath loops that read each weight row once for up to four streams
(samplernn.generate.products), from float32 or float16 weights (arithmetic in float32); the short
sums into each tier's first GRU layer and into the sample MLP's bias run vectorised over their
outputs where that gives the same floats (samplernn.generate.exact_order). The kernels read
weights and state as named records (TierWeights, MlpWeights, State): a field that is missing or
misnamed fails to compile instead of playing the wrong matrix.

Array shapes (see samplernn.generate.fold): B streams, L lookback, N samples, K tiers, n GRU layers,
D dim, Q levels, C conditioning features, F_k frame sizes, R_k ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import torch
from numba import njit

from samplernn.generate import exact_order
from samplernn.generate.aligned import aligned_copy, aligned_zeros
from samplernn.generate.fold import Folded
from samplernn.generate.options import GenerationOptions
from samplernn.generate.products import lin
from samplernn.generate.temperature import sample_curve

_OPTS = {"fastmath": True, "cache": True, "nogil": True, "error_model": "numpy"}
#: run_chunk's inv_temps without a temperature curve: every sample at its scalar inv_temp.
NO_CURVE = np.zeros((0, 0), np.float32)


class TierWeights(NamedTuple):
    """Every frame tier's weights, stacked over the K tiers (lowest first); field names are the
    keys of Folded.numpy_arrays. Large matrices are float32, or uint16 holding IEEE half bits."""

    frames: np.ndarray  # (K,) int64: F_k
    ratios: np.ndarray  # (K,) int64: R_k
    A: np.ndarray  # (K, 3D, max F_k): folded input projection into GRU layer 0 (zero-padded)
    A_t: np.ndarray  # (K, max F_k, 3D): the same transposed (exact_order.ordered_sums)
    ordered: np.ndarray  # (K,) bool: tier k's layer-0 sums by exact_order.ordered_sums
    groups: np.ndarray  # (1,) bool: products.lin groups the last streams (products.groups_match)
    bias1: np.ndarray  # (K, 3D): GRU layer-0 input bias incl. the folded input bias
    condg: np.ndarray  # (K, 3D, C): conditioning projection into GRU layer 0
    condg_t: np.ndarray  # (K, C, 3D): the same transposed
    w_ih: np.ndarray  # (K, n, 3D, D): GRU input weights (layer 0: for the tier above's output)
    b_ih: np.ndarray  # (K, n, 3D)
    w_hh: np.ndarray  # (K, n, 3D, D)
    b_hh: np.ndarray  # (K, n, 3D)
    ups: np.ndarray  # (sum R_k, D, D): upsampling matrices, tier k's at rows uoff[k] … uoff[k]+R_k
    uoff: np.ndarray  # (K,) int64
    b_up: np.ndarray  # (K, D)


class MlpWeights(NamedTuple):
    """The sample MLP's weights (names as in Folded.numpy_arrays)."""

    lut: np.ndarray  # (F0, Q, D): embedding × input conv, summed over the window
    mlp_cond: np.ndarray  # (D, C): conditioning projection
    mlp_cond_t: np.ndarray  # (C, D): the same transposed, for exact_order.ordered_sums; (0, D) where
    # that order is not the plain loop's on this machine (then the kernel runs the plain loop)
    w_h: np.ndarray  # (D, D) hidden
    b_h: np.ndarray  # (D,)
    w_o: np.ndarray  # (Q, D) output
    b_o: np.ndarray  # (Q,)


class State(NamedTuple):
    """What one batch carries from chunk to chunk (float32)."""

    h: np.ndarray  # (K, n, B, D): GRU hiddens
    gup: np.ndarray  # (K, B, max R_k, 3D): tier k+1's pending layer-0 gates for tier k
    mlpb: np.ndarray  # (B, F0, D): tier 0's per-sample bias of the sample MLP


def weight_records(folded: Folded, weight_dtype: str) -> tuple[TierWeights, MlpWeights]:
    """The folded weights as the kernels' records; KeyError if fold's packing lacks a field."""
    arrays = folded.numpy_arrays(weight_dtype)
    tiers = TierWeights(**{name: arrays[name] for name in TierWeights._fields})
    return tiers, MlpWeights(**{name: arrays[name] for name in MlpWeights._fields})


@njit(**_OPTS)
def _sigmoid(x):
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@njit(**_OPTS)
def _gru(gx, h, w_hh, b_hh, gh, groups):
    """One GRU step, torch's gate order (r, z, n): gx (B, 3D) input gates incl. bias; h (B, D) in place."""
    lin(h, w_hh, gh, groups)
    B, D = h.shape
    for b in range(B):
        for i in range(D):
            r = _sigmoid(gx[b, i] + gh[b, i] + b_hh[i])
            z = _sigmoid(gx[b, D + i] + gh[b, D + i] + b_hh[D + i])
            c = np.tanh(gx[b, 2 * D + i] + r * (gh[b, 2 * D + i] + b_hh[2 * D + i]))
            h[b, i] = c + z * (h[b, i] - c)


@njit(**_OPTS)
def _tier_step(k, t, t0, seq, L, feats, tw, mw, state, gx, gh):
    """Tier k's frame starting at sample t: GRU step, then its upsampled outputs for the tier below
    (as pending layer-0 gates in state.gup[k-1], or for tier 0 as the MLP's per-sample bias
    state.mlpb). tw: TierWeights; mw: MlpWeights; state: State."""
    h, gup, mlpb = state.h, state.gup, state.mlpb
    frames, ratios = tw.frames, tw.ratios
    K = frames.shape[0]
    B = seq.shape[0]
    D = h.shape[3]
    n_rnn = h.shape[1]
    F = frames[k]
    groups = tw.groups[0]
    r_up = (t // F) % ratios[k + 1] if k + 1 < K else 0
    _layer0_gates(k, t - t0, seq, L + t, feats, tw, gup, r_up, gx)
    for layer in range(n_rnn):
        if layer > 0:
            lin(h[k, layer - 1], tw.w_ih[k, layer], gx, groups)
            for b in range(B):
                for i in range(3 * D):
                    gx[b, i] += tw.b_ih[k, layer, i]
        _gru(gx, h[k, layer], tw.w_hh[k, layer], tw.b_hh[k, layer], gh, groups)
    R = ratios[k]
    up = np.empty((B, R * D), np.float32)
    lin(h[k, n_rnn - 1], tw.ups[tw.uoff[k] : tw.uoff[k] + R].reshape(R * D, D), up, groups)
    up2 = up.reshape(B * R, D)  # row b*R + r: output for position r of stream b
    for row in range(B * R):
        for i in range(D):
            up2[row, i] += tw.b_up[k, i]
    if k > 0:
        g = np.empty((B * R, 3 * D), np.float32)
        lin(up2, tw.w_ih[k - 1, 0], g, groups)
        g3 = g.reshape(B, R, 3 * D)
        for b in range(B):
            for r in range(R):
                for i in range(3 * D):
                    gup[k - 1, b, r, i] = g3[b, r, i]
    else:
        _mlp_bias(up2, mw, feats, t - t0, mlpb)


@njit(**_OPTS)
def _layer0_gates(k, s, seq, now, feats, tw, gup, r_up, gx):
    """gx[b] = bias1[k] + A[k]·frame + condg[k]·feats[b, s] (+ gup[k, b, r_up] below the top tier):
    tier k's layer-0 input gates (B, 3D) for the frame of seq[b, now-F : now] at block sample s.
    The reordered sums of exact_order where tw.ordered[k] (the same floats)."""
    K = tw.frames.shape[0]
    B, G = gx.shape
    F = tw.frames[k]
    C = feats.shape[2]
    fr = np.empty(F, np.float32)
    if tw.ordered[k]:
        lanes = np.empty((exact_order.LANES, G), np.float32)
        a_t = tw.A_t[k, :F]
        for b in range(B):
            for m in range(F):
                fr[m] = seq[b, now - F + m]
            exact_order.ordered_sums(tw.bias1[k], a_t, fr, lanes, gx[b])
            if C > 0:
                exact_order.ordered_sums(gx[b], tw.condg_t[k], feats[b, s], lanes, gx[b])
            if k + 1 < K:
                for i in range(G):
                    gx[b, i] += gup[k, b, r_up, i]
        return
    for b in range(B):
        for m in range(F):
            fr[m] = seq[b, now - F + m]
        for i in range(G):
            acc = tw.bias1[k, i]
            for m in range(F):
                acc += tw.A[k, i, m] * fr[m]
            for c in range(C):
                acc += tw.condg[k, i, c] * feats[b, s, c]
            if k + 1 < K:
                acc += gup[k, b, r_up, i]
            gx[b, i] = acc


@njit(**_OPTS)
def _mlp_bias(up2, mw, feats, s, mlpb):
    """mlpb[b, r] = up2[b·R + r] + mlp_cond · feats[b, s + r]: the sample MLP's bias for the R
    samples from block sample s on; up2 (B·R, D), mlpb (B, R, D). The reordered sums of
    exact_order where they match the plain loop (the same floats, several times faster)."""
    B, R, D = mlpb.shape
    C = feats.shape[2]
    if mw.mlp_cond_t.shape[0] == C and C > 0:
        lanes = np.empty((exact_order.LANES, D), np.float32)
        for b in range(B):
            for r in range(R):
                exact_order.ordered_sums(up2[b * R + r], mw.mlp_cond_t, feats[b, s + r], lanes, mlpb[b, r])
        return
    for b in range(B):
        for r in range(R):
            for i in range(D):
                acc = up2[b * R + r, i]
                for c in range(C):
                    acc += mw.mlp_cond[i, c] * feats[b, s + r, c]
                mlpb[b, r, i] = acc


@njit(**_OPTS)
def _mlp_step(t, seq, L, F0, mw, mlpb, x1, h2, logits, groups):
    """Sample MLP for sample t: logits (B, Q) from the F0 previous samples and mlpb (B, F0, D).
    mw: MlpWeights; x1, h2 (B, D) scratch; groups: products.lin's."""
    B, D = x1.shape
    Q = logits.shape[1]
    r = t % F0
    lut = mw.lut
    for b in range(B):
        for i in range(D):
            x1[b, i] = mlpb[b, r, i]
        for j in range(F0):
            q = seq[b, L + t - F0 + j]
            for i in range(D):
                x1[b, i] += lut[j, q, i]
        for i in range(D):
            x1[b, i] = max(x1[b, i], np.float32(0.0))
    lin(x1, mw.w_h, h2, groups)
    for b in range(B):
        for i in range(D):
            h2[b, i] = max(h2[b, i] + mw.b_h[i], np.float32(0.0))
    lin(h2, mw.w_o, logits, groups)
    for b in range(B):
        for q in range(Q):
            logits[b, q] += mw.b_o[q]


@njit(**_OPTS)
def _sample(row, u, inv_temp, min_p, p):
    """Inverse-CDF draw from softmax(row · inv_temp) with uniform u, the classes whose probability
    is under min_p × the most likely one's left out (min-p truncation; 0 = none); inv_temp < 0 →
    argmax."""
    Q = row.shape[0]
    best = 0
    for q in range(1, Q):
        if row[q] > row[best]:
            best = q
    if inv_temp < 0:
        return best
    mx = row[best]
    s = np.float32(0.0)
    for q in range(Q):
        e = np.exp((row[q] - mx) * inv_temp)  # p[q] / p[best]
        if e < min_p:
            e = np.float32(0.0)
        p[q] = e
        s += e
    target = u * s
    c = np.float32(0.0)
    for q in range(Q):
        c += p[q]
        if c > target and p[q] > 0:
            return q
    return best


@njit(**_OPTS)
def run_chunk(seq, L, t0, t1, feats, uniforms, inv_temp, inv_temps, min_p, min_ps, teacher, lp, full, tw, mw,
              state):
    """Generate (or score, when teacher) samples t0 ≤ t < t1 of every stream.

    seq (B, L+N) int32: L history samples, then the stream; written when not teacher.
    feats (B, t1-t0, C) float32; uniforms (B, N); inv_temps (B, N) float32, each sample's 1/T
    (a temperature that follows the note, generate.temperature), or (0, 0): inv_temp for all;
    min_p: the min-p truncation of every draw (GenerationOptions.min_p; 0 = none); min_ps (B, N)
    float32, each sample's own (a min-p per piece, generate.min_p), or (0, 0): min_p for all;
    lp (B, N) target log-probs (teacher);
    full (B, N, Q) every log-prob (teacher, when full.shape[0] > 0).
    tw: TierWeights, mw: MlpWeights; state: State, carried across chunks.
    """
    frames = tw.frames
    mlpb = state.mlpb
    K = frames.shape[0]
    B = seq.shape[0]
    D = mw.w_h.shape[0]
    Q = mw.w_o.shape[0]
    F0 = frames[0]
    gx = np.empty((B, 3 * D), np.float32)
    gh = np.empty((B, 3 * D), np.float32)
    x1 = np.empty((B, D), np.float32)
    h2 = np.empty((B, D), np.float32)
    logits = np.empty((B, Q), np.float32)
    p = np.empty(Q, np.float32)
    for t in range(t0, t1):
        for kk in range(K):
            k = K - 1 - kk
            if t % frames[k] == 0:
                _tier_step(k, t, t0, seq, L, feats, tw, mw, state, gx, gh)
        _mlp_step(t, seq, L, F0, mw, mlpb, x1, h2, logits, tw.groups[0])
        for b in range(B):
            if teacher:
                mx = logits[b, 0]
                for q in range(1, Q):
                    mx = max(mx, logits[b, q])
                s = np.float32(0.0)
                for q in range(Q):
                    s += np.exp(logits[b, q] - mx)
                lse = mx + np.log(s)
                lp[b, t] = logits[b, seq[b, L + t]] - lse
                if full.shape[0] > 0:
                    for q in range(Q):
                        full[b, t, q] = logits[b, q] - lse
            else:
                it = inv_temps[b, t] if inv_temps.shape[0] > 0 else inv_temp
                mp = min_ps[b, t] if min_ps.shape[0] > 0 else min_p
                seq[b, L + t] = _sample(logits[b], uniforms[b, t], it, mp, p)


def run(
    folded: Folded,
    seq: np.ndarray,
    cond: np.ndarray | None,
    uniforms: np.ndarray | None,
    opts: GenerationOptions,
    *,
    weight_dtype: str = "float32",
    teacher: bool = False,
    want_full: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Run the kernel over a whole batch.

    seq (B, L+N) int32 (history + stream, N a multiple of L), cond (B, N, 5) int32 raw, uniforms
    (B, N) float32. Uses opts.temperature, opts.attack, opts.min_p, opts.piece_min_p and opts.threads:
    streams are independent, so a batch is split over that many OS threads, each running the
    GIL-free kernel on its rows.
    weight_dtype (resolved, not 'auto'): "float16" stores the large matrices as IEEE half (half
    the memory traffic; arithmetic stays float32). progress(n) is called with the stream-samples
    done since its last call. Returns (seq, target log-probs (B, N) | None, full log-probs
    (B, N, Q) | None). Raises ValueError when N is not a multiple of the lookback.
    """
    L = folded.lookback
    B, total = seq.shape
    N = total - L
    if N % L:
        raise ValueError(f"stream length {N} must be a multiple of the lookback {L}")
    seq = np.ascontiguousarray(seq, dtype=np.int32)
    if uniforms is None:
        uniforms = np.zeros((B, N), np.float32)
    raw = torch.from_numpy(cond) if cond is not None else None
    lp = np.zeros((B, N), np.float32) if teacher else np.zeros((0, 0), np.float32)
    full = np.zeros((B, N, folded.q_levels) if (teacher and want_full) else (0, 0, 0), np.float32)
    chunk = max(L, chunk // L * L)
    tw, mw = weight_records(folded, weight_dtype)
    inv_temp = np.float32(opts.inverse_temperature)
    curve = None if teacher else sample_curve(cond, opts.inverse_temperature, opts.active_attack)
    inv_temps = NO_CURVE if curve is None else curve
    min_p = np.float32(opts.active_min_p)
    per_sample = None if teacher else opts.min_p_curve(cond)
    min_ps = NO_CURVE if per_sample is None else per_sample
    groups = [g for g in np.array_split(np.arange(B), max(1, min(B, opts.cpu_threads))) if len(g)]

    def work(rows: np.ndarray) -> None:
        a, b = int(rows[0]), int(rows[-1]) + 1  # contiguous row ranges: views, no copies
        _run_rows(folded, tw, mw, seq[a:b], raw[a:b] if raw is not None else None, uniforms[a:b],
                  inv_temp, inv_temps[a:b], min_p, min_ps[a:b], teacher, lp[a:b], full[a:b], progress,
                  chunk)  # fmt: skip

    if len(groups) == 1:
        work(groups[0])
    else:
        with ThreadPoolExecutor(len(groups)) as pool:
            for f in [pool.submit(work, g) for g in groups]:
                f.result()
    return seq, (lp if teacher else None), (full if teacher and want_full else None)


def _run_rows(
    folded: Folded,
    tw: TierWeights,
    mw: MlpWeights,
    seq: np.ndarray,
    cond: torch.Tensor | None,
    uniforms: np.ndarray,
    inv_temp: np.float32,
    inv_temps: np.ndarray,
    min_p: np.float32,
    min_ps: np.ndarray,
    teacher: bool,
    lp: np.ndarray,
    full: np.ndarray,
    progress: Callable[[int], None] | None,
    chunk: int,
) -> None:
    """One thread's rows, chunk by chunk (conditioning features are made per chunk)."""
    L, K, D, n = folded.lookback, folded.n_tiers, folded.dim, folded.n_rnn
    B, total = seq.shape
    N = total - L
    h0 = folded.numpy_arrays()["h0"]
    state = State(  # on cache lines (aligned.py)
        h=aligned_copy(np.broadcast_to(h0[:, :, None, :], (K, n, B, D))),
        gup=aligned_zeros((K, B, max(folded.ratios), 3 * D), np.float32),
        mlpb=aligned_zeros((B, folded.frames[0], D), np.float32),
    )
    if not seq.flags.c_contiguous or not uniforms.flags.c_contiguous:
        raise ValueError("row groups must be contiguous")
    for t0 in range(0, N, chunk):
        t1 = min(N, t0 + chunk)
        feats = np.ascontiguousarray(folded.features(cond, t0, t1, B).to("cpu", torch.float32).numpy())
        run_chunk(seq, L, t0, t1, feats, uniforms, inv_temp, inv_temps, min_p, min_ps, teacher, lp, full,
                  tw, mw, state)
        if progress is not None:
            progress((t1 - t0) * B)
