"""Find the notes of a bank: which recording, which MIDI note, which part of the recording.

The three layouts with MIDI files (the layouts without MIDI, read from names, NSynth, SFZ, drum
kits or plain audio, live in `samplernn.prepare.sources` and end in the same `Discovery`):

* **pairs** — ``name.wav`` (or ``.flac``) beside ``name.mid``, one note each, at any depth;
* **folder-midi** — one MIDI file per folder and many single-note takes of that note in it;
* **session** — one long recording with a MIDI file of many notes, cut into one file per note.

Only MIDI files are read here (they are small); audio is read later, one recording at a time.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from natsort import natsorted, ns

from conditioning import MidiError, MidiNote, note_name, read_midi_notes
from samplernn.common.errors import UserError
from samplernn.prepare.settings import AUDIO_SUFFIXES, MIDI_SUFFIXES, PrepareSettings
from samplernn.prepare.unread import unread_notice


@dataclass(frozen=True)
class NoteJob:
    """One note to prepare. Times in seconds on the recording's own timeline."""

    id: str
    audio: Path
    midi: Path  # the file that describes the note: its MIDI file, or (no MIDI) the audio itself,
    # NSynth's examples.json, the .sfz or the drumkit.xml
    source: str  # recording path relative to SRC; '#k' appended for the k-th note of a session
    pitch: int
    velocity: int
    on: float  # MIDI note-on
    off: float  # MIDI note-off
    window: tuple[float, float | None] | None  # part of the recording to read; None = all of it
    synced: bool  # MIDI times are the recording's (pairs, session); False for folder-midi takes
    after: float | None = None  # session: the note before's MIDI note-off (None: the first note)
    # session: most of the recording's attacks start on their note-ons (shift.is_aligned), so sound
    # before a note's cut is not a late MIDI file
    aligned: bool = False
    # the recording as its source plays it: × `level` in amplitude, sped up `rate` times (resampled;
    # the times above are then on the sped-up timeline): a Hydrogen kit's gains and layer pitch,
    # an SFZ region's level and pitch shift
    level: float = 1.0
    rate: float = 1.0


@dataclass(frozen=True)
class Failure:
    """A file that could not be prepared: the file and a one-line reason naming it. `shared`: the
    one line of a reason several failures share (a session's MIDI file shifted against its
    recording fails every note of it), listed once for them all; each keeps its own `message` for
    dataset.json's list of failures."""

    source: str
    message: str
    shared: str | None = None

    @property
    def line(self) -> str:
        """What a listing prints for it: the shared line where there is one."""
        return self.shared if self.shared is not None else self.message


@dataclass
class Discovery:
    """What `discover` (or a sample source) found: the layout, the notes to prepare, the files
    already rejected, warnings (one line each: read but not fully understood, or accepted against
    a check; nothing was dropped for them) and, where names were checked by the pitch tracker,
    how many files got each verdict ({'ok': 40, 'unpitched': 2, ...}; empty when not checked)."""

    layout: str
    jobs: list[NoteJob]
    failures: list[Failure]
    warnings: list[str] = field(default_factory=list)
    pitch_checks: dict[str, int] = field(default_factory=dict)


def _scan(src: Path) -> dict[Path, tuple[list[Path], list[Path]]]:
    """{folder: (audio files, MIDI files)} under `src`, hidden folders and files skipped."""
    found: dict[Path, tuple[list[Path], list[Path]]] = {}
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        audio, midi = [], []
        for name in files:
            if name.startswith("."):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix in AUDIO_SUFFIXES:
                audio.append(Path(root, name))
            elif suffix in MIDI_SUFFIXES:
                midi.append(Path(root, name))
        if audio or midi:
            found[Path(root)] = (natsorted(audio, alg=ns.PATH), natsorted(midi, alg=ns.PATH))
    return found


def _same_stem(audio: Path, midis: list[Path]) -> Path | None:
    return next((m for m in midis if m.stem == audio.stem), None)


def _match(audio: Path, midis: list[Path], layout: str) -> Path | None:
    """The MIDI file that describes `audio` under `layout` ('auto' tries both rules)."""
    if layout in ("pairs", "session", "auto"):
        same = _same_stem(audio, midis)
        if same is not None or layout == "pairs":
            return same
    return midis[0] if len(midis) == 1 else None


