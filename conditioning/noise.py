"""What lies under a note: a DC offset and a noise floor, so that its extent is found relative to them.

The envelope rule (`find_extent`) cuts a note where its envelope crosses a share of its peak. A
constant offset lifts the whole envelope, and hiss keeps it above the share of a quiet note's
peak: both move the start to the recording's first sample and the end to its last. So the offset
is removed first, and the share is raised to a margin above a measured noise floor when the floor
reaches it.

A noise floor is what the recording holds where the sound is not: it is measured only on the
recording's lead-in (before the sound starts) and its tail (after the sound has died away), and
it counts only when both are there, both steady, broadband and at the same level. A quiet stretch
inside the sound (an open hi-hat's sizzle, a slow decay, a sustain between swells) is never a
floor, nor is the decay of a recording that ends before the sound has died away, nor a lead-in
with nothing at its level after the sound (a recording cut or faded out).
"""

from __future__ import annotations

import numpy as np

#: An offset (the recording's mean) below this share of its peak is left alone: it moves the
#: detected start and end by less than an eighth of the default threshold, and any step it leaves
#: at a cut is 60 dB below the note's peak.
DC_SHARE = 1e-3
#: An offset is worth reporting above this (-60 dBFS), or when it would have moved the cut.
DC_REPORT = 1e-3

#: The floor is measured in frames of this length (s) ...
NOISE_FRAME_S = 0.01
#: ... on the recording's lead-in, at least this long (s): the frames from its first sample on
#: that stay steady (the sound starts where they stop being so) ...
NOISE_LEAD_S = 0.03
#: ... and on its tail, at least this long (s): the steady frames back from its last sample (a
#: decay still falling is not steady for this long unless it is slower than 60 dB/s) ...
NOISE_TAIL_S = 0.1
#: ... where steady means within this many dB of each other ...
NOISE_STEADY_DB = 6.0
#: ... the lead-in and the tail at the same level, within this many dB ...
NOISE_MATCH_DB = 6.0
#: ... both broadband (Wiener flatness: hiss 0.4-1, a decaying tone or hum < 0.001) ...
NOISE_FLATNESS = 0.1
#: ... and both this many dB below the recording's loudest frame (so a sustain is never noise).
NOISE_BELOW_PEAK_DB = 20.0
#: The envelope of Gaussian noise passes k times its RMS with probability exp(-k²/2) per sample:
#: 16 dB (k = 6.3) is passed about once in 10⁹ samples, so a note's extent ends this far above it.
NOISE_MARGIN_DB = 16.0
#: A floor below this (dBFS RMS) still places a soft note's cut, but is not worth telling anyone
#: about: 16-bit audio's own quantisation and dither lie at -90 to -101 dBFS and a quiet room at
#: -80 to -90 dBFS; this is the level `prepare` calls silence (a peak of 1e-4), 38 dB below the
#: default threshold of a full-scale note.
NOISE_NOTICE_DBFS = -80.0
#: Frames with less power than this (digital silence) hold no floor.
_SILENT_POWER = 1e-25


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


def _steady_run(db: np.ndarray) -> int:
    """How many frames of `db` from its first one on stay within NOISE_STEADY_DB of each other."""
    spread = np.maximum.accumulate(db) - np.minimum.accumulate(db)
    wide = np.flatnonzero(spread > NOISE_STEADY_DB)
    return int(wide[0]) if wide.size else db.size


def noise_floor(x: np.ndarray, sample_rate: int) -> float | None:
    """The RMS of the noise floor under the sound in `x` ((n,) mono float audio, DC removed), by
    the rule in the module docstring: the louder of its lead-in's and its tail's level (the median
    frame power of the half of each farther from the sound). None when either is missing, too
    short, not steady, not broadband, digital silence or not NOISE_BELOW_PEAK_DB below the loudest
    frame, or when the two differ by more than NOISE_MATCH_DB."""
    hop = max(1, round(NOISE_FRAME_S * sample_rate))
    n_frames = x.size // hop
    if n_frames < 3:
        return None
    frames = np.asarray(x[: n_frames * hop], np.float64).reshape(n_frames, hop)
    power = (frames * frames).mean(axis=1)
    db = 10.0 * np.log10(np.maximum(power, _SILENT_POWER))
    lead, tail = _steady_run(db), _steady_run(db[::-1])
    if lead < NOISE_LEAD_S / NOISE_FRAME_S or tail < NOISE_TAIL_S / NOISE_FRAME_S or lead + tail >= n_frames:
        return None
    # measured on the half of each farther from the sound: the frames where the sound rises out of the
    # floor, or dies into it, do not count
    outer = (slice(0, max(1, lead // 2)), slice(n_frames - max(1, tail // 2), n_frames))
    levels = np.array([np.median(power[part]) for part in outer])
    if levels.min() <= _SILENT_POWER or levels.max() > power.max() * 10.0 ** (-NOISE_BELOW_PEAK_DB / 10.0):
        return None
    if 10.0 * np.log10(levels.max() / levels.min()) > NOISE_MATCH_DB:
        return None
    for part in outer:
        if _flatness(frames[part].ravel()) < NOISE_FLATNESS:
            return None
    return float(np.sqrt(levels.max()))


def extent_threshold(
    x: np.ndarray, sample_rate: int, threshold: float, env_peak: float
) -> tuple[float, float | None]:
    """(share of the envelope's peak where the note starts and ends, noise floor RMS or None).

    The share is `threshold`, raised to NOISE_MARGIN_DB above the recording's noise floor
    (`noise_floor`) when the floor reaches it; the floor is None when there is none or it stays
    below `threshold` (then the share is `threshold`).
    `x`: (n,) mono float audio, DC already removed; `env_peak`: its envelope's peak.
    """
    if env_peak <= 0.0:
        return threshold, None
    floor = noise_floor(x, sample_rate)
    if floor is None:
        return threshold, None
    share = floor * 10.0 ** (NOISE_MARGIN_DB / 20.0) / env_peak
    if share <= threshold:
        return threshold, None
    return share, floor
