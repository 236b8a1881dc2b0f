"""The *named* layout: one file per note, the note and its dynamic in the file's name.

    piano/                               (any depth; WAV, AIFF, FLAC, OGG or MP3)
        trumpet_A4_1_forte_normal.mp3    → A4 = 69, forte → velocity 96
        Horn.ff.C4.stereo.aif            → C4 = 60, ff → 112
        C4_100.wav                       → 60, velocity 100

Names are read by `samplernn.prepare.naming` (or by a `--pattern` template). A pitch stored in
the file itself (WAV `smpl` / AIFF `INST` root key) wins over the name: it is the sounding pitch,
where names may give the key played (GrandOrgue's stops). `verify_pitches` then compares every
note with a pitch tracker.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from conditioning import note_name
from samplernn.common.audio import AudioError
from samplernn.common.errors import UserError
from samplernn.prepare.naming import (
    DEFAULT_MIDDLE_C,
    DEFAULT_VELOCITY,
    MIDDLE_C,
    MIN_NUMBER_VELOCITY,
    NamePattern,
    NamingError,
    ParsedName,
    compile_pattern,
    is_note_name,
    parse_name,
    resolve_velocities,
    tokens_of,
    velocity_marks,
)
from samplernn.prepare.notes import NoteError
from samplernn.prepare.settings import PrepareSettings
from samplernn.prepare.sources.pitch_check import TRUST_HINT, PitchCheck, check_pitch
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative, sample_folder
from samplernn.prepare.sources.root_key import read_root_key, wavpack_message

#: Share of a bank's pitched notes an octave off their names (the same way) that says the names
#: follow another middle-C convention rather than a few files being mislabelled.
OCTAVE_CONVENTION_SHARE = 0.8


@dataclass(frozen=True)
class NamedOptions:
    """How names are read: octave convention, an optional `--pattern` template, and whether a
    root key stored in the file wins over the name."""

    middle_c: str = DEFAULT_MIDDLE_C
    pattern: str | None = None
    root_key: bool = True

    def __post_init__(self) -> None:
        if self.middle_c not in MIDDLE_C:
            raise ValueError(f"middle C must be one of {', '.join(MIDDLE_C)}, got {self.middle_c!r}")


def named_notes(src: str | Path, options: NamedOptions = NamedOptions()) -> SourceResult:
    """One note per audio file under `src`, read from its name; files whose name says no single
    note (or that cannot be decoded) are failures with the reason.

    Raises:
        UserError: `src` is not a folder, holds no audio, or the pattern is malformed.
    """
    src, files = sample_folder(src)
    try:
        pattern = compile_pattern(options.pattern) if options.pattern else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    found = SourceResult("named")
    parsed: list[tuple[Path, ParsedName]] = []
    disagree: list[str] = []
    octaves = False  # some name gives a note name whose octave --middle-c decides
    keyed: dict[Path, tuple[str, int | None]] = {}  # the root key gave the pitch: (chunk, the name's pitch)
    for path in files:
        rel = relative(path, src)
        message = wavpack_message(path)
        if message:
            found.fail(rel, message)
            continue
        name, reason = _read_name(path.stem, pattern, options.middle_c)
        if name is not None:
            name = _with_folder_dynamic(name, path.relative_to(src), disagree)
        key = read_root_key(path) if options.root_key else None
        if key is not None:
            keyed[path] = (key.chunk, name.pitch if name is not None and name.pitch != key.pitch else None)
            name = ParsedName(key.pitch, name.velocity if name else None, name.layer if name else None)
        if name is None:
            found.fail(rel, f"{path}: {reason}")
            continue
        octaves = octaves or (options.middle_c != DEFAULT_MIDDLE_C and key is None
                              and _names_octave(path.stem, pattern, options.middle_c))
        parsed.append((path, name))
    if parsed and not octaves and options.middle_c != DEFAULT_MIDDLE_C:
        found.warnings.append(f"--middle-c {options.middle_c} changes nothing here: no name gives a note "
                              "name with an octave (MIDI numbers or root keys say the pitch)")
    if disagree:
        shown = ", ".join(disagree[:3]) + (" …" if len(disagree) > 3 else "")
        found.warnings.append(f"{len(disagree)} file(s) name a dynamic other than their folder's ({shown}): "
                              "the name's is used")
    taken = numbered_takes(parsed, found)
    # a pattern says what each part means; numbers read as takes were said already
    unmarked = unmarked_layers(parsed, src) if pattern is None and taken is parsed else None
    if unmarked:
        found.warnings.append(unmarked)
    parsed = taken
    guessed = _guessed_dynamics(parsed, src)
    if guessed:
        found.warnings.append(guessed)
    velocities = resolve_velocities([n for _, n in parsed])
    for (path, name), velocity in zip(parsed, velocities, strict=True):
        found.notes.append(SampleNote(path, relative(path, src), name.pitch, velocity, path,
                                      root_key=keyed.get(path)))
    faint = [n for n in found.notes if n.velocity < MIN_NUMBER_VELOCITY]
    if faint and pattern is None:
        found.warnings.append(
            f"{len(faint)} file(s) name a velocity below {MIN_NUMBER_VELOCITY} ({faint[0].source}: "
            f"{faint[0].velocity}), which the model learns as near-silence; if those numbers count "
            "velocity layers, say so with --pattern ({layer})")
    return found


def numbered_takes(
    parsed: list[tuple[Path, ParsedName]], found: SourceResult
) -> list[tuple[Path, ParsedName]]:
    """`parsed`, with the bare numbers after the notes read as takes rather than velocities when,
    for every pitch, they count 1, 2, 3 … (or from 0) without a gap: round robins numbered
    `Piano_C4_1` … `Piano_C4_12` (velocities such as 40/80/120 do not count so). A warning says so."""
    by_pitch: dict[int, list[int]] = {}
    for _, name in parsed:
        if name.number is not None and name.dynamic is None and name.layer is None:
            by_pitch.setdefault(name.pitch, []).append(name.number)
    runs = [sorted(v) for v in by_pitch.values()]
    if not runs or max(len(r) for r in runs) < 2 or max(r[-1] for r in runs) < MIN_NUMBER_VELOCITY:
        return parsed  # none or all under MIN_NUMBER_VELOCITY: parse_name has read them as takes
    if any(r != list(range(r[0], r[0] + len(r))) or r[0] > 1 for r in runs):
        return parsed
    found.warnings.append(f"the numbers after the notes count 1, 2, 3 … up to {max(r[-1] for r in runs)} for "
                          "every pitch: read as takes, not velocities (write vel100 for a velocity)")
    return [(p, replace(n, velocity=None) if n.number is not None and n.velocity == n.number else n)
            for p, n in parsed]


def _guessed_dynamics(parsed: list[tuple[Path, ParsedName]], src: Path) -> str | None:
    """A one-line notice naming the files whose names (and folders) give no dynamic, velocity or
    layer while the others' do (`viola_A3.wav` beside `viola_A3_ff.wav`, `viola_A3_pp.wav`): they
    play at mf, a guess. None when every file gives one, or none does (a bank recorded at one
    dynamic)."""
    unsaid = [relative(p, src) for p, n in parsed if n.velocity is None and n.layer is None]
    if not unsaid or len(unsaid) == len(parsed):
        return None
    shown = ", ".join(unsaid[:3]) + (f" and {len(unsaid) - 3} more" if len(unsaid) > 3 else "")
    return (f"{len(unsaid)} file(s) name no dynamic where the others do ({shown}): played at mf "
            f"({DEFAULT_VELOCITY}); where that is not a file's dynamic, put its own in its name "
            f"({_with_dynamic(unsaid[0])})")


def _with_dynamic(rel: str) -> str:
    """`rel` ('viola_A3.wav') with a dynamic mark added to its name ('viola_A3_pp.wav'), as an example."""
    path = Path(rel)
    return path.with_name(f"{path.stem}_pp{path.suffix}").as_posix()


def unmarked_layers(parsed: list[tuple[Path, ParsedName]], src: Path) -> str | None:
    """A one-line notice when two files of one pitch play at the default velocity (no dynamic in
    their names nor folders) while their paths differ only in parts that were ignored
    (`Cello_C3_Expr_50`, `Cello_C3_Expr_110`; `Soft Layer/C4`, `Hard Layer/C4`): if those parts
    are the bank's velocity layers, every layer is trained as mf. None when no pitch has two."""
    by_pitch: dict[int, list[tuple[str, list[str]]]] = {}
    for path, name in parsed:
        if name.velocity is None and name.layer is None:
            parts = path.relative_to(src).with_suffix("").parts
            tokens = [t for part in parts for t in tokens_of(part)]
            by_pitch.setdefault(name.pitch, []).append((relative(path, src), tokens))
    pairs = [pair for files in by_pitch.values() if (pair := _ignored_difference(files)) is not None]
    if not pairs:
        return None
    a, b, differ = pairs[0]
    return (f"{len(pairs)} pitch(es) have several files with no dynamic in their names that differ only in "
            f"parts that were ignored ({a} and {b}: {differ}): all play at mf ({DEFAULT_VELOCITY}); if those "
            "parts are dynamics or velocity layers, say so with --pattern ({velocity}, {dynamic} or {layer})")


