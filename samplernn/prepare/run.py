"""`prepare_bank`: a bank in any layout (`layouts`, `sources`) → OUT/audio/*.wav, OUT/manifest.csv,
OUT/dataset.json.

Streams one recording at a time: only a small row of metadata per note is kept, so memory does
not grow with the size of the bank. With the default one-gain-for-the-bank normalisation a cheap
first pass reads every recording's peak (of its finite samples, DC offset removed); the second pass
prepares and writes the notes.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from natsort import natsorted

from conditioning import BankStats, NoteEvent
from conditioning.bankstats import envelope_hop, note_levels
from conditioning.noise import dc_offset
from samplernn.common.audio import BLOCK, AudioError, audio_info, mix_down, read_audio, resample, write_wav
from samplernn.common.errors import UsageError, UserError
from samplernn.common.lists import counted
from samplernn.common.progress import ProgressFn
from samplernn.data.dataset import MANIFEST_FILE, write_dataset_info
from samplernn.data.drum_bank import DRUM_LAYOUT
from samplernn.data.manifest import AUDIO_DIR, SPLITS, NoteRecord, note_audio_path, write_manifest
from samplernn.prepare.copies import recording_keys
from samplernn.prepare.layouts import Discovery, Failure, NoteJob, recording_of
from samplernn.prepare.notes import (
    NoteError,
    PreparedNote,
    describe,
    nonfinite_message,
    prepare_note,
    silence_message,
)
from samplernn.prepare.output import check_earlier_output, check_paths, staging
from samplernn.prepare.settings import PrepareSettings
from samplernn.prepare.shift import attacks, block_levels, cut_stop, is_aligned, session_shift, shift_message
from samplernn.prepare.sources.detect import MIDI_LAYOUTS, discover_bank, layout_by_names
from samplernn.prepare.sources.gm_drums import piece_name
from samplernn.prepare.sources.pitch_check import check_note_pitch
from samplernn.prepare.sources.plain_audio import LAYOUT as CHUNK_LAYOUT
from samplernn.prepare.sources.plain_audio import prepare_chunk
from samplernn.prepare.splits import assign_splits

#: The `stage` field of the progress calls: progress(done, total, stage=...).
STAGES = {"peaks": "reading peaks", "notes": "preparing notes"}


@dataclass(frozen=True)
class NoteRow:
    """The metadata kept per prepared note (one manifest row without its split)."""

    id: str
    pitch: int
    velocity: int
    onset: int
    release: int
    end: int
    n_samples: int
    source: str
    lag_ms: float  # detected start − MIDI note-on in the recording
    levels: tuple[np.ndarray, np.ndarray]  # conditioning.note_levels: dBFS held / after release
    digest: str = ""  # of the prepared audio: identical recordings (a copied file) share it

    def record(self, split: str) -> NoteRecord:
        """The manifest row of this note in `split`."""
        return NoteRecord(self.id, note_audio_path(self.id), split, self.pitch, self.velocity, self.onset,
                          self.release, self.end, self.n_samples, self.source)


class NothingPrepared(UserError):
    """No note of the bank could be prepared; `failures` says why for each file (the CLI lists them
    before the one-line error, so that every name a --map needs is seen at once)."""

    def __init__(self, message: str, failures: list[Failure]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass
class PrepareResult:
    """What a run produced: where, notes per split (`counts`), what the bank spans, what failed."""

    out: Path
    layout: str
    sample_rate: int
    counts: dict[str, int]
    pitches: list[int]
    velocities: list[int]
    seconds: dict[str, float]  # total, min, max prepared note length
    release_tail_ms: dict[str, float]  # min, median, max of end − release
    onset_lag_ms: dict[str, float]  # min, median, max of (detected start − MIDI note-on)
    failures: list[Failure] = field(default_factory=list)
    notices: list[Failure] = field(default_factory=list)  # what was changed in usable recordings, and why
    pitch_checks: dict[str, int] = field(default_factory=dict)  # named layout: tracker verdicts per file
    pitch_counts: dict[int, int] = field(default_factory=dict)  # notes per pitch (a kit's: per piece)
    gain: float | None = None
    elapsed: float = 0.0

    @property
    def n_notes(self) -> int:
        return self.counts["notes"]


def _check_session_pitch(
    note: PreparedNote, job: NoteJob, sr: int, found: Discovery, notices: list[Failure]
) -> None:
    """A session note's held pitch tracked against its MIDI pitch (pitch_check.check_note_pitch),
    its verdict counted in `found.pitch_checks`; over a semitone off (not by octaves, where the
    tracker itself slips) is a notice: a wrong note played, or a MIDI file shifted against its
    recording by a note's spacing (which the onset tolerance cannot see)."""
    check = check_note_pitch(note.audio, note.onset, note.release, sr, job.pitch, describe(job))
    found.pitch_checks[check.verdict] = found.pitch_checks.get(check.verdict, 0) + 1
    if check.verdict == "off":
        notices.append(Failure(job.source, f"{check.message}: a wrong note, or is {job.midi.name} shifted "
                                           "against the recording?"))


