"""Copies of one recording in a bank: identical prepared audio, or the same audio at another gain.

A copy in two splits lets validation and test score a note the model trained on. Exact copies (a
file copied under another name, a kit listing one sample under two instruments) share the digest
of their prepared audio. Gain copies are the same recording scaled to stand for another velocity
layer: measured on Debian's hydrogen-drumkits, "The Black Pearl 1.0" ships Cowbell-Softest … -Hardest
and its hat and splash chokes as one waveform at five levels, BJA_Pacific its snare SN_02/03/04.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from scipy.fft import next_fast_len

#: The correlation deficit (1 - normalised correlation, mean removed) at or below which two
#: prepared notes of one pitch are one recording at two gains (plus what quantisation noise
#: explains, below). Measured: the gain-scaled layers above fall short of 1 by < 5e-6; the closest
#: layers seen that are not exact copies, the bundled trombone bank's velocity 80 and 120 at G3 and
#: G#3 (one SoundFont sample at two gains with a touch of filter), by 1.6e-5, a SoundFont cello's
#: velocity layers (MuseScore General, D#4 at velocity 33 and 80) by 1.8e-4, and a drummer's two
#: softest snare hits (BJA_Pacific SN4_01/02) by 1e-3.
GAIN_COPY_DEFICIT = 1e-5
#: White noise of RMS s added to a note of RMS r costs its correlation 0.5 (s/r)²: a quiet copy's
#: quantisation costs it more than GAIN_COPY_DEFICIT (one 40 dB down from a -6 dBFS hit, 1.5e-4).
#: Counted: a 16-bit source's quantisation (2^-15 / sqrt(12), about -101 dBFS) scaled by prepare's
#: gain, plus the 16-bit prepared file's own, NOISE_MARGIN times over.
QUANTISATION_RMS = float(2.0**-15 / np.sqrt(12.0))
NOISE_MARGIN = 2.0
#: Samples searched either side of the onsets for the lag that aligns two notes. The manifest's
#: onset is where prepare put the start it detected at a share of the note's own peak, and on a
#: slow attack a quieter copy's start moves by several samples (10 on a synthetic hit 26 dB down);
#: the lag is refined to a fraction of a sample (a resampled copy moves by fractions).
MAX_LAG = 32
#: Samples before the onset included in every comparison (the attack's first rise).
LEAD_IN = 64
#: Samples from the onset compared first: distinct hits or notes differ in their attack, so most
#: pairs are told apart there before their whole span is compared.
ATTACK_WINDOW = 2048
#: Notes are compared only when the longer is at most this many times the shorter (a quiet copy's
#: end, found where its tail meets the noise floor, comes earlier than the original's).
MAX_LENGTH_RATIO = 2.0
#: Cosine similarity of two notes' attack-window magnitude spectra (shift- and gain-blind) below
#: which they are not compared sample by sample: one matrix product a pitch finds the candidates.
#: Measured: the gain copies of the five Hydrogen kits above ≥ 0.99984; it passes 41 of their 3,384
#: same-piece pairs within MAX_LENGTH_RATIO, but most of a pitched bank's (the bundled trombone's
#: layers of one pitch are as alike in magnitude: 840 of 1,248 pairs).
SPECTRUM_SIMILARITY = 0.999
#: Whole notes of one pitch held in memory at once while pairs are compared (the oldest read is
#: dropped first; 256 notes of 4 s at 16 kHz: 131 MB).
MAX_CACHED_NOTES = 256
#: Samples at the end of the attack window tapered (half-Hann) before its spectrum is taken. The
#: window ends on the held note, and a square cut there makes the spectrum's leakage swing with a
#: shift of a few samples. Measured on FluidSynth cello notes at velocity 50 and their copies padded
#: with 0.5 s of digital silence (prepared at 16 kHz, content 2-8 samples apart at one onset): cut
#: square, 4 of 16 pairs fell below SPECTRUM_SIMILARITY (0.9945-0.9989); tapered over 256 samples
#: (16 ms at 16 kHz), all ≥ 0.99996.
ATTACK_TAPER = 256
#: Samples back from the shorter note's last non-zero sample left out of the whole-span comparison:
#: where a source's cut (its detected end plus post-roll) meets the zeros appended after it, the
#: resampler's filter rings (a few dozen samples at 16 kHz; a quarter of the envelope's frame kept
#: as margin).
END_MARGIN = 256
#: Samples of b read either side of the compared span, so that the band-limited (FFT) delay that
#: aligns it finds b's own samples there, not the wrap-around of its ends.
DELAY_MARGIN = 256


class PreparedNote(Protocol):
    """What the rule needs of a prepared note (prepare.run.NoteRow has it)."""

    id: str
    pitch: int
    onset: int
    n_samples: int
    digest: str


def recording_keys(notes: Sequence[PreparedNote], read: Callable[[str], np.ndarray], gain: float = 1.0
                   ) -> dict[str, str]:
    """{note id: the key of its recording}: the digest of its prepared audio, or, for a gain copy
    of another note of its pitch (`is_gain_copy` over their first ATTACK_WINDOW samples and over
    their common span, aligned by `align`), that note's digest — transitively, so that every layer
    of one scaled waveform shares one key. The keys do not depend on the order of `notes`.

    `read(note_id)` returns the note's prepared audio, (n_samples,) float; `gain`: the gain prepare
    applied to the sources (their quantisation noise grows with it). Every note's attack window is
    read; whole notes only for the pairs SPECTRUM_SIMILARITY and MAX_LENGTH_RATIO let through.
    """
    parent: dict[str, str] = {n.digest: n.digest for n in notes}
    by_pitch: dict[int, dict[str, PreparedNote]] = defaultdict(dict)
    for n in sorted(notes, key=lambda n: n.digest):
        by_pitch[n.pitch].setdefault(n.digest, n)  # one note per distinct audio
    noise = QUANTISATION_RMS * float(np.hypot(1.0, gain))
    for same_pitch in by_pitch.values():
        by_length = sorted(same_pitch.values(), key=lambda n: (n.n_samples, n.digest))
        _join_gain_copies(by_length, read, parent, noise)
    return {n.id: _root(parent, n.digest) for n in notes}


def _root(parent: dict[str, str], d: str) -> str:
    """The key of digest `d`'s group (union-find with path halving)."""
    while parent[d] != d:
        parent[d] = parent[parent[d]]
        d = parent[d]
    return d


