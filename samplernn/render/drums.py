"""Drum models: telling one from a pitched model, the kit's pieces by name, and a hit's stream.

A model is a drum model when it was trained on a drum kit: the dataset's layout (`drumkit`) that
training records in the checkpoint (`payload["dataset"]["layout"]`). Checkpoints from before that
record fall back on the dataset.json they were trained on, when it is still where it was, and
else on the bank statistics: every piece a General MIDI drum key (35–81) and the notes held for
at most data.drum_bank.HELD_MAX_S (the one-shot rule puts a drum's note-off at the end of its attack peak).

A drum hit ignores its note-off (General MIDI percussion is one-shot): its stream holds the note
for the kit's typical held part of that piece and velocity (`held_samples`), then the kit's
release tail (`kit_hits` moves a MIDI file's note-offs there; render.hits generates one-shots).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from conditioning import BankStats, MidiNote, parse_note
from conditioning.bankstats import below_softest_db
from samplernn.common.errors import UsageError, UserError
from samplernn.data.dataset import PreparedDataset
from samplernn.data.drum_bank import is_drum_bank, trained_layout
from samplernn.model.checkpoint import Checkpoint
from samplernn.prepare.sources.gm_drums import RULES, gm_drum_key, gm_drum_piece, name_words, piece_name
from samplernn.prepare.sources.plain_audio import LAYOUT as CHUNK_LAYOUT

#: Seconds of fade at the end of a generated one-shot (synth's and pack's takes of a drum model).
HIT_FADE_S = 0.01
# Words of the General MIDI names that say which one of a kind, not the kind.
_MODIFIERS = frozenset({"low", "lo", "high", "hi", "mid", "middle", "open", "closed", "mute", "long",
                        "short", "acoustic", "electric", "1", "2"})


def held_samples(stats: BankStats, pitch: int, velocity: int) -> int:
    """The kit's held part (note-on to note-off) for the nearest (piece, velocity) entry, pitch
    first: the length of its loudness envelope's held frames; one 10 ms frame without envelopes."""
    if not stats.envelopes:
        return max(1, round(0.01 * stats.sample_rate))
    key = min(stats.envelopes, key=lambda k: (abs(k[0] - pitch), abs(k[1] - velocity), k))
    return max(1, stats.envelopes[key].sustain.size * stats.hop)


def is_drum_model(ckpt: Checkpoint) -> bool:
    """Whether the checkpoint was trained on a drum kit: `data.drum_bank.is_drum_bank` of the layout
    it was trained on (see the module docstring) and its bank statistics."""
    return is_drum_bank(trained_layout(ckpt.payload), ckpt.stats)


def check_same_kind(ckpt: Checkpoint, ds: PreparedDataset, checkpoint: str | Path) -> None:
    """UserError when a drum model meets a pitched bank or a pitched model a drum kit (`evaluate`,
    `pack --dataset`): a kit's keys are pieces, a pitched bank's are notes, so every figure of the
    one measured against the other would be meaningless. Chunks of recordings with no notes
    (prepare's layout `audio`) are refused for either: they hold no notes to play."""
    drums = is_drum_model(ckpt)
    if ds.info.get("layout") == CHUNK_LAYOUT:
        raise UserError(f"{ds.root}: chunks of recordings with no notes (layout {CHUNK_LAYOUT}), and "
                        f"{checkpoint} is a {'drum' if drums else 'pitched'} model: give a bank of notes "
                        "it can play")
    kit = is_drum_bank(ds.info.get("layout"), ds.stats)
    if kit == drums:
        return
    if kit:
        raise UserError(f"{ds.root}: a drum kit, and {checkpoint} is a pitched model: give a bank of "
                        "its instrument (or a drum model)")
    raise UserError(f"{ds.root}: a pitched bank, and {checkpoint} is a drum model: give the kit it was "
                    "trained on (or a pitched model)")


def kit_keys(stats: BankStats) -> list[int]:
    """The GM keys of the kit's pieces, ascending."""
    return sorted({p for p, _ in stats.tails})


def refuse_transpose(transpose: int) -> None:
    """UsageError for a transposition of a drum model's notes (render's and play's --transpose): its
    keys are pieces, not pitches, and a shift would play other pieces."""
    if transpose:
        raise UsageError(f"--transpose {transpose:+d}: a drum model's keys are pieces, not pitches "
                         "(it would play other pieces); leave it out")