def detect_layout(scan: dict[Path, tuple[list[Path], list[Path]]], read: dict[Path, list[MidiNote]]) -> str:
    """The layout most recordings follow: the folder's only MIDI file shared by several takes →
    'folder-midi'; otherwise 'session' where at least as many recordings have a MIDI file of
    several notes as of one, else 'pairs' (a pairs bank with one stray multi-note file stays pairs,
    and that file fails with the hint to use --layout session)."""
    votes: Counter[str] = Counter()
    for audio_files, midis in scan.values():
        for audio in audio_files:
            midi = _match(audio, midis, "auto")
            if midi is None:
                continue
            if midi.stem != audio.stem and len(audio_files) > 1:
                votes["folder-midi"] += 1
            else:
                votes["session" if len(read.get(midi, ())) > 1 else "pairs"] += 1
    if votes["folder-midi"] > votes["pairs"] + votes["session"]:
        return "folder-midi"
    return "session" if votes["session"] and votes["session"] >= votes["pairs"] else "pairs"


_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and '_'


def recording_of(source: str) -> str:
    """The recording a note's `source` names: 'take.wav#3' (a session's third note, an audio
    chunk) → 'take.wav'; a '#' of the file's own name stays ('030-F#.wav', 'Viola_C#2.wav')."""
    path, mark, index = source.rpartition("#")
    return path if mark and index.isdigit() else source


def note_id(source: str, taken: Counter[str]) -> str:
    """A note's id from its source: 'sub/take_01.wav' → 'sub-take_01', 'a.wav#3' (the third note
    or chunk of a recording) → 'a-003', 'Flöte C4.wav' → 'Flöte_C4' (letters of any script kept,
    in Unicode NFC; spaces and punctuation → '_'); made unique among `taken` ('-2', '-3', …)."""
    path = recording_of(source)
    index = source[len(path) + 1:]
    parts = [unicodedata.normalize("NFC", part) for part in Path(path).with_suffix("").parts if part != "/"]
    base = "-".join(_UNSAFE.sub("_", part) for part in parts)
    if index:
        base = f"{base}-{int(index):03d}"
    taken[base] += 1
    return base if taken[base] == 1 else f"{base}-{taken[base]}"


def no_note_off(midi: Path, note: MidiNote) -> str:
    """Why a note left hanging (conditioning.midi: no note-off before its track ends) cannot be
    prepared, to follow 'note N (' in a failure: where its release lies is unknown, and a release
    guessed at the track's end would teach the model a wrong countdown."""
    return (f"{note_name(note.pitch)} at {note.start:.3f} s) has no note-off in {midi.name}: where it is "
            "released is unknown; add the note-off")


def _read_all(midis: list[Path]) -> tuple[dict[Path, list[MidiNote]], dict[Path, str]]:
    notes: dict[Path, list[MidiNote]] = {}
    errors: dict[Path, str] = {}
    for midi in midis:
        try:
            found = read_midi_notes(midi)
        except MidiError as exc:
            errors[midi] = str(exc)
            continue
        if found:
            notes[midi] = found
        else:
            errors[midi] = f"{midi}: MIDI file holds no notes"
    return notes, errors


#: A session note's cut opens this many times --tolerance-ms before its note-on (or at the note
#: before's note-off, if later): a sound that starts earlier than the tolerance allows is then
#: seen, and fails the tolerance check, instead of being cut without its attack.
SESSION_LOOKBACK = 2.0


def _session_jobs(
    audio: Path, midi: Path, rel: str, notes: list[MidiNote], settings: PrepareSettings, ids: Counter[str]
) -> tuple[list[NoteJob], list[Failure]]:
    """One job per note of a session recording; overlapping notes are rejected, both of them —
    unless settings.legato, which ends a note at the next one's note-on (notes that start
    together, a chord, are still rejected)."""
    tol = settings.tolerance_ms / 1000.0
    # a note left hanging ends at its track's end, over every note after it: it fails alone
    hanging = {k for k, n in enumerate(notes) if n.hanging}
    failures = [Failure(f"{rel}#{k + 1}", f"{audio}: note {k + 1} ({no_note_off(midi, notes[k])}")
                for k in sorted(hanging)]
    numbered = [(k, n) for k, n in enumerate(notes) if not n.hanging]
    if settings.legato:
        numbered = [(k, replace(a, stop=min(a.stop, b.start)) if b.start > a.start else a)
                    for (k, a), (_, b) in zip(numbered, numbered[1:], strict=False)] + numbered[-1:]
    bad: set[int] = set(hanging)
    hint = ("notes that start together (a chord) cannot be cut apart" if settings.legato
            else "--legato ends each note at the next note-on")  # fmt: skip
    for (k, a), (j, b) in zip(numbered, numbered[1:], strict=False):
        if b.start < a.stop - 1e-6:
            bad.update((k, j))
            failures.append(Failure(f"{rel}#{k + 1}", (
                f"{audio}: notes {k + 1} ({note_name(a.pitch)} at {a.start:.3f}–{a.stop:.3f} s) and "
                f"{j + 1} ({note_name(b.pitch)} at {b.start:.3f} s) overlap in {midi.name}; "
                f"a session needs one note at a time; {hint}")))
    jobs = []
    for i, (k, n) in enumerate(numbered):
        if k in bad:
            continue
        after = numbered[i - 1][1].stop if i else None
        start = max(0.0, n.start - SESSION_LOOKBACK * tol, after or 0.0)
        stop = notes[k + 1].start if k + 1 < len(notes) else None
        jobs.append(NoteJob(
            note_id(f"{rel}#{k + 1}", ids), audio, midi, f"{rel}#{k + 1}", n.pitch, n.velocity,
            n.start, n.stop, (start, stop), True, after))
    return jobs, failures