def _join_gain_copies(ones: list[PreparedNote], read: Callable[[str], np.ndarray], parent: dict[str, str],
                      noise: float) -> None:
    """Join in `parent` the groups of the gain copies among `ones` (one pitch, by length)."""
    if len(ones) < 2:
        return
    audio: dict[str, np.ndarray] = {}

    def samples(n: PreparedNote) -> np.ndarray:
        if n.id not in audio:
            if len(audio) >= MAX_CACHED_NOTES:
                del audio[next(iter(audio))]  # the oldest: pairs come in order of the first note
            audio[n.id] = np.asarray(read(n.id), np.float64)
        return audio[n.id]

    spectra = np.stack([_attack_spectrum(samples(n), n.onset) for n in ones])  # cached: candidates read once
    lengths = np.array([n.n_samples for n in ones], np.float64)
    near = lengths[None, :] <= MAX_LENGTH_RATIO * lengths[:, None]  # ones are by length: j > i is longer
    alike = (spectra @ spectra.T >= SPECTRUM_SIMILARITY) & near
    for i, j in zip(*np.nonzero(np.triu(alike, 1)), strict=True):
        a, b = ones[i], ones[j]
        if _root(parent, a.digest) == _root(parent, b.digest):
            continue
        xa, xb = samples(a), samples(b)
        lag = align(xa, a.onset, xb, b.onset)
        if all(is_gain_copy(*correlation_deficit(xa, a.onset, xb, b.onset, lag, span, noise))
               for span in (ATTACK_WINDOW, _common_span(xa, a.onset, xb, b.onset, lag))):
            parent[_root(parent, b.digest)] = _root(parent, a.digest)


