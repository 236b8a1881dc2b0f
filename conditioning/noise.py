"""What lies under a note: a DC offset and a noise floor, so that its extent is found relative to them.

The envelope rule (`find_extent`) cuts a note where its envelope crosses a share of its peak. A
constant offset lifts the whole envelope, and hiss keeps it above the share of a quiet note's
peak: both move the start to the recording's first sample and the end to its last. So the offset
is removed first, and the share is raised to a margin above a measured noise floor when the floor
reaches it.

A noise floor is what the recording holds where the sound is not: it is measured only on the
recording's lead-in (before the sound starts) and its tail (after the sound has died away). Where
both are there, it counts only when both are steady, broadband and at the same level. A recording
that starts on its sound (a sample trimmed at its attack, as libraries ship them) has no lead-in
to compare with: there the tail alone is the floor when it is steady, broadband and flat over a
long stretch (NOISE_TAIL_ONLY_S), as hiss is and a decay still falling to the file's end is not.
A quiet stretch inside the sound (an open hi-hat's sizzle, a slow decay, a sustain between swells)
is never a floor, nor is the decay of a recording that ends before the sound has died away, nor a
lead-in with nothing at its level after the sound (a recording cut or faded out).
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
#: A recording with no lead-in (it starts on its sound) takes its tail alone for the floor only
#: when the tail is steady for at least this long (s) ...
NOISE_TAIL_ONLY_S = 0.5
#: ... and flat: the median levels (dB) of its two halves within NOISE_FLAT_DB of each other and
#: changing by at most NOISE_FLAT_DB_S (dB/s) between them. A decay that runs on to the file's end
#: spans all NOISE_STEADY_DB of its steady stretch, so its halves lie 2.6-3.2 dB apart however
#: slow it is (measured: broadband decays of 2-10 dB/s, 2-8 s files); one whose steady stretch the
#: file's end cuts short still falls at its own rate (slower than 2 dB/s is a T60 over 30 s, a
#: tam-tam's). White hiss over 0.5 s, the shortest tail taken, measured at most 0.54 dB and
#: 2.14 dB/s at 16 kHz, 0.33 dB and 1.31 dB/s at 48 kHz (1,000 seeds each); over 3 s, 0.25 dB.
NOISE_FLAT_DB = 1.0
NOISE_FLAT_DB_S = 2.0
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


def _part_level(frames: np.ndarray, power: np.ndarray, part: slice) -> float | None:
    """The median frame power of `part` of the recording's (n_frames, hop) `frames` (their powers
    `power`), or None when it is no floor: digital silence, not NOISE_BELOW_PEAK_DB below the
    loudest frame, or not broadband."""
    level = float(np.median(power[part]))
    if level <= _SILENT_POWER or level > power.max() * 10.0 ** (-NOISE_BELOW_PEAK_DB / 10.0):
        return None
    return level if _flatness(frames[part].ravel()) >= NOISE_FLATNESS else None


def _flat(db: np.ndarray) -> bool:
    """Whether the frame levels `db` (dB, NOISE_FRAME_S apart, at least NOISE_TAIL_ONLY_S of them)
    stay flat: the medians of their two halves within NOISE_FLAT_DB and NOISE_FLAT_DB_S."""
    if db.size * NOISE_FRAME_S < NOISE_TAIL_ONLY_S - 1e-9:
        return False
    half = db.size // 2
    fall = float(np.median(db[:half]) - np.median(db[db.size - half :]))
    return abs(fall) <= NOISE_FLAT_DB and abs(fall) / (half * NOISE_FRAME_S) <= NOISE_FLAT_DB_S


def noise_floor(x: np.ndarray, sample_rate: int) -> float | None:
    """The RMS of the noise floor under the sound in `x` ((n,) mono float audio, DC removed), by
    the rule in the module docstring: the louder of its lead-in's and its tail's level (the median
    frame power of the half of each farther from the sound), or the tail's alone when the recording
    starts on its sound (no steady, broadband lead-in NOISE_LEAD_S long below the peak) and the
    tail is flat (`_flat`). None when the tail is missing, too short, not steady, not broadband,
    digital silence or not NOISE_BELOW_PEAK_DB below the loudest frame, or when the lead-in is
    there and the two differ by more than NOISE_MATCH_DB."""
    hop = max(1, round(NOISE_FRAME_S * sample_rate))
    n_frames = x.size // hop
    if n_frames < 3:
        return None
    frames = np.asarray(x[: n_frames * hop], np.float64).reshape(n_frames, hop)
    power = (frames * frames).mean(axis=1)
    db = 10.0 * np.log10(np.maximum(power, _SILENT_POWER))
    lead, tail = _steady_run(db), _steady_run(db[::-1])
    if tail < NOISE_TAIL_S / NOISE_FRAME_S or lead + tail >= n_frames:
        return None
    # measured on the half of each farther from the sound: the frames where the sound rises out of the
    # floor, or dies into it, do not count
    tail_level = _part_level(frames, power, slice(n_frames - max(1, tail // 2), n_frames))
    if tail_level is None:
        return None
    lead_level = None
    if lead >= NOISE_LEAD_S / NOISE_FRAME_S:
        lead_level = _part_level(frames, power, slice(0, max(1, lead // 2)))
    if lead_level is None:
        return float(np.sqrt(tail_level)) if _flat(db[n_frames - tail :]) else None
    if 10.0 * np.log10(max(lead_level, tail_level) / min(lead_level, tail_level)) > NOISE_MATCH_DB:
        return None
    return float(np.sqrt(max(lead_level, tail_level)))


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