def _read_job(job: NoteJob) -> tuple[np.ndarray, int, int, np.ndarray | None]:
    """(mono audio (n,), sample rate, offset of its first frame, the channels (n, c) it mixes down
    or None for a mono file) for the part of the recording a job needs. The mono audio is as the
    job's source plays it (× `job.level`, resampled by `job.rate`); the channels are as recorded,
    for the clipping check."""
    info = audio_info(job.audio)  # AudioError for unreadable or empty files
    frames, sr = info.frames, info.sample_rate
    start, stop = 0, None
    if job.window is not None:
        start = min(frames, max(0, math.floor(job.window[0] * sr)))
        stop = max(start, frames if job.window[1] is None else min(frames, math.ceil(job.window[1] * sr)))
    channels, sr = read_audio(job.audio, start, stop)
    x = mix_down(channels)
    if job.level != 1.0:
        x = x * np.float32(job.level)
    if job.rate != 1.0:
        x = resample(x, sr * job.rate, sr)
    return x, sr, start, (channels if channels.shape[1] > 1 else None)


def recording_peak(path: Path) -> float:
    """Largest |sample| of the mono mix-down's finite samples after removing its DC offset
    (`dc_offset`), read block by block (memory stays flat).

    Raises:
        AudioError: unreadable, empty, or holding no finite sample.
    """
    frames = audio_info(path).frames
    total, count, n_bad, first_bad, lo, hi = 0.0, 0, 0, 0, math.inf, -math.inf
    for start in range(0, frames, BLOCK):
        x, sr = read_audio(path, start, min(frames, start + BLOCK), mono=True)
        finite = np.isfinite(x)
        if not finite.all():
            first_bad = first_bad if n_bad else start + int(np.argmin(finite))
            n_bad += int(x.size - finite.sum())
            x = x[finite]
        if x.size:
            total += float(x.sum(dtype=np.float64))
            count += x.size
            lo, hi = min(lo, float(x.min())), max(hi, float(x.max()))
    if not count:
        raise AudioError(nonfinite_message(str(path), n_bad, first_bad / sr))
    dc = dc_offset(total / count, max(hi, -lo))
    return max(hi - dc, dc - lo)


def loudest_channel_peak(path: Path) -> float:
    """Largest |sample| of any one channel of `path` (finite samples, DC left in), read block by
    block: what a recording silent in its mono mix-down holds when its channels cancel (one
    channel phase-inverted). Raises AudioError for an unreadable file."""
    frames, top = audio_info(path).frames, 0.0
    for start in range(0, frames, BLOCK):
        x, _ = read_audio(path, start, min(frames, start + BLOCK))
        x = np.where(np.isfinite(x), x, 0.0)
        top = max(top, float(np.abs(x).max()) if x.size else 0.0)
    return top


