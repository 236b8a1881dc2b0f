"""Note names ↔ MIDI numbers (C4 = 60)."""

from __future__ import annotations

import re

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_OFFSETS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_RE = re.compile(r"^([A-Ga-g])([#b♯♭]*)(-?\d+)$")


def note_name(pitch: int) -> str:
    """60 → 'C4'."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def note_span(lo: int, hi: int, numbers: bool = False) -> str:
    """A range of pitches: 'C3–A4', or with `numbers` 'C3–A4 (48–69)'; one pitch is named once,
    'D3' ('D3 (50)'), not 'D3–D3'."""
    if lo == hi:
        return f"{note_name(lo)} ({lo})" if numbers else note_name(lo)
    return f"{note_name(lo)}–{note_name(hi)} ({lo}–{hi})" if numbers else f"{note_name(lo)}–{note_name(hi)}"


def parse_note(text: str | int) -> int:
    """'C3', 'Bb2', 'F#4', 'F♯4', 'B♭2' or '48' → MIDI number (the sharp and flat signs as sample
    names write them, which `prepare` reads). Raises ValueError with the reason."""
    if isinstance(text, int):
        value = text
    else:
        s = text.strip()
        if s.lstrip("-").isdigit():
            value = int(s)
        else:
            m = _RE.match(s)
            if not m:
                raise ValueError(f"not a note name or MIDI number: {text!r} (try C3, Bb2 or 48)")
            letter, accidentals, octave = m.groups()
            sharps, flats = sum(map(accidentals.count, "#♯")), sum(map(accidentals.count, "b♭"))
            value = _OFFSETS[letter.upper()] + sharps - flats
            value += (int(octave) + 1) * 12
    if not 0 <= value <= 127:
        raise ValueError(f"note {text!r} is outside the MIDI range 0..127")
    return value