#: Tokens that name a take or round robin, not a dynamic: files differing only in them are takes.
_TAKE_TAG = re.compile(r"^(?:rr|roundrobin|take|tk|seq|alt|var)\d*$", re.IGNORECASE)


def _ignored_difference(files: list[tuple[str, list[str]]]) -> tuple[str, str, str] | None:
    """The first two of `files` (path, tokens) whose tokens differ only where neither is a note
    name (C#4 and Db4 are one pitch spelled twice) nor both a take tag (rr1 / rr2, take1 / take2),
    and those tokens ('50 / 110'); or None."""
    for i, (a, ta) in enumerate(files):
        for b, tb in files[i + 1:]:
            if len(ta) != len(tb):
                continue
            differ = [(x, y) for x, y in zip(ta, tb, strict=True)
                      if x.lower() != y.lower() and not (_TAKE_TAG.match(x) and _TAKE_TAG.match(y))]
            if differ and not any(is_note_name(x) or is_note_name(y) for x, y in differ):
                shown = " ".join(x for x, _ in differ) + " / " + " ".join(y for _, y in differ)
                return a, b, shown
    return None


def _with_folder_dynamic(name: ParsedName, rel: Path, disagree: list[str] | None = None) -> ParsedName:
    """`name`, or when it says nothing of its dynamic, the dynamic, velocity or layer mark of its
    nearest folder named by one alone (`soft/Piano_C4.wav`, `ff/C4.wav`, `v2/C4.wav`: libraries
    often sort their velocity layers into folders). A name whose own mark differs from its folder's
    keeps its own and is added to `disagree` ('soft/Piano_C4_ff.wav')."""
    mark = _folder_mark(rel)
    if name.velocity is not None or name.layer is not None:
        own = (name.velocity, name.layer)
        if mark is not None and disagree is not None and (mark.velocity, mark.layer) != own:
            disagree.append(rel.as_posix())
        return name
    return ParsedName(name.pitch, mark.velocity, mark.layer, mark.dynamic) if mark is not None else name