def _silent(path: Path, peak: float, settings: PrepareSettings) -> str | None:
    """silence_message for a recording whose mono mix-down peaks at `peak`, given its loudest
    channel's peak when it has several (read only for a silent mix-down)."""
    if peak >= settings.silence_peak:
        return None
    loudest = loudest_channel_peak(path) if audio_info(path).channels > 1 else 0.0
    return silence_message(str(path), peak, settings, channel_peak=loudest)


def _bank_peak(found: Discovery, settings: PrepareSettings, progress: ProgressFn | None) -> float:
    """Largest peak of all usable recordings, each at the largest `level` a job plays it at (a
    Hydrogen kit's gains, an SFZ region's level); unreadable or silent ones become failures (jobs dropped).

    Non-finite samples do not count (the notes that hold them fail when they are prepared)."""
    levels: dict[Path, float] = {}
    for job in found.jobs:
        levels[job.audio] = max(levels.get(job.audio, 0.0), job.level)
    recordings = list(levels)
    bad: set[Path] = set()
    peak = 0.0
    for k, path in enumerate(recordings):
        try:
            p = recording_peak(path)
            silent = _silent(path, p, settings)
            if silent:
                raise AudioError(silent)
            peak = max(peak, p * levels[path])
        except AudioError as exc:
            bad.add(path)
            source = recording_of(next(j.source for j in found.jobs if j.audio == path))
            found.failures.append(Failure(source, str(exc)))
        if progress:
            progress(k + 1, len(recordings), stage=STAGES["peaks"])
    found.jobs = [job for job in found.jobs if job.audio not in bad]
    return peak


def _check_session_shifts(found: Discovery, settings: PrepareSettings) -> None:
    """Fail every note of a session recording whose MIDI file is shifted as a whole against it by
    more than --tolerance-ms (`shift.session_shift`: early or late, said by how much); its jobs
    are dropped. The jobs of a recording found aligned (`shift.is_aligned`) are marked so, for the
    notes' own checks to say so, and each note's cut ends before the next note's attack where that
    starts ahead of its note-on (`shift.cut_stop`). An unreadable recording is left to the notes'
    own reading."""
    by_audio: dict[Path, list[NoteJob]] = {}
    for job in found.jobs:
        by_audio.setdefault(job.audio, []).append(job)
    dropped: set[Path] = set()
    aligned: set[Path] = set()
    stops: dict[int, float] = {}  # id(job) → where its cut ends (s)
    for audio, jobs in by_audio.items():
        try:
            levels, hop_s = block_levels(audio)
        except AudioError:
            continue
        ons = np.array(sorted(job.on for job in jobs))
        found_attacks = attacks(levels, hop_s, settings.threshold)
        shift_s, matched = session_shift(ons, found_attacks)
        message = shift_message(jobs[0].midi, shift_s, matched, len(jobs), settings.tolerance_ms)
        if message is not None:  # one reason for the whole recording: listed once (Failure.shared)
            dropped.add(audio)
            shared = f"{audio} (all {counted(len(jobs), 'note')}): {message}" if len(jobs) > 1 else None
            found.failures += [Failure(job.source, f"{describe(job)}: {message}", shared) for job in jobs]
        elif is_aligned(shift_s, matched, len(jobs), settings.tolerance_ms):
            aligned.add(audio)
        stops.update({id(job): cut_stop(job.off, job.window[1], found_attacks, settings.tolerance_ms / 1000)
                      for job in jobs if job.window is not None and job.window[1] is not None})
    found.jobs = [replace(job, aligned=job.audio in aligned, window=_stopped(job, stops))
                  for job in found.jobs if job.audio not in dropped]


def _stopped(job: NoteJob, stops: dict[int, float]) -> tuple[float, float | None] | None:
    """`job.window`, ending at `stops[id(job)]` where one was found."""
    if job.window is None or id(job) not in stops:
        return job.window
    return job.window[0], stops[id(job)]


