"""The kernels' matrix products out (B, n) = x (B, m) @ w (n, m).T: hand loops that read each
weight row once for up to four streams.

For each weight row the streams go in groups of 4, then the 1 … 3 left over one by one, or, where
`groups` is set, as one group of their own (a stream alone loads a weight for every product: a
third slower). With fastmath LLVM vectorises each stream's sum along the row; on an AVX-512 target
it sums a stream in the same order whatever the size of its group (64 partial sums, then a tree),
so a stream's floats do not depend on its group. `groups_match` checks that on random numbers;
the kernels group the last streams only where it holds.

Weights are float32, or uint16 holding IEEE half bits (arithmetic in float32).
"""

from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

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


@njit(**_OPTS)
def lin(x, w, out, groups):
    """out = x @ w.T (module doc); groups: the last 1 … 3 streams as one group."""
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
        if groups and B - b == 3:
            _row3(x, w, i, b, out)
        elif groups and B - b == 2:
            _row2(x, w, i, b, out)
        else:
            while b < B:
                acc = np.float32(0.0)
                for j in range(m):
                    acc += _w(w[i, j]) * x[b, j]
                out[b, i] = acc
                b += 1


@njit(inline="always", **_OPTS)
def _row3(x, w, i, b, out):
    """out[b … b+2, i] = x[b … b+2] · w[i]."""
    a0 = np.float32(0.0)
    a1 = np.float32(0.0)
    a2 = np.float32(0.0)
    for j in range(x.shape[1]):
        wij = _w(w[i, j])
        a0 += wij * x[b, j]
        a1 += wij * x[b + 1, j]
        a2 += wij * x[b + 2, j]
    out[b, i] = a0
    out[b + 1, i] = a1
    out[b + 2, i] = a2


@njit(inline="always", **_OPTS)
def _row2(x, w, i, b, out):
    """out[b … b+1, i] = x[b … b+1] · w[i]."""
    a0 = np.float32(0.0)
    a1 = np.float32(0.0)
    for j in range(x.shape[1]):
        wij = _w(w[i, j])
        a0 += wij * x[b, j]
        a1 += wij * x[b + 1, j]
    out[b, i] = a0
    out[b + 1, i] = a1


@functools.cache
def groups_match() -> bool:
    """Whether `lin` with groups gives every stream of a batch the floats it gets alone, on this
    machine: random rows of 8, 64 and 256 columns for 1 … 8 streams, float32 and float16 weights."""
    rng = np.random.default_rng(0)
    n = 24
    for half in (False, True):
        for m in (8, 64, 256):
            w = (rng.standard_normal((n, m)) * np.exp(rng.normal(0, 1, (n, 1)))).astype(np.float32)
            if half:
                w = w.astype(np.float16).view(np.uint16)
            for B in range(1, 9):
                x = (rng.standard_normal((B, m)) * np.exp(rng.normal(0, 1, (B, m)))).astype(np.float32)
                together, alone = np.empty((B, n), np.float32), np.empty((B, n), np.float32)
                lin(x, w, together, True)
                for b in range(B):
                    lin(x[b : b + 1], w, alone[b : b + 1], False)
                if not np.array_equal(together.view(np.int32), alone.view(np.int32)):
                    return False
    return True
