"""Read a note's pitch and dynamic from a sample's file name.

Sample libraries name one file per note. With no configuration this understands:

* ``instrument_NOTE_duration_dynamic_articulation`` (``trumpet_A4_1_forte_normal.mp3``,
  the Philharmonia Orchestra samples), ``Instrument.dynamic.NOTE.stereo``
  (``Horn.ff.C4.stereo.aif``, the University of Iowa MIS), ``NOTE_velocity`` (``C4_100.wav``),
  ``NNN-pc`` (``030-F#.wav``, GrandOrgue pipes: a MIDI number, checked against the pitch class);
* note names with sharps or flats (``C#3``, ``Db3``, ``s`` for sharp as in ``As2``), in either
  octave convention: C4 = 60 by default, ``middle_c="C3"`` for libraries where middle C is C3;
* MIDI numbers (``048``, from `MIN_NAMED_MIDI`) when the name holds no note name;
* dynamics ``ppp`` … ``fff`` (a lone capital ``P`` or ``F`` only beside a note name and no other
  dynamic: ``Viola_A3_P``) and spelled out (``pianissimo`` … ``fortissimo``, ``mezzo-forte``,
  ``soft``, ``quiet``, ``loud``), mapped to velocities by `DYNAMICS`, also in brackets (``(ff)``,
  ``[ff]``) or with a take number glued on (``ff2``, ``soft1``: a dynamic of two letters or more;
  ``f2`` is the note F2, ``Piano2`` an instrument, ``mp3`` a format); velocity numbers
  (``vel100``, ``Vel_100``, ``vel-100``, ``Velocity 64``, or the number right after the note as
  in ``C4_100``, from `MIN_NUMBER_VELOCITY`: ``Piano_C4_1`` is a take) and velocity-layer tags
  (``v1`` … ``vN``, ``L1``, ``layer2``), layer 1 the softest;
* any other token (instrument, articulation, duration such as ``0.25s`` or ``025``, ``stereo``,
  ``normal``, ``arco``, round-robin tags) is ignored.

Names are split into tokens at ``_``, spaces, commas, semicolons, quotes and dots (not the dot of
a decimal number); a note or a mark in brackets is read (``(G3)``, ``[ff]``); a token
not understood whole is split again at ``-`` (``030-F#``, ``snare-hard``). Two different note
names, two different dynamics, or several bare numbers with no note name are ambiguous: the
name is rejected with the reason, and `--pattern` says what each part means instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conditioning import note_name

#: Velocity of each dynamic marking: MuseScore's default dynamic velocities (its `Dynamic` table:
#: ppp 16, pp 33, p 49, mp 64, mf 80, f 96, ff 112, fff 126; steps of about 16), the spelled-out
#: Italian names at the same values, and the words soft/medium/hard (and quiet, med, loud) read as
#: p/mf/f, their superlatives (softest, hardest: the Black Pearl's five layers) as pp/ff.
DYNAMICS: dict[str, int] = {
    "pppp": 10, "ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 126,
    "ffff": 127,
    "pianississimo": 16, "pianissimo": 33, "piano": 49, "mezzopiano": 64, "mezzoforte": 80,
    "forte": 96, "fortissimo": 112, "fortississimo": 126,
    "soft": 49, "quiet": 49, "medium": 80, "med": 80, "hard": 96, "loud": 96,
    "softest": 33, "quietest": 33, "hardest": 112, "loudest": 112,
}
#: Velocity of a file whose name says nothing about its dynamic: mezzo-forte.
DEFAULT_VELOCITY = DYNAMICS["mf"]
#: Dynamics that change during the note: such a file has no single velocity.
CHANGING_DYNAMICS = frozenset({"cresc", "crescendo", "decresc", "decrescendo", "dim", "diminuendo"})
#: The smallest bare number right after the note read as a velocity (`C4_100`, `C4_12`): below it
#: a number there is a take, round-robin or duration (`Piano_C4_1`, `C4_01`, Philharmonia's
#: `trumpet_A4_1_normal`), which read as velocity 1 made the model learn the note as near-silence.
MIN_NUMBER_VELOCITY = 10
#: The lowest bare number read as a MIDI note (C0, 16.4 Hz: the lowest pipe of a 32' organ stop):
#: below it a number in a name with no note name is a take or track ('take 7 final'), not a pitch.
MIN_NAMED_MIDI = 12
MIDDLE_C = ("C3", "C4", "C5")
#: The octave convention of names unless told otherwise: middle C (MIDI 60) is C4.
DEFAULT_MIDDLE_C = "C4"

_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP, _FLAT = ("#", "♯", "s"), ("b", "♭")
_NOTE = r"[A-Ga-g](?:#|♯|s|b|♭)?-?\d"
_NOTE_RE = re.compile(r"^([A-Ga-g])(#|♯|s|b|♭)?(-?\d)$")
_RANGE_RE = re.compile(rf"^{_NOTE}{_NOTE}$")  # 'C4B4': old Iowa MIS files hold several notes
_HINT_RE = re.compile(r"^[A-G](?:#|♯|s|b|♭)?$")  # a pitch class without octave, capital letter only
_VELOCITY_RE = re.compile(r"^(?:vel|velocity)(\d{1,3})$", re.IGNORECASE)
_VELOCITY_WORDS = ("vel", "velocity")  # a velocity word as its own token: the number after it is one
_BRACKETED_RE = re.compile(r"^[(\[]([^()\[\]]+)[)\]]$")  # '(ff)', '[ff]'
_MARK_KINDS = ("note", "dynamic", "velocity", "layer", "changing")
_TAKE_DYNAMIC_RE = re.compile(r"^([A-Za-z][A-Za-z-]+?)\d{1,2}$")  # 'ff2', 'soft1': a take glued on
#: Tokens that look like a dynamic with a take glued on but name a file format ('C4_ff.mp3.wav').
_FORMAT_WORDS = frozenset({"mp3", "mp4"})
_LAYER_RE = re.compile(r"^(?:v|l|vl|layer|dyn)(\d{1,2})$", re.IGNORECASE)
_V_NUMBER_RE = re.compile(r"^v(\d{1,3})$", re.IGNORECASE)
#: The most velocity layers a 'vN' tag counts (libraries ship 2-16); 'v50', 'v110' are velocities.
MAX_LAYER_TAG = 16
_NUMBER_RE = re.compile(r"^\d{1,3}$")
_THREE_DIGITS_RE = re.compile(r"(?<!\d)\d{3}(?!\d)")
_SPLIT_RE = re.compile(r"[_\s,;'\"‘’“”]+|(?<!\d)\.|\.(?!\d)")


class NamingError(ValueError):
    """A file name whose note cannot be read; the message gives the reason (without the path)."""


@dataclass(frozen=True)
class ParsedName:
    """What a file name says: MIDI pitch, and velocity or the velocity layer (either may be None:
    `resolve_velocities` turns layers into velocities and fills in `DEFAULT_VELOCITY`)."""

    pitch: int
    velocity: int | None = None
    layer: int | None = None
    dynamic: str | None = None  # the dynamic marking as written, for messages
    # the bare number right after the note, whatever it was read as (a bank-wide rule reads it
    # again: sources.named.numbered_takes); not part of what the name means on its own
    number: int | None = field(default=None, compare=False)


def note_number(token: str, middle_c: str = DEFAULT_MIDDLE_C) -> int:
    """'C#3', 'Db3', 'As2', 'C-1' → MIDI number, octaves counted so that `middle_c` is 60.

    Raises:
        NamingError: not a note name, or outside 0..127.
    """
    if middle_c not in MIDDLE_C:
        raise ValueError(f"middle_c must be one of {', '.join(MIDDLE_C)}, got {middle_c!r}")
    m = _NOTE_RE.match(token)
    if m is None:
        raise NamingError(f"{token!r} is not a note name (try C4, C#4, Db4 or As4)")
    letter, accidental, octave = m.groups()
    value = _pitch_class(letter, accidental) + 12 * (int(octave) + 1 + 4 - int(middle_c[1]))
    if not 0 <= value <= 127:
        raise NamingError(f"note {token} is outside the MIDI range 0..127 (middle C = {middle_c})")
    return value


def is_note_name(token: str) -> bool:
    """'C#3', 'Db3', 'As2': `token` is written as a note name (whether in the MIDI range or not)."""
    return _NOTE_RE.match(token) is not None


def _pitch_class(letter: str, accidental: str | None) -> int:
    shift = 1 if accidental in _SHARP else -1 if accidental in _FLAT else 0
    return _PITCH_CLASS[letter.upper()] + shift


def dynamic_velocity(word: str) -> int | None:
    """'ff', 'Forte', 'mezzo-piano' → velocity from `DYNAMICS`; None for any other word."""
    return DYNAMICS.get(word.lower().replace("-", ""))


@dataclass
class _Tokens:
    """The tokens of one name sorted by kind; `order` keeps each token's position."""

    notes: list[tuple[int, str]]
    numbers: list[tuple[int, int]]
    hints: list[str]
    dynamics: list[tuple[int, str]]
    velocities: list[int]
    layers: list[int]
    changing: list[str]
    ranges: list[str]