def _prepare_notes(
    found: Discovery, settings: PrepareSettings, gain: float | None, root: Path, progress: ProgressFn | None,
    notices: list[Failure],
) -> list[NoteRow]:
    """Prepare every job into ROOT/audio/<id>.wav, one recording at a time; failures go to `found`,
    notices to `notices` (a recording's DC offset once, however many notes it holds)."""
    rows: list[NoteRow] = []
    sr = settings.sample_rate
    noticed: set[tuple[Path, str]] = set()
    for k, job in enumerate(found.jobs):
        try:
            x, sr_in, offset, channels = _read_job(job)
            if found.layout == CHUNK_LAYOUT:
                note = prepare_chunk(x, sr_in, job, settings, gain, offset)
            else:
                note = prepare_note(x, sr_in, job, settings, gain, offset, channels)
                if found.layout == "session":
                    _check_session_pitch(note, job, sr, found, notices)
            NoteEvent(job.pitch, job.velocity, note.onset, note.release, note.end)  # validates
        except (AudioError, NoteError, ValueError) as exc:
            found.failures.append(Failure(job.source, str(exc)))
        else:
            for notice in note.notices:
                if notice.kind != "dc" or (job.audio, notice.kind) not in noticed:
                    notices.append(Failure(job.source, notice.message))
                noticed.add((job.audio, notice.kind))
            write_wav(root / note_audio_path(job.id), note.audio, sr)
            levels = note_levels(note.audio, note.onset, note.release, note.end, envelope_hop(sr))
            digest = hashlib.sha1(np.ascontiguousarray(note.audio, np.float32).tobytes()).hexdigest()
            rows.append(NoteRow(job.id, job.pitch, job.velocity, note.onset, note.release, note.end,
                                note.audio.size, job.source, note.lag_ms, levels, digest))
        if progress:
            progress(k + 1, len(found.jobs), stage=STAGES["notes"])
    return rows


def _untrained_pieces(layout: str, rows: list[NoteRow], splits: dict[str, str]) -> list[Failure]:
    """A notice naming a kit's pieces none of whose samples is in train: a kit of one sample per
    piece gives one piece to val and one to test, which the model then never learns, and which
    the checkpoint's kit (its train envelopes) leaves out of synth, pack and render; the summary's
    `pieces` line listed them with the rest. [] for a pitched bank, or when every piece trains."""
    if layout != DRUM_LAYOUT:
        return []
    trained = {r.pitch for r in rows if splits[r.id] == "train"}
    untrained = sorted({r.pitch for r in rows} - trained)
    if not untrained or not trained:
        return []
    named = ", ".join(f"{k} {piece_name(k)}" for k in untrained)
    these, them = ("this piece", "it") if len(untrained) == 1 else ("these pieces", "them")
    return [Failure("", f"{named}: every sample of {these} went to val or test, so the model will not "
                        f"learn {them} (synth, pack and render will not play {them}); give a piece 2 "
                        "samples or more to keep one in train")]


def _bank_stats(sr: int, rows: list[NoteRow], splits: dict[str, str]) -> BankStats:
    """Release tails and loudness envelopes of the train split only: evaluation on val/test must not
    see those notes (all notes when the train split is empty)."""
    fit = [r for r in rows if splits[r.id] == "train"] or rows
    return BankStats.from_notes(
        sr, ((r.pitch, r.velocity, r.end - r.release) for r in fit),
        ((r.pitch, r.velocity, *r.levels) for r in fit),
    )


def _result(out: Path, layout: str, rows: list[NoteRow], splits: dict[str, str], sr: int) -> PrepareResult:
    lengths = np.array([r.n_samples for r in rows], dtype=np.float64) / sr
    tails = np.array([r.end - r.release for r in rows], dtype=np.float64) * 1000.0 / sr
    lags = np.array([r.lag_ms for r in rows], dtype=np.float64)
    per_split = Counter(splits.values())
    pitches = sorted({r.pitch for r in rows})
    return PrepareResult(
        out, layout, sr,
        counts={"notes": len(rows), **{s: per_split.get(s, 0) for s in SPLITS}, "pitches": len(pitches)},
        pitches=pitches,
        velocities=sorted({r.velocity for r in rows}),
        seconds={"total": round(float(lengths.sum()), 3), "min": round(float(lengths.min()), 3),
                 "max": round(float(lengths.max()), 3)},
        release_tail_ms=_spread(tails),
        onset_lag_ms=_spread(lags),
        pitch_counts=dict(sorted(Counter(r.pitch for r in rows).items())),
    )