def _folder_mark(rel: Path) -> ParsedName | None:
    """The velocity or layer mark of the nearest folder of `rel` named by one alone (pitch 0), or None."""
    for folder in rel.parents:
        # a folder named by its mark alone ('soft', 'ff', 'v2'), not 'Grand Piano' or 'Lib v2'; a
        # folder 'Piano' is the instrument far more often than the dynamic
        if len(tokens_of(folder.name)) != 1 or folder.name.lower() == "piano":
            continue
        try:
            velocity, layer = velocity_marks(folder.name)
        except NamingError:
            continue
        if velocity is not None or layer is not None:
            return ParsedName(0, velocity, layer, folder.name)
    return None


def _names_octave(stem: str, pattern: NamePattern | None, middle_c: str) -> bool:
    """The name gives a note name, whose octave depends on the middle C convention (read by
    another convention, it names another pitch or none)."""
    other = next(c for c in MIDDLE_C if c != middle_c)
    mine, theirs = _read_name(stem, pattern, middle_c)[0], _read_name(stem, pattern, other)[0]
    return mine is not None and (theirs is None or theirs.pitch != mine.pitch)


def _read_name(stem: str, pattern: NamePattern | None, middle_c: str) -> tuple[ParsedName | None, str]:
    try:
        return (pattern.parse(stem, middle_c) if pattern else parse_name(stem, middle_c)), ""
    except NamingError as exc:
        return None, str(exc)


