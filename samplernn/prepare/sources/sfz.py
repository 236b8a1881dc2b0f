"""The *sfz* layout: an SFZ instrument; each region's sample becomes one note.

    Sax/
        Programs/sax.sfz      <control> default_path=../Samples/  <group> lovel=64 hivel=127
                              <region> sample=alto\\db2_f_rr1.wav lokey=49 hikey=49 pitch_keycenter=49
        Samples/alto/db2_f_rr1.wav

A region is played at its key centre: its `pitch_keycenter` (note names allowed, `sample` = the
file's own root key), else `key`, else its `lokey` when the region is one key wide, else 60
(SFZ's default key centre). Its note is labelled with the pitch that sounds there: the key centre
shifted by `transpose`/`tune` (`sounding_pitch`). Its velocity is the middle of its velocity
range: `lovel`..`hivel` (1..127), narrowed by `xfin_lovel`/`xfout_hivel` where a layer is defined
by crossfades. A sample used by several regions, or by several instruments of a folder (read in
natural order), is one note: its first region's. Skipped: release-trigger regions (key-up
noises), regions no key plays (`hikey=-1`; `lokey` above `hikey` with a notice), and generated
sounds (`*sine`). A malformed header is a failure (`sfz_parser`). SFZ counts middle C as C4 = 60.

A region's sample is prepared as an SFZ player plays it at that key and velocity (`sfz_play`):
× its level (`volume`, `amplitude`, the velocity curve by `amp_veltrack`/`amp_velcurve_N`,
`amp_keytrack`) and resampled by its pitch shift (`transpose`, `tune`, `pitch_keytrack`).
Libraries normalise their velocity layers and leave the dynamics to that scaling: taken as
recorded, a soft layer would be as loud as a hard one.

`src` is a .sfz file or a folder: then every .sfz file under it that no other one includes.
`detect.source_notes` then checks each note's pitch as prepared, as the named layout's
(`named.verify_pitches`): a wrong key centre fails its note unless --trust-names.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.prepare.naming import NamingError
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative, scan_samples
from samplernn.prepare.sources.root_key import read_root_key
from samplernn.prepare.sources.sfz_parser import SfzRegion, parse_sfz
from samplernn.prepare.sources.sfz_play import SFZ_DEFAULT_KEYCENTER, key_number, region_level, region_shift


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


def region_key(region: SfzRegion, centre: int | None) -> int:
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


def sounding_pitch(centre: int, shift: float) -> int:
    """The MIDI pitch a region's sample sounds at when the player shifts it `shift` semitones
    (`sfz_play.region_shift`) from its key centre `centre`: centre + shift, to the nearest key (a
    half semitone rounds up). SFZ's model of a sample is that it sounds at its key centre when
    played unshifted (sfzformat pitch_keycenter), and `transpose` (semitones) and `tune` (cents)
    shift every key of the region from there, the key centre's own included (sfzformat transpose,
    tune): `key=48 transpose=12` sounds C4 (60) at key C3."""
    return math.floor(centre + shift + 0.5)


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


def _skip(region: SfzRegion) -> str | None:
    """Why prepare passes the region over, or None to take it. Quiet (""): no sample or a generated
    one (`*sine`), a release trigger, `hikey`/`lokey` -1 (SFZ's "no key"; a region for CC triggers).
    Said: a key range no key lies in (`lokey` above `hikey`, a typo a player silently never plays)."""
    ops = region.opcodes
    sample = ops.get("sample", "")
    if not sample or sample.startswith("*") or ops.get("trigger", "attack") in ("release", "release_key"):
        return ""
    try:  # `key` sets lokey and hikey (sfzformat); 0..127 when neither is given
        lo = key_number(ops.get("lokey", ops.get("key", "0")))
        hi = key_number(ops.get("hikey", ops.get("key", "127")))
    except NamingError:
        return None  # a bad key value: _add_region fails the region with the reason
    if lo is None or hi is None or lo <= hi:
        return None
    if lo < 0 or hi < 0:
        return ""
    return (f"{region.file}:{region.line}: region skipped: no key plays it (lokey {lo} is above hikey {hi}), "
            f"sample '{sample}'")


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
    """The instruments in `src`: the file itself, or the .sfz files under it that none includes
    (hidden ones skipped: a zip made on a Mac holds a `._name.sfz` of binary metadata per file)."""
    if src.is_file():
        return [src]
    found = scan_samples(src, (".sfz",))
    included = {inc for p in found for inc in parse_sfz(p).includes}
    return [p for p in found if p.resolve() not in included]


def sfz_notes(src: str | Path, as_recorded: bool = False) -> SourceResult:
    """One note per sample of the SFZ instrument(s) at `src`, at the pitch it sounds as the player
    plays it (`as_recorded`: as recorded, at its key centre; `note_pitch`); missing samples, bad key
    values and malformed headers are failures with the reason; text the reader skipped and regions
    with an inverted key range are warnings, once per file.

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
        for file, line, message in doc.errors:
            found.fail(f"{relative(file, root)}:{line}", f"{file}:{line}: {message}")
        skipped = []
        for region in doc.regions:
            why = _skip(region)
            if why is None:
                _add_region(region, path, root, resolver, uses, found, as_recorded)
            elif why:
                skipped.append(why)
        if skipped:
            more = f" (and {len(skipped) - 1} more such regions)" if len(skipped) > 1 else ""
            found.warnings.append(f"{skipped[0]}{more}")
    # Samples often sit beside the .sfz folder (../Samples): name them from the common folder
    base = Path(os.path.commonpath([str(root.resolve()), *(str(s.parent) for s in uses)]))
    for sample, use in uses.items():
        found.notes.append(SampleNote(sample, relative(sample, base), use.pitch, use.velocity,
                                      use.region.file, level=use.level, rate=use.rate,
                                      origin=f"{use.region.file}:{use.region.line}"))
    return found


def _add_region(
    region: SfzRegion, sfz: Path, root: Path, resolver: _Resolver, uses: dict[Path, _Use],
    found: SourceResult, as_recorded: bool = False,
) -> None:
    name = region.opcodes["sample"]
    where = f"{region.file}:{region.line}"
    sample = resolver.find(sfz.parent / region.default_path, name)
    if sample is None:
        found.fail(f"{relative(region.file, root)}:{region.line}",
                   f"{where}: sample '{name}' not found (looked in {sfz.parent / region.default_path})")
        return
    if sample in uses:
        return
    place = f"{relative(region.file, root)}:{region.line}"
    try:
        centre = key_centre(region, sample)
        key = region_key(region, centre)
    except NamingError as exc:
        found.fail(place, f"{where}: {exc}")
        return
    if not 0 <= key <= 127:
        found.fail(place, f"{where}: key {key} is outside 0..127")
        return
    lo, hi = velocity_range(region)
    velocity = round((lo + hi) / 2)
    level = region_level(region.opcodes, key, velocity)
    if level <= 0:
        found.fail(place, f"{where}: the region plays silent at velocity {velocity} (its amplitude or "
                          "amp_veltrack/amp_velcurve_N make it 0)")
        return
    centre = SFZ_DEFAULT_KEYCENTER if centre is None else centre
    shift = 0.0 if as_recorded else region_shift(region.opcodes, key, centre)
    pitch = sounding_pitch(centre, shift)
    if not 0 <= pitch <= 127:
        found.fail(place, f"{where}: key {key} sounds at MIDI {pitch} (key centre {centre} shifted "
                          f"{shift:+g} semitones by transpose/tune/pitch_keytrack), outside 0..127")
        return
    uses[sample] = _Use(pitch, velocity, region, 1.0 if as_recorded else level, 2.0 ** (shift / 12))
