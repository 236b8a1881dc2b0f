"""Short dot products in the exact float order of the kernels' compiled loops, but vectorised the
other way round (over the outputs instead of along each sum).

With fastmath, LLVM vectorises a reduction `acc = init; for c < n: acc += w[i, c] * f[c]` along c.
For 8 ≤ n < 64 on an AVX-512 target it takes its 8-lane path: lane 0 starts at `init`, the other
lanes at 0; lane l accumulates the fused products of c ≡ l (mod 8) for c < n − n mod 8, in order;
the lanes are summed as a tree (l + l+4, then + l+2, then + l+1); the last n mod 8 terms are fused
on in order. One such sum per output is slow (8 lanes, a tree and a tail for only n products);
`ordered_sums` computes every output's sum with exactly those operations, the outputs in the vector
lanes. `order_matches(n)` checks, on random numbers, that the compiled plain loop really sums in
this order on this machine (another target may choose another order); the kernels use the reordered
sums only where it does, so the generated sound does not depend on which one ran.

Shapes: D outputs, n terms.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit, types
from numba.core.extending import intrinsic

LANES = 8  # the vector width of the compiled loops' short-sum path
MAX_TERMS = 64  # from here on the compiled loops take their 64-lane path instead


@intrinsic
def _fma(typingctx, a, b, c):
    """a·b + c rounded once (float32), as the compiled loops' fused multiply-adds."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


# No fastmath here: every add and fused multiply-add must stay where it is written.
@njit(cache=True, nogil=True, error_model="numpy")
def ordered_sums(init, w_t, f, lanes, out):
    """out[i] = init[i] + Σ_c w_t[c, i]·f[c] in the compiled loop's order (module doc).

    init (D,), w_t (n, D) the weights transposed, f (n,) float32; lanes (LANES, D) scratch;
    out (D,) may be init. Needs LANES ≤ n < MAX_TERMS.
    """
    n, D = w_t.shape
    body = n - n % LANES
    for lane in range(LANES):
        fl = f[lane]
        for i in range(D):
            start = init[i] if lane == 0 else np.float32(0.0)
            lanes[lane, i] = _fma(w_t[lane, i], fl, start)
    for c in range(LANES, body):
        lane, fc = c % LANES, f[c]
        for i in range(D):
            lanes[lane, i] = _fma(w_t[c, i], fc, lanes[lane, i])
    for i in range(D):
        a = (lanes[0, i] + lanes[4, i]) + (lanes[2, i] + lanes[6, i])
        b = (lanes[1, i] + lanes[5, i]) + (lanes[3, i] + lanes[7, i])
        out[i] = a + b
    for c in range(body, n):
        fc = f[c]
        for i in range(D):
            out[i] = _fma(w_t[c, i], fc, out[i])


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def plain_sums(init, w, f, out):
    """out[i] = init[i] + Σ_c w[i, c]·f[c] as the kernels' plain loop: w (D, n)."""
    D, n = w.shape
    for i in range(D):
        acc = init[i]
        for c in range(n):
            acc += w[i, c] * f[c]
        out[i] = acc


@functools.cache
def order_matches(n: int, rows: int = 256, trials: int = 8) -> bool:
    """Whether `ordered_sums` equals `plain_sums` bit for bit for n terms on this machine (random
    numbers of mixed sizes and signs); always False outside LANES ≤ n < MAX_TERMS."""
    if not LANES <= n < MAX_TERMS:
        return False
    rng = np.random.default_rng(n)
    lanes = np.empty((LANES, rows), np.float32)
    for _ in range(trials):
        w = (rng.standard_normal((rows, n)) * np.exp(rng.normal(0, 2, (rows, 1)))).astype(np.float32)
        f = (rng.standard_normal(n) * np.exp(rng.normal(0, 2, n))).astype(np.float32)
        init = rng.standard_normal(rows).astype(np.float32)
        want, got = np.empty(rows, np.float32), np.empty(rows, np.float32)
        plain_sums(init, w, f, want)
        ordered_sums(init, np.ascontiguousarray(w.T), f, lanes, got)
        if not np.array_equal(want.view(np.int32), got.view(np.int32)):
            return False
    return True
