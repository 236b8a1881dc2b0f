"""General MIDI drum keys for drum-piece names ("Kick", "Hi-Hat Closed", "Tom Low", "snare-hard").

The keys are the General MIDI Level 1 percussion map (channel 10). A name is lower-cased and cut
into words at anything that is not a letter or digit and at letter/digit boundaries ("Snare1" →
snare, 1); neighbouring words are also tried joined ("hi hat" → hihat, "bass drum" → bassdrum),
and a piece word run together with another is split off ("tomhi" → tom, hi; "closedhh" → closed,
hh); numbers lose their leading zeros ("Tom 02" → tom, 2). The first rule of
`RULES` whose every word set meets the name's words gives the key, so the more specific rules
come first (pedal and open hats before plain hats, ride bell before ride, rimshot before snare).
Names that fit none are left to the user's map. A name that says the sound is a run of hits
(`SEVERAL_HITS`: 'Snare Roll', 'Hat Loop') names no one-shot: the layouts leave it out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from samplernn.common.errors import UsageError, UserError

_HAT = frozenset({"hat", "hats", "hihat", "hh", "hhat"})
_TOM = frozenset({"tom", "toms", "tomtom"})
_CRASH = frozenset({"crash"})
_RIDE = frozenset({"ride"})
_LOW = frozenset({"lo", "low"})

#: (GM key, what it is, word sets that must each share a word with the name), most specific first.
RULES: tuple[tuple[int, str, tuple[frozenset[str], ...]], ...] = (
    (44, "pedal hi-hat", (_HAT, frozenset({"pedal", "foot", "pd", "ped"}))),
    # a 'free', 'loose' or 'ring' hat rings open (BJA_Pacific's 'Hi Hat Free' rings 2.8 s, its
    # 'Opened' 0.5 s; ElectricEmpireKit's 'Hat Ring 1/2')
    (46, "open hi-hat", (_HAT, frozenset({"open", "opened", "op", "oh", "semiopen", "semi", "half",
                                          "swish", "free", "loose", "ring", "ringing"}))),
    (46, "open hi-hat", (frozenset({"ohh", "openhat"}),)),
    # a hat said to be closed names its piece, as an open one does (a folder 'Open/' cannot reopen it)
    (42, "closed hi-hat", (_HAT, frozenset({"closed", "close"}))),
    (42, "closed hi-hat", (_HAT,)),
    (42, "closed hi-hat", (frozenset({"chh", "closedhat"}),)),
    (53, "ride bell", (_RIDE | _CRASH, frozenset({"bell", "cup"}))),
    (53, "ride bell", (frozenset({"ridebell", "ridecup"}),)),
    (52, "chinese cymbal", (frozenset({"china", "chinese"}),)),
    (55, "splash cymbal", (frozenset({"splash"}),)),
    # a crash/ride played on its bow rides ('Crash/Ride Bow'; its bell is the ride bell above)
    (51, "ride cymbal 1", (_CRASH | {"cymbal", "cym"}, frozenset({"bow"}))),
    (57, "crash cymbal 2", (_CRASH | {"cymbal", "cym"}, frozenset({"2", "right", "r"}))),
    (49, "crash cymbal 1", (_CRASH,)),
    (59, "ride cymbal 2", (_RIDE, frozenset({"2", "right", "r"}))),
    (51, "ride cymbal 1", (_RIDE,)),
    (49, "crash cymbal 1", (frozenset({"cymbal", "cym"}),)),
    (56, "cowbell", (frozenset({"cowbell"}),)),
    (54, "tambourine", (frozenset({"tambourine", "tamb", "tambo", "tamborine"}),)),
    (40, "electric snare (rimshot)", (frozenset({"rimshot"}),)),
    (37, "side stick", (frozenset({"stick", "sidestick", "rimclick", "rim", "xstick"}),)),
    (38, "acoustic snare", (frozenset({"snare", "sd", "snr", "sn"}),)),
    (39, "hand clap", (frozenset({"clap", "claps", "handclap"}),)),
    (36, "bass drum", (frozenset({"kick", "kik", "bd", "bassdrum", "kickdrum"}),)),
    (43, "high floor tom", (frozenset({"floor", "floortom"}), frozenset({"hi", "high"}))),
    (41, "low floor tom", (frozenset({"floor", "floortom"}),)),
    (45, "low tom", (_TOM, _LOW)),
    (47, "low-mid tom", (_TOM, frozenset({"mid", "middle"}))),
    (50, "high tom", (_TOM, frozenset({"hi", "high"}))),
    (50, "high tom", (_TOM, frozenset({"1"}))),  # numbered toms count down from the highest
    (47, "low-mid tom", (_TOM, frozenset({"2"}))),
    (45, "low tom", (_TOM, frozenset({"3"}))),
    (43, "high floor tom", (_TOM, frozenset({"4"}))),
    (41, "low floor tom", (_TOM, frozenset({"5"}))),
    (48, "hi-mid tom", (_TOM,)),
    # 'OH' alone is an open hat; beside a piece ('Kick OH', 'Snare OH') it is the overhead mic
    (46, "open hi-hat", (frozenset({"oh"}),)),
    # a pair numbered 1, 2 counts down, as toms do (ElectricEmpireKit's 'Conga 1', 'Conga 2')
    (61, "low bongo", (frozenset({"bongo", "bongos"}), _LOW | {"2"})),
    (60, "high bongo", (frozenset({"bongo", "bongos"}),)),
    (64, "low conga", (frozenset({"conga", "congas"}), _LOW | {"2"})),
    (63, "open high conga", (frozenset({"conga", "congas"}),)),
    (66, "low timbale", (frozenset({"timbale", "timbales"}), _LOW | {"2"})),
    (65, "high timbale", (frozenset({"timbale", "timbales"}),)),
    (68, "low agogo", (frozenset({"agogo"}), _LOW)),
    (67, "high agogo", (frozenset({"agogo"}),)),
    (69, "cabasa", (frozenset({"cabasa"}),)),
    (70, "maracas", (frozenset({"maraca", "maracas", "shaker"}),)),
    (72, "long whistle", (frozenset({"whistle"}), frozenset({"long"}))),
    (71, "short whistle", (frozenset({"whistle"}),)),
    (74, "long guiro", (frozenset({"guiro"}), frozenset({"long"}))),
    (73, "short guiro", (frozenset({"guiro"}),)),
    (75, "claves", (frozenset({"clave", "claves"}),)),
    (77, "low wood block", (frozenset({"woodblock", "block"}), _LOW)),
    (76, "high wood block", (frozenset({"woodblock", "block"}),)),
    (78, "mute cuica", (frozenset({"cuica"}), frozenset({"mute", "muted"}))),
    (79, "open cuica", (frozenset({"cuica"}),)),
    (80, "mute triangle", (frozenset({"triangle"}), frozenset({"mute", "muted"}))),
    (81, "open triangle", (frozenset({"triangle"}),)),
    (58, "vibraslap", (frozenset({"vibraslap"}),)),
    # Roland TR-808/909 panel abbreviations, as their sample packs name files ('808 CH.wav', '909 CP
    # 02.wav'; BD, SD and OH above); last, so that a name's own words win ('Kick CH1' is a kick).
    # The congas and toms as Roland's GS TR-808 set lays them out: low, mid, high
    (42, "closed hi-hat", (frozenset({"ch"}),)),
    (39, "hand clap", (frozenset({"cp"}),)),
    (37, "side stick", (frozenset({"rs"}),)),
    (56, "cowbell", (frozenset({"cb"}),)),
    (49, "crash cymbal 1", (frozenset({"cy"}),)),
    (45, "low tom", (frozenset({"lt"}),)),
    (47, "low-mid tom", (frozenset({"mt"}),)),
    (50, "high tom", (frozenset({"ht"}),)),
    (64, "low conga", (frozenset({"lc"}),)),
    (63, "open high conga", (frozenset({"mc"}),)),
    (62, "mute high conga", (frozenset({"hc"}),)),
    (70, "maracas", (frozenset({"ma"}),)),
    (75, "claves", (frozenset({"cl"}),)),
)

_WORD_RE = re.compile(r"[a-z]+|\d+")
#: A note name standing as a word ('Tom G2', 'Crash_C#2', 'Kick C1'): a tuned hit's pitch, whose
#: octave numbers no piece (it made 'Tom G2' tom 2, the low-mid tom, above 'Tom D3', tom 3).
NOTE_WORD_RE = re.compile(r"(?<![a-z0-9])([a-g](?:#|♯|s|b|♭)?)-?\d(?![a-z0-9])", re.IGNORECASE)
_PREFIXES = ("hihat", "hat", "hh", "tom", "kick", "snare", "ride", "crash")  # 'tomhi' → tom, hi
# 'closedhh' → closed, hh; not 'hat' or 'tom' at a word's end: 'Phat Kick', 'Phantom'
_SUFFIXES = ("hihat", "hh")


def name_words(name: str) -> set[str]:
    """'Hi-Hat Closed (Paiste 14")' → {'hi', 'hat', 'hihat', 'closed', ...}: words (numbers without
    leading zeros; a note name's octave left out, `NOTE_WORD_RE`: 'Tom G2' → tom, g), joined pairs,
    plurals also singular ('cymbals' → 'cymbal', 'splashes' → 'splash'), and a piece word split off
    the front or the end of a run-together word ('tomhi', 'ridecup', 'closedhh')."""
    name = NOTE_WORD_RE.sub(r"\1", name.lower())  # 'Tom G2' → tom, g: a note's octave is no number
    words = [str(int(w)) if w.isdigit() else w for w in _WORD_RE.findall(name)]  # 'Tom 02' → 2
    out = set(words) | {a + b for a, b in zip(words, words[1:], strict=False)}
    # a plural names its piece, as a folder of them does ('Cymbals/', 'Shakers/', 'Splashes/')
    plurals = [w for w in words if len(w) > 3 and w.endswith("s")]
    out |= {w[:-1] for w in plurals} | {w[:-2] for w in plurals if w.endswith("es")}
    for word in words:
        prefix = next((p for p in _PREFIXES if word.startswith(p) and len(word) > len(p)), None)
        if prefix:
            out |= {prefix, word[len(prefix):]}
        suffix = next((p for p in _SUFFIXES if word.endswith(p) and len(word) > len(p)), None)
        if suffix:
            out |= {suffix, word[: -len(suffix)]}
    return out


#: Words that name a run of hits, not one: BJA_Pacific's "Snare Roll" (rolls of 3-7 strokes) was
#: prepared as four snare hits. A one-shot bank leaves such sounds out (`several_hits`).
SEVERAL_HITS = frozenset({"roll", "rolls", "loop", "loops"})


def several_hits(name: str) -> bool:
    """Whether `name` says its sound is a run of hits ('Snare Roll', 'hat_loop_120', 'SnareRoll'),
    by `SEVERAL_HITS` among its `name_words`."""
    return bool(name_words(name) & SEVERAL_HITS)


def gm_name(key: int) -> str | None:
    """'acoustic snare' for 38: the General MIDI name `RULES` give the key; None for a key no rule
    gives."""
    return next((what for k, what, _ in RULES if k == key), None)


# General MIDI keys that `RULES` does not name (it gives each piece one key): a MIDI file's
# note on them is played by the kit's piece of that kind.
_UNNAMED = {35: "acoustic bass drum", 43: "high floor tom"}


def piece_name(key: int) -> str:
    """'acoustic snare' for 38: the General MIDI name (`RULES`); 'key N' for others."""
    return gm_name(key) or _UNNAMED.get(key, f"key {key}")


def mapped_key(name: str, user_map: dict[str, int] | None) -> int | None:
    """The user's --map key for `name` (names compared case-insensitively), or None."""
    wanted = name.strip().lower()
    return next((v for k, v in (user_map or {}).items() if k.strip().lower() == wanted), None)


def gm_drum_key(name: str, user_map: dict[str, int] | None = None) -> int | None:
    """The GM drum key of a drum piece named `name`: the user's map first (names compared
    case-insensitively), then `RULES`; None when nothing fits."""
    mapped = mapped_key(name, user_map)
    if mapped is not None:
        return mapped
    found = gm_drum_piece(name)
    return found[0] if found is not None else None


#: The rules that name a kind alone ('tom', 'hat', 'crash'): a name matched by one of them says
#: nothing of which piece of the kind it is (gm_drum_piece).
_KIND_ONLY = frozenset({_HAT, _TOM, _CRASH, _RIDE, frozenset({"cymbal", "cym"})})


#: The pieces of each kind a name of the kind alone ('Hat', 'Tom', 'Cymbal') leaves open.
KINDS = (frozenset({42, 44, 46}), frozenset({41, 43, 45, 47, 48, 50}),
         frozenset({49, 51, 52, 53, 55, 57, 59}))


def same_kind(a: int, b: int) -> bool:
    """Whether the GM keys `a` and `b` are pieces of one kind (`KINDS`: hats, toms, cymbals)."""
    return any(a in kind and b in kind for kind in KINDS)


def gm_drum_piece(name: str) -> tuple[int, bool] | None:
    """(GM key, whether the name says which piece of its kind) for `name` by `RULES`: ('floor tom'
    → (41, True), 'crash 2' → (57, True), 'tom' → (48, False), 'flor tom' → (48, False)); None when
    no rule fits."""
    words = name_words(name)
    for key, _, needs in RULES:
        if all(words & need for need in needs):
            return key, not (len(needs) == 1 and needs[0] in _KIND_ONLY)
    return None


def parse_drum_map(text: str) -> dict[str, int]:
    """The user's map of drum names to General MIDI keys: a JSON object (``{"Cowbell": 56}``) or
    the path of a .json file holding one.

    Raises:
        UsageError: JSON text given on the command line that does not parse, is not an object, or
            maps a name to anything but a MIDI key number 0..127 (exit status 2, as for any option
            value the option cannot take); the message says which, name and value as JSON writes them.
        UserError: a file that cannot be read, or holds such a map (a mistake in a file, as for
            every file-valued option: exit status 1).
    """
    source, error = "--map", UsageError
    if not text.lstrip().startswith(("{", "[")):
        source, error = text, UserError
        try:
            text = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{source}: cannot read the drum map ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: the drum map is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise error(f"{source}: the drum map must be a JSON object of names to keys, "
                    'e.g. {"Cowbell": 56}')
    for name, key in data.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 127:
            # in the map's own JSON spelling: `"Cowbell": true`, not Python's "key True of 'Cowbell'"
            said = json.dumps(key, ensure_ascii=False)
            raise error(f"{source}: {json.dumps(name, ensure_ascii=False)} maps to {said}, "
                        "not a MIDI key number 0..127")
    return data
