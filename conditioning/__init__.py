"""Audio + MIDI → note events → per-sample conditioning. Imports numpy/scipy/mido only (no torch)."""

from conditioning.bankstats import BankStats
from conditioning.envelope import LEVEL_FLOOR_DB, envelope, find_extent, level_db
from conditioning.events import (
    COND_COLUMNS,
    LEVEL_STEPS_PER_DB,
    NoteEvent,
    events_to_conditioning,
    level_column,
)
from conditioning.midi import MidiError, MidiNote, read_midi_notes
from conditioning.pitch import NOTE_NAMES, note_name, parse_note

__all__ = [
    "BankStats",
    "COND_COLUMNS",
    "LEVEL_FLOOR_DB",
    "LEVEL_STEPS_PER_DB",
    "NOTE_NAMES",
    "MidiError",
    "MidiNote",
    "NoteEvent",
    "envelope",
    "events_to_conditioning",
    "find_extent",
    "level_column",
    "level_db",
    "note_name",
    "parse_note",
    "read_midi_notes",
]
