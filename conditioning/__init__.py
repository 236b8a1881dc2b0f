"""Audio + MIDI → note events → per-sample conditioning. Imports numpy/scipy/mido only (no torch)."""

from conditioning.bankstats import BankStats
from conditioning.envelope import envelope, find_extent
from conditioning.events import COND_COLUMNS, NoteEvent, events_to_conditioning
from conditioning.midi import MidiError, MidiNote, read_midi_notes
from conditioning.pitch import NOTE_NAMES, note_name, parse_note

__all__ = [
    "BankStats",
    "COND_COLUMNS",
    "NOTE_NAMES",
    "MidiError",
    "MidiNote",
    "NoteEvent",
    "envelope",
    "events_to_conditioning",
    "find_extent",
    "note_name",
    "parse_note",
    "read_midi_notes",
]
