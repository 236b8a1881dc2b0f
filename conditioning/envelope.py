"""Amplitude envelope and note extent (thesis rule: Hilbert envelope vs 0.8 % of the peak)."""

from __future__ import annotations

import numpy as np
from scipy.signal import hilbert

DEFAULT_THRESHOLD = 0.008


def envelope(x: np.ndarray) -> np.ndarray:
    """|hilbert(x)| for a mono float signal (n,) → (n,) float32."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.float32)
    # Pad to a fast FFT length; the analytic signal of the padded tail is discarded.
    n = x.size
    n_fft = 1 << (n - 1).bit_length() if n > 1 else 1
    return np.abs(hilbert(x, N=n_fft)[:n]).astype(np.float32)


def find_extent(
    x: np.ndarray, threshold: float = DEFAULT_THRESHOLD, env: np.ndarray | None = None
) -> tuple[int, int] | None:
    """(start, end) where the envelope first and last exceeds `threshold` × its peak.

    `end` is exclusive. Returns None for a silent signal (peak 0).
    """
    e = envelope(x) if env is None else env
    if e.size == 0:
        return None
    peak = float(e.max())
    if peak <= 0.0 or not np.isfinite(peak):
        return None
    above = np.flatnonzero(e > threshold * peak)
    if above.size == 0:
        return None
    return int(above[0]), int(above[-1]) + 1
