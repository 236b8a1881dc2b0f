"""What every sample source finds: notes described by something other than MIDI, and the bridge
to `prepare`'s `NoteJob`s.

A source (named files, NSynth, SFZ, a drum kit, plain audio) reads only its description (names,
JSON, SFZ or XML text); it never reads audio. Its notes carry the release only where the
description gives one (NSynth's note-off at 3 s). Every other sample is a one-shot: `to_discovery`
reads it once and places the release by `one_shot_release`, which finds the sound by the rules
`prepare` cuts every note by (`notes.detect`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from natsort import natsorted, ns

from samplernn.common.audio import AudioError, audio_info, mix_down, read_audio, resample
from samplernn.common.errors import UserError
from samplernn.common.files import walk_folder
from samplernn.prepare.layouts import Discovery, Failure, NoteJob, note_id
from samplernn.prepare.notes import NoteError
from samplernn.prepare.settings import PrepareSettings
from samplernn.prepare.sources.release import hit_count, one_shot_release
from samplernn.prepare.sources.root_key import wavpack_message

#: Audio files a sample library may hold (what libsndfile reads: WAV, AIFF and AIFF-C, FLAC, OGG, MP3).
SAMPLE_SUFFIXES = (".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3")


@dataclass(frozen=True)
class SampleNote:
    """One note a source describes.

    `release` is the note-off in seconds after the note-on, or None for a one-shot (no note-off
    is known: `one_shot_release` decides). `aligned`: the note-on is at the start of the
    recording (or of `window`), as in NSynth; otherwise it is where the sound starts.
    """

    audio: Path
    source: str  # the recording's path relative to the source folder; '#k' for the k-th part
    pitch: int  # MIDI 0..127; 0 for unconditional chunks
    velocity: int  # 1..127; 0 for unconditional chunks
    described_by: Path  # the file that says so: the audio itself (its name), examples.json, .sfz, .xml
    release: float | None = None
    window: tuple[float, float | None] | None = None  # seconds of the recording to read; None = all
    aligned: bool = False
    level: float = 1.0  # × amplitude the source plays the recording at (Hydrogen's gains, an SFZ level)
    rate: float = 1.0  # speed it plays the recording at (2^(semitones/12)); 1 with a window only
    origin: str | None = None  # the place (file:line) that gives the pitch, an SFZ region's; for messages
    # named: where the file's own root key gave the pitch, (its chunk, 'smpl' or 'INST'; the pitch its
    # name gives, None when the name gives none or the same): for the pitch check
    root_key: tuple[str, int | None] | None = None


@dataclass
class SourceResult:
    """What a source found: its notes in order, the files rejected with a one-line reason, and
    warnings about what was read but not fully understood (one line each; nothing was lost)."""

    layout: str
    notes: list[SampleNote] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, source: str, message: str) -> None:
        self.failures.append(Failure(source, message))


def scan_samples(src: Path, suffixes: tuple[str, ...] = SAMPLE_SUFFIXES) -> list[Path]:
    """Files of `suffixes` (audio by default) under `src` in natural path order, linked folders
    followed (`walk_folder`); hidden files and folders skipped (macOS's AppleDouble `._name` files,
    `__MACOSX/._name`, `.DS_Store`)."""
    found = []
    for root, files in walk_folder(src):
        found += [Path(root, f) for f in files
                  if not f.startswith(".") and os.path.splitext(f)[1].lower() in suffixes]
    return natsorted(found, alg=ns.PATH)


def sample_folder(src: str | Path) -> tuple[Path, list[Path]]:
    """`src` as a Path and its audio files (`scan_samples`), for the layouts that read a folder.

    Raises:
        UserError: `src` does not exist, is not a folder, or holds no audio file.
    """
    src = Path(src)
    if not src.is_dir():
        raise UserError(f"{src}: {'not a folder' if src.exists() else 'no such folder'}")
    files = scan_samples(src)
    if not files:
        kinds = ", ".join(SAMPLE_SUFFIXES)
        raise UserError(f"{src}: no audio files ({kinds}) found")
    return src, files


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` in POSIX form; the absolute path when it lies outside `root`."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def to_job(note: SampleNote, job_id: str, settings: PrepareSettings | None = None) -> tuple[NoteJob, int]:
    """The `NoteJob` that prepares `note`, and how many hits its sound holds. A one-shot's audio is
    read here to place its release, its sound found as `prepare` will find it (`one_shot_release`
    with `settings`, default PrepareSettings()), and its attacks counted (`release.hit_count`: more
    than one for a roll or a loop); a note with its own release counts 1.

    Raises:
        AudioError: a WavPack file in disguise, or a one-shot whose audio cannot be read.
        NoteError: a one-shot with non-finite samples, or silent.
    """
    disguised = wavpack_message(note.audio)
    if disguised:
        raise AudioError(disguised)
    played = {"level": note.level, "rate": note.rate}
    if note.release is not None:
        on = note.window[0] if (note.window and note.aligned) else 0.0
        return NoteJob(job_id, note.audio, note.described_by, note.source, note.pitch, note.velocity,
                       on, on + note.release, note.window, note.aligned, **played), 1
    start, stop = (0, None) if note.window is None else _frames(note)
    channels, sr = read_audio(note.audio, start, stop)
    x = mix_down(channels)
    if note.rate != 1.0:  # the release on the timeline of the sound as played (NoteJob.rate)
        x = resample(x, sr * note.rate, sr)
    shape = one_shot_release(x, sr, settings, where=str(note.audio), offset=start, channels=channels)
    # Not aligned: `prepare` puts the note-on where it detects the sound's start (the same rule as
    # here), so only the held duration (release - start) matters.
    offset = note.window[0] if note.window else 0.0
    job = NoteJob(job_id, note.audio, note.described_by, note.source, note.pitch, note.velocity,
                  offset + shape.start, offset + shape.release, note.window, False, **played)
    return job, hit_count(x, sr)


def _frames(note: SampleNote) -> tuple[int, int | None]:
    sr = audio_info(note.audio).sample_rate
    a, b = note.window  # type: ignore[misc]
    return round(a * sr), None if b is None else round(b * sr)


def to_discovery(
    found: SourceResult,
    settings: PrepareSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Discovery:
    """`prepare`'s view of a source: one `NoteJob` per note (one-shots read to place their
    release, by `settings`), the unusable ones (unreadable, non-finite samples, silent) added to
    the source's failures, its warnings kept.

    `progress(done, total)` is called after each note.
    """
    ids: Counter[str] = Counter()
    out = Discovery(found.layout, [], list(found.failures), list(found.warnings))
    for k, note in enumerate(found.notes):
        try:
            job, hits = to_job(note, note_id(note.source, ids), settings)
        except (AudioError, NoteError) as exc:
            out.failures.append(Failure(note.source, str(exc)))
        else:
            out.jobs.append(job)
            if found.layout == "drumkit" and hits > 1:
                held = job.off - job.on
                out.warnings.append(f"{note.audio}: {hits} attacks in one sound (held {held:.1f} s): "
                                    "a roll or a loop? A one-shot holds one hit")
        if progress is not None:
            progress(k + 1, len(found.notes))
    return out
