"""CPU generation engine: the whole sample loop compiled with numba (no Python per sample).

Every frame tier runs at its own frame boundaries, the sample MLP runs every sample, and the
state (GRU hiddens, the pending upper-tier contributions, the MLP's per-sample bias) lives in
preallocated float32 arrays carried from chunk to chunk. Mat-vecs are hand-written fastmath
loops that read each weight row once for all streams of a batch, from float32 or float16 weights
(arithmetic in float32); `use_blas` sends float32 ones to BLAS (`np.dot`) instead.

Array shapes (see samplernn.generate.fold): B streams, L lookback, N samples, K tiers, n GRU layers,
D dim, Q levels, C conditioning features, F_k frame sizes, R_k ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

from samplernn.generate.engine import default_threads
from samplernn.generate.fold import Folded

_OPTS = {"fastmath": True, "cache": True, "nogil": True, "error_model": "numpy"}


@intrinsic
def _half_bits_to_f32(typingctx, bits):
    """IEEE half stored as uint16 → float32 (LLVM lowers it to vcvtph2ps on F16C CPUs)."""
    sig = types.float32(types.uint16)

    def codegen(context, builder, signature, args):
        return builder.fpext(builder.bitcast(args[0], ir.HalfType()), ir.FloatType())

    return sig, codegen


def _w(v):
    """A weight as float32: identity for float32 storage, conversion for float16 (uint16) storage."""


@overload(_w, inline="always")
def _w_ov(v):
    if isinstance(v, types.Integer):
        return lambda v: _half_bits_to_f32(v)
    return lambda v: v


def _gemm(x, w, out):
    """out = x @ w.T through BLAS when w is float32; returns whether it did."""


@overload(_gemm)
def _gemm_ov(x, w, out):
    if w.dtype == types.float32:

        def impl(x, w, out):
            out[:, :] = np.dot(x, w.T)
            return True

        return impl
    return lambda x, w, out: False


@njit(**_OPTS)
def _lin(x, w, out, use_blas):
    """out (B, n) = x (B, m) @ w (n, m).T; w float32 or float16 bits (uint16).

    Hand loops read each weight row once for all streams (4 streams per pass over x).
    """
    if use_blas and _gemm(x, w, out):
        return
    B, m = x.shape
    n = w.shape[0]
    for i in range(n):
        b = 0
        while b + 4 <= B:
            a0 = np.float32(0.0)
            a1 = np.float32(0.0)
            a2 = np.float32(0.0)
            a3 = np.float32(0.0)
            for j in range(m):
                wij = _w(w[i, j])
                a0 += wij * x[b, j]
                a1 += wij * x[b + 1, j]
                a2 += wij * x[b + 2, j]
                a3 += wij * x[b + 3, j]
            out[b, i] = a0
            out[b + 1, i] = a1
            out[b + 2, i] = a2
            out[b + 3, i] = a3
            b += 4
        while b < B:
            acc = np.float32(0.0)
            for j in range(m):
                acc += _w(w[i, j]) * x[b, j]
            out[b, i] = acc
            b += 1


@njit(**_OPTS)
def _sigmoid(x):
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@njit(**_OPTS)
def _gru(gx, h, w_hh, b_hh, gh, use_blas):
    """One GRU step, torch's gate order (r, z, n): gx (B, 3D) input gates incl. bias; h (B, D) in place."""
    _lin(h, w_hh, gh, use_blas)
    B, D = h.shape
    for b in range(B):
        for i in range(D):
            r = _sigmoid(gx[b, i] + gh[b, i] + b_hh[i])
            z = _sigmoid(gx[b, D + i] + gh[b, D + i] + b_hh[D + i])
            c = np.tanh(gx[b, 2 * D + i] + r * (gh[b, 2 * D + i] + b_hh[2 * D + i]))
            h[b, i] = c + z * (h[b, i] - c)


