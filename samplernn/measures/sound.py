"""Sound measures on single-note signals (numpy + librosa, no torch).

Every function takes a mono float signal `x` (n,) and positions in samples from the note's
event (onset, release, end), so the same code measures real recordings and generated notes.
Definitions (also in the evaluate report's "definitions" block):

* pitch — median pYIN f0 over the voiced frames of the sustained part, in cents from the MIDI pitch,
  and the kind of miss (octave or other);
* pitch settling — when the pitch is found after note-on (`settle_ms`): the first of a run of
  in-tune frames of a short-frame pYIN track;
* audible end — the envelope rule `prepare` uses (conditioning.find_extent at DEFAULT_THRESHOLD,
  0.8 % of the peak);
* level — RMS over the note [onset, end);
* timbre distance — mean |log-mel dB difference| over the note's frames (see `timbre_distance`);
* clipping — share of samples with |x| >= 0.999; DC offset — the signal's mean;
* loudest 10 ms — the RMS of the signal's loudest 10-ms window (`loudest_window_db`): a burst far
  above the note's own level shows there, whether or not it reaches full scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from conditioning import DEFAULT_THRESHOLD, envelope, find_extent

CLIP_LEVEL = 0.999
TOP_DB = 80.0
#: The short-time level's window (s): a generated burst (a run of same-sign samples integrated by
#: the de-emphasis) lasts 5–30 ms; in real trombone notes the loudest 10 ms sits 0.3–1 dB over the
#: sustained level (measured on D3 v40 / v80 of the bundled bank).
LEVEL_WINDOW_SECONDS = 0.01
#: A generated note has a burst when its loudest 10 ms is more than this many dB over the real
#: recording's loudest 10 ms (same note, same timing). Among 8 takes of D3 1 s, the shipped model's
#: sit within 1 dB of each other; a burst of a model trained from scratch sits 16–25 dB over the
#: note's median 10-ms level (v40).
BURST_OVER_REAL_DB = 6.0
#: The same for a note without a recording (a melody note, a pitch the bank lacks): dB over the
#: bank's typical level for the note (evaluate.scoring.expected_level_db). In the 312 notes of the
#: bundled trombone bank the loudest 10 ms sits 0.7–4.8 dB (median 2.4) over the note's own level;
#: 10 dB leaves the rest for the model's level error.
BURST_OVER_LEVEL_DB = 10.0


@dataclass(frozen=True)
class PitchSettings:
    """pYIN analysis settings. The search range is the MIDI pitch ± `span` semitones, wide enough
    to see octave errors yet far cheaper than pYIN's default five octaves."""

    span: float = 13.0
    frame_seconds: float = 0.064
    hop_fraction: float = 0.25
    attack_seconds: float = 0.08
    max_seconds: float = 1.0
    tolerance_cents: float = 50.0


def midi_to_hz(pitch: float) -> float:
    """MIDI note number → frequency in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


#: Decimals a cent figure is rounded to: pYIN's f0 lies on a 10-cent grid about the MIDI pitch, so
#: a note exactly 50 cents off is common, and float rounding (50.00000000000008) must not decide
#: whether it is within ±50.
CENT_DECIMALS = 6


def cents_between(f0_hz: float | np.ndarray, pitch: float) -> float | np.ndarray:
    """Signed distance in cents from MIDI `pitch` to `f0_hz` (Hz, a number or an array; positive =
    sharp), rounded to CENT_DECIMALS: a float for a number, an array of f0_hz's shape for an array."""
    cents = np.round(1200.0 * np.log2(np.asarray(f0_hz, dtype=np.float64) / midi_to_hz(pitch)), CENT_DECIMALS)
    return float(cents) if cents.ndim == 0 else cents


#: The kinds of pitch result `pitch_error_kind` tells apart.
PITCH_KINDS = ("ok", "octave", "other", "unvoiced")


def pitch_error_kind(cents: float | None, tolerance: float = 50.0) -> str:
    """'ok' within ±tolerance cents; 'octave' within ±tolerance of a whole number (≠ 0) of octaves
    (±1200, ±2400 … cents: the right note in the wrong register); 'other' for any other miss;
    'unvoiced' when no pitch was found (cents None)."""
    if cents is None:
        return "unvoiced"
    if abs(cents) <= tolerance:
        return "ok"
    octaves = round(cents / 1200.0)
    return "octave" if octaves != 0 and abs(cents - 1200.0 * octaves) <= tolerance else "other"


