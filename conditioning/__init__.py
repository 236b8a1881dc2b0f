"""Audio + MIDI → note events → per-sample conditioning. Imports numpy/scipy/mido only (no torch)."""

from conditioning.bankstats import BankStats
from conditioning.envelope import DEFAULT_THRESHOLD, LEVEL_FLOOR_DB, envelope, find_extent, level_db
from conditioning.events import (
    COND_COLUMNS,
    ELAPSED_INDEX,
    LEVEL_FULL_SCALE,
    LEVEL_INDEX,
    LEVEL_STEPS_PER_DB,
    NOTE_INDEX,
    REMAINING_INDEX,
    VELOCITY_INDEX,
    NoteEvent,
    events_to_conditioning,
    level_column,
    level_column_db,
)
from conditioning.midi import MidiError, MidiNote, open_midi, read_midi_notes, read_sustain
from conditioning.pitch import NOTE_NAMES, note_name, note_span, parse_note

__all__ = [
    "BankStats",
    "COND_COLUMNS",
    "DEFAULT_THRESHOLD",
    "ELAPSED_INDEX",
    "LEVEL_FLOOR_DB",
    "LEVEL_FULL_SCALE",
    "LEVEL_INDEX",
    "LEVEL_STEPS_PER_DB",
    "NOTE_INDEX",
    "NOTE_NAMES",
    "REMAINING_INDEX",
    "VELOCITY_INDEX",
    "MidiError",
    "MidiNote",
    "NoteEvent",
    "envelope",
    "events_to_conditioning",
    "find_extent",
    "level_column",
    "level_column_db",
    "level_db",
    "note_name",
    "note_span",
    "open_midi",
    "parse_note",
    "read_midi_notes",
    "read_sustain",
]