def _common_span(a: np.ndarray, onset_a: int, b: np.ndarray, onset_b: int, lag: float) -> int:
    """Samples after the onsets (b delayed by `lag`) that both notes' sources reach: up to END_MARGIN
    before the earlier of their last non-zero samples, at least ATTACK_WINDOW. Where prepare found a
    note's end depends on its noise floor (a copy padded with digital silence ends 60-70 ms earlier
    than its original, measured on FluidSynth cello notes), and beyond that one note is zeros and
    the other still sounds: the comparison stops before, so that a copy is one wherever its end lies."""
    last_a, last_b = (int(np.flatnonzero(x)[-1]) + 1 if x.any() else 0 for x in (a, b))
    reach = min(last_a - onset_a, last_b - onset_b - int(np.ceil(lag))) - END_MARGIN
    return max(reach, ATTACK_WINDOW)


def _segment(x: np.ndarray, start: int, n: int) -> np.ndarray:
    """x[start : start + n], zeros where that reaches outside x."""
    out = np.zeros(n)
    lo, hi = max(start, 0), min(start + n, x.size)
    if hi > lo:
        out[lo - start: hi - start] = x[lo:hi]
    return out


def _attack_spectrum(x: np.ndarray, onset: int) -> np.ndarray:
    """The unit-norm magnitude spectrum of the note's attack window (square at its start, before the
    attack; its last ATTACK_TAPER samples tapered, so that a shift of a few samples changes it
    little), float32 (ATTACK_WINDOW // 2 + 1,)."""
    window = _segment(x, onset - LEAD_IN, ATTACK_WINDOW)
    window[-ATTACK_TAPER:] *= 0.5 * (1.0 + np.cos(np.pi * np.arange(1, ATTACK_TAPER + 1) / ATTACK_TAPER))
    mag = np.abs(np.fft.rfft(window))
    norm = float(np.linalg.norm(mag))
    return (mag / norm if norm > 0 else mag).astype(np.float32)


def is_gain_copy(deficit: float, noise_deficit: float) -> bool:
    """Whether a pair measured by `correlation_deficit` is one waveform at two gains: its deficit
    within GAIN_COPY_DEFICIT of what NOISE_MARGIN times the quantisation noise explains."""
    return deficit <= GAIN_COPY_DEFICIT + NOISE_MARGIN * noise_deficit