def tokens_of(stem: str) -> list[str]:
    """'Horn.ff.C4.stereo' → ['Horn', 'ff', 'C4', 'stereo'], 'cello, E3, "ff"' → ['cello', 'E3', 'ff'];
    '0.25s' stays one token."""
    return [t for t in _SPLIT_RE.split(stem) if t]


def _parts(stem: str) -> list[str]:
    """The tokens of `stem`, a note or mark in brackets unwrapped ('(ff)' → 'ff', '(G3)' → 'G3';
    '(2)', a copy or take number, stays a word), and a token not understood whole split at '-'."""
    parts = []
    for token in tokens_of(stem):
        m = _BRACKETED_RE.match(token)
        if m and _kind(m.group(1)) in _MARK_KINDS:
            token = m.group(1)
        parts += [token] if _kind(token) else [p for p in token.split("-") if p]
    return parts


def _classify(stem: str) -> _Tokens:
    found = _Tokens([], [], [], [], [], [], [], [])
    previous = ""
    parts = _parts(stem)
    for position, part in enumerate(parts):
        kind = _kind(part)
        if kind == "number" and previous.lower() in _VELOCITY_WORDS:
            found.velocities.append(int(part))  # 'Vel_100', 'vel-100', 'Velocity 64'
        elif kind == "note":
            found.notes.append((position, part))
        elif kind == "number":
            found.numbers.append((position, int(part)))
        elif kind == "hint":
            found.hints.append(part)
        elif kind == "dynamic":
            found.dynamics.append((position, _dynamic_word(part)))
        elif kind == "velocity":
            found.velocities.append(_tagged_velocity(part))
        elif kind == "layer":
            found.layers.append(int(_LAYER_RE.match(part).group(1)))  # type: ignore[union-attr]
        elif kind == "changing":
            found.changing.append(part)
        elif kind == "range":
            found.ranges.append(part)
        previous = part
    if found.notes and not (found.dynamics or found.velocities or found.layers):
        found.dynamics += _capital_dynamics(parts)
    return found