def sustain_region(
    onset: int, release: int, end: int, sample_rate: int, settings: PitchSettings = PitchSettings()
) -> tuple[int, int]:
    """The part of a note whose pitch is measured: onset + attack margin up to release.

    The attack margin is at most a quarter of the held part; the region is capped at
    `max_seconds` and extended towards `end` when shorter than one analysis frame.
    """
    held = max(release - onset, 0)
    a = onset + min(int(settings.attack_seconds * sample_rate), held // 4)
    b = min(release, a + int(settings.max_seconds * sample_rate))
    frame = _frame_length(sample_rate, settings)
    if b - a < frame:
        b = min(end, a + frame)
    return a, max(a, b)


def _frame_length(sample_rate: int, settings: PitchSettings) -> int:
    """Power of two nearest frame_seconds × sample_rate (1024 at 16 kHz)."""
    return 1 << max(6, round(np.log2(settings.frame_seconds * sample_rate)))


def _search_range(pitch: float, span: float, sample_rate: int, frame: int) -> tuple[float, float] | None:
    """(fmin, fmax) in Hz for pYIN: the MIDI pitch ± `span` semitones, fmin floored at just over two
    periods per frame (librosa warns at exactly two), fmax under Nyquist; None when empty."""
    fmin = max(midi_to_hz(pitch - span), 2.001 * sample_rate / frame)
    fmax = min(midi_to_hz(pitch + span), sample_rate / 2.0 - 1.0)
    return (fmin, fmax) if fmin < fmax else None


def median_f0(
    x: np.ndarray,
    sample_rate: int,
    pitch: int,
    start: int,
    stop: int,
    settings: PitchSettings = PitchSettings(),
) -> float | None:
    """Median pYIN f0 (Hz) over the voiced frames of x[start:stop]; None if no frame is voiced."""
    import librosa

    seg = np.asarray(x[start:stop], dtype=np.float32)
    frame = _frame_length(sample_rate, settings)
    if seg.size < frame or not np.any(seg):
        return None
    bounds = _search_range(pitch, settings.span, sample_rate, frame)
    if bounds is None:
        return None
    fmin, fmax = bounds
    f0, voiced, _ = librosa.pyin(
        seg,
        fmin=fmin,
        fmax=fmax,
        sr=sample_rate,
        frame_length=frame,
        hop_length=max(1, int(frame * settings.hop_fraction)),
        center=False,
    )
    f0 = f0[voiced & np.isfinite(f0)]
    return float(np.median(f0)) if f0.size else None


def note_pitch_cents(
    x: np.ndarray,
    sample_rate: int,
    pitch: int,
    onset: int,
    release: int,
    end: int,
    settings: PitchSettings = PitchSettings(),
) -> tuple[float | None, float | None]:
    """(median f0 in Hz, its signed cent error against `pitch`) over the sustained part; Nones if unvoiced."""
    a, b = sustain_region(onset, release, end, sample_rate, settings)
    f0 = median_f0(x, sample_rate, pitch, a, b, settings)
    if f0 is None:
        return None, None
    return f0, cents_between(f0, pitch)


@dataclass(frozen=True)
class SettleSettings:
    """The short-frame pYIN track `settle_ms` reads: ~32 ms frames (512 samples at 16 kHz;
    longer for notes under ~C2, to hold two periods) every ~8 ms, over at most `max_seconds`
    after note-on; the pitch has settled at the first of `run` consecutive frames within
    ±`tolerance_cents` of the MIDI pitch. Search range: the MIDI pitch ± `span` semitones."""

    frame_seconds: float = 0.032
    hop_seconds: float = 0.008
    max_seconds: float = 0.5
    run: int = 3
    span: float = 13.0
    tolerance_cents: float = 50.0


def settle_ms(
    x: np.ndarray, sample_rate: int, pitch: int, onset: int, release: int,
    settings: SettleSettings = SettleSettings(),
) -> float | None:
    """Milliseconds from note-on to the centre of the first frame of the first run of
    `settings.run` consecutive pYIN frames within ±tolerance of `pitch`, searched over [onset,
    min(release, onset + max_seconds)); None when the pitch never settles there (or the span is
    shorter than run frames). On the bundled trombone bank's test split the recordings settle at a
    median 24 ms (p90 32), the shipped model's notes at 64 ms (p90 236) (docs/evaluate.md, "Pitch
    settling")."""
    import librosa

    # a frame holds two periods of a semitone under the note, however low (pYIN's limit)
    shortest = max(settings.frame_seconds * sample_rate, 2.001 * sample_rate / midi_to_hz(pitch - 1))
    frame = 1 << max(6, int(np.ceil(np.log2(shortest))))
    hop = max(1, round(settings.hop_seconds * sample_rate))
    stop = min(release, onset + round(settings.max_seconds * sample_rate), len(x))
    seg = np.asarray(x[max(onset, 0) : stop], dtype=np.float32)
    if seg.size < frame + (settings.run - 1) * hop or not np.any(seg):
        return None
    bounds = _search_range(pitch, settings.span, sample_rate, frame)
    if bounds is None:
        return None
    fmin, fmax = bounds
    # pYIN's HMM allows ~0.3 octave per 8-ms hop by default, so it tracks an octave error that
    # gives way to the note as the note from its start; allow a jump of up to an octave per hop
    # (as wide as librosa's transition window fits in the search range's 10-cent bins).
    n_bins = int(120 * np.log2(fmax / fmin)) + 1
    semitones = min(24, (n_bins - 1) // 10)
    f0, voiced, _ = librosa.pyin(
        seg, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame, hop_length=hop, center=False,
        max_transition_rate=semitones * sample_rate / (12.0 * hop),
    )
    good = voiced & np.isfinite(f0)
    cents = np.full(f0.shape, np.inf)
    cents[good] = np.abs(cents_between(f0[good], pitch))
    in_tune = cents <= settings.tolerance_cents
    runs = np.convolve(in_tune.astype(np.int64), np.ones(settings.run, np.int64), mode="valid")
    first = np.flatnonzero(runs == settings.run)
    if not first.size:
        return None
    return (int(first[0]) * hop + frame / 2) * 1000.0 / sample_rate


def audible_end(x: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> int | None:
    """Exclusive end of the audible note: the last sample whose Hilbert envelope exceeds
    `threshold` × the envelope's peak (the rule prepare uses). None for a silent signal."""
    extent = find_extent(np.asarray(x, dtype=np.float32), threshold)
    return None if extent is None else extent[1]


def end_offset_ms(
    x: np.ndarray, onset: int, end: int, sample_rate: int, threshold: float = DEFAULT_THRESHOLD
) -> float:
    """Audible end − requested end in ms (positive: the note rings on too long). A silent signal
    counts as ending at its onset."""
    got = audible_end(x, threshold)
    return ((onset if got is None else got) - end) * 1000.0 / sample_rate


def end_error_ms(
    x: np.ndarray, onset: int, end: int, sample_rate: int, threshold: float = DEFAULT_THRESHOLD
) -> float:
    """|audible end − requested end| in ms (see end_offset_ms)."""
    return abs(end_offset_ms(x, onset, end, sample_rate, threshold))


def rms(x: np.ndarray, start: int = 0, stop: int | None = None) -> float:
    """Root mean square of x[start:stop] (0 for an empty span)."""
    seg = np.asarray(x[start:stop], dtype=np.float64)
    return float(np.sqrt(np.mean(seg**2))) if seg.size else 0.0


def to_db(value: float, floor: float = -120.0) -> float:
    """Amplitude → dBFS, floored."""
    return float(max(20.0 * np.log10(value), floor)) if value > 0 else floor


def rises_with_velocity(velocities: Sequence[int], levels: Sequence[float]) -> bool | None:
    """Whether the level rises strictly from each velocity present to the next.

    Notes sharing a velocity are pooled by their median level. None when fewer than two
    distinct velocities are present (nothing to compare).
    """
    if len(velocities) != len(levels):
        raise ValueError("velocities and levels must have the same length")
    by_vel: dict[int, list[float]] = {}
    for v, lv in zip(velocities, levels, strict=True):
        by_vel.setdefault(int(v), []).append(float(lv))
    if len(by_vel) < 2:
        return None
    medians = [float(np.median(by_vel[v])) for v in sorted(by_vel)]
    return bool(all(b > a for a, b in zip(medians, medians[1:], strict=False)))


def loudest_window_db(x: np.ndarray, sample_rate: int, window_s: float = LEVEL_WINDOW_SECONDS) -> float:
    """The RMS (dBFS, floored as `to_db`) of the loudest window of `window_s` seconds of signal x
    (n,), over windows hopped by half their length; the whole signal's RMS when it is shorter than
    one window. Raises ValueError for a window under one sample."""
    n = int(round(window_s * sample_rate))
    if n < 1:
        raise ValueError(f"a level window of {window_s} s is under one sample at {sample_rate} Hz")
    x = np.asarray(x, dtype=np.float64)
    if x.size <= n:
        return to_db(rms(x))
    power = uniform_filter1d(x**2, n, mode="constant")[n // 2 : x.size - (n - 1) // 2 : max(1, n // 2)]
    return to_db(float(np.sqrt(max(float(power.max()), 0.0))))


def clip_share(x: np.ndarray, level: float = CLIP_LEVEL) -> float:
    """Share of samples at or beyond full scale (|x| >= level)."""
    x = np.asarray(x)
    return float(np.mean(np.abs(x) >= level)) if x.size else 0.0


def dc_offset(x: np.ndarray) -> float:
    """Mean of the signal."""
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()) if x.size else 0.0


@dataclass(frozen=True)
class MelSettings:
    """Log-mel analysis for the timbre distance (scaled with the sample rate: 1024/256 at 16 kHz)."""

    n_mels: int = 64
    fft_seconds: float = 0.064
    hop_fraction: float = 0.25


def log_mel_db(x: np.ndarray, sample_rate: int, settings: MelSettings = MelSettings()) -> np.ndarray:
    """Power mel spectrogram in dB relative to full scale (power 1.0), (n_mels, frames), unfloored."""
    import librosa

    n_fft = 1 << max(6, round(np.log2(settings.fft_seconds * sample_rate)))
    hop = max(1, int(n_fft * settings.hop_fraction))
    s = librosa.feature.melspectrogram(
        y=np.asarray(x, dtype=np.float32),
        sr=sample_rate,
        n_fft=n_fft,
        hop_length=hop,
        n_mels=settings.n_mels,
        power=2.0,
    )
    return 10.0 * np.log10(np.maximum(s, 1e-12))


def mel_hop(sample_rate: int, settings: MelSettings = MelSettings()) -> int:
    """Hop in samples of `log_mel_db` (frame i is centred on sample i × hop)."""
    n_fft = 1 << max(6, round(np.log2(settings.fft_seconds * sample_rate)))
    return max(1, int(n_fft * settings.hop_fraction))


def timbre_distance(
    x: np.ndarray,
    reference: np.ndarray,
    sample_rate: int,
    start: int = 0,
    stop: int | None = None,
    settings: MelSettings = MelSettings(),
) -> float:
    """Mean absolute log-mel difference in dB between `x` and `reference` over [start, stop).

    Both spectrograms use an absolute reference (full scale) and are floored at TOP_DB (80 dB)
    below the louder peak of the two, so silence matches silence and level differences count.
    The mean runs over all mel bands and the frames centred in [start, stop). 0 = identical.
    """
    n = min(len(x), len(reference))
    a = log_mel_db(np.asarray(x)[:n], sample_rate, settings)
    b = log_mel_db(np.asarray(reference)[:n], sample_rate, settings)
    floor = max(a.max(), b.max()) - TOP_DB
    a, b = np.maximum(a, floor), np.maximum(b, floor)
    hop = mel_hop(sample_rate, settings)
    stop = n if stop is None else min(stop, n)
    f0, f1 = start // hop, max(start // hop + 1, -(-stop // hop))
    return float(np.mean(np.abs(a[:, f0:f1] - b[:, f0:f1])))


def sawtooth(freq: float, n: int, sample_rate: int) -> np.ndarray:
    """Band-limited sawtooth (harmonics k = 1 … below Nyquist, amplitude 1/k), peak ≈ 1, (n,) float32."""
    t = np.arange(n, dtype=np.float64) / sample_rate
    out = np.zeros(n, dtype=np.float64)
    k_max = max(1, int((sample_rate / 2.0) // freq))
    for k in range(1, k_max + 1):
        out += np.sin(2.0 * np.pi * k * freq * t) / k
    peak = np.abs(out).max()
    return (out / peak if peak > 0 else out).astype(np.float32)


def sawtooth_baseline(real: np.ndarray, pitch: int, onset: int, end: int, sample_rate: int) -> np.ndarray:
    """The naive baseline for a real note: a sawtooth at the MIDI pitch under the real note's
    envelope (Hilbert, smoothed over 20 ms), scaled to the real note's RMS over [onset, end)."""
    real = np.asarray(real, dtype=np.float32)
    env = uniform_filter1d(envelope(real), size=max(1, int(0.02 * sample_rate)))
    saw = sawtooth(midi_to_hz(pitch), real.size, sample_rate) * env
    level, target = rms(saw, onset, end), rms(real, onset, end)
    return (saw * (target / level) if level > 0 else saw).astype(np.float32)
