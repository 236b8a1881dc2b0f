"""Numpy arrays that start on a cache line, for the CPU kernels' vector loads.

numpy aligns its allocations to 16 bytes only. An AVX-512 load of 64 bytes from such an array
straddles two cache lines three times out of four, and the kernels' matrix products, which load
each stream's vector once per weight row, run about a third slower than from aligned rows. The
values (and so the generated sound) do not depend on where the arrays lie.
"""

from __future__ import annotations

import numpy as np

ALIGN = 64  # bytes: a cache line, one AVX-512 vector


def aligned_zeros(shape: int | tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """np.zeros(shape, dtype), C-contiguous, its first element on an ALIGN-byte boundary."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.zeros(n * dtype.itemsize + ALIGN, np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + n * dtype.itemsize].view(dtype).reshape(shape)


def aligned_copy(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of `a` on an ALIGN-byte boundary."""
    out = aligned_zeros(a.shape, a.dtype)
    out[...] = a
    return out
