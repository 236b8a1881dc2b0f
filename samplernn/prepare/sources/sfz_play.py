"""How an SFZ player plays a region at the note `prepare` gives it: its level and its speed.

Sample libraries normalise their velocity layers and leave the dynamics to the player, so a
region's sample is prepared as the player sounds it at the note's key and velocity, not as
recorded. The semantics are the format's reference pages (sfzformat.com, its source
github.com/sfz/sfz.github.io at 599c8c9, 2024-12: docs/opcodes/*.md, data/sfz/syntax.yml) and,
where the pages leave a case open (amp_veltrack between 0 and 100 %, with amp_velcurve_N),
sfizz, the reference open-source player (github.com/sfztools/sfizz at 342cd99, 2024-03, src/sfizz/
RegionStateful.cpp `noteGain`, `velocityCurve`, `baseVolumedB`, `basePitchVariation`;
Region.cpp `getBaseGain`; Curve.cpp `buildFromVelcurvePoints`):

    level = 10^(dB / 20) × A × g(v)                                    (× amplitude)
      dB   = volume + global_volume + master_volume + group_volume
             + amp_keytrack × (key − amp_keycenter)                    (dB; sfizz baseVolumedB, noteGain)
      A    = amplitude × global_amplitude × master_amplitude × group_amplitude / 100^4   (% each)
      g(v) = 1 − t × (1 − c(v))  for t = amp_veltrack / 100 ≥ 0,  |t| × (1 − c(v))  for t < 0
      c(v) = (v / 127)²  (sfzformat amp_veltrack: "Gain(v) = 20 log10[(v/127)²] dB" at 100 %),
             or, where the region has amp_velcurve_N points, their linear interpolation over
             N = 0..127 (amp_velcurve_0 = 0 and amp_velcurve_127 = 1 unless given)
    rate  = 2^(shift / 12),  shift = transpose + tune / 100 + pitch_keytrack / 100 × (key − centre)
                                                                       (semitones)

with `v` the note's velocity (1..127), `key` the key it is played at and `centre` the region's
key centre (`pitch_keycenter`, else `key`, else 60: zero keytrack shift whenever the note is
played at its key centre). The note is labelled with the pitch that sounds, centre + shift
(`sfz.sounding_pitch`). Defaults: volume 0 dB, amplitude 100 %, amp_veltrack 100 %,
amp_keytrack 0 dB, amp_keycenter 60, transpose 0, tune 0 cents (`pitch` is ARIA's alias of
`tune`), pitch_keytrack 100 cents. Each opcode is inherited through <global>/<master>/<group>/
<region> as the parser merges them. Velocity crossfades (`xfin_lovel`, …) do not scale the
note: its velocity lies in its layer's full-level range (`sfz.velocity_range`). Not applied:
envelopes, LFOs, filters and EQ, `amp_random`/`pitch_random` (random per note), CC modulation,
key crossfades (`xfin_lokey`, …), and <control>'s `note_offset`/`octave_offset` (which keys
trigger a region, not how it sounds).
"""

from __future__ import annotations

import math
import re

from samplernn.prepare.naming import NamingError, note_number

#: Bounds on what a file says (larger numbers are typos, not sounds). The dB sum: sfzformat's
#: `volume` range is -144 to 6 dB, and players allow more, "Sfz.dll, Rapture and Dimension have
#: a +24 dB maximum" (sfzformat volume page).
MIN_VOLUME_DB = -144.0
MAX_VOLUME_DB = 24.0
#: `amplitude` and its global/master/group forms: 0 to 100 % (sfzformat; a negative value, which
#: ARIA takes as an inverted signal, counts by its size).
MAX_AMPLITUDE = 100.0
#: amp_veltrack: -100 to 100 % (sfzformat); amp_keytrack: -96 to 12 dB per key (sfzformat).
MAX_VELTRACK = 100.0
AMP_KEYTRACK = (-96.0, 12.0)
#: The whole pitch shift, in semitones: transpose (sfzformat: ±127), tune (±100 cents in SFZ v1,
#: ±2400 in ARIA and sfizz) and keytracking together. Four octaves: resampled further, a sample
#: keeps under 1/16 of its length or is stretched over 16×, which no instrument plays.
MAX_SHIFT = 48.0
SFZ_DEFAULT_KEYCENTER = 60  # sfzformat pitch_keycenter and amp_keycenter default