def _spread(values: np.ndarray) -> dict[str, float]:
    return {"min": round(float(values.min()), 1), "median": round(float(np.median(values)), 1),
            "max": round(float(values.max()), 1)}


def _dataset_info(src: Path, settings: PrepareSettings, result: PrepareResult, stats: BankStats
                  ) -> dict[str, object]:
    """The content of dataset.json (after its `created_by`)."""
    return {
        "sample_rate": result.sample_rate,
        "source": str(src.resolve()),
        "layout": result.layout,
        "settings": settings.to_dict(),
        "gain": result.gain,
        "counts": result.counts,
        "pitches": result.pitches,
        "velocities": result.velocities,
        "seconds": result.seconds,
        "release_tail_ms": result.release_tail_ms,
        "onset_lag_ms": result.onset_lag_ms,
        "bank_stats": stats.to_dict(),
        "failures": [{"source": f.source, "reason": f.message} for f in result.failures],
        "notices": [{"source": f.source, "notice": f.message} for f in result.notices],
        "pitch_checks": result.pitch_checks,
    }


def keep_copies_together(rows: Sequence[NoteRow], splits: dict[str, str], keys: dict[str, str]
                         ) -> list[Failure]:
    """Put the notes of one recording (`keys`, prepare.copies.recording_keys: identical prepared
    audio — a copied file, a kit whose drumkit.xml lists one sample under two instruments — or one
    waveform at other gains) into one split — train when one of them is there, else the first
    one's — so that validation and test do not measure memory; edits `splits` in place and returns
    one notice naming the recordings held more than once (none if none). `assign_splits` given the
    same keys already splits each recording as one."""
    groups: dict[str, list[NoteRow]] = {}
    for r in rows:
        groups.setdefault(keys[r.id], []).append(r)
    scaled = any(len({r.digest for r in same}) > 1 for same in groups.values())
    copies: list[str] = []
    targets: set[str] = set()
    for same in groups.values():
        if len(same) < 2:
            continue
        where = {splits[r.id] for r in same}
        split = "train" if "train" in where else splits[same[0].id]
        for r in same:
            splits[r.id] = split
        targets.add(split)
        copies.append(_copies_name(same))
    if not copies:
        return []
    shown = "; ".join(copies[:4]) + (f"; {len(copies) - 4} more" if len(copies) > 4 else "")
    into = f"in {targets.pop()}" if len(targets) == 1 else "in one split"
    what = "recording appears" if len(copies) == 1 else "recordings appear"
    how = "as identical audio or at other gains" if scaled else "as identical audio"
    return [Failure("", f"{len(copies)} {what} more than once, {how} ({shown}): each one's "
                        f"notes put {into} so that validation does not measure memory")]


def _copies_name(same: Sequence[NoteRow]) -> str:
    """'kit/tom_02.flac twice (keys 47, 50)' for one file read as several notes; 'a.wav = b.wav'
    for copies under other names."""
    sources = list(dict.fromkeys(r.source for r in same))
    if len(sources) == 1:
        keys = ", ".join(str(r.pitch) for r in same)
        times = "twice" if len(same) == 2 else f"{len(same)} times"
        return f"{sources[0]} {times} (notes {keys})"
    return " = ".join(sources[:3]) + (" …" if len(sources) > 3 else "")


def _nothing_prepared_hint(src: str | Path, found: Discovery, settings: PrepareSettings) -> str:
    """What to add to the error of a detected layout that prepared no note: the audio layout's
    chunks all too short ('short sounds, one-shots?'), or a MIDI layout whose recordings' names
    read as another layout (a drum pack's groove 'Beat 01.mid' beside its one-shots); '' else."""
    if found.layout == CHUNK_LAYOUT and all("no stretch of sound lasts" in f.message for f in found.failures):
        return (": short sounds, one-shots? --layout drumkit reads a folder of one-shots named by "
                "piece (kick_01.wav, snare-hard.wav, …)")
    if found.layout in MIDI_LAYOUTS:
        named = layout_by_names(src, settings.middle_c)
        if named in ("named", "drumkit"):
            return (f": the recordings' names read as the {named} layout; --layout {named} reads them so, "
                    "without the MIDI files")
    return ""


