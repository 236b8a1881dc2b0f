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

#: The correlation deficit (1 - normalised correlation, mean removed) at or below which two
#: prepared notes of one pitch are one recording at two gains. Measured: the gain-scaled layers
#: above fall short of 1 by < 1e-5; the closest distinct layers seen, a SoundFont cello's velocity
#: layers (MuseScore General, D#4 at velocity 33 and 80, rendered by fluidsynth), by 1.8e-4, and a
#: drummer's two softest snare hits (BJA_Pacific SN4_01/02) by 1e-3.
GAIN_COPY_DEFICIT = 1e-4
#: White noise of RMS s added to a note of RMS r costs its correlation 0.5 (s/r)²: a quiet copy's
#: quantisation costs it more than GAIN_COPY_DEFICIT (one 40 dB down from a -6 dBFS hit, 1.5e-4).
#: The noise counted is that of a 16-bit source requantised into the 16-bit prepared file (two
#: quantisations of 2^-15 / sqrt(12) each, about -98 dBFS together), NOISE_MARGIN times over.
QUANTISATION_RMS = float(np.sqrt(2.0) * 2.0**-15 / np.sqrt(12.0))
NOISE_MARGIN = 2.0
#: Samples the two notes' detected onsets may be off by (the onset of a quieter copy, found at a
#: share of its own peak, can move by a sample where quantisation noise crosses the threshold).
MAX_LAG = 2
#: Samples from the onset compared first: distinct hits or notes differ in their attack, so most
#: pairs are told apart there before their whole span is compared.
ATTACK_WINDOW = 2048
#: Prepared lengths further apart than this share of the longer one are not compared: a copy's end
#: is found at the same share of its own peak as the original's.
MAX_LENGTH_DIFFERENCE = 0.05


class PreparedNote(Protocol):
    """What the rule needs of a prepared note (prepare.run.NoteRow has it)."""

    id: str
    pitch: int
    onset: int
    n_samples: int
    digest: str


def recording_keys(notes: Sequence[PreparedNote], read: Callable[[str], np.ndarray]) -> dict[str, str]:
    """{note id: the key of its recording}: the digest of its prepared audio, or, for a gain copy
    of another note of its pitch (correlation ≥ GAIN_COPY_CORRELATION over their common span,
    aligned on their onsets ± MAX_LAG samples), that note's digest — transitively, so that every
    layer of one scaled waveform shares one key.

    `read(note_id)` returns the note's prepared audio, (n_samples,) float; notes are read one pitch
    at a time and only where two of a pitch have prepared lengths within MAX_LENGTH_DIFFERENCE.
    """
    parent: dict[str, str] = {n.digest: n.digest for n in notes}
    by_pitch: dict[int, dict[str, PreparedNote]] = defaultdict(dict)
    for n in notes:
        by_pitch[n.pitch].setdefault(n.digest, n)  # one note per distinct audio
    for same_pitch in by_pitch.values():
        _join_gain_copies(sorted(same_pitch.values(), key=lambda n: n.n_samples), read, parent)
    return {n.id: _root(parent, n.digest) for n in notes}


def _root(parent: dict[str, str], d: str) -> str:
    """The key of digest `d`'s group (union-find with path halving)."""
    while parent[d] != d:
        parent[d] = parent[parent[d]]
        d = parent[d]
    return d


def _join_gain_copies(ones: list[PreparedNote], read: Callable[[str], np.ndarray], parent: dict[str, str]
                      ) -> None:
    """Join in `parent` the groups of the gain copies among `ones` (one pitch, by length)."""
    audio: dict[str, np.ndarray] = {}

    def samples(n: PreparedNote) -> np.ndarray:
        if n.id not in audio:
            audio[n.id] = np.asarray(read(n.id), np.float64)
        return audio[n.id]

    for i, a in enumerate(ones):
        for b in ones[i + 1:]:
            if b.n_samples - a.n_samples > MAX_LENGTH_DIFFERENCE * b.n_samples:
                break
            if _root(parent, a.digest) == _root(parent, b.digest):
                continue
            xa, xb = samples(a), samples(b)
            spans = (ATTACK_WINDOW, None)
            if all(is_gain_copy(*correlation_deficit(xa, a.onset, xb, b.onset, span)) for span in spans):
                parent[_root(parent, b.digest)] = _root(parent, a.digest)


def is_gain_copy(deficit: float, noise_deficit: float) -> bool:
    """Whether a pair measured by `correlation_deficit` is one waveform at two gains: its deficit
    within GAIN_COPY_DEFICIT of what NOISE_MARGIN times the quantisation noise explains."""
    return deficit <= GAIN_COPY_DEFICIT + NOISE_MARGIN * noise_deficit


def correlation_deficit(a: np.ndarray, onset_a: int, b: np.ndarray, onset_b: int, span: int | None = None
                        ) -> tuple[float, float]:
    """How far two notes are from one waveform at two gains: 1 - the highest normalised correlation
    (mean removed) of their samples over their common span (or its first `span` samples after the
    onsets), aligned on their onsets (sample indices) within ± MAX_LAG samples; and the deficit the
    quantisation noise alone would cause at that lag, 0.5 (QUANTISATION_RMS / RMS)² summed over
    the two. a, b: (n,) float mono. (0.0, ...) for one waveform at two gains; (1.0, 0.0) when a
    span is silent or no lag correlates positively."""
    lead = max(0, min(onset_a, onset_b) - MAX_LAG)
    common = max(0, min(a.size - onset_a, b.size - onset_b) - MAX_LAG)
    span = common if span is None else min(span, common)
    x = a[onset_a - lead: onset_a + span]
    x = x - x.mean()
    best = (1.0, 0.0)
    for lag in range(-MAX_LAG, MAX_LAG + 1):
        start = onset_b - lead + lag
        if start < 0 or start + x.size > b.size:
            continue
        y = b[start: start + x.size]
        y = y - y.mean()
        nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
        if nx * ny > 0.0 and 1.0 - float(x @ y) / (nx * ny) < best[0]:
            noise = 0.5 * x.size * QUANTISATION_RMS**2 * (1.0 / nx**2 + 1.0 / ny**2)
            best = (1.0 - float(x @ y) / (nx * ny), noise)
    return best
