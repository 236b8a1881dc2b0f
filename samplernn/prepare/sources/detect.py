"""Which layout a bank has, and its notes as `prepare`'s `Discovery` whatever the layout.

`bank_layout` looks at what SRC holds, reading no audio but a few headers:

1. a `.sfz` file given as SRC is an SFZ instrument;
2. markers decide when exactly one kind is found: `examples.json` here or in a subfolder
   (nsynth), `drumkit.xml` here or in a subfolder (drumkit), `.sfz` files anywhere (sfz), MIDI
   files in a folder of recordings (pairs, folder-midi or session, told apart by
   `layouts.detect_layout`; a folder of MIDI files alone, a sample pack's grooves, describes no recording);
3. with no marker, the audio files: long recordings (median over `LONG_RECORDING_S`) are plain
   audio; otherwise their names decide: named when at least `NAMED_SHARE` of them name a note
   (`naming.names_a_note`), drumkit one-shots when that share name a drum piece (read with their
   folders' names and SRC's own, as the drumkit layout reads them: 'Deep.wav' in 'Kicks/'; also when every
   name that names a note names a drum piece too and some name a drum piece alone: tuned hits, '808
   Kick C1.wav' beside 'Snare.wav'), plain audio when at most `AUDIO_SHARE` name either.

Anything else is ambiguous: a UserError says what was found and asks for `--layout`.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from samplernn.common.audio import AudioError, audio_info
from samplernn.common.errors import UsageError, UserError
from samplernn.common.files import walk_folder
from samplernn.common.progress import ProgressFn
from samplernn.prepare.layouts import Discovery, discover
from samplernn.prepare.naming import DEFAULT_MIDDLE_C, names_a_note
from samplernn.prepare.settings import MIDI_SUFFIXES, PrepareSettings
from samplernn.prepare.sources.drumkit import KIT_FILE, drumkit_notes, find_kits, one_shot_notes, src_name
from samplernn.prepare.sources.gm_drums import gm_drum_key, parse_drum_map
from samplernn.prepare.sources.named import NamedOptions, named_notes, verify_pitches
from samplernn.prepare.sources.nsynth import (
    EXAMPLES,
    NSYNTH_FAMILIES,
    NsynthFilter,
    find_splits,
    nsynth_notes,
)
from samplernn.prepare.sources.plain_audio import ChunkSettings, audio_chunks
from samplernn.prepare.sources.records import SAMPLE_SUFFIXES, SourceResult, to_discovery
from samplernn.prepare.sources.sfz import sfz_notes
from samplernn.prepare.unread import unread_notice

MIDI_LAYOUTS = ("pairs", "folder-midi", "session")
MIDI = "midi"  # `bank_layout` of a bank with MIDI files: `discover` tells which of MIDI_LAYOUTS
NAMED_SHARE = 2 / 3
AUDIO_SHARE = 0.1
LONG_RECORDING_S = 60.0  # a median recording this long is music, not a sample library's notes
DURATION_PROBES = 16  # recordings whose length is read to judge that
#: Progress stages of the sample sources: progress(done, total, stage=...).
STAGES = {"pitches": "checking pitches", "releases": "placing releases"}
#: Options that only some layouts read: a warning names them when given for another.
LAYOUT_OPTIONS = {
    "pattern": ("named",), "middle_c": ("named",), "trust_names": ("named", "sfz"), "legato": ("session",),
    "drum_map": ("drumkit",), "instrument": ("nsynth",), "family": ("nsynth",),
    "chunk_seconds": ("audio",), "as_recorded": ("sfz", "drumkit"),
}


@dataclass
class _Contents:
    """What a walk over SRC found: files by kind."""

    midi: list[Path] = field(default_factory=list)
    sfz: list[Path] = field(default_factory=list)
    audio: list[Path] = field(default_factory=list)


def _walk(src: Path) -> _Contents:
    found = _Contents()
    for root, files in walk_folder(src):
        for name in sorted(files):
            suffix = os.path.splitext(name)[1].lower()
            if name.startswith("."):
                continue
            if suffix in MIDI_SUFFIXES:
                found.midi.append(Path(root, name))
            elif suffix == ".sfz":
                found.sfz.append(Path(root, name))
            elif suffix in SAMPLE_SUFFIXES:
                found.audio.append(Path(root, name))
    return found


def _median_seconds(files: list[Path]) -> float | None:
    """Median length (s) of up to DURATION_PROBES recordings spread over `files`; None if none reads."""
    step = max(1, len(files) // DURATION_PROBES)
    lengths = []
    for path in files[::step][:DURATION_PROBES]:
        try:
            info = audio_info(path)
        except AudioError:
            continue
        lengths.append(info.frames / info.sample_rate)
    return statistics.median(lengths) if lengths else None


def _by_names(src: Path, audio: list[Path], middle_c: str) -> str:
    """'named', 'drumkit' or 'audio' for a folder of recordings with no marker (see the docstring)."""
    seconds = _median_seconds(audio)
    if seconds is not None and seconds > LONG_RECORDING_S:
        return "audio"
    noted = [names_a_note(p.stem, middle_c) for p in audio]
    # read with SRC's own name, as the drumkit layout reads them ('Deep.wav' in 'Kicks/')
    drummed = [gm_drum_key((Path(src_name(src)) / p.relative_to(src)).with_suffix("").as_posix()) is not None
               for p in audio]
    notes, drums, n = sum(noted), sum(drummed), len(audio)
    # a drum folder with tuned hits ('808 Kick C1.wav' beside 'Snare.wav'): every name that names a
    # note names a drum piece too, and some name a drum piece alone
    note_alone = any(a and not b for a, b in zip(noted, drummed, strict=True))
    tuned_drums = drums >= NAMED_SHARE * n and not note_alone
    if notes >= NAMED_SHARE * n and not (tuned_drums and drums > notes):
        return "named"
    if drums >= NAMED_SHARE * n:
        return "drumkit"
    if notes <= AUDIO_SHARE * n and drums <= AUDIO_SHARE * n:
        return "audio"
    raise UserError(
        f"{src}: cannot tell the layout: of {n} recordings {notes} name a note and {drums} a drum piece; "
        "pass --layout named, drumkit or audio")


def layout_by_names(src: str | Path, middle_c: str = DEFAULT_MIDDLE_C) -> str | None:
    """The layout the names of the recordings under `src` give alone, MIDI files aside ('named',
    'drumkit' or 'audio', by rule 3 above), or None where they give none (no recordings, or names
    that cannot tell): what to suggest when a MIDI layout prepared nothing."""
    audio = _walk(Path(src)).audio
    try:
        return _by_names(Path(src), audio, middle_c) if audio else None
    except UserError:
        return None


def bank_layout(src: str | Path, middle_c: str = DEFAULT_MIDDLE_C) -> str:
    """The layout of the bank at `src` by the rules in the module docstring: a value of
    settings.LAYOUTS, or `MIDI` for a bank with MIDI files.

    Raises:
        UserError: `src` does not exist, holds no recordings, or its layout is ambiguous.
    """
    src = Path(src)
    if src.is_file():
        if src.suffix.lower() == ".sfz":
            return "sfz"
        if src.name == KIT_FILE or src.resolve().name == KIT_FILE:  # a link to one too
            return "drumkit"
        raise UserError(f"{src}: not a folder (SRC is a folder, an .sfz file or a {KIT_FILE})")
    if not src.exists():
        raise UserError(f"{src}: no such folder")
    if not src.is_dir():
        raise UserError(f"{src}: not a folder (SRC must be a folder of recordings)")
    markers = []
    if find_splits(src):
        markers.append(f"nsynth ({EXAMPLES})")
    if find_kits(src):
        markers.append("drumkit (drumkit.xml)")
    if markers and len(markers) == 1:
        return markers[0].split()[0]
    contents = _walk(src)
    # MIDI files in no folder of recordings describe none (a sample pack's `MIDI/` grooves); with no
    # recordings at all, the MIDI layouts' reader says what is missing
    beside = {p.parent for p in contents.audio}
    if beside:
        contents.midi = [m for m in contents.midi if m.parent in beside]
    if contents.sfz:
        markers.append(f"sfz ({len(contents.sfz)} .sfz files)")
    if contents.midi:
        markers.append(f"pairs, folder-midi or session ({len(contents.midi)} MIDI files)")
    if len(markers) > 1:
        raise UserError(f"{src}: cannot tell the layout, it holds markers of several: {'; '.join(markers)}; "
                        "pass --layout")
    if contents.sfz:
        return "sfz"
    if contents.midi:
        return MIDI
    if not contents.audio:
        raise UserError(f"{src}: no recordings found (.wav, .aif, .flac, .ogg, .mp3) and no MIDI, SFZ, "
                        "NSynth or drum kit description")
    return _by_names(src, contents.audio, middle_c)


def _stage(progress: ProgressFn | None, key: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    label = STAGES[key]
    return lambda done, total: progress(done, total, stage=label)


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def _nsynth_filter(settings: PrepareSettings) -> NsynthFilter:
    families = _csv(settings.family)
    unknown = [f for f in families if f not in NSYNTH_FAMILIES]
    if unknown:
        raise UsageError(f"--family {unknown[0]!r} is not an NSynth family ({', '.join(NSYNTH_FAMILIES)})")
    return NsynthFilter(instruments=_csv(settings.instrument), families=families)


def _drum_map(settings: PrepareSettings) -> dict[str, int] | None:
    try:
        return parse_drum_map(settings.drum_map) if settings.drum_map else None
    except ValueError as exc:
        raise UserError(str(exc)) from None


def source_notes(
    layout: str, src: Path, settings: PrepareSettings, progress: ProgressFn | None = None
) -> tuple[SourceResult, dict[str, int]]:
    """The notes of a bank without MIDI in `layout`, and the pitch checks' verdict counts (named and
    sfz layouts: names or regions' pitches checked against the tracker, mislabelled files failed
    unless --trust-names).

    Raises:
        UserError: the source's own (no such folder, nothing found, malformed description), or a
            bad --family / --map value.
    """
    checks: dict[str, int] = {}
    if layout == "named":
        found = named_notes(src, NamedOptions(middle_c=settings.middle_c, pattern=settings.pattern))
        verdicts = verify_pitches(found, settings.trust_names, _stage(progress, "pitches"), settings)
        checks = dict(Counter(c.verdict for c in verdicts))
    elif layout == "nsynth":
        found = nsynth_notes(src, _nsynth_filter(settings))
    elif layout == "sfz":  # the notes as played (or --as-recorded) checked as the named layout's
        found = sfz_notes(src, settings.as_recorded)
        verdicts = verify_pitches(found, settings.trust_names, _stage(progress, "pitches"), settings)
        checks = dict(Counter(c.verdict for c in verdicts))
    elif layout == "drumkit":
        user_map = _drum_map(settings)
        found = drumkit_notes(src, user_map) if find_kits(src) else one_shot_notes(src, user_map)
    elif layout == "audio":
        shortest = min(ChunkSettings.min_seconds, settings.chunk_seconds)
        found = audio_chunks(src, ChunkSettings(seconds=settings.chunk_seconds, min_seconds=shortest))
    else:
        raise ValueError(f"not a layout without MIDI: {layout!r}")
    if settings.as_recorded:
        found.notes = [replace(n, level=1.0, rate=1.0) for n in found.notes]
    return found, checks


def _unused_options(layout: str, settings: PrepareSettings) -> list[str]:
    defaults = PrepareSettings()
    unused = [f"--{name.replace('_', '-') if name != 'drum_map' else 'map'} applies to the "
              f"{' and '.join(owner)} layout{'s' if len(owner) > 1 else ''} only; ignored for {layout}"
              for name, owner in LAYOUT_OPTIONS.items()
              if layout not in owner and getattr(settings, name) != getattr(defaults, name)]
    if settings.fade is not None and settings.length is None:
        unused.append("--fade applies with --length only (the fade-out of a fixed-length note); ignored")
    return unused


def discover_bank(
    src: str | Path, settings: PrepareSettings, progress: ProgressFn | None = None
) -> Discovery:
    """The notes of the bank at `src` in `settings.layout` ('auto': `bank_layout`), as `prepare`'s
    `Discovery`. Sample sources report `progress(done, total, stage=...)` (stage: a value of
    `STAGES`) while they check pitches and place one-shot releases.

    Raises:
        UserError: `src` does not exist ("no such folder", or file for an .sfz or drum kit file
            name), and as `bank_layout` and the layout's own reader.
    """
    src = Path(src)
    if not src.exists():  # before any layout's reader, each of which would say it differently
        kind = "file" if src.suffix.lower() in (".sfz", ".xml", ".h2drumkit") else "folder"
        raise UserError(f"{src}: no such {kind}")
    layout = settings.layout if settings.layout != "auto" else bank_layout(src, settings.middle_c)
    if settings.layout == "auto" and settings.pattern is not None and layout in ("audio", "drumkit"):
        layout = "named"  # a folder of recordings and a --pattern for their names: the named layout's
    if layout == MIDI or layout in MIDI_LAYOUTS:
        found = discover(src, settings)
        found.warnings += _unused_options(found.layout, settings)
        return found
    found, checks = source_notes(layout, src, settings, progress)
    out = to_discovery(found, settings, _stage(progress, "releases"))
    out.pitch_checks = checks
    if layout in ("named", "audio") or (layout == "drumkit" and not find_kits(src)):  # a folder's files
        out.warnings += unread_notice(src, SAMPLE_SUFFIXES, "WAV, AIFF, FLAC, OGG or MP3")
    out.warnings += _unused_options(layout, settings)
    return out