def velocity_outside_layers(stats: BankStats, key: int, velocity: int) -> str | None:
    """What a hit of `key` at `velocity` plays when the kit has no layer of that piece at or beyond
    it: a sentence (the level rule is conditioning.bankstats.BankStats.level_curve's: above the
    loudest layer its level, below the softest that layer made quieter in proportion to velocity,
    as a sampler scales it); None inside the layers or for a piece without envelopes."""
    vels = sorted(v for p, v in stats.envelopes if p == key)
    if not vels or vels[0] <= velocity <= vels[-1]:
        return None
    span = f"{vels[0]}" if len(vels) == 1 else f"{vels[0]}-{vels[-1]}"
    where = f"velocity {velocity} lies outside the kit's layers of {piece_name(key)} ({span})"
    if velocity > vels[-1]:
        return f"{where}: it plays at the loudest layer's level"
    return f"{where}: it plays the softest layer {-below_softest_db(velocity, vels[0]):.0f} dB quieter"


def piece_slug(key: int) -> str:
    """'38-acoustic-snare': the key and its name, for file names."""
    words = "".join(c if c.isalnum() else " " for c in piece_name(key)).split()
    return "-".join([str(key), *words])


def one_shot(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A generated hit from its note-on (n,) as a one-shot file holds it: float32, a copy, with a
    linear fade over its last HIT_FADE_S (the generation stops mid-tail)."""
    y = np.array(audio, dtype=np.float32)
    n = min(round(HIT_FADE_S * sample_rate), y.size)
    if n:
        y[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return y


def kit_hits(
    notes: Sequence[tuple[MidiNote, int]], stats: BankStats, sample_rate: int
) -> list[tuple[MidiNote, int]]:
    """Each (MIDI note, kit key to play) with its note-off moved to the end of the kit's held part
    for that key and velocity (`held_samples`, at `sample_rate` Hz): the file's note-off lengths
    are arbitrary for one-shots, so a hit lasts as long as the kit's own."""
    return [(replace(n, stop=n.start + held_samples(stats, p, n.velocity) / sample_rate), p)
            for n, p in notes]


def resolve_pieces(names: Sequence[str], kit: Sequence[int]) -> list[int]:
    """GM keys of the kit for piece names or numbers ('kick', 'snare', '42', 'tom'): a name's own key
    (`gm_drum_key`) when the kit has it, else every piece of the kit of that kind ('tom': its toms).

    Names that choose the same piece ('hat,42') choose it once, in the order first asked for.
    Raises UsageError, naming the kit's pieces, for a name that fits none of them.
    """
    keys: list[int] = []
    for name in names:
        name = name.strip()
        lacking = _named_substitute(name, kit)
        if lacking is not None:  # synth and render play it by this piece; a pack names its files by it
            label = name if name.isdigit() else repr(name)
            raise UsageError(f"--pieces {label}: the kit has no {piece_name(lacking[0])}; its piece of that "
                             f"kind is {lacking[1]} ({piece_name(lacking[1])}): ask for {lacking[1]}")
        found = _piece_keys(name, kit)
        if not found:
            pieces = ", ".join(f"{k} {piece_name(k)}" for k in kit)
            raise UsageError(f"--pieces {name!r}: the kit has no such piece (it has {pieces})")
        keys += [k for k in found if k not in keys]
    return keys


def kit_piece(note: str | int, kit: Sequence[int]) -> tuple[int, str | None]:
    """The kit key a single note asks for — a GM key or note name (38, '38', 'D2') or a piece's
    name ('snare', 'kick', 'crash') — and a line saying so when a key the kit lacks is played by
    its `substitute` (as `render` plays it). Raises UsageError, naming the kit's pieces, for a key
    with no piece of its kind and for a name that fits none or several of the kit's pieces."""
    pieces = ", ".join(f"{k} {piece_name(k)}" for k in kit)
    try:
        key = parse_note(note)
    except ValueError:
        name = str(note).strip()
        sub = _named_substitute(str(note), kit)  # 'floor tom', 'crash 2': as render plays their key
        if sub is not None:
            return sub[1], _played_by(name, *sub)
        keys = _piece_keys(name, kit)
        if len(keys) == 1:
            return keys[0], _unmatched_number(name, keys[0]) or _another_piece(name, keys[0])
        if not keys:
            raise UsageError(f"note {note!r}: the kit has no such piece (it has {pieces})") from None
        named = ", ".join(f"{k} {piece_name(k)}" for k in keys)
        raise UsageError(f"note {note!r} names {len(keys)} of the kit's pieces ({named}): give one") from None
    if key in kit:
        return key, None
    sub = substitute(key, kit)
    if sub is None:
        raise UsageError(f"note {key} ({piece_name(key)}): the kit has no piece of its kind "
                         f"(it has {pieces})")
    return sub, f"{key} ({piece_name(key)}) is played by the kit's {sub} ({piece_name(sub)})"


def _unmatched_number(name: str, key: int) -> str | None:
    """A line saying which piece plays `name` when the name holds a number the piece's name lacks
    ('crash 3', 'tom 7': General MIDI names no such piece, so its kind's piece plays it); None
    otherwise."""
    numbers = {w for w in name_words(name) if w.isdigit()}
    if not numbers or numbers <= name_words(piece_name(key)):
        return None
    return f"{name!r} names no General MIDI piece; it is played by the kit's {key} ({piece_name(key)})"


def _another_piece(name: str, key: int) -> str | None:
    """A line saying which piece plays `name` when the piece its name stands for in General MIDI
    (`gm_drum_key`: 'ride' 51, 'hat' 42) is not the kit's `key` that plays it ('ride' by the kit's
    only ride, its 53 ride bell), as a key the kit lacks is said to be played by another; None
    when the name's own piece plays it, or the name stands for none."""
    own = gm_drum_key(name)
    return None if own is None or own == key else _played_by(name, own, key)


def _played_by(name: str, own: int, key: int) -> str:
    """"'crash 2' (57 crash cymbal 2) is played by the kit's 49 (crash cymbal 1)": `name`, the key
    `own` it names, and the kit's `key` that plays it."""
    return f"{name!r} ({own} {piece_name(own)}) is played by the kit's {key} ({piece_name(key)})"


def _named_substitute(name: str, kit: Sequence[int]) -> tuple[int, int] | None:
    """(the key `name` names, the kit's piece that plays it) when the name says which piece of its
    kind ('floor tom', 'floor-tom', 'crash 2', or a key: '35') and the kit lacks that one; None
    otherwise (a bare kind, 'tom', asks for one; a piece the kit has is played as itself)."""
    found = (int(name), True) if name.strip().isdigit() and int(name) <= 127 else gm_drum_piece(name)
    if found is None or not found[1] or found[0] in kit:
        return None
    sub = substitute(found[0], kit)
    return (found[0], sub) if sub is not None else None


def may_name_a_piece(text: str) -> bool:
    """Whether `text` could name a drum piece (shares a word naming a kind with a General MIDI drum
    name: 'snare', 'tom', 'crash'): what a note that is no note name may still be, before the
    model that says whether it is a drum model is loaded."""
    if gm_drum_key(text) is not None:  # 'kick', 'bd', 'hihat': the names prepare reads kits by
        return True
    words = name_words(text) - _MODIFIERS
    return bool(words) and any(words & name_words(what) for _, what, _ in RULES)


def _piece_keys(name: str, kit: Sequence[int]) -> list[int]:
    if name.isdigit():
        return [int(name)] if int(name) in kit else []
    key = gm_drum_key(name)
    if key in kit:
        return [key]
    words = name_words(name)
    if all(w.isdigit() for w in words):  # '-1', '1.5': a number that is no key, not 'crash cymbal 1'
        return []
    return [k for k in kit if words & name_words(piece_name(k))]


def substitute(key: int, kit: Sequence[int]) -> int | None:
    """The kit's piece that plays a key it lacks: the one whose name shares most words naming a
    kind of drum with the key's ('crash cymbal 2' → 'crash cymbal 1', not 'high bongo' → 'high
    tom'), then the nearest key (General MIDI orders a kind's pieces by pitch: 43 'high floor tom'
    → 45 'low tom', not 50 'high tom'), then most words; None when no piece is of its kind."""
    if piece_name(key).startswith("key "):
        return None
    words = name_words(piece_name(key))
    scores = {}
    for k in kit:
        shared = words & name_words(piece_name(k))
        if shared - _MODIFIERS:
            scores[k] = (len(shared - _MODIFIERS), -abs(k - key), len(shared), -k)
    return max(scores, key=scores.__getitem__) if scores else None


def kit_notes(
    notes: Sequence[MidiNote], kit: Sequence[int], transpose: int = 0
) -> tuple[list[tuple[MidiNote, int]], list[str], list[str]]:
    """The notes a kit plays: ((note, key) list, ignored, changed). A key the kit lacks is played by
    its `substitute` (listed in changed) or left out (listed in ignored)."""
    played: list[tuple[MidiNote, int]] = []
    moved: Counter[tuple[int, int]] = Counter()
    missing: Counter[int] = Counter()
    for n in notes:
        key = n.pitch + transpose
        sub = key if key in kit else substitute(key, kit)
        if sub is None:
            missing[key] += 1
            continue
        played.append((n, sub))
        if sub != key:
            moved[(key, sub)] += 1
    changed = [f"{c} note(s) on {k} ({piece_name(k)}) → {s} ({piece_name(s)})"
               for (k, s), c in sorted(moved.items())]
    ignored = [f"{c} note(s) on {k} ({piece_name(k)}): no such piece in the kit"
               for k, c in sorted(missing.items())]
    return played, ignored, changed