def _capital_dynamics(parts: list[str]) -> list[tuple[int, str]]:
    """The lone capital 'P' and 'F' of a name's `parts` (not its first word), as (position, 'p'/'f'):
    read as dynamics only where the name gives a note name and no other dynamic ('Viola_A3_P',
    'VLA C4 F'), since 'F' alone is a pitch class beside a MIDI number ('030-F') and a letter
    elsewhere; read as words they played at mf, unsaid."""
    return [(k, part.lower()) for k, part in enumerate(parts) if k and part in ("P", "F")]


def _dynamic_word(token: str) -> str:
    """The dynamic `token` writes: itself, or without the take number glued on ('ff2' → 'ff')."""
    if dynamic_velocity(token) is not None:
        return token
    m = _TAKE_DYNAMIC_RE.match(token)
    return m.group(1) if m else token


def _is_take_dynamic(token: str) -> bool:
    """'ff2', 'mp1', 'soft3': a dynamic of two letters or more with a take number glued on. Not
    'f2' (the note F2), 'Piano2' (an instrument far more often than piano, take 2) nor 'mp3'."""
    m = _TAKE_DYNAMIC_RE.match(token)
    if m is None or token.lower() in _FORMAT_WORDS or m.group(1).lower() == "piano":
        return False
    return dynamic_velocity(m.group(1)) is not None


