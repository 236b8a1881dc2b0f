"""One note: detect its extent, cut, scale, resample, place it after the lead silence, map positions.

Follows the thesis recipe with its constants made settings: Hilbert envelope start/end at a share
of the note's own peak (`threshold`, 0.8 %), `pre`/`post` samples kept around them, leading and
trailing silence, resampling, optional fixed length with a linear fade-out. The cut is decided on
the recording; the `end` written to the manifest is the same rule applied to the prepared audio
(what the model and the evaluation see), never before the release.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from conditioning import envelope, find_extent, note_name
from samplernn.common.audio import resample
from samplernn.prepare.layouts import NoteJob
from samplernn.prepare.settings import PrepareSettings


class NoteError(Exception):
    """A note that cannot be prepared; the message names the file and the reason."""


@dataclass(frozen=True)
class PreparedNote:
    """A prepared note: audio at the dataset rate and its positions (samples, end exclusive)."""

    audio: np.ndarray  # (n,) float32
    onset: int
    release: int
    end: int
    lag_ms: float  # detected start − MIDI note-on (0 where the MIDI is not time-aligned)

    @property
    def tail(self) -> int:
        """Release tail: end − release, in samples."""
        return self.end - self.release


def describe(job: NoteJob) -> str:
    """The file (and, for a session note, which note) for messages."""
    if job.window is None:
        return str(job.audio)
    index = job.source.rsplit("#", 1)[-1]
    return f"{job.audio} (note {index}, {note_name(job.pitch)} at {job.on:.3f} s)"


def prepare_note(
    x: np.ndarray,
    sr: int,
    job: NoteJob,
    settings: PrepareSettings,
    gain: float | None = None,
    offset: int = 0,
) -> PreparedNote:
    """Prepare the mono recording `x` (sample rate `sr`; x[0] is frame `offset` of the recording).

    `gain` scales the bank as a whole; None scales this note to `settings.peak` (per-file mode).
    Raises NoteError for silence or a MIDI note-on too far from the detected start.
    """
    peak = float(np.abs(x).max()) if x.size else 0.0
    message = silence_message(describe(job), peak, settings)
    extent = find_extent(x, settings.threshold, envelope(x)) if message is None else None
    if extent is None:
        raise NoteError(message or f"{describe(job)}: silent recording")
    start, stop = extent
    on, off, lag_ms = _align(job, start, sr, offset, settings)

    a = max(0, start - settings.pre)
    b = min(x.size, max(stop, math.ceil(off)) + settings.post)
    scale = gain if gain is not None else settings.peak / peak
    sr_out = settings.sample_rate
    lead = round(settings.lead_silence * sr_out)
    trail = round(settings.tail_silence * sr_out)
    body = resample(x[a:b] * np.float32(scale), sr, sr_out)
    y = np.concatenate([np.zeros(lead, np.float32), body, np.zeros(trail, np.float32)])
    # The audible end is measured again on the prepared audio (before any fade), so that `end` agrees
    # with the same envelope rule applied at the dataset rate later (evaluation, `inspect`).
    audible = find_extent(y, settings.threshold)
    audible_end = audible[1] if audible is not None else y.size
    n = y.size
    if settings.length is not None:
        n = round(settings.length * sr_out)
        y = _fit(y, n, round(settings.fade * sr_out))

    ratio = sr_out / sr

    def pos(p: float) -> int:
        return lead + round((p - a) * ratio)

    onset = max(pos(on), 0)
    if onset >= n:
        raise NoteError(f"{describe(job)}: the note starts after the fixed length of {settings.length} s")
    release = min(max(pos(off), onset), n)
    end = min(max(audible_end, release, onset + 1), n)
    return PreparedNote(y, onset, release, end, lag_ms)


def silence_message(where: str, peak: float, settings: PrepareSettings) -> str | None:
    """The reason a recording with this peak counts as silent, or None if it does not."""
    if peak >= settings.silence_peak:
        return None
    level = f"{20 * math.log10(peak):.0f} dBFS" if peak > 0 else "all zeros"
    return f"{where}: silent recording (peak {level})"


def _align(
    job: NoteJob, start: int, sr: int, offset: int, settings: PrepareSettings
) -> tuple[float, float, float]:
    """(note-on, note-off, lag ms) in samples of `x`; NoteError if MIDI and sound are too far apart.

    A folder-midi take is not time-aligned with its MIDI file: the note-on is put at the detected
    start and the MIDI only gives the duration (and pitch and velocity).
    """
    if not job.synced:
        return float(start), start + (job.off - job.on) * sr, 0.0
    on, off = job.on * sr - offset, job.off * sr - offset
    lag_ms = (start - on) / sr * 1000.0
    if abs(lag_ms) > settings.tolerance_ms:
        raise NoteError(
            f"{describe(job)}: MIDI note-on at {job.on:.3f} s but the sound starts at "
            f"{(start + offset) / sr:.3f} s ({lag_ms:+.0f} ms, tolerance ±{settings.tolerance_ms:g} ms); "
            f"do {job.midi.name} and this recording belong together?")
    return on, off, lag_ms


def _fit(y: np.ndarray, n: int, fade: int) -> np.ndarray:
    """Cut or zero-pad to n samples, then fade out linearly over the last `fade` samples."""
    out = np.zeros(n, np.float32)
    out[: min(n, y.size)] = y[:n]
    fade = min(fade, n)
    if fade > 0:
        out[n - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out
