"""The exponentials of a sampling draw and their total, with the bits of the kernel's plain loop
but without a call into the C library per value.

A draw exponentiates every logit (Q = 256 per sample and voice): `e = exp((row[q] - mx) · 1/T)`,
`p[q] = e`, `s += e`. The plain loop calls libm's expf for each value and, with fastmath, sums
them in 64 lanes (lane l: q ≡ l mod 64, in order), adds the four 16-lane parts in sequence and
the 16 lanes as a tree (l + l+8, + l+4, + l+2, + l+1).

`expf` computes what glibc's expf computes (ARM's optimized-routines algorithm as built for FMA
CPUs: x·32/ln 2 = k + r by the round-to-integer shift, 2^(k/32) from a 32-entry table, a cubic in
r, all in double, then rounded to float32); it gave the library's bits for every float32 on the
machine it was written on. `total` sums in the plain loop's order. `draw_matches` checks both
against the plain loop on the machine it runs on (another C library may round differently); the
kernel uses them only where it holds.
"""

from __future__ import annotations

import functools
from decimal import Decimal, localcontext

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

LANES, PART = 64, 16  # the plain loop's partial sums, and its vector width


def _table() -> np.ndarray:
    """uint64 bits of 2^(i/32) (correctly rounded) minus i << 47, i < 32: scaled by 2^k by adding
    k << 47 (k the integer part, times 32)."""
    with localcontext() as ctx:
        ctx.prec = 50
        bits = [int(np.float64(float(Decimal(2) ** (Decimal(i) / 32))).view(np.uint64)) for i in range(32)]
    return np.array([b - (i << 47) for i, b in enumerate(bits)], np.uint64)


_TAB = _table()
_INV_LN2_N = float.fromhex("0x1.71547652b82fep+0") * 32
_SHIFT = float.fromhex("0x1.8p+52")
_C0 = float.fromhex("0x1.c6af84b912394p-5") / 32**3
_C1 = float.fromhex("0x1.ebfce50fac4f3p-3") / 32**2
_C2 = float.fromhex("0x1.62e42ff0c52d6p-1") / 32
_OVERFLOW = np.float32(float.fromhex("0x1.62e42ep6"))  # above: exp(x) > float32 max
_UNDERFLOW = np.float32(float.fromhex("-0x1.9fe368p6"))  # below: exp(x) < 2^-150
_INF = np.float32(np.inf)


@intrinsic
def _bits(typingctx, x):
    """float64 → its uint64 bits."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.uint64(types.float64), codegen


@intrinsic
def _double(typingctx, bits):
    """uint64 bits → the float64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.uint64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a·b + c rounded once (float64)."""

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


# No fastmath in this module: the shift trick and every rounding must stay as written.
@njit(cache=True, nogil=True, error_model="numpy")
def expf(x):
    """e^x for a float32 x with glibc's expf bits (module doc), without branches."""
    xd = np.float64(x)
    kd = _fma(_INV_LN2_N, xd, _SHIFT)
    ki = _bits(kd)
    kd -= _SHIFT
    r = _fma(_INV_LN2_N, xd, -kd)
    s = _double(_TAB[ki % np.uint64(32)] + (ki << np.uint64(47)))
    y = np.float32(_fma(_fma(_C0, r, _C1), r * r, _fma(_C2, r, 1.0)) * s)
    y = np.float32(0.0) if x < _UNDERFLOW else y
    y = _INF if x > _OVERFLOW else y
    return x + x if x != x else y


@njit(cache=True, nogil=True, error_model="numpy")
def exps(row, mx, inv_temp, p):
    """p[q] = expf((row[q] − mx) · inv_temp): row, p (Q,) float32."""
    for q in range(row.shape[0]):
        p[q] = expf((row[q] - mx) * inv_temp)


@njit(cache=True, nogil=True, error_model="numpy")
def total(p):
    """Σ p (Q a multiple of LANES) in the plain loop's order (module doc)."""
    t = np.empty(PART, np.float32)
    for lane in range(PART):
        a, b, c, d = p[lane], p[PART + lane], p[2 * PART + lane], p[3 * PART + lane]
        for base in range(LANES, p.shape[0], LANES):
            a += p[base + lane]
            b += p[base + PART + lane]
            c += p[base + 2 * PART + lane]
            d += p[base + 3 * PART + lane]
        t[lane] = ((a + b) + c) + d
    half = PART // 2
    while half:
        for lane in range(half):
            t[lane] = t[lane] + t[lane + half]
        half //= 2
    return t[0]


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def plain_draw(row, mx, inv_temp, p):
    """The kernel's plain loop: p[q] = exp((row[q] − mx) · inv_temp) by libm; returns Σ p."""
    s = np.float32(0.0)
    for q in range(row.shape[0]):
        e = np.exp((row[q] - mx) * inv_temp)
        p[q] = e
        s += e
    return s


@functools.cache
def draw_matches(q_levels: int, rows: int = 64) -> bool:
    """Whether exps and total give plain_draw's bits for Q = q_levels on this machine (random
    logits of many scales, and the edges of expf's range); always False for a Q that is not a
    multiple of LANES."""
    if q_levels % LANES or q_levels == 0:
        return False
    rng = np.random.default_rng(q_levels)
    logits = rng.standard_normal((rows, q_levels)) * np.exp(rng.uniform(-2, 5, (rows, 1)))
    logits[0, :8] = [0.0, -0.0, -87.5, -88.8, -103.5, -104.5, -1e30, 1e-30]
    want, got = np.empty(q_levels, np.float32), np.empty(q_levels, np.float32)
    for row in logits.astype(np.float32):
        for inv_temp in (np.float32(1.0), np.float32(1 / 0.9), np.float32(3.7)):
            mx = row.max()
            s = plain_draw(row, mx, inv_temp, want)
            exps(row, mx, inv_temp, got)
            if not np.array_equal(want.view(np.int32), got.view(np.int32)):
                return False
            if np.float32(s).view(np.int32) != np.float32(total(got)).view(np.int32):
                return False
    return True
