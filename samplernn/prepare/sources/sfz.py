"""The *sfz* layout: an SFZ instrument; each region's sample becomes one note.

    Sax/
        Programs/sax.sfz      <control> default_path=../Samples/  <group> lovel=64 hivel=127
                              <region> sample=alto\\db2_f_rr1.wav lokey=49 hikey=49 pitch_keycenter=49
        Samples/alto/db2_f_rr1.wav

A region's pitch is its `pitch_keycenter` (note names allowed, `sample` = the file's own root
key), else `key`, else its `lokey` when the region is one key wide, else 60 (SFZ's default key
centre). Its velocity is the middle of its velocity range: `lovel`..`hivel` (1..127), narrowed
by `xfin_lovel`/`xfout_hivel` where a layer is defined by crossfades. A sample used by several
regions, or by several instruments of a folder (read in natural order), is one note: its first
region's. Skipped: release-trigger regions (key-up noises), regions no key plays (`hikey=-1`),
and generated sounds (`*sine`). SFZ counts middle C as C4 = 60.

A region's sample is prepared as an SFZ player plays it at that key and velocity (`sfz_play`):
× its level (`volume`, `amplitude`, the velocity curve by `amp_veltrack`/`amp_velcurve_N`,
`amp_keytrack`) and resampled by its pitch shift (`transpose`, `tune`, `pitch_keytrack`).
Libraries normalise their velocity layers and leave the dynamics to that scaling: taken as
recorded, a soft layer would be as loud as a hard one.

`src` is a .sfz file or a folder: then every .sfz file under it that no other one includes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from natsort import natsorted, ns

from samplernn.common.errors import UserError
from samplernn.prepare.naming import NamingError
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative
from samplernn.prepare.sources.root_key import read_root_key
from samplernn.prepare.sources.sfz_parser import SfzRegion, parse_sfz
from samplernn.prepare.sources.sfz_play import SFZ_DEFAULT_KEYCENTER, key_number, region_level, region_rate


@dataclass
class _Use:
    """A sample's note as its first region says: pitch and velocity (MIDI), the region, and the
    level (× amplitude) and rate (× speed) the player plays it at (`sfz_play`)."""

    pitch: int
    velocity: int
    region: SfzRegion
    level: float = 1.0
    rate: float = 1.0


def key_centre(region: SfzRegion, sample: Path) -> int | None:
    """The key at which the player plays the region's sample unshifted, where the region says:
    `pitch_keycenter` (`sample`: the file's root key, else 60), else `key`; None if neither.

    Raises:
        NamingError: an unreadable key value.
    """
    ops = region.opcodes
    centre = ops.get("pitch_keycenter")
    if centre is not None and centre.strip().lower() == "sample":
        root = read_root_key(sample)
        return root.pitch if root else SFZ_DEFAULT_KEYCENTER
    for value in (centre, ops.get("key")):
        key = key_number(value)
        if key is not None:
            return key
    return None


def region_pitch(region: SfzRegion, centre: int | None) -> int:
    """The key prepare plays the region at (see the module docstring): its key centre
    (`key_centre`), else its `lokey` when one key wide, else 60.

    Raises:
        NamingError: an unreadable key value.
    """
    if centre is not None:
        return centre
    lo, hi = key_number(region.opcodes.get("lokey")), key_number(region.opcodes.get("hikey"))
    if lo is not None and lo == hi:
        return lo
    return SFZ_DEFAULT_KEYCENTER


def velocity_range(region: SfzRegion) -> tuple[int, int]:
    """(lowest, highest) velocity that plays the region at full level."""
    ops = region.opcodes

    def number(name: str, default: int) -> int:
        try:
            return int(float(ops.get(name, default)))
        except ValueError:
            return default

    lo = max(number("lovel", 1), number("xfin_lovel", 1), 1)
    hi = min(number("hivel", 127), number("xfout_hivel", 127), 127)
    return (lo, hi) if lo <= hi else (number("lovel", 1), number("hivel", 127))


def _skip(region: SfzRegion) -> bool:
    ops = region.opcodes
    sample = ops.get("sample", "")
    hikey = ops.get("hikey", "")
    return (not sample or sample.startswith("*") or ops.get("trigger", "attack") in ("release", "release_key")
            or hikey.strip() == "-1")


class _Resolver:
    """Sample paths as SFZ writes them (backslashes, Windows's case-blindness) → files on disk."""

    def __init__(self) -> None:
        self._listings: dict[Path, dict[str, str]] = {}

    def find(self, base: Path, name: str) -> Path | None:
        path = base
        for part in Path(name.replace("\\", "/")).parts:
            exact = path / part
            if exact.exists() or part in ("..", "."):
                path = exact
                continue
            listing = self._listings.get(path)
            if listing is None:
                try:
                    listing = {p.lower(): p for p in os.listdir(path)}
                except OSError:
                    return None
                self._listings[path] = listing
            match = listing.get(part.lower())
            if match is None:
                return None
            path = path / match
        return path.resolve() if path.is_file() else None


def sfz_files(src: Path) -> list[Path]:
    """The instruments in `src`: the file itself, or the .sfz files under it that none includes."""
    if src.is_file():
        return [src]
    found = natsorted((p for p in src.rglob("*") if p.suffix.lower() == ".sfz" and p.is_file()), alg=ns.PATH)
    included = {inc for p in found for inc in parse_sfz(p).includes}
    return [p for p in found if p.resolve() not in included]


def sfz_notes(src: str | Path) -> SourceResult:
    """One note per sample of the SFZ instrument(s) at `src`; missing samples and bad key values are
    failures with the reason; text the reader skipped is a warning, once per file.

    Raises:
        UserError: no .sfz file, or one that cannot be read.
    """
    src = Path(src)
    files = sfz_files(src) if src.exists() else []
    if not files:
        raise UserError(f"{src}: no .sfz instrument found")
    root = src.parent if src.is_file() else src
    found, resolver = SourceResult("sfz"), _Resolver()
    uses: dict[Path, _Use] = {}
    for path in files:
        try:
            doc = parse_sfz(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: unreadable SFZ file ({exc})") from None
        if doc.problems:
            more = f" (and {len(doc.problems) - 1} more such places)" if len(doc.problems) > 1 else ""
            found.warnings.append(f"{doc.problems[0]}{more}; the rest of the file was read")
        for region in doc.regions:
            if not _skip(region):
                _add_region(region, path, root, resolver, uses, found)
    # Samples often sit beside the .sfz folder (../Samples): name them from the common folder
    base = Path(os.path.commonpath([str(root.resolve()), *(str(s.parent) for s in uses)]))
    for sample, use in uses.items():
        found.notes.append(SampleNote(sample, relative(sample, base), use.pitch, use.velocity,
                                      use.region.file, level=use.level, rate=use.rate))
    return found


def _add_region(
    region: SfzRegion, sfz: Path, root: Path, resolver: _Resolver, uses: dict[Path, _Use], found: SourceResult
) -> None:
    name = region.opcodes["sample"]
    where = f"{region.file}:{region.line}"
    sample = resolver.find(sfz.parent / region.default_path, name)
    if sample is None:
        found.fail(f"{relative(region.file, root)}:{region.line}",
                   f"{where}: sample {name!r} not found (looked in {sfz.parent / region.default_path})")
        return
    if sample in uses:
        return
    place = f"{relative(region.file, root)}:{region.line}"
    try:
        centre = key_centre(region, sample)
        pitch = region_pitch(region, centre)
    except NamingError as exc:
        found.fail(place, f"{where}: {exc}")
        return
    if not 0 <= pitch <= 127:
        found.fail(place, f"{where}: key {pitch} is outside 0..127")
        return
    lo, hi = velocity_range(region)
    velocity = round((lo + hi) / 2)
    level = region_level(region.opcodes, pitch, velocity)
    if level <= 0:
        found.fail(place, f"{where}: the region plays silent at velocity {velocity} (its amplitude or "
                          "amp_veltrack/amp_velcurve_N make it 0)")
        return
    rate = region_rate(region.opcodes, pitch, SFZ_DEFAULT_KEYCENTER if centre is None else centre)
    uses[sample] = _Use(pitch, velocity, region, level, rate)
