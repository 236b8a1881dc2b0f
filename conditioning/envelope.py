"""Amplitude envelope and note extent (thesis rule: Hilbert envelope vs 0.8 % of the peak)."""

from __future__ import annotations

import numpy as np

#: A note sounds where its Hilbert envelope exceeds this share of the envelope's peak (the thesis
#: rule): `prepare` cuts notes and places their `end` with it, `evaluate` finds audible ends with it.
DEFAULT_THRESHOLD = 0.008


def envelope(x: np.ndarray) -> np.ndarray:
    """|hilbert(x)| for a mono float signal (n,) → (n,) float32."""
    from scipy.signal import hilbert  # here: importing scipy.signal takes half a second

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


LEVEL_FLOOR_DB = -80.0


def level_db(x: np.ndarray, hop: int) -> np.ndarray:
    """Short-time RMS level in dBFS of (n,) audio at frames k*hop (window 2*hop, centred).

    Returns (ceil(n / hop),) float32, floored at LEVEL_FLOOR_DB.
    """
    if hop < 1:
        raise ValueError(f"hop must be >= 1, got {hop}")
    x = np.asarray(x, dtype=np.float64)
    n_frames = -(-x.size // hop)
    if n_frames == 0:
        return np.zeros(0, dtype=np.float32)
    sq = np.concatenate([[0.0], np.cumsum(x * x)])
    centres = np.arange(n_frames) * hop
    a = np.clip(centres - hop, 0, x.size)
    b = np.clip(centres + hop, 0, x.size)
    ms = (sq[b] - sq[a]) / np.maximum(b - a, 1)
    db = 10.0 * np.log10(np.maximum(ms, 1e-30))
    return np.maximum(db, LEVEL_FLOOR_DB).astype(np.float32)
