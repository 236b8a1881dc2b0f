"""The *audio* layout: any folder of recordings with no notes (an album, a field recording), cut
into training chunks for unconditional training (SampleRNN's classic use).

    album/
        01 - Intro.flac      → 01 - Intro.flac#1 (0–8 s), #2 (8–16 s), …
        02 - Song.mp3

Each recording's stretches of sound are found on its RMS level (50 ms frames): a frame more than
`silence_db` below the recording's loudest frame is silence, and silences no longer than
`max_gap` stay inside a stretch, so only lead-in, run-out and long pauses are dropped. Each
stretch is cut into `seconds`-long chunks from its start; a last, shorter piece is kept when it
lasts at least `min_seconds`. Chunks are notes with pitch 0 and velocity 0, released at their
end; `prepare_chunk` takes them as they are (no note detection, no added silence) for
`train --no-conditioning`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from samplernn.common.audio import AudioError, audio_info, read_audio, resample
from samplernn.prepare.layouts import NoteJob
from samplernn.prepare.notes import NoteError, PreparedNote, check_finite, nonfinite_message
from samplernn.prepare.settings import CHUNK_SECONDS, PrepareSettings
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative, sample_folder
from samplernn.prepare.sources.root_key import wavpack_message

BLOCK_FRAMES = 1 << 20  # read this many frames at a time: memory stays flat on long recordings
LAYOUT = "audio"  # the layout whose notes are chunks


@dataclass(frozen=True)
class ChunkSettings:
    """How recordings are cut (seconds, dB)."""

    seconds: float = CHUNK_SECONDS
    min_seconds: float = 2.0
    silence_db: float = -50.0
    max_gap: float = 1.0
    hop: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.min_seconds <= self.seconds:
            raise ValueError(f"need 0 < min_seconds <= seconds, got {self.min_seconds} and {self.seconds}")
        if self.silence_db >= 0 or self.max_gap < 0 or self.hop <= 0:
            raise ValueError("silence_db must be negative, max_gap >= 0 and hop > 0")


def frame_levels(path: Path, hop_s: float) -> tuple[np.ndarray, float]:
    """RMS level (dBFS, mono mix) of each `hop_s` frame of a recording, and the frame length in s.

    Raises:
        AudioError: unreadable, empty, or holding non-finite samples (NaN, ±inf).
    """
    info = audio_info(path)
    hop = max(1, round(hop_s * info.sample_rate))
    block = BLOCK_FRAMES // hop * hop
    levels, n_bad, first_bad = [], 0, 0
    for start in range(0, info.frames, block):
        x, _ = read_audio(path, start, min(info.frames, start + block), mono=True)
        finite = np.isfinite(x)
        if not finite.all():
            first_bad = first_bad if n_bad else start + int(np.argmin(finite))
            n_bad += int(x.size - finite.sum())
            continue
        pad = (-x.size) % hop
        frames = np.pad(x, (0, pad)).reshape(-1, hop).astype(np.float64)
        levels.append(10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-20)))
    if n_bad:
        raise AudioError(nonfinite_message(str(path), n_bad, first_bad / info.sample_rate))
    return np.concatenate(levels) if levels else np.zeros(0), hop / info.sample_rate


def sound_spans(levels: np.ndarray, frame_s: float, settings: ChunkSettings) -> list[tuple[float, float]]:
    """(start, stop) seconds of the stretches of sound in per-frame `levels` (dB)."""
    if levels.size == 0:
        return []
    loud = np.flatnonzero(levels > levels.max() + settings.silence_db)
    if loud.size == 0:
        return []
    gap = max(1, math.ceil(settings.max_gap / frame_s))
    breaks = np.flatnonzero(np.diff(loud) - 1 > gap)  # silent frames between loud ones
    starts = np.concatenate([[loud[0]], loud[breaks + 1]])
    stops = np.concatenate([loud[breaks], [loud[-1]]]) + 1
    return [(float(a * frame_s), float(b * frame_s)) for a, b in zip(starts, stops, strict=True)]


def cut(spans: list[tuple[float, float]], settings: ChunkSettings) -> list[tuple[float, float]]:
    """The chunks (start, stop seconds) of `spans`, by the rule in the module docstring."""
    out = []
    for a, b in spans:
        t = a
        while b - t >= settings.min_seconds - 1e-9:
            out.append((round(t, 6), round(min(b, t + settings.seconds), 6)))
            t += settings.seconds
    return out


def audio_chunks(src: str | Path, settings: ChunkSettings = ChunkSettings()) -> SourceResult:
    """The training chunks of every recording under `src`, in natural path order; recordings that
    cannot be read, are silent, or hold no stretch of sound long enough are failures.

    Raises:
        UserError: `src` is not a folder or holds no audio.
    """
    src, files = sample_folder(src)
    found = SourceResult("audio")
    for path in files:
        rel = relative(path, src)
        message = wavpack_message(path)
        if message:
            found.fail(rel, message)
            continue
        try:
            levels, frame_s = frame_levels(path, settings.hop)
        except AudioError as exc:
            found.fail(rel, str(exc))
            continue
        if levels.size == 0 or levels.max() < -80.0:
            found.fail(rel, f"{path}: silent recording")
            continue
        chunks = cut(sound_spans(levels, frame_s, settings), settings)
        if not chunks:
            found.fail(rel, f"{path}: no stretch of sound lasts {settings.min_seconds:g} s")
            continue
        for k, (a, b) in enumerate(chunks, start=1):
            found.notes.append(SampleNote(path, f"{rel}#{k}", 0, 0, path, b - a, (a, b), True))
    return found


def prepare_chunk(
    x: np.ndarray,
    sr: int,
    job: NoteJob,
    settings: PrepareSettings,
    gain: float | None = None,
    offset: int = 0,
) -> PreparedNote:
    """A chunk as it is: the mono audio `x` (n,) at `sr` Hz of the job's window, scaled by the bank's
    `gain` (None: to `settings.peak`) and resampled to the dataset rate, with no note detection,
    silence or fixed length; onset 0, release and end at its last sample. x[0] is frame `offset` of
    the recording (for the time of a non-finite sample).

    Raises:
        NoteError: non-finite samples or a silent chunk.
    """
    check_finite(x, sr, f"{job.audio} ({job.source})", offset)
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak < settings.silence_peak:
        raise NoteError(f"{job.audio}: {job.source} is silent")
    scale = gain if gain is not None else settings.peak / peak
    y = resample(x * np.float32(scale), sr, settings.sample_rate).astype(np.float32, copy=False)
    if y.size == 0:
        raise NoteError(f"{job.audio}: {job.source} is empty")
    return PreparedNote(audio=y, onset=0, release=y.size, end=y.size, lag_ms=0.0)