VOLUME_OPCODES = ("volume", "global_volume", "master_volume", "group_volume")
AMPLITUDE_OPCODES = ("amplitude", "global_amplitude", "master_amplitude", "group_amplitude")
_VELCURVE_RE = re.compile(r"amp_velcurve_(\d+)")


def key_number(value: str | None) -> int | None:
    """An SFZ key value: a MIDI number or a note name (C4 = 60); None if absent.

    Raises:
        NamingError: neither.
    """
    if value is None:
        return None
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    return note_number(value, "C4")


def _value(ops: dict[str, str], name: str) -> float | None:
    """Opcode `name` as a finite number; None when absent or unreadable."""
    try:
        value = float(ops[name])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _number(ops: dict[str, str], name: str, default: float, lo: float, hi: float) -> float:
    """Opcode `name` within lo..hi; `default` when absent or unreadable."""
    value = _value(ops, name)
    return default if value is None else min(hi, max(lo, value))


def velocity_curve(ops: dict[str, str], velocity: int) -> float:
    """c(v), 0..1: the region's amp_velcurve_N points linearly interpolated at `velocity`
    (amp_velcurve_0 = 0, amp_velcurve_127 = 1 unless given), or (v/127)² without points."""
    points: dict[int, float] = {}
    for name in ops:
        m = _VELCURVE_RE.fullmatch(name)
        value = _value(ops, name) if m else None
        if m and value is not None and int(m.group(1)) <= 127:
            points[int(m.group(1))] = min(1.0, max(0.0, value))
    v = min(127, max(0, velocity))
    if not points:
        return (v / 127) ** 2
    points = {0: 0.0, 127: 1.0, **points}
    below = max(n for n in points if n <= v)
    above = min(n for n in points if n >= v)
    if above == below:
        return points[v]
    return points[below] + (points[above] - points[below]) * (v - below) / (above - below)


def velocity_gain(ops: dict[str, str], velocity: int) -> float:
    """g(v), × amplitude 0..1, at which the player plays the region at `velocity` (1..127):
    amp_veltrack (%) blends 1 (no tracking) and the velocity curve (module docstring)."""
    track = _number(ops, "amp_veltrack", MAX_VELTRACK, -MAX_VELTRACK, MAX_VELTRACK) / 100
    fall = 1.0 - velocity_curve(ops, velocity)
    return 1.0 - track * fall if track >= 0 else -track * fall


def region_level(ops: dict[str, str], key: int, velocity: int) -> float:
    """× amplitude at which the player plays the region at MIDI `key` and `velocity` (1..127):
    its volumes (dB), amplitudes (%), amplifier keytracking and velocity gain (module docstring)."""
    db = sum(_number(ops, name, 0.0, MIN_VOLUME_DB, MAX_VOLUME_DB) for name in VOLUME_OPCODES)
    try:
        centre = key_number(ops.get("amp_keycenter"))
    except NamingError:
        centre = None
    keytrack = _number(ops, "amp_keytrack", 0.0, *AMP_KEYTRACK)
    db += keytrack * (key - (SFZ_DEFAULT_KEYCENTER if centre is None else centre))
    level = 10 ** (min(MAX_VOLUME_DB, max(MIN_VOLUME_DB, db)) / 20)
    for name in AMPLITUDE_OPCODES:
        level *= min(MAX_AMPLITUDE, abs(_number(ops, name, 100.0, -math.inf, math.inf))) / 100
    return level * velocity_gain(ops, velocity)


def region_shift(ops: dict[str, str], key: int, centre: int) -> float:
    """Semitones the player shifts the region's sample by at MIDI `key`, its key centre being
    `centre`: transpose + tune (cents; ARIA's `pitch` where no `tune`) + pitch_keytrack (cents per
    key) × (key − centre), within ±MAX_SHIFT."""
    tune = _value(ops, "tune")
    if tune is None:
        tune = _value(ops, "pitch") or 0.0
    keytrack = _number(ops, "pitch_keytrack", 100.0, -1200.0, 1200.0)
    shift = _number(ops, "transpose", 0.0, -127.0, 127.0) + tune / 100 + keytrack / 100 * (key - centre)
    return min(MAX_SHIFT, max(-MAX_SHIFT, shift))


def region_rate(ops: dict[str, str], key: int, centre: int) -> float:
    """Speed (× the recording's) at which the player plays the region at MIDI `key`:
    2^(region_shift / 12)."""
    return 2.0 ** (region_shift(ops, key, centre) / 12)
