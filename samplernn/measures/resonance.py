"""A drum hit's resonance: the frequency its body rings at, and how much of its power rings there.

A tom, an agogo or a cowbell rings at one frequency after the strike: on ForzeeStereo the three
rack toms' bodies hold 51-86 % of their power after the first 30 ms within ±3 % of 71, 113 and
136 Hz. A snare, a hi-hat or a crash holds no such share anywhere. What `train --piece-tuning`
measures a kit's pieces by (samplernn.data.piece_tuning), and what `evaluate` checks a tonal
piece's takes against (is the take's body ringing, and at its piece's frequency).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: The part of each hit measured, seconds after its note-on: past the stick's strike, within the
#: 0.5 s the likeness judge looks at (`evaluate`'s log-mel features).
BODY_SECONDS = (0.03, 0.5)
#: Where a resonance is looked for, Hz: a bass drum's ~35 Hz to an agogo's ~1.2 kHz and a ride
#: bell's partials.
SEARCH_HZ = (30.0, 4000.0)
#: A peak's band, a share of its frequency either side (±3 %, about ±half a semitone). Below
#: ~140 Hz the body's Hann window spreads a pure tone wider than that (its main lobe is ±4.3 Hz),
#: so a bass drum's share reads low: a 41.5 Hz sine keeps 0.66 of its power in the band.
PEAK_BAND = 0.03
#: The least share of a body's power within PEAK_BAND of its peak for it to count as ringing.
#: Measured on three Hydrogen kits' train hits, pooled per piece: toms 0.51-0.96, cowbell 0.86,
#: agogos 0.38 / 0.83, bass drums 0.07-0.53; snares 0.16-0.56, hi-hats 0.04-0.18, crashes and
#: splashes 0.02-0.16.
TONAL_SHARE = 0.25
#: How far a take's peak may lie from its piece's resonance and still be in tune, cents (a
#: quarter tone, the pitched bank's in-tune bar's width: samplernn.measures.sound).
TUNE_CENTS = 50.0
#: FFT length of the measure: 2^15 samples (zero-padded; 0.5 Hz bins at 16 kHz).
N_FFT = 1 << 15


def body_power(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """A hit's body as a power spectrum summing to 1: the Hann-windowed BODY_SECONDS after its
    note-on (audio: (n_samples,) float from the note-on, padded with silence where shorter).
    Returns (power (N_FFT // 2 + 1,), frequencies in Hz); all zeros for a silent body."""
    start, stop = (int(s * sample_rate) for s in BODY_SECONDS)
    body = np.zeros(stop - start, dtype=np.float64)
    part = np.asarray(audio[start:stop], dtype=np.float64)
    body[: len(part)] = part
    power = np.abs(np.fft.rfft(body * np.hanning(len(body)), N_FFT)) ** 2
    total = float(power.sum())
    return (power / total if total > 0 else power), np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)


def resonance(power: np.ndarray, hz: np.ndarray) -> tuple[float, float]:
    """The strongest peak of a power spectrum within SEARCH_HZ and the share of the spectrum's
    power within PEAK_BAND of it: (Hz, share in 0-1). power, hz: (n_bins,) as body_power gives."""
    search = (hz >= SEARCH_HZ[0]) & (hz <= SEARCH_HZ[1])
    peak = float(hz[np.argmax(np.where(search, power, -1.0))])
    near = (hz >= peak * (1 - PEAK_BAND)) & (hz <= peak * (1 + PEAK_BAND))
    total = float(power.sum())
    return peak, (float(power[near].sum()) / total if total > 0 else 0.0)


def hit_resonance(audio: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """`resonance` of one hit's body (audio (n_samples,) from its note-on): (Hz, share)."""
    return resonance(*body_power(audio, sample_rate))


def tonal_pieces(hits: Iterable[tuple[int, np.ndarray]], sample_rate: int) -> dict[int, float]:
    """{GM key: resonance in Hz, rounded to 0.1} of the pieces that ring: each hit's body power
    (body_power; hits as (key, audio from its note-on)) summed over the piece's hits, its strongest
    peak kept where it holds at least TONAL_SHARE of that power. A piece whose hits differ in
    tuning keeps the peak of their sum."""
    pooled: dict[int, np.ndarray] = {}
    hz = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    for key, audio in hits:
        power = body_power(audio, sample_rate)[0]
        pooled[int(key)] = pooled[int(key)] + power if int(key) in pooled else power
    table = {}
    for key, power in sorted(pooled.items()):
        peak, share = resonance(power, hz)
        if share >= TONAL_SHARE:
            table[key] = round(peak, 1)
    return table


def ringing_peak(found: tuple[float, float]) -> float | None:
    """The Hz a hit rings at: the peak of its (Hz, share) `found` (hit_resonance) where its body
    holds at least TONAL_SHARE of its power there; None where it does not ring."""
    peak, share = found
    return peak if share >= TONAL_SHARE and peak > 0 else None


def in_tune(found: tuple[float, float], want_hz: float) -> bool:
    """Whether a hit's (Hz, share) `found` (hit_resonance) rings (ringing_peak) within TUNE_CENTS
    of `want_hz` (its piece's, tonal_pieces)."""
    peak = ringing_peak(found)
    return peak is not None and abs(1200.0 * np.log2(peak / want_hz)) <= TUNE_CENTS