def _tagged_velocity(token: str) -> int | None:
    """The velocity of 'vel100', 'velocity64', or of a 'vN' whose N is above MAX_LAYER_TAG ('v110';
    'v3' is a layer); None for other tokens."""
    m = _VELOCITY_RE.match(token)
    if m:
        return int(m.group(1))
    m = _V_NUMBER_RE.match(token)
    return int(m.group(1)) if m and int(m.group(1)) > MAX_LAYER_TAG else None


def _kind(token: str) -> str | None:
    if _NOTE_RE.match(token):
        return "note"
    if _NUMBER_RE.match(token):
        return "number"
    if _HINT_RE.match(token):
        return "hint"
    if token in ("f", "p") or (len(token) > 1 and dynamic_velocity(token) is not None):
        return "dynamic"  # a lone capital F or P is a pitch class or a letter, not a dynamic
    if _VELOCITY_RE.match(token) or _tagged_velocity(token) is not None:
        return "velocity"
    if _LAYER_RE.match(token):
        return "layer"
    if _is_take_dynamic(token):
        return "dynamic"
    if token.lower() in CHANGING_DYNAMICS:
        return "changing"
    if _RANGE_RE.match(token):
        return "range"
    return "word" if "-" not in token else None


def parse_name(stem: str, middle_c: str = DEFAULT_MIDDLE_C) -> ParsedName:
    """The note a file name (without its suffix) describes, by the rules in the module docstring.

    Raises:
        NamingError: no pitch, or an ambiguous or impossible one; the message gives the reason.
    """
    t = _classify(stem)
    if t.ranges:
        raise NamingError(f"{t.ranges[0]} names a range of notes: one file per note is needed")
    velocity, layer, dynamic = _marks(t)
    pitch, number_velocity = _pitch(t, middle_c, velocity is None and layer is None)
    if number_velocity is not None:
        velocity = _checked(number_velocity)
    after = [n for p, n in t.numbers if t.notes and p == t.notes[0][0] + 1]
    return ParsedName(pitch, velocity, layer, dynamic, number=after[0] if after else None)


def names_a_note(stem: str, middle_c: str = DEFAULT_MIDDLE_C) -> bool:
    """True when `parse_name` reads `stem` through a note name or a MIDI number written with three
    digits (``048``, ``030-F#``): a bare one- or two-digit number, such as an album's track number
    (``01 - Intro``), does not make a name a note's (used to tell named samples from other audio)."""
    try:
        parse_name(stem, middle_c)
    except NamingError:
        return False
    return bool(_classify(stem).notes) or _THREE_DIGITS_RE.search(stem) is not None


def velocity_marks(stem: str) -> tuple[int | None, int | None]:
    """(velocity, layer) a name gives when it names no pitch (a drum one-shot's 'snare-hard',
    'kick_v3'); either may be None, as in `parse_name`.

    Raises:
        NamingError: a changing dynamic, or two different dynamics or velocities.
    """
    velocity, layer, _ = _marks(_classify(stem))
    return velocity, layer


def _marks(t: _Tokens) -> tuple[int | None, int | None, str | None]:
    """(velocity, layer, dynamic as written): a velocity number wins over a dynamic, which wins
    over a layer tag."""
    if t.changing:
        raise NamingError(f"a changing dynamic ({t.changing[0]}) has no single velocity")
    if len(set(t.velocities)) > 1:
        raise NamingError(f"two velocities ({t.velocities[0]}, {t.velocities[1]})")
    dynamic, velocity = _dynamic(t)
    if t.velocities:
        velocity = _checked(t.velocities[0])
    layer = t.layers[0] if t.layers and velocity is None else None
    return velocity, layer, dynamic


