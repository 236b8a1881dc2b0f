"""The *drumkit* layout: a Hydrogen drum kit, or a plain folder of drum one-shots.

    BJA_Pacific/                         (a Hydrogen kit: Debian's hydrogen-drumkits)
        drumkit.xml      <instrument><name>Snare</name>
                           <layer><filename>SN_08.aiff</filename><min>0.875</min><max>1</max></layer>
        SN_08.aiff       → GM key 38 (snare), velocity round(0.9375 × 127) = 119
    one-shots/                           (no drumkit.xml: the piece is in the file or folder name)
        kick_01.wav  snare-hard.wav  hats/closed_2.wav

Each layer's sample becomes a note whose pitch is the instrument's General MIDI drum key, matched
by its name (`gm_drums`; a name that names no piece takes the one all its samples' file names
name) or given by `user_map` ({"Instrument name": 38}), and whose velocity is
the middle of the layer's range (Hydrogen's 0..1 scaled to 127). Kits from before Hydrogen 0.9.7
put one `<filename>` on the instrument itself: one layer over the whole range. Instruments with
no sample (Hydrogen's empty slots, or its `emptySample` placeholder) are skipped; those no rule
matches are failures that say how to map them; a sound whose name says it is a run of hits
('Snare Roll', 'hat loop': `gm_drums.several_hits`) is left out with a notice. One-shots have no
note-off: `one_shot_release` places it.

A kit's sample is prepared as Hydrogen plays it at the note's velocity (its Sampler::renderNote):
scaled by that velocity (0..1, unless the instrument's `applyVelocity` is false) × the layer's
`gain` × the instrument's `gain` and `volume` × its ADSR's `Sustain` (where `Attack` and `Decay`
are 0: ForzeeStereo's "Stick" plays at half level), and resampled by the layer's `pitch`
(semitones). What else Hydrogen does to a sound — an ADSR attack or decay, a random pitch per hit,
an active low-pass filter — is said in a notice, not applied.
Kits normalise their layers and leave the dynamics to that scaling: taken as recorded, a soft
layer would be as loud as a hard one. A plain folder's one-shots are taken as recorded.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from samplernn.common.errors import UserError
from samplernn.data.drum_bank import GM_DRUM_KEYS
from samplernn.prepare.naming import (
    DYNAMICS,
    NamingError,
    ParsedName,
    note_number,
    resolve_velocities,
    velocity_marks,
)
from samplernn.prepare.sources.gm_drums import (
    NOTE_WORD_RE,
    gm_drum_key,
    gm_drum_piece,
    gm_name,
    mapped_key,
    name_words,
    piece_name,
    same_kind,
    several_hits,
)
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative, sample_folder, scan_samples

KIT_FILE = "drumkit.xml"
EMPTY_SAMPLE = "emptysample"
_NUMBER_RE = re.compile(r"\d+")
#: Words that name a ghost note ('Snare Ghost 3'): a hit played very softly, velocity pp (33) where
#: the name says no other dynamic (it was read as an unmarked mf 80, a full hit's velocity).
GHOST = frozenset({"ghost", "ghosts", "ghosted"})
#: A running number before a one-shot's or folder's name ('02 Crash.wav', '03 - Tom.wav', '01_Kicks/'):
#: it counts the folder's files, not the piece ('02 Crash' read as crash cymbal 2, '03 Tom' a low tom).
_INDEX_RE = re.compile(r"^\d{1,3}[\s_.\-]+(?=\D)")
#: A drum's size in inches in a one-shot's name ('Tom 10in', 'Tom 12"', 'Tom 14 inch'): toms told
#: apart by it alone are ranked by it (`ranked_toms`).
#: ('in' and 'inch' end where letters do: '_' is a word character, so \b missed 'Tom_12in_hard').
_INCHES_RE = re.compile(r"(?<![\d.])(\d{1,2})[\s_\-]*(?:\"|''|”|in(?![a-z])|inch(?:es)?(?![a-z]))",
                        re.IGNORECASE)
#: The toms as numbered toms count down from the highest (gm_drums.RULES: 'Tom 1' … 'Tom 5').
_TOMS_DOWN = (50, 47, 45, 43, 41)
#: The key the rules give a tom that names no position ('Tom', 'Tom 12in').
_PLAIN_TOM = 48
#: Bounds on a kit file's gains and volumes (× amplitude) and layer pitches (semitones): Hydrogen's
#: own controls reach 5 and ±24 (a larger number in a file is a typo, not a sound).
MAX_GAIN = 5.0
MAX_PITCH = 24.0


class KitLayer(NamedTuple):
    """One velocity layer of a kit instrument: its sample, its velocity range (min, max; Hydrogen's
    0..1), its `gain` (× amplitude) and `pitch` (semitones: Hydrogen plays the sample resampled)."""

    path: Path
    lo: float
    hi: float
    gain: float = 1.0
    pitch: float = 0.0


@dataclass
class KitInstrument:
    """One instrument of a kit: its name, its layers, and the gains Hydrogen's sampler multiplies
    every layer's sound by: the instrument's `gain` and mixer `volume`, and the note's velocity
    (0..1) unless `apply_velocity` is off (Hydrogen's Sampler::renderNote)."""

    name: str
    layers: list[KitLayer] = field(default_factory=list)
    gain: float = 1.0
    volume: float = 1.0
    apply_velocity: bool = True
    #: The ADSR's sustain level (0..1) and whether its attack or decay is longer than 0 samples.
    sustain: float = 1.0
    shaped: bool = False
    #: What Hydrogen also does to the sound that prepare does not (`unapplied`'s words).
    random_pitch: float = 0.0
    filter_cutoff: float = 1.0

    def level(self, layer: KitLayer) -> float:
        """× amplitude at which Hydrogen plays `layer` at the velocity prepare gives its note
        (`layer_velocity`): velocity × layer gain × instrument gain × volume, × the ADSR's sustain
        where its attack and decay are 0 (Hydrogen's ADSR::get_value then holds the sustain level
        from the second sample on; a one-shot is never released)."""
        velocity = layer_velocity(layer.lo, layer.hi) / 127 if self.apply_velocity else 1.0
        sustain = 1.0 if self.shaped else self.sustain
        return velocity * layer.gain * self.gain * self.volume * sustain

    def unapplied(self) -> list[str]:
        """What of Hydrogen's playing prepare leaves out for this instrument: an ADSR attack or decay
        (an envelope over the sample), a random pitch per hit (a Gaussian deviation × randomPitchFactor,
        semitones; Hydrogen's Note), a low-pass filter (cutoff < 1)."""
        said = ["its ADSR attack/decay envelope"] if self.shaped else []
        if self.random_pitch > 0:
            said.append(f"a random pitch per hit (randomPitchFactor {self.random_pitch:g})")
        if self.filter_cutoff < 1:
            said.append(f"a low-pass filter (cutoff {self.filter_cutoff:g})")
        return said


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # Hydrogen ≥ 0.9.7 puts its elements in a namespace


def _child_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def _share(text: str | None, default: float) -> float:
    try:
        return min(1.0, max(0.0, float(text))) if text is not None else default
    except ValueError:
        return default


def _number(text: str | None, default: float, lo: float, hi: float) -> float:
    """A number of the kit file within lo..hi; `default` when absent, unreadable or not finite."""
    try:
        value = float(text) if text is not None else default
    except ValueError:
        return default
    return min(hi, max(lo, value)) if math.isfinite(value) else default


def _instrument(element: ET.Element) -> KitInstrument:
    """A kit file's `<instrument>`, its layers still to add: its name, gains, ADSR and what else
    Hydrogen does to its sound (its filter only where `<filterActive>` is true)."""
    def number(tag: str, default: float, lo: float = 0.0, hi: float = MAX_GAIN) -> float:
        return _number(_child_text(element, tag), default, lo, hi)

    filtered = (_child_text(element, "filterActive") or "false").lower() == "true"
    return KitInstrument(
        _child_text(element, "name") or "", gain=number("gain", 1.0), volume=number("volume", 1.0),
        apply_velocity=(_child_text(element, "applyVelocity") or "true").lower() != "false",
        sustain=number("Sustain", 1.0, hi=1.0),
        shaped=number("Attack", 0.0, hi=math.inf) > 0 or number("Decay", 0.0, hi=math.inf) > 0,
        random_pitch=number("randomPitchFactor", 0.0, hi=1.0),
        filter_cutoff=number("filterCutoff", 1.0, hi=1.0) if filtered else 1.0)


def read_kit(xml_path: Path) -> tuple[str, list[KitInstrument]]:
    """The kit's name and its instruments (layers inside `<instrumentComponent>` included).

    Raises:
        UserError: unreadable or malformed XML.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise UserError(f"{xml_path}: unreadable Hydrogen drum kit ({exc})") from None
    instruments = []
    for element in root.iter():
        if _local(element.tag) != "instrument":
            continue
        inst = _instrument(element)
        for layer in element.iter():
            name = _child_text(layer, "filename") if _local(layer.tag) == "layer" else None
            if name:
                lo, hi = _share(_child_text(layer, "min"), 0.0), _share(_child_text(layer, "max"), 1.0)
                inst.layers.append(KitLayer(
                    xml_path.parent / name, lo, hi, _number(_child_text(layer, "gain"), 1.0, 0.0, MAX_GAIN),
                    _number(_child_text(layer, "pitch"), 0.0, -MAX_PITCH, MAX_PITCH)))
        own = _child_text(element, "filename")
        if not inst.layers and own:
            inst.layers.append(KitLayer(xml_path.parent / own, 0.0, 1.0))
        if all(layer.path.stem.lower() == EMPTY_SAMPLE for layer in inst.layers):
            inst.layers = []  # Hydrogen fills its empty slots with a silent placeholder
        instruments.append(inst)
    return _child_text(root, "name") or xml_path.parent.name, instruments


def find_kits(src: Path) -> list[Path]:
    """The drumkit.xml files of `src`: the file itself, or every kit folder at any depth below it
    (folders linked in followed; a kit's own subfolders are its samples, not searched)."""
    if src.is_file():  # a link to a kit's drumkit.xml: its samples lie beside the kit's file
        return [src.resolve() if src.is_symlink() else src]
    kits: list[Path] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(src, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        if KIT_FILE in files:
            kits.append(Path(folder) / KIT_FILE)
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(kits)


def _loose_samples(src: Path, kits: list[Path]) -> list[Path]:
    """Audio files under the folder `src` that lie in none of the `kits`' folders."""
    if not src.is_dir():
        return []
    folders = [k.parent for k in kits]
    return [f for f in scan_samples(src) if not any(f.is_relative_to(k) for k in folders)]


def layer_velocity(lo: float, hi: float) -> int:
    """The middle of a Hydrogen layer's velocity range (0..1) as a MIDI velocity 1..127."""
    return min(127, max(1, round((lo + hi) / 2 * 127)))


def drumkit_notes(src: str | Path, user_map: dict[str, int] | None = None) -> SourceResult:
    """The notes of the Hydrogen kit(s) at `src` (see the module docstring).

    Raises:
        UserError: no drumkit.xml at `src` (nor in its subfolders). An unreadable kit is a failure
            of the result, the others are read.
    """
    src = Path(src)
    if src.is_file() and KIT_FILE not in (src.name, src.resolve().name):
        archive = src.suffix.lower() == ".h2drumkit"
        what = ("a Hydrogen kit archive: unpack it (tar -xzf) and give its folder" if archive
                else f"not a {KIT_FILE}: give a kit's folder, its {KIT_FILE}, or a folder of one-shots")
        raise UserError(f"{src}: {what}")
    kits = find_kits(src)
    if not kits:
        raise UserError(f"{src}: no {KIT_FILE} here or in its subfolders (not a Hydrogen drum kit)")
    root = src.parent if src.is_file() else src
    found = SourceResult("drumkit")
    considered: set[str] = set()
    for xml_path in kits:
        try:
            _, instruments = read_kit(xml_path)
        except UserError as exc:  # one broken kit of several: the others are still read
            found.fail(relative(xml_path, root), str(exc))
            continue
        for inst in instruments:
            if not inst.layers:
                continue
            files = [n for layer in inst.layers for n in (layer.path.name, layer.path.stem)]
            considered.update([inst.name, *files])
            key = gm_drum_key(inst.name, user_map)
            by_file = {f: k for f in files if (k := mapped_key(f, user_map)) is not None}
            if several_hits(inst.name) and mapped_key(inst.name, user_map) is None and not by_file:
                found.warnings.append(run_of_hits(f"{xml_path}: instrument {inst.name!r}", inst.name))
                continue
            if key is None and by_file:  # the map may name the instrument by its sample files
                key = next(iter(by_file.values()))
            if key is None:  # no piece in its name ('redo super opaco'): its samples' names may say
                key = files_key(inst)
                if key is not None:
                    found.warnings.append(f"{xml_path}: instrument {inst.name!r} names no drum piece; its "
                                          f"samples' names say {key} ({gm_name(key)})")
            clash = {f: k for f, k in by_file.items() if k != key}
            if clash:
                f, k = next(iter(clash.items()))
                found.warnings.append(f"--map: {f!r} → {k} and {inst.name!r} → {key} name the same sample; "
                                      f"{key} is used")
            where = f"{relative(xml_path, root)}#{inst.name}"
            if key is None:
                found.fail(where, f"{xml_path}: instrument {inst.name!r} has no General MIDI drum key; "
                           f"map it with --map {map_example(inst.name)}")
                continue
            if unapplied := inst.unapplied():
                found.warnings.append(f"{xml_path}: Hydrogen plays {inst.name!r} with "
                                      f"{' and '.join(unapplied)}; prepare takes its samples without")
            for layer in inst.layers:
                if not layer.path.is_file():
                    found.fail(where, f"{xml_path}: sample {layer.path.name!r} of {inst.name!r} not found")
                    continue
                found.notes.append(SampleNote(
                    layer.path, relative(layer.path, root), key, layer_velocity(layer.lo, layer.hi), xml_path,
                    level=inst.level(layer), rate=2.0 ** (layer.pitch / 12)))
    found.warnings += map_warnings(user_map, considered)
    loose = _loose_samples(src, kits)
    if loose:
        shown = ", ".join(relative(f, root) for f in loose[:3]) + (" …" if len(loose) > 3 else "")
        found.warnings.append(f"{len(loose)} audio file(s) outside the kits' folders were not read "
                              f"({shown}): prepare a folder of one-shots on its own")
    return found


def files_key(inst: KitInstrument) -> int | None:
    """The GM key every sample file of `inst` names by `RULES` ('snare-opaque-shot1.flac' → 38),
    or None where one names none or they disagree."""
    keys = {gm_drum_key(layer.path.stem) for layer in inst.layers}
    return keys.pop() if len(keys) == 1 else None


def run_of_hits(what: str, name: str) -> str:
    """The notice for a sound left out because its name says it is a run of hits
    (`gm_drums.several_hits`), with the --map that takes it as hits of the piece its name names."""
    piece = gm_drum_piece(name)
    key = piece[0] if piece else "KEY"
    value = shlex.quote("{" + json.dumps(name, ensure_ascii=False) + f": {key}" + "}")
    return (f"{what} is a run of hits (a roll or a loop), not a one-shot: left out; "
            f"--map {value} takes its samples as single hits")


def map_example(name: str) -> str:
    """How to map `name`: a --map value a shell takes as one argument, its key left for the user
    to choose ('{"808": KEY}'), and the General MIDI drum keys most kits need (no key is
    suggested as if it were the right one: a cowbell mapped to the snare would train as a snare)."""
    value = shlex.quote("{" + json.dumps(name, ensure_ascii=False) + ": KEY}")
    return f"{value}, KEY its General MIDI drum key (36 kick, 38 snare, 42 closed hi-hat, 49 crash, …)"


def one_shot_notes(src: str | Path, user_map: dict[str, int] | None = None) -> SourceResult:
    """A folder of drum one-shots named by piece (kick_01.wav, snare-hard.wav, toms/low.wav): the
    key from the file name, else from it read with its folders' names (nearest first); the velocity from a
    dynamic or velocity mark in the name (`naming.velocity_marks`; a layer tag counted among its own
    piece's layers: `piece_velocities`), else pp for a ghost note (`GHOST`), else `DEFAULT_VELOCITY`.

    Raises:
        UserError: `src` is not a folder or holds no audio.
    """
    src, files = sample_folder(src)
    found = SourceResult("drumkit")
    named: list[tuple[Path, ParsedName]] = []
    considered: set[str] = set()
    names_of = {path: _file_names(path, src) for path in files}
    mapped = {path: any(mapped_key(n, user_map) is not None for n in names.given)
              for path, names in names_of.items()}
    folders = {path: _folder_key(path, src, user_map) for path in files}
    by_map = {path: mapped[path] or folders[path][0] is not None for path in files}
    takes, found.warnings = numbered_takes(files, src, names_of, by_map)
    for path in files:
        rel = relative(path, src)
        names, read = names_of[path]
        folder_key, folder_names = folders[path]
        considered.update(names, folder_names)
        if not by_map[path] and any(several_hits(n) for n in names):
            found.warnings.append(run_of_hits(str(path), path.stem))
            continue
        if path in takes:
            key = takes[path]
        elif folder_key is not None and not mapped[path]:
            key = folder_key
        else:
            key = _first_key(names, user_map, read)
        if key is None:
            found.fail(rel, f"{path}: no drum piece in its name (kick, snare, hat, tom, crash, ride, …); "
                       f"map it with --map {map_example(path.stem)}")
            continue
        try:
            velocity, layer = velocity_marks(path.stem)
        except NamingError as exc:
            found.fail(rel, f"{path}: {exc}")
            continue
        if velocity is None and layer is None and name_words(path.stem) & GHOST:
            velocity = DYNAMICS["pp"]
        named.append((path, ParsedName(key, velocity, layer)))
    named = ranked_toms(named, by_map, found.warnings)
    for (path, name), velocity in zip(named, piece_velocities([n for _, n in named]), strict=True):
        found.notes.append(SampleNote(path, relative(path, src), name.pitch, velocity, path))
    found.warnings += map_warnings(user_map, considered)
    return found


def ranked_toms(
    named: list[tuple[Path, ParsedName]], mapped: dict[Path, bool], notices: list[str],
) -> list[tuple[Path, ParsedName]]:
    """`named` (one-shots and what their names say) with the toms told apart only by their size in
    inches ('Tom 10in', 'Tom 12"') or by their note ('Tom G2', 'Tom D3'), each the plain tom (48) by
    the rules and so one piece, ranked by it: the smallest or highest the high tom, counting down as
    numbered toms do (50, 47, 45, 43, 41); a line added to `notices` says so. Toms the user's map
    placed (`mapped`) keep their keys; one size or note alone, more than five, or toms marked some
    by size and some by note change nothing."""
    marks = {path: mark for path, name in named
             if name.pitch == _PLAIN_TOM and not mapped[path] and (mark := _tom_mark(path.stem))}
    kinds = {kind for kind, _, _ in marks.values()}
    ranked = sorted({height for _, height, _ in marks.values()}, reverse=True)
    if len(kinds) != 1 or not 2 <= len(ranked) <= len(_TOMS_DOWN):
        return named
    key = dict(zip(ranked, _TOMS_DOWN, strict=False))
    kind = kinds.pop()
    said = ", ".join(dict.fromkeys(f"{text} {key[height]} ({piece_name(key[height])})"
                                   for _, height, text in sorted(marks.values(), key=lambda m: -m[1])))
    notices.append(f"toms named by their {kind}, read as numbered toms are, the "
                   f"{'smallest' if kind == 'size' else 'highest'} the high tom: {said}; "
                   "--map gives a file its own key")
    return [(path, replace(name, pitch=key[marks[path][1]]) if path in marks else name)
            for path, name in named]


def _tom_mark(stem: str) -> tuple[str, float, str] | None:
    """('size', minus the size in inches, '10 in') for 'Tom 10in'; ('notes', the MIDI note, 'G2') for
    'Tom G2'; else None. The height: higher is a higher tom."""
    size = _INCHES_RE.search(stem)
    if size:
        return "size", -int(size.group(1)), f"{int(size.group(1))} in"
    note = NOTE_WORD_RE.search(stem)
    if note:
        try:
            return "notes", note_number(note.group(0)), note.group(0)
        except NamingError:
            return None
    return None


class _FileNames(NamedTuple):
    """A one-shot's names, computed once for every rule that reads them: `given`, as written
    (`_names`, then the file's whole name, which a --map entry may give), and `read`, as the rules
    read them (each without a leading running number, `_INDEX_RE`)."""

    given: list[str]
    read: list[str]


def _file_names(path: Path, src: Path) -> _FileNames:
    return _FileNames([*_names(path, src, path.stem), path.name],
                      [*_names(path, src, path.stem, unindexed=True), _INDEX_RE.sub("", path.name)])


def _folder_key(path: Path, src: Path, user_map: dict[str, int] | None) -> tuple[int | None, list[str]]:
    """(The --map key of the nearest folder of `path` below `src` that the map names, by its name
    ('Perc') or its path from `src` ('Kits/Perc'), else None; the folder names looked up). A map
    entry on a folder gives every one-shot in it that key, unless the file's own names are mapped
    (`--map '{"Perc": 56}'` for 'Perc/Thing.wav' mapped nothing and the file failed)."""
    if not user_map:
        return None, []
    rel = path.relative_to(src).parent
    names = [n for folder in [rel, *rel.parents][:-1] for n in (folder.name, folder.as_posix())]
    names.append(src_name(src))  # SRC's own name, last: `--map '{"Perc": 56}'` for `prepare Perc OUT`
    return next((k for k in (mapped_key(n, user_map) for n in names) if k is not None), None), names


def src_name(src: Path) -> str:
    """The name of the folder `src` is ('Kicks' for 'Samples/Kicks' and for '.' inside it): a folder
    of one-shots given as SRC names their piece as a subfolder of it would ('' for the root)."""
    return src.resolve().name


def _names(path: Path, src: Path, stem: str, unindexed: bool = False) -> list[str]:
    """`stem` alone, then read with the names of `path`'s folders below `src`, nearest first, and
    last `src`'s own ('Kicks/01.wav' → '01', 'Kicks 01'; 'Deep.wav' in `prepare Kicks OUT` → 'Deep',
    'Kicks Deep'); `unindexed`: each without a leading running number (`_INDEX_RE`: '02 Crash' → 'Crash')."""
    folders = [*(p.name for p in path.relative_to(src).parents if p.name), *filter(None, [src_name(src)])]
    if unindexed:
        folders, stem = [_INDEX_RE.sub("", f) for f in folders], _INDEX_RE.sub("", stem)
    return [" ".join([*reversed(folders[:k]), stem]) for k in range(len(folders) + 1)]


def _first_key(
    names: list[str], user_map: dict[str, int] | None, read: list[str] | None = None,
) -> int | None:
    """The GM key of the first of `names` that names a piece (`gm_drum_key`: the user's map first,
    then the rules on `read`, the names as the rules read them, `names` by default), or None.
    Where that name says only the kind ('Hat 1', 'Tom', 'Cymbal'), a later one (with its folders'
    names) that names another piece of the kind gives it: 'Hats/Open/Hat 1.wav' is an open hat,
    'Toms/Floor/Tom.wav' a floor tom, 'Cymbals/Ride/Cymbal.wav' a ride (they were a closed hat, a
    hi-mid tom and a crash: the file's own name won)."""
    kind: int | None = None
    for name, rule_name in zip(names, read or names, strict=True):
        mapped = mapped_key(name, user_map)
        if mapped is not None:
            return mapped
        piece = gm_drum_piece(rule_name)
        if piece is None:
            continue
        key, specific = piece
        if kind is None and specific:
            return key
        if kind is None:
            kind = key
        elif key != kind and same_kind(key, kind):
            return key
    return kind


def numbered_takes(
    files: list[Path], src: Path, names_of: dict[Path, _FileNames], mapped: dict[Path, bool],
) -> tuple[dict[Path, int], list[str]]:
    """The keys of one-shots numbered as takes of one piece, and a notice for each such run.

    A number can name a piece ('Crash 2' is crash cymbal 2, 'Tom 1'…'Tom 5' count down the toms),
    but a folder's files numbered alike by their last number ('Crash_1' … 'Crash_4', 'Ride/1' …
    'Ride/3': round robins) whose numbers give two pieces or more and some piece twice are takes:
    their numbers name no piece, and each is read without its number (all crash cymbal 1; the
    numbers made Crash_2 alone crash cymbal 2). A run none of whose files the user's map names
    (`mapped`); `names_of`: each file's names (`_file_names`).
    """
    runs: dict[tuple[Path, str], list[tuple[Path, int, str]]] = {}
    for path in files:
        numbers = list(_NUMBER_RE.finditer(path.stem))
        if numbers:
            last = numbers[-1]
            template = path.stem[: last.start()] + "#" + path.stem[last.end():]
            plain = path.stem[: last.start()] + path.stem[last.end():]
            runs.setdefault((path.parent, template), []).append((path, int(last.group()), plain))
    keys: dict[Path, int] = {}
    notices = []
    for run in runs.values():
        if any(mapped[p] for p, _, _ in run):
            continue
        # the file's names as the rules read them, less its whole name
        by_number = {n: _first_key(names_of[p].read[:-1], None) for p, n, _ in run}
        pieces = set(by_number.values()) - {None}
        if len(pieces) < 2 or len(set(by_number.values())) == len(by_number):
            continue
        plain = [(p, n, _first_key(_names(p, src, bare, unindexed=True), None)) for p, n, bare in run]
        key = plain[0][2]
        if key is None or any(k != key for _, _, k in plain):
            continue
        keys.update((p, key) for p, _, _ in plain)
        first, *_, end = sorted(run, key=lambda r: r[1])
        said = ", ".join(f"{k} ({piece_name(k)})" for k in sorted(pieces))  # type: ignore[type-var]
        notices.append(f"{first[0]} … {end[0].name}: numbered {first[1]}–{end[1]}, takes of "
                       f"one piece (their numbers gave {said}): each read as {key} ({piece_name(key)}); "
                       "--map gives a file its own key")
    return keys, notices


def piece_velocities(names: list[ParsedName]) -> list[int]:
    """The velocity of each one-shot (`resolve_velocities`), its layer tag counted among its own
    piece's layers: a kick of 2 layers beside a snare of 8 plays its 'kick_v2' hard (95), not as
    the snare's layer 2 of 8 (24). A piece numbered 1..N without a gap is layered (`numbered_layers`)."""
    out = [0] * len(names)
    by_piece: dict[int, list[int]] = {}
    for k, n in enumerate(names):
        by_piece.setdefault(n.pitch, []).append(k)
    for at in by_piece.values():
        for k, velocity in zip(at, resolve_velocities(numbered_layers([names[k] for k in at])), strict=True):
            out[k] = velocity
    return out


def numbered_layers(names: list[ParsedName]) -> list[ParsedName]:
    """One piece's `names`, those numbered 1..N (or 0..N-1) without a gap read as N layers.

    A name's number is a velocity from 17 up ('v17', `naming.MAX_LAYER_TAG`) or after 'vel' ('Vel1'),
    a layer below: a 20-layer snare's 'snare_v1' … 'snare_v20' had its four hardest layers at
    velocities 17-20 under 'snare_v16' at 123, and 'Snare_Vel1' … 'Snare_Vel8' played at velocities
    1-8, near silence. A run from 1 (or 0) of every name of a piece is its layers' count, not MIDI
    velocities (no kit records hits at velocity 1, 2, 3, …); anything else is left as it is."""
    marks = [n.velocity if n.velocity is not None else n.layer for n in names]
    numbers = {m for m in marks if m is not None}
    low = min(numbers, default=-1)
    run = low in (0, 1) and len(numbers) > 1 and numbers == set(range(low, low + len(numbers)))
    if None in marks or not run or all(n.velocity is None for n in names):
        return names
    return [ParsedName(n.pitch, None, m) for n, m in zip(names, marks, strict=True)]


def map_warnings(user_map: dict[str, int] | None, considered: set[str]) -> list[str]:
    """Lines for --map entries that name nothing the bank holds (a typo: 'Paiste Bel') and for keys
    outside the General MIDI drum map (35–81: a drum MIDI file cannot reach them)."""
    seen = {n.strip().lower() for n in considered}
    lines = []
    for name, key in (user_map or {}).items():
        if name.strip().lower() not in seen:
            lines.append(f"--map: {name!r} names no instrument or file of the kit (a typo?); not used")
        elif key not in GM_DRUM_KEYS:
            lines.append(f"--map: {name!r} → {key} is not a General MIDI drum key "
                         f"({GM_DRUM_KEYS[0]}–{GM_DRUM_KEYS[-1]}): a drum MIDI file cannot play it")
    return lines
