"""How clearly a short signal repeats at one given period: the score the onset search
(samplernn.generate.onset_search) ranks candidate note onsets by (numpy only).

Method: YIN's cumulative-mean-normalised difference function d'(τ) (de Cheveigné & Kawahara,
"YIN, a fundamental frequency estimator for speech and music", JASA 2002, steps 2–3), computed
for every lag up to a little past twice the period with the autocorrelation taken by FFT. d'(τ)
is near 0 at a lag the signal repeats at and near 1 for noise. A tone at the wanted period T
repeats at T and not at T/2 or T/3; a tone an octave (or an octave and a fifth) too high repeats
at T/2 (or T/3) *and* at T; noise repeats nowhere. So

    score = min(d'(≈T/2), d'(≈T/3)) − d'(≈T)

(each d' the smallest within ±3 % of its lag, the tolerance of a ±50-cent pitch) is about 1 or
more for the wanted pitch (d' can exceed 1 between the periods) and about 0 or below for noise,
silence, an octave-up or a twelfth-up tone; a tone an octave down repeats at 2T, not at T, and
scores well below the wanted pitch. It is not the evaluate pitch measure (pYIN over the
note's sustain): it looks only at the span it is given and only at the wanted period.
"""

from __future__ import annotations

import numpy as np

#: How far (as a share of the lag) the lag of each d' may lie from its nominal value: ±3 % is
#: ±51 cents, the pitch tolerance `evaluate` scores with.
LAG_TOLERANCE = 0.03


def difference_function(x: np.ndarray, max_lag: int) -> np.ndarray:
    """YIN's cumulative-mean-normalised difference d'(τ) for τ = 0 … max_lag of `x` (n,) float;
    d'(0) = 1 by definition. Uses the first n − max_lag samples as the integration window.
    Raises ValueError when `x` is not longer than max_lag + 1."""
    x = np.asarray(x, np.float64)
    n = len(x) - max_lag
    if max_lag < 1 or n < 2:
        raise ValueError(f"a signal of {len(x)} samples is too short for lags up to {max_lag}")
    size = 1 << int(np.ceil(np.log2(len(x) + n)))
    spec_x = np.fft.rfft(x, size)
    spec_w = np.fft.rfft(x[:n], size)
    corr = np.fft.irfft(spec_x * np.conj(spec_w), size)[: max_lag + 1]  # Σ_j x[j] x[j+τ], j < n
    sq = np.concatenate(([0.0], np.cumsum(x * x)))
    energy_lag = sq[np.arange(max_lag + 1) + n] - sq[np.arange(max_lag + 1)]  # Σ_j x[j+τ]²
    d = np.maximum(sq[n] + energy_lag - 2.0 * corr, 0.0)
    d[0] = 0.0
    cum = np.cumsum(d[1:]) / np.arange(1, max_lag + 1)
    out = np.ones(max_lag + 1)
    out[1:] = d[1:] / np.maximum(cum, 1e-12 * max(sq[n], 1e-30))
    return out


def periodicity_score(x: np.ndarray, period: float) -> float:
    """How clearly `x` (n,) repeats at `period` samples and at no shorter period (module doc):
    about 1 or more for a tone at that period, about 0 or below for noise, silence or a tone an
    octave or a twelfth too high. Returns 0.0 for a signal too short to hold 2.2 periods.
    Raises ValueError for a period under 3 samples."""
    if period < 3:
        raise ValueError(f"period must be >= 3 samples, got {period}")
    max_lag = int(np.ceil(period * (1 + LAG_TOLERANCE)))
    if len(x) < 2.2 * period + max_lag or not np.any(x):
        return 0.0
    d = difference_function(x, max_lag)

    def near(lag: float) -> float:
        lo = max(1, int(np.floor(lag * (1 - LAG_TOLERANCE))))
        hi = max(lo, int(np.ceil(lag * (1 + LAG_TOLERANCE))))
        return float(d[lo : hi + 1].min())

    return min(near(period / 2), near(period / 3)) - near(period)