def prepare_bank(
    src: str | Path,
    out: str | Path,
    settings: PrepareSettings | None = None,
    progress: ProgressFn | None = None,
) -> PrepareResult:
    """Prepare the bank in `src` into the dataset folder `out` (format: samplernn.data.dataset).

    Files that cannot be used are listed in `result.failures` (and dataset.json) while the other
    notes prepare; what was changed in usable ones (a DC offset removed, a threshold raised over a
    noise floor, a note-off after the recording) in `result.notices`. `progress(done, total,
    stage=...)` is called after each recording of the peak pass and each note (stage: a value of
    STAGES). An earlier output at `out` is replaced, keeping the pictures `samplernn inspect` drew
    there. Raises UserError for unusable paths (an `out` holding files prepare did not write
    included: `output.check_earlier_output`), or when not a single note could be prepared;
    UsageError (a UserError) for a --length no longer than the lead silence of the layout detected.
    """
    began = time.perf_counter()
    settings = settings or PrepareSettings()
    src, out = Path(src), Path(out)
    check_paths(src, out)
    found = discover_bank(src, settings, progress)
    try:
        settings = settings.for_layout(found.layout)  # the layout's lead and tail silence, where unset
    except ValueError as exc:  # an option's value (--length), as the constructor's refusals
        raise UsageError(f"{exc}, the default of the {found.layout} layout detected in {src} "
                         "(--lead-silence sets another)") from None
    if found.layout == "session":
        _check_session_shifts(found, settings)
    gain = None
    if settings.normalize == "bank":
        peak = _bank_peak(found, settings, progress)
        gain = settings.peak / peak if peak > 0 else 1.0

    sr = settings.sample_rate
    # OUT is checked again before the swap: a file added there during the run stops it rather than
    # being deleted; inspect's pictures are carried over.
    with staging(out, keep=check_earlier_output) as tmp:
        (tmp / AUDIO_DIR).mkdir()
        notices: list[Failure] = []
        rows = _prepare_notes(found, settings, gain, tmp, progress, notices)
        if not rows:
            first = found.failures[0].line if found.failures else "no notes found"
            n_bad = len(found.failures)
            guessed = settings.layout == "auto"
            how = f"read as the {found.layout} layout{' (detected; --layout to choose)' if guessed else ''}"
            hint = _nothing_prepared_hint(src, found, settings) if guessed else ""
            raise NothingPrepared(f"{src}: no note could be prepared, {how} ({n_bad} failed; first: {first})"
                                  + hint, found.failures)
        # a chunk of a steady tone may equal the next: chunks are never copies
        keys = None if found.layout == CHUNK_LAYOUT else recording_keys(
            rows, lambda note_id: read_audio(tmp / note_audio_path(note_id), mono=True)[0],
            gain if gain is not None else 1.0)
        splits = assign_splits(((r.id, r.pitch) for r in rows), settings.val_fraction,
                               settings.test_fraction, settings.seed, keys)
        if keys is not None:
            notices += keep_copies_together(rows, splits, keys)
        write_manifest(tmp / MANIFEST_FILE, (r.record(splits[r.id]) for r in rows))
        result = _result(out, found.layout, rows, splits, sr)
        result.failures = natsorted(found.failures, key=lambda f: f.source)
        result.counts["failed"] = len(result.failures)
        result.notices = [*_untrained_pieces(found.layout, rows, splits),
                          *(Failure("", w) for w in found.warnings), *notices]
        result.pitch_checks = found.pitch_checks
        result.gain = gain
        write_dataset_info(tmp, _dataset_info(src, settings, result, _bank_stats(sr, rows, splits)))
    result.elapsed = time.perf_counter() - began
    return result