def _checked(velocity: int) -> int:
    if not 1 <= velocity <= 127:
        raise NamingError(f"velocity {velocity} is outside 1..127")
    return velocity


def _dynamic(t: _Tokens) -> tuple[str | None, int | None]:
    """The one dynamic of a name; 'piano' as the first token names the instrument (Iowa `Piano.ff.C4`)."""
    marks = [(pos, word) for pos, word in t.dynamics if not (pos == 0 and word.lower() == "piano")]
    values = {dynamic_velocity(word) for _, word in marks}
    if len(values) > 1:
        raise NamingError(f"two dynamics ({marks[0][1]}, {marks[1][1]})")
    return (marks[0][1], values.pop()) if marks else (None, None)


def _pitch(t: _Tokens, middle_c: str, number_is_velocity: bool) -> tuple[int, int | None]:
    """(pitch, velocity read from a bare number or None)."""
    values = {note_number(tok, middle_c) for _, tok in t.notes}
    if len(values) > 1:
        raise NamingError(f"two note names ({t.notes[0][1]}, {t.notes[1][1]}): which one is the pitch?")
    if values:
        pos = t.notes[0][0]
        after = [n for p, n in t.numbers if p == pos + 1]
        if number_is_velocity and after and after[0] > 127:  # read as a take it played at 80, unsaid
            raise NamingError(f"{after[0]} after the note is no MIDI velocity (1..127); "
                              "use --pattern if it means something else")
        is_velocity = number_is_velocity and after and MIN_NUMBER_VELOCITY <= after[0] <= 127
        velocity = after[0] if is_velocity else None
        return values.pop(), velocity
    numbers = [n for _, n in t.numbers]
    if not numbers:
        raise NamingError("no note name or MIDI number in the name")
    if len(numbers) > 2 or (len(numbers) == 2 and not number_is_velocity):
        raise NamingError(f"several numbers ({', '.join(map(str, numbers))}) and no note name: "
                          "which is the pitch? (use --pattern)")
    pitch = numbers[0]
    if pitch > 127:
        raise NamingError(f"MIDI number {pitch} is outside 0..127")
    if pitch < MIN_NAMED_MIDI:
        raise NamingError(f"{pitch} read as a MIDI number would be {note_name(pitch)}, below any "
                          "instrument's note: a take or track number? Name the note (C4) or use --pattern")
    for hint in t.hints:
        if _pitch_class(hint[0], hint[1:]) % 12 != pitch % 12:
            raise NamingError(f"MIDI number {pitch} is {note_name(pitch)} but the name also says {hint}")
    return pitch, numbers[1] if len(numbers) == 2 else None


def layer_velocity(layer: int, layers: int) -> int:
    """Velocity of layer `layer` (1 = softest) of `layers` equal velocity ranges: the range's middle."""
    if not 1 <= layer <= layers:
        raise ValueError(f"layer {layer} is outside 1..{layers}")
    return min(127, max(1, round((layer - 0.5) * 127 / layers)))


def resolve_velocities(names: list[ParsedName]) -> list[int]:
    """Velocity of each name: its own, else its layer's (layers counted over all `names`, shifted
    to start at 1 when a library counts from 0), else `DEFAULT_VELOCITY`."""
    layers = [n.layer for n in names if n.velocity is None and n.layer is not None]
    low = min(layers, default=1)
    shift = 1 if low == 0 else 0
    top = max(layers, default=0) + shift
    out = []
    for n in names:
        if n.velocity is not None:
            out.append(n.velocity)
        elif n.layer is not None:
            out.append(layer_velocity(n.layer + shift, top))
        else:
            out.append(DEFAULT_VELOCITY)
    return out