def verify_pitches(
    found: SourceResult,
    trust_names: bool = False,
    progress: Callable[[int, int], None] | None = None,
    settings: PrepareSettings | None = None,
) -> list[PitchCheck]:
    """Track the pitch of every note of `found`; notes whose name is more than a semitone (or an
    octave) off move to the failures, or with `trust_names` stay and are listed in the warnings.
    Returns every check, in note order.

    The pitch checked is the one the note is prepared at: the file's, shifted by its `rate` (an SFZ
    region's transpose and tune). A note with an `origin` (an SFZ region's file:line) is reported
    there as 'labelled' rather than 'named', and only the named layout's names are diagnosed as
    another middle-C convention (SFZ fixes middle C at C4 = 60).

    `progress(done, total)` is called after each file. Unreadable files, and those `prepare` could
    not use (non-finite samples, silence: `notes.detect` with `settings`), become failures.
    """
    checks, kept = [], []
    total = len(found.notes)
    for k, note in enumerate(found.notes):
        try:
            note, check = _checked_note(note, settings, found.warnings)
        except (AudioError, NoteError) as exc:
            found.fail(note.source, str(exc))
        else:
            checks.append(check)
            if check.wrong and not trust_names:
                found.fail(note.source, check.message)
            else:
                kept.append(note)
                if check.wrong:
                    message = check.message.removesuffix(TRUST_HINT).removesuffix(ROOT_KEY_TRUST_HINT)
                    found.warnings.append(f"{message}; kept (--trust-names)")
        if progress is not None:
            progress(k + 1, total)
    convention = None
    if found.layout == "named":
        convention = octave_convention(checks, settings.middle_c if settings else DEFAULT_MIDDLE_C)
    if convention and not trust_names:
        raise UserError(convention)
    if convention:  # kept as named, but the user should know why every note is an octave off
        found.warnings.append(f"{convention} (names kept: --trust-names)")
    found.notes = kept
    return checks


#: What --trust-names keeps of a note whose file's root key gave its pitch.
ROOT_KEY_TRUST_HINT = "; --trust-names keeps the root key"


def _checked_note(
    note: SampleNote, settings: PrepareSettings | None, warnings: list[str]
) -> tuple[SampleNote, PitchCheck]:
    """(the note, its pitch check) by `check_pitch`. A note whose file's root key gave its pitch is
    said so; where that pitch is wrong and the name's (another) is right — an editor's default root
    key, C4 — the note takes the name's pitch, and `warnings` says so.

    Raises:
        AudioError, NoteError: as `check_pitch`.
    """
    where, said = (note.origin, f"{note.source} labelled") if note.origin else (None, "named")
    if note.root_key is not None:
        said = f"its {note.root_key[0]} chunk's root key says"
    check = check_pitch(note.audio, note.pitch, settings, shift=12 * math.log2(note.rate), where=where,
                        said=said)
    if note.root_key is None or not check.wrong:
        return note, check
    named = note.root_key[1]
    check = replace(check, message=check.message.replace(TRUST_HINT, ROOT_KEY_TRUST_HINT))
    if named is None:
        return note, check
    by_name = check_pitch(note.audio, named, settings, where=where)
    if by_name.wrong:
        return note, check
    warnings.append(f"{note.audio}: its {note.root_key[0]} chunk's root key says {note_name(note.pitch)} "
                    f"but it sounds {note_name(named)}, as its name says: labelled {note_name(named)} "
                    "(a sample editor's default root key?)")
    return replace(note, pitch=named), by_name


def octave_convention(checks: list[PitchCheck], middle_c: str) -> str | None:
    """A one-line diagnosis when the names use another octave convention than `middle_c`: at
    least 3 pitched notes, and at least OCTAVE_CONVENTION_SHARE of them sounding one octave off
    their names the same way (a bank named with middle C as C3 read as C4 sounds an octave above
    every name; read with --middle-c C5, two octaves). None otherwise, or when no convention of
    MIDDLE_C would fit."""
    pitched = [c for c in checks if c.measured is not None and c.verdict != "unpitched"]
    for octaves in (1, -1, 2, -2):  # two: a bank of C3 read with --middle-c C5, or the reverse
        off = [c for c in pitched
               if c.verdict == "octave" and round((c.measured - c.expected) / 12) == octaves]  # fmt: skip
        if len(pitched) < 3 or len(off) < OCTAVE_CONVENTION_SHARE * len(pitched):
            continue
        i = MIDDLE_C.index(middle_c) - octaves
        if not 0 <= i < len(MIDDLE_C):
            return None
        where = "above" if octaves > 0 else "below"
        count = "an octave" if abs(octaves) == 1 else f"{abs(octaves)} octaves"
        return (f"{len(off)} of {len(pitched)} notes sound {count} {where} their names "
                f"({off[0].message.split(': ', 1)[0]} among them): these names write middle C (MIDI 60) "
                f"as {MIDDLE_C[i]}; prepare again with --middle-c {MIDDLE_C[i]}")
    return None
