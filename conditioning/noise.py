"""What lies under a note: a DC offset and a noise floor, so that its extent is found relative to them.

The envelope rule (`find_extent`) cuts a note where its envelope crosses a share of its peak. A
constant offset lifts the whole envelope, and hiss keeps it above the share of a quiet note's
peak: both move the start to the recording's first sample and the end to its last. So the offset
is removed first, and the share is raised to a margin above a measured noise floor when the floor
reaches it.
"""

from __future__ import annotations

import numpy as np

#: An offset (the recording's mean) below this share of its peak is left alone: it moves the
#: detected start and end by less than an eighth of the default threshold, and any step it leaves
#: at a cut is 60 dB below the note's peak.
DC_SHARE = 1e-3
#: An offset is worth reporting above this (-60 dBFS), or when it would have moved the cut.
DC_REPORT = 1e-3

#: The noise floor is the level of the quietest stretch of this many seconds ...
NOISE_SPAN_S = 0.1
#: ... measured in frames of this length ...
NOISE_FRAME_S = 0.01
#: ... whose frames stay within this many dB of each other (steady: not a decay) ...
NOISE_STEADY_DB = 6.0
#: ... whose spectrum is broadband (Wiener flatness: hiss 0.4-1, a decaying tone < 0.001) ...
NOISE_FLATNESS = 0.1
#: ... and that lies this many dB below the recording's loudest stretch (so a sustain is never noise).
NOISE_BELOW_PEAK_DB = 20.0
#: The envelope of Gaussian noise passes k times its RMS with probability exp(-k²/2) per sample:
#: 16 dB (k = 6.3) is passed about once in 10⁹ samples, so a note's extent ends this far above it.
NOISE_MARGIN_DB = 16.0


def dc_offset(mean: float, peak: float) -> float:
    """The offset to subtract from a recording of this mean and peak (|sample| max): the mean, or
    0.0 when it is below DC_SHARE of the peak."""
    return mean if abs(mean) > DC_SHARE * peak else 0.0


def remove_dc(x: np.ndarray) -> tuple[np.ndarray, float]:
    """(`x` without its DC offset, the offset removed) for (n,) float audio with finite samples;
    `x` itself and 0.0 when the offset is below DC_SHARE of the peak (`dc_offset`). Detection
    (`find_extent`, `extent_threshold`, level analyses) should see the first."""
    if x.size == 0:
        return x, 0.0
    dc = dc_offset(float(np.mean(x, dtype=np.float64)), float(np.abs(x).max()))
    return (x - np.float32(dc) if dc else x), dc


def _flatness(x: np.ndarray) -> float:
    """Wiener spectral flatness (geometric / arithmetic mean of the Welch power spectrum), 0 … 1."""
    from scipy.signal import welch  # here: importing scipy.signal takes half a second

    _, power = welch(x, nperseg=min(256, x.size))
    power = power[1:] + 1e-30
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


def _quietest_steady_stretch(x: np.ndarray, sample_rate: int) -> tuple[float, int, int] | None:
    """(mean power, first sample, end sample) of the quietest steady stretch of NOISE_SPAN_S at least
    NOISE_BELOW_PEAK_DB below the loudest one; None if there is none (or only digital silence)."""
    hop = max(1, round(NOISE_FRAME_S * sample_rate))
    span = max(1, round(NOISE_SPAN_S / NOISE_FRAME_S))
    n_frames = x.size // hop
    if n_frames < span:
        return None
    frames = np.asarray(x[: n_frames * hop], np.float64).reshape(n_frames, hop)
    power = (frames * frames).mean(axis=1)
    db = np.lib.stride_tricks.sliding_window_view(10.0 * np.log10(np.maximum(power, 1e-30)), span)
    mean = np.convolve(power, np.ones(span) / span, mode="valid")  # each stretch's mean power
    steady = db.max(axis=1) - db.min(axis=1) <= NOISE_STEADY_DB
    quiet = mean <= mean.max() * 10.0 ** (-NOISE_BELOW_PEAK_DB / 10.0)
    candidates = np.flatnonzero(steady & quiet & (mean > 1e-25))
    if candidates.size == 0:
        return None
    i = int(candidates[np.argmin(mean[candidates])])
    return float(mean[i]), i * hop, (i + span) * hop


def extent_threshold(
    x: np.ndarray, sample_rate: int, threshold: float, env_peak: float
) -> tuple[float, float | None]:
    """(share of the envelope's peak where the note starts and ends, noise floor RMS or None).

    The share is `threshold`, raised to NOISE_MARGIN_DB above the recording's noise floor when the
    floor reaches it. The floor is the quietest stretch of NOISE_SPAN_S that is steady, broadband
    and at least NOISE_BELOW_PEAK_DB below the loudest stretch; None for digital silence, a
    recording too short to hold such a stretch, one whose quiet parts are the tail of the note
    itself, or a floor too low to matter (then the share is `threshold`).
    `x`: (n,) mono float audio, DC already removed; `env_peak`: its envelope's peak.
    """
    stretch = _quietest_steady_stretch(x, sample_rate)
    if stretch is None or env_peak <= 0.0:
        return threshold, None
    floor = float(np.sqrt(stretch[0]))
    share = floor * 10.0 ** (NOISE_MARGIN_DB / 20.0) / env_peak
    if share <= threshold or _flatness(x[stretch[1] : stretch[2]]) < NOISE_FLATNESS:
        return threshold, None
    return share, floor
