"""The noise floor of a sustained note: how far below its strongest harmonic the noise between the
harmonics lies (numpy + scipy, no torch).

Method (also in the evaluate report's "definitions"): the power spectrum of the span is averaged
over Blackman-Harris frames (Welch, half overlap; the window's side lobes are 92 dB down, so a
harmonic does not leak into bins more than 4 bins away). A bin lies *between harmonics* when its
frequency sits in the middle `between` share of the gap between two multiples of f0 (0 … f0 counts
as a gap too) and below `max_fraction` of Nyquist (above, resamplers roll the band off). The floor
is the median power density of those bins spread over the whole band (0 – sample_rate/2), in dB
relative to the power of the strongest harmonic: for a sine of amplitude A under white noise of
variance s², 10·log10(s² / (A²/2)). The median sits up to 1.6 dB below the mean for noise-like
spectra (it ignores the odd spur instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NoiseSettings:
    """Analysis settings of `noise_floor_db`.

    frame_seconds: the longest analysis frame (a power of two of samples at most this long; 4096
        at 16 kHz); shorter spans use the longest power of two that fits.
    min_gap_bins: the harmonics must lie at least this many bins apart, or the note is not measured
        (the window's main lobe is 4 bins wide on each side).
    between: the share of each gap, centred on its midpoint, whose bins count as "between".
    max_fraction: bins above this share of Nyquist are left out.
    """

    frame_seconds: float = 0.256
    min_gap_bins: float = 12.0
    between: float = 0.3
    max_fraction: float = 0.9


def _frames_power(seg: np.ndarray, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean |rfft|² over half-overlapping Blackman-Harris frames, the window) of seg (n,)."""
    from scipy.signal.windows import blackmanharris

    window = blackmanharris(n_fft, sym=False)
    hop = n_fft // 2
    starts = range(0, seg.size - n_fft + 1, hop)
    power = np.zeros(n_fft // 2 + 1)
    for s in starts:
        power += np.abs(np.fft.rfft(seg[s : s + n_fft] * window)) ** 2
    return power / len(starts), window


def between_harmonics(freqs: np.ndarray, f0: float, between: float) -> np.ndarray:
    """Boolean mask of `freqs` (Hz) lying in the middle `between` share of a gap between multiples of f0."""
    frac = np.mod(freqs / f0, 1.0)
    return np.abs(frac - 0.5) <= between / 2.0


def noise_floor_db(
    x: np.ndarray,
    sample_rate: int,
    f0: float,
    start: int = 0,
    stop: int | None = None,
    settings: NoiseSettings = NoiseSettings(),
) -> float | None:
    """Noise between the harmonics of f0 (Hz) over x[start:stop], in dB re the strongest harmonic
    (see the module docstring). None when the span holds no frame whose bins resolve the harmonics
    (`min_gap_bins`), or when it is silent. x: mono float (n,)."""
    seg = np.asarray(x[start:stop], dtype=np.float64)
    if f0 <= 0 or not np.any(seg):
        return None
    longest = min(seg.size, int(settings.frame_seconds * sample_rate))
    if longest < 64:
        return None
    n_fft = 1 << (longest.bit_length() - 1)
    if f0 * n_fft / sample_rate < settings.min_gap_bins:
        return None
    power, window = _frames_power(seg, n_fft)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    mask = between_harmonics(freqs, f0, settings.between)
    mask &= (freqs > 0) & (freqs <= settings.max_fraction * sample_rate / 2.0)
    if not mask.any():
        return None
    # A sinusoid of amplitude A peaks at (A·Σw/2)² in its bin; its power is A²/2. White noise of
    # variance s² gives s²·Σw² in every bin, so the bins' power over Σw² is the noise's variance.
    harmonic = 2.0 * power.max() / window.sum() ** 2
    noise = float(np.median(power[mask])) / np.sum(window**2)
    if harmonic <= 0 or noise <= 0:
        return None
    return float(10.0 * np.log10(noise / harmonic))