@njit(**_OPTS)
def _tier_step(k, t, t0, seq, L, feats, W, S, gx, gh, use_blas):
    """Tier k's frame starting at sample t: GRU step, then its upsampled outputs for the tier below
    (as pending layer-0 gates in gup[k-1], or for tier 0 as the MLP's per-sample bias mlpb)."""
    frames, ratios, A, bias1, condg, w_ih, b_ih, w_hh, b_hh, ups, uoff, b_up, _, mlp_cond = W[:14]
    h, gup, mlpb = S
    K = frames.shape[0]
    B = seq.shape[0]
    D = h.shape[3]
    n_rnn = h.shape[1]
    C = feats.shape[2]
    F = frames[k]
    r_up = (t // F) % ratios[k + 1] if k + 1 < K else 0
    fr = np.empty(F, np.float32)
    for b in range(B):
        for m in range(F):
            fr[m] = seq[b, L + t - F + m]
        for i in range(3 * D):
            acc = bias1[k, i]
            for m in range(F):
                acc += A[k, i, m] * fr[m]
            for c in range(C):
                acc += condg[k, i, c] * feats[b, t - t0, c]
            if k + 1 < K:
                acc += gup[k, b, r_up, i]
            gx[b, i] = acc
    for layer in range(n_rnn):
        if layer > 0:
            _lin(h[k, layer - 1], w_ih[k, layer], gx, use_blas)
            for b in range(B):
                for i in range(3 * D):
                    gx[b, i] += b_ih[k, layer, i]
        _gru(gx, h[k, layer], w_hh[k, layer], b_hh[k, layer], gh, use_blas)
    R = ratios[k]
    up = np.empty((B, R * D), np.float32)
    _lin(h[k, n_rnn - 1], ups[uoff[k] : uoff[k] + R].reshape(R * D, D), up, use_blas)
    up2 = up.reshape(B * R, D)  # row b*R + r: output for position r of stream b
    for row in range(B * R):
        for i in range(D):
            up2[row, i] += b_up[k, i]
    if k > 0:
        g = np.empty((B * R, 3 * D), np.float32)
        _lin(up2, w_ih[k - 1, 0], g, use_blas)
        g3 = g.reshape(B, R, 3 * D)
        for b in range(B):
            for r in range(R):
                for i in range(3 * D):
                    gup[k - 1, b, r, i] = g3[b, r, i]
    else:
        for b in range(B):
            for r in range(R):
                for i in range(D):
                    acc = up2[b * R + r, i]
                    for c in range(C):
                        acc += mlp_cond[i, c] * feats[b, t - t0 + r, c]
                    mlpb[b, r, i] = acc


@njit(**_OPTS)
def _mlp_step(t, seq, L, F0, lut, mlpb, w_h, b_h, w_o, b_o, x1, h2, logits, use_blas):
    """Sample MLP for sample t: logits (B, Q) from the F0 previous samples and mlpb."""
    B, D = x1.shape
    Q = logits.shape[1]
    r = t % F0
    for b in range(B):
        for i in range(D):
            x1[b, i] = mlpb[b, r, i]
        for j in range(F0):
            q = seq[b, L + t - F0 + j]
            for i in range(D):
                x1[b, i] += lut[j, q, i]
        for i in range(D):
            x1[b, i] = max(x1[b, i], np.float32(0.0))
    _lin(x1, w_h, h2, use_blas)
    for b in range(B):
        for i in range(D):
            h2[b, i] = max(h2[b, i] + b_h[i], np.float32(0.0))
    _lin(h2, w_o, logits, use_blas)
    for b in range(B):
        for q in range(Q):
            logits[b, q] += b_o[q]


@njit(**_OPTS)
def _sample(row, u, inv_temp, p):
    """Inverse-CDF draw from softmax(row · inv_temp) with uniform u; inv_temp < 0 → argmax."""
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
        e = np.exp((row[q] - mx) * inv_temp)
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
def run_chunk(seq, L, t0, t1, feats, uniforms, inv_temp, teacher, lp, full, W, S, use_blas):
    """Generate (or score, when teacher) samples t0 ≤ t < t1 of every stream.

    seq (B, L+N) int32: L history samples, then the stream; written when not teacher.
    feats (B, t1-t0, C) float32; uniforms (B, N); lp (B, N) target log-probs (teacher);
    full (B, N, Q) every log-prob (teacher, when full.shape[0] > 0).
    W: the packed weights (WEIGHT_KEYS order). S: the state carried across chunks,
    (h (K, n, B, D), gup (K, B, Rmax, 3D), mlpb (B, F0, D)).
    """
    frames = W[0]
    lut, w_h, b_h, w_o, b_o = W[12], W[14], W[15], W[16], W[17]
    mlpb = S[2]
    K = frames.shape[0]
    B = seq.shape[0]
    D = w_h.shape[0]
    Q = w_o.shape[0]
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
                _tier_step(k, t, t0, seq, L, feats, W, S, gx, gh, use_blas)
        _mlp_step(t, seq, L, F0, lut, mlpb, w_h, b_h, w_o, b_o, x1, h2, logits, use_blas)
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
                seq[b, L + t] = _sample(logits[b], uniforms[b, t], inv_temp, p)


#: Order of the packed weight tuple the kernels take (names from Folded.numpy_arrays).
WEIGHT_KEYS = (
    "frames", "ratios", "A", "bias1", "condg", "w_ih", "b_ih", "w_hh", "b_hh",
    "ups", "uoff", "b_up", "lut", "mlp_cond", "w_h", "b_h", "w_o", "b_o",
)  # fmt: skip


def run(
    folded: Folded,
    seq: np.ndarray,
    cond: np.ndarray | None,
    uniforms: np.ndarray | None,
    inv_temp: float,
    teacher: bool = False,
    want_full: bool = False,
    progress: Callable[[int], None] | None = None,
    use_blas: bool = False,
    chunk: int = 8192,
    precision: str = "float32",
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Run the kernel over a whole batch.

    seq (B, L+N) int32 (history + stream, N a multiple of L), cond (B, N, 5) int32 raw, uniforms
    (B, N) float32. Returns (seq, target log-probs (B, N) | None, full log-probs (B, N, Q) | None).

    Streams are independent, so a batch can be split over `threads` OS threads (default:
    default_threads()), each running the GIL-free kernel on its rows. precision "float16" stores
    the large matrices as IEEE half (half the memory traffic; arithmetic stays float32).
    use_blas sends mat-vecs to BLAS (float32 only); the hand loops are as fast here and immune
    to BLAS threads fighting over a busy machine, so they are the default.
    """
    L = folded.lookback
    B, total = seq.shape
    N = total - L
    if N % L:
        raise ValueError(f"stream length {N} must be a multiple of the lookback {L}")
    seq = np.ascontiguousarray(seq, dtype=np.int32)
    if uniforms is None:
        uniforms = np.zeros((B, N), np.float32)
    lp = np.zeros((B, N), np.float32) if teacher else np.zeros((0, 0), np.float32)
    full = np.zeros((B, N, folded.q_levels) if (teacher and want_full) else (0, 0, 0), np.float32)
    chunk = max(L, chunk // L * L)
    weights = folded.numpy_arrays(precision)
    W = tuple(weights[k] for k in WEIGHT_KEYS)
    n_threads = max(1, min(B, threads or default_threads()))
    groups = [g for g in np.array_split(np.arange(B), n_threads) if len(g)]

    def work(rows: np.ndarray) -> None:
        a, b = int(rows[0]), int(rows[-1]) + 1  # contiguous row ranges: views, no copies
        _run_rows(folded, W, seq[a:b], cond[a:b] if cond is not None else None, uniforms[a:b],
                  inv_temp, teacher, lp[a:b], full[a:b], progress, use_blas, chunk)  # fmt: skip

    if len(groups) == 1:
        work(groups[0])
    else:
        with ThreadPoolExecutor(len(groups)) as pool:
            for f in [pool.submit(work, g) for g in groups]:
                f.result()
    return seq, (lp if teacher else None), (full if teacher and want_full else None)


def _run_rows(
    folded: Folded,
    W: tuple[np.ndarray, ...],
    seq: np.ndarray,
    cond: np.ndarray | None,
    uniforms: np.ndarray,
    inv_temp: float,
    teacher: bool,
    lp: np.ndarray,
    full: np.ndarray,
    progress: Callable[[int], None] | None,
    use_blas: bool,
    chunk: int,
) -> None:
    """One thread's rows, chunk by chunk (conditioning features are made per chunk)."""
    L, K, D, n = folded.lookback, folded.n_tiers, folded.dim, folded.n_rnn
    B, total = seq.shape
    N = total - L
    h0 = folded.numpy_arrays()["h0"]
    S = (
        np.broadcast_to(h0[:, :, None, :], (K, n, B, D)).copy(),
        np.zeros((K, B, max(folded.ratios), 3 * D), np.float32),
        np.zeros((B, folded.frames[0], D), np.float32),
    )
    if not seq.flags.c_contiguous or not uniforms.flags.c_contiguous:
        raise ValueError("row groups must be contiguous")
    for t0 in range(0, N, chunk):
        t1 = min(N, t0 + chunk)
        feats = _features(folded, cond, B, t0, t1)
        run_chunk(seq, L, t0, t1, feats, uniforms, np.float32(inv_temp), teacher, lp, full, W, S, use_blas)
        if progress is not None:
            progress((t1 - t0) * B)


def _features(folded: Folded, cond: np.ndarray | None, B: int, t0: int, t1: int) -> np.ndarray:
    """Conditioning features (B, t1-t0, C) float32 from the model's own CondFeatures."""
    if folded.cond_features is None or cond is None or folded.n_cond == 0:
        return np.zeros((B, t1 - t0, 0), np.float32)
    with torch.inference_mode():
        raw = torch.from_numpy(np.ascontiguousarray(cond[:, t0:t1]))
        feats = folded.cond_features(raw.to(folded.device))
    return np.ascontiguousarray(feats.to("cpu", torch.float32).numpy())
