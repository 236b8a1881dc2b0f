"""Each drum piece's spectral centroid, as a MIDI pitch: what a kit's pitch column reads.

A General MIDI drum key orders a kit by nothing it sounds like (the toms 41-50 sit among the
hi-hats, the tambourine next to the ride bell), yet the model's pitch column reads it as a pitch.
With `train --piece-brightness` it reads each piece's measured brightness instead: on ForzeeStereo
the three rack toms' centroids lie 3 and 7 semitones apart (101, 122, 155 Hz) where their keys
lie 2 and 5, the tambourine's (5.5 kHz) far above the hi-hats' (1.0-2.1 kHz).
"""

from __future__ import annotations

from collections import defaultdict

import librosa
import numpy as np

from samplernn.data.dataset import PreparedDataset

#: The part of each hit measured, seconds from its note-on: the judge of likeness (`evaluate`'s
#: log-mel features) looks at the same 0.5 s.
CENTROID_SECONDS = 0.5
#: STFT of the measure (librosa.stft): 2048 / 512 samples.
N_FFT, HOP = 2048, 512


def hit_centroid_hz(audio: np.ndarray, sample_rate: int) -> float:
    """The spectral centroid of one hit, Hz: the power-weighted mean frequency of its power
    spectrum summed over its STFT frames (librosa.feature.spectral_centroid of that one column).
    Power, not magnitude, and the hit as a whole, not frame by frame: librosa's per-frame
    magnitude centroid put ForzeeStereo's three toms at 370, 196 and 330 Hz (the stick's noise
    weighed as much as the drum's body) and The Black Pearl's three within 0.4 semitones; this one
    puts them in their tuning's order (101, 122, 155 Hz). audio: (n_samples,) float. Returns 0.0
    for silence."""
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) < N_FFT:
        audio = np.pad(audio, (0, N_FFT - len(audio)))
    power = np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP)) ** 2
    pooled = power.sum(axis=1, keepdims=True)
    if float(pooled.sum()) <= 0.0:
        return 0.0
    return float(librosa.feature.spectral_centroid(S=pooled, sr=sample_rate, n_fft=N_FFT)[0, 0])


def hz_to_pitch(hz: float) -> float:
    """Frequency (Hz, > 0) → MIDI pitch units (69 = A4 = 440 Hz, 12 a doubling)."""
    return 69.0 + 12.0 * float(np.log2(hz / 440.0))


def piece_brightness(dataset: PreparedDataset, split: str = "train") -> dict[int, float]:
    """{GM key: spectral centroid as a MIDI pitch} of every piece with a sounding hit in `split`:
    the geometric mean of its hits' centroids (hit_centroid_hz over the CENTROID_SECONDS after each
    note-on), so that a piece of bright and dull layers sits between them on the pitch scale.
    Pieces whose every hit is silent are left out. Raises UserError for an unreadable audio file."""
    logs: dict[int, list[float]] = defaultdict(list)
    span = int(CENTROID_SECONDS * dataset.sample_rate)
    for note in dataset.split(split):
        audio = dataset.load_audio(note)
        hz = hit_centroid_hz(audio[note.onset : note.onset + span], dataset.sample_rate)
        if hz > 0:
            logs[int(note.pitch)].append(float(np.log(hz)))
    return {key: round(hz_to_pitch(float(np.exp(np.mean(v)))), 2) for key, v in sorted(logs.items())}