_FIELDS = {
    "note": rf"(?P<note>{_NOTE})",
    "midi": r"(?P<midi>\d{1,3})",
    "velocity": r"(?P<velocity>\d{1,3})",
    "dynamic": r"(?P<dynamic>[A-Za-z][A-Za-z-]*?)",
    "layer": r"(?P<layer>[A-Za-z]*?\d+)",
}
_FIELD_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)?\}")


@dataclass(frozen=True)
class NamePattern:
    """A compiled `--pattern` template (see `compile_pattern`)."""

    template: str
    regex: re.Pattern[str]

    def parse(self, stem: str, middle_c: str = DEFAULT_MIDDLE_C) -> ParsedName:
        """The note `stem` describes under this template.

        Raises:
            NamingError: the name does not fit the template, or a field's value is impossible.
        """
        m = self.regex.fullmatch(stem)
        if m is None:
            raise NamingError(f"name does not fit the pattern {self.template!r}")
        fields = m.groupdict()
        if fields.get("note") is not None:
            pitch = note_number(fields["note"], middle_c)
        else:
            pitch = int(fields["midi"])
            if pitch > 127:
                raise NamingError(f"MIDI number {pitch} is outside 0..127")
        velocity = int(fields["velocity"]) if fields.get("velocity") is not None else None
        dynamic = fields.get("dynamic")
        if dynamic is not None:
            velocity = dynamic_velocity(dynamic)
            if velocity is None:
                raise NamingError(f"unknown dynamic {dynamic!r} (known: {', '.join(DYNAMICS)})")
        if velocity is not None and not 1 <= velocity <= 127:
            raise NamingError(f"velocity {velocity} is outside 1..127")
        layer = int(re.sub(r"\D", "", fields["layer"])) if fields.get("layer") is not None else None
        return ParsedName(pitch, velocity, layer, dynamic)


def compile_pattern(template: str) -> NamePattern:
    """Compile a file-name template (the name without its suffix) into a `NamePattern`.

    The template is literal text with fields in braces:

    * ``{note}`` a note name (C#3, Db3, As2; octaves by the `middle_c` convention);
    * ``{midi}`` a MIDI number; ``{velocity}`` a velocity number 1..127;
    * ``{dynamic}`` a dynamic from `DYNAMICS` (pp, ff, forte, mezzo-piano, …);
    * ``{layer}`` a velocity-layer number, letters before it allowed (3, v3, L3);
    * ``{_}`` or any other name (``{instrument}``, ``{articulation}``) matches anything, ignored.

    Example: ``"{instrument}_{note}_{_}_{dynamic}_{_}"`` reads ``trumpet_A4_1_forte_normal``.
    Exactly one of {note} and {midi} is required; the value fields may appear once each.

    Raises:
        ValueError: a template that breaks these rules.
    """
    parts, used, pos = [], set(), 0
    for m in _FIELD_RE.finditer(template):
        literal = template[pos:m.start()]
        if "{" in literal or "}" in literal:
            raise ValueError(f"pattern {template!r}: unbalanced or empty braces in {literal!r}")
        parts.append(re.escape(literal))
        name = m.group(1) or "_"
        if name in _FIELDS:
            if name in used:
                raise ValueError(f"pattern {template!r}: {{{name}}} appears twice")
            used.add(name)
            parts.append(_FIELDS[name])
        else:
            parts.append(r".*?")
        pos = m.end()
    tail = template[pos:]
    if "{" in tail or "}" in tail:
        raise ValueError(f"pattern {template!r}: unbalanced or empty braces in {tail!r}")
    parts.append(re.escape(tail))
    if len(used & {"note", "midi"}) != 1:
        raise ValueError(f"pattern {template!r} needs exactly one of {{note}} and {{midi}}")
    if len(used & {"velocity", "dynamic", "layer"}) > 1:
        raise ValueError(f"pattern {template!r}: use one of {{velocity}}, {{dynamic}} and {{layer}}")
    return NamePattern(template, re.compile("".join(parts), re.IGNORECASE))