@dataclass
class _Context:
    """What every recording's matching needs while `discover` walks the bank."""

    src: Path
    settings: PrepareSettings
    layout: str
    read: dict[Path, list[MidiNote]]
    midi_errors: dict[Path, str]
    ids: Counter[str] = field(default_factory=Counter)
    reported: set[Path] = field(default_factory=set)  # folder-midi: a bad MIDI file is named once
    used: set[Path] = field(default_factory=set)  # MIDI files some recording matched

    def report_once(self, midi: Path) -> bool:
        first = self.layout != "folder-midi" or midi not in self.reported
        self.reported.add(midi)
        return first


def _recording_jobs(ctx: _Context, audio: Path, midis: list[Path]) -> tuple[list[NoteJob], list[Failure]]:
    """The notes of one recording, or why it cannot be used."""
    rel = audio.relative_to(ctx.src).as_posix()
    midi = _match(audio, midis, ctx.layout)
    if midi is None:
        expected = (f"one MIDI file in {audio.parent}, found {len(midis)}" if ctx.layout == "folder-midi"
                    else f"{audio.stem}.mid beside it")
        return [], [Failure(rel, f"{audio}: no matching MIDI file (expected {expected})")]
    ctx.used.add(midi)
    if midi in ctx.midi_errors:
        return [], [Failure(rel, ctx.midi_errors[midi])] if ctx.report_once(midi) else []
    notes = ctx.read[midi]
    if ctx.layout == "session":
        return _session_jobs(audio, midi, rel, notes, ctx.settings, ctx.ids)
    if len(notes) > 1:
        hint = "use --layout session" if ctx.layout == "pairs" else "folder-midi needs one note per MIDI file"
        message = f"{midi}: holds {len(notes)} notes, expected one ({hint})"
        return [], [Failure(rel, message)] if ctx.report_once(midi) else []
    n = notes[0]
    if n.hanging:
        return [], [Failure(rel, f"{audio}: its note ({no_note_off(midi, n)}")]
    job = NoteJob(note_id(rel, ctx.ids), audio, midi, rel, n.pitch, n.velocity, n.start, n.stop, None,
                  ctx.layout == "pairs")
    return [job], []


def discover(src: str | Path, settings: PrepareSettings) -> Discovery:
    """All notes under `src` in natural path order, plus the files that cannot be used and why.
    Raises UserError when `src` does not exist, is not a folder, or holds no recordings."""
    src = Path(src)
    if not src.exists():
        raise UserError(f"{src}: no such folder")
    if not src.is_dir():
        raise UserError(f"{src}: not a folder (SRC must be a folder of recordings and MIDI files)")
    scan = _scan(src)
    recordings = natsorted((a for audio, _ in scan.values() for a in audio), alg=ns.PATH)
    if not recordings:
        raise UserError(f"{src}: no .wav or .flac recordings found")
    read, midi_errors = _read_all([m for _, midis in scan.values() for m in midis])
    layout = settings.layout if settings.layout != "auto" else detect_layout(scan, read)
    ctx = _Context(src, settings, layout, read, midi_errors)
    found = Discovery(layout, [], [])
    for audio in recordings:
        jobs, failures = _recording_jobs(ctx, audio, scan[audio.parent][1])
        found.jobs += jobs
        found.failures += failures
    midis = natsorted((m for _, folder_midis in scan.values() for m in folder_midis), alg=ns.PATH)
    hint = "" if layout == "folder-midi" else " (a recording named {}.wav or .flac beside it would)"
    found.warnings += [f"{m}: no recording uses this MIDI file; ignored{hint.format(m.stem)}"
                       for m in midis if m not in ctx.used]
    found.warnings += unread_notice(src, AUDIO_SUFFIXES + MIDI_SUFFIXES, "WAV, FLAC or MIDI")
    return found