def align(a: np.ndarray, onset_a: int, b: np.ndarray, onset_b: int) -> float:
    """The lag (samples, to a fraction of one) at which b's content best matches a's — b at
    onset_b + lag sounds as a at onset_a —: the peak of the cross-correlation of a's attack window
    (LEAD_IN + ATTACK_WINDOW samples) with b's within ± MAX_LAG samples, refined between samples by
    a band-limited (FFT) delay. a, b: (n,) float mono."""
    x = _segment(a, onset_a - LEAD_IN, LEAD_IN + ATTACK_WINDOW)
    y = _segment(b, onset_b - LEAD_IN - DELAY_MARGIN, x.size + 2 * DELAY_MARGIN)
    m = next_fast_len(2 * y.size)
    cross = np.conj(np.fft.rfft(x, m)) * np.fft.rfft(y, m)
    k = np.arange(DELAY_MARGIN - MAX_LAG, DELAY_MARGIN + MAX_LAG + 1)
    # normalised by b's energy under the window: raw, a tone's peak may fall a period off, where
    # more of b's attack lies in the window
    energy = np.concatenate([[0.0], np.cumsum(y * y)])
    under = np.sqrt(np.maximum(energy[k + x.size] - energy[k], 1e-300))
    peak = float(k[np.argmax(np.fft.irfft(cross, m)[k] / under)])
    bins = np.arange(cross.size)
    omega = 2j * np.pi * bins / m
    cross = cross * np.where((bins == 0) | (bins == m // 2), 1.0, 2.0)  # the bins rfft leaves out
    guess = _refine_peak(cross, omega, peak) - DELAY_MARGIN
    return _least_deficit(a, onset_a, b, onset_b, guess)


#: How close (samples) `_least_deficit` brings the lag to the one of least deficit. Off by δ, a
#: tone at f Hz sampled at sr loses (2π f δ / sr)² / 2 of its correlation: 1e-3 sample costs a
#: 4 kHz partial at 16 kHz 1.2e-7, well under GAIN_COPY_DEFICIT.
LAG_TOLERANCE = 1e-3


def _least_deficit(a: np.ndarray, onset_a: int, b: np.ndarray, onset_b: int, guess: float) -> float:
    """The lag within half a sample of `guess` at which the attack windows' `correlation_deficit`
    is least. The cross-correlation's peak (`guess`) is not quite there: a's window is cut
    square and b's is not, so as the lag moves, b's content slides in and out at the window's
    edges, and on a tone its energy there swings with the phase. Measured on one take and its
    copy padded with digital silence (identical after the start): guess 0.08-0.12 sample off,
    which cost a 165-Hz tone a deficit of 2-3e-5 (above GAIN_COPY_DEFICIT; a higher pitch, more)."""
    from scipy.optimize import minimize_scalar  # here: importing scipy.optimize takes 0.3 s

    def deficit(lag: float) -> float:
        return correlation_deficit(a, onset_a, b, onset_b, lag, ATTACK_WINDOW)[0]

    found = minimize_scalar(deficit, bounds=(guess - 0.5, guess + 0.5), method="bounded",
                            options={"xatol": LAG_TOLERANCE})
    return float(found.x) if found.fun <= deficit(guess) else guess


def correlation_deficit(a: np.ndarray, onset_a: int, b: np.ndarray, onset_b: int, lag: float,
                        span: int | None = None, noise: float = QUANTISATION_RMS) -> tuple[float, float]:
    """How far two notes are from one waveform at two gains: 1 - the normalised correlation (mean
    removed) of a, from LEAD_IN samples before onset_a to `span` samples after it (None: as far as
    both notes reach), with b delayed by `lag` samples (`align`; a band-limited delay, so a copy
    resampled from another rate, which moves by fractions of a sample, still matches); and the
    deficit white noise of RMS `noise` would cause, 0.5 (noise / RMS)² summed over the two.
    a, b: (n,) float mono. (0.0, ...) for one waveform at two gains; (1.0, 0.0) when either is
    silent there."""
    reach = min(a.size - onset_a, b.size - onset_b - int(np.ceil(lag)))
    n = LEAD_IN + (reach if span is None else min(span, reach))
    if n <= LEAD_IN:
        return 1.0, 0.0
    x = _segment(a, onset_a - LEAD_IN, n)
    whole = int(np.floor(lag))
    y = _segment(b, onset_b - LEAD_IN - DELAY_MARGIN + whole, n + 2 * DELAY_MARGIN)
    m = next_fast_len(y.size + DELAY_MARGIN)
    omega = 2j * np.pi * np.arange(m // 2 + 1) / m
    y = np.fft.irfft(np.fft.rfft(y, m) * np.exp(omega * (lag - whole)), m)[DELAY_MARGIN:DELAY_MARGIN + n]
    x, y = x - x.mean(), y - y.mean()
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    if nx * ny == 0.0:
        return 1.0, 0.0
    return 1.0 - float(x @ y) / (nx * ny), 0.5 * n * noise**2 * (1.0 / nx**2 + 1.0 / ny**2)


def _refine_peak(cross: np.ndarray, omega: np.ndarray, peak: float, steps: int = 5) -> float:
    """The maximum near the integer `peak` of g(t) = Re sum(cross · exp(omega · t)) — a
    cross-correlation between samples — by Newton's method on g' (at most half a sample from
    `peak`: a peak between two samples is found from either)."""
    t = peak
    for _ in range(steps):
        turn = cross * np.exp(omega * t)
        slope, curve = float(np.real(np.sum(omega * turn))), float(np.real(np.sum(omega * omega * turn)))
        if curve >= 0.0:
            break
        t = float(np.clip(t - slope / curve, peak - 0.5, peak + 0.5))
    return t
