"""Melodies for `evaluate`: MIDI files read, transposed into the model's range and turned into note
streams the way `samplernn render` does (render.streams.note_stream: end = note-off + the bank's
release tail), then every note scored on its own stream (evaluate.scoring) and summarised per
melody and over all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats, MidiError, MidiNote, read_midi_notes
from samplernn.common.errors import UserError
from samplernn.evaluate.scoring import score_stream, summarize_scored
from samplernn.measures import sound as measures
from samplernn.render.range_fit import fit_to_range
from samplernn.render.streams import StreamSpec, mix, note_stream

MIDI_SUFFIXES = (".mid", ".midi")
#: Notes shorter than this (note-on to note-off, seconds) are "short" in the by-length summary.
SHORT_S = 0.3


@dataclass
class Melody:
    """One MIDI file ready to generate: its notes as written and as streams to play.

    transpose: semitones added to every note; moved: notes that still fell outside the range and
    were moved by octaves (by semitones when the range is narrower than an octave) into it.
    """

    name: str
    path: Path
    transpose: int
    moved: int
    notes: list[MidiNote]
    specs: list[StreamSpec]
    audio: list[np.ndarray] = field(default_factory=list, repr=False)

    def mixed(self) -> np.ndarray:
        """The generated streams summed at their places (render.streams.mix), float64 (n,)."""
        return mix(self.audio, [s.start for s in self.specs])


def find_melodies(source: str | Path) -> list[Path]:
    """The MIDI files of `source`: a folder (its *.mid and *.midi, sorted by name) or one file.

    Raises UserError when it does not exist or the folder holds no MIDI file."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise UserError(f"{source}: no such melody file or folder")
    found = sorted(p for p in source.iterdir() if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    if not found:
        raise UserError(f"{source}: no MIDI files (.mid) in this folder")
    return found


def load_melody(path: Path, pitch_range: tuple[int, int], stats: BankStats, sample_rate: int,
                lead: int, tail: int) -> Melody:
    """The melody of one MIDI file, fitted into `pitch_range`; drum-channel notes are left out.

    Raises UserError for an unreadable file or one without notes to play."""
    try:
        every = read_midi_notes(path)
    except MidiError as exc:
        raise UserError(str(exc)) from None
    notes = [n for n in every if not n.is_drum]
    if every and not notes:
        raise UserError(f"{path}: only drum-channel notes (channel 10), which a melody leaves out")
    if not notes:
        raise UserError(f"{path}: the MIDI file holds no notes to play")
    k, played, moved = fit_to_range([n.pitch for n in notes], *pitch_range)
    sr = sample_rate
    specs = [note_stream(p, n.velocity, round(n.start * sr), round(n.stop * sr), stats, lead, tail)
             for n, p in zip(notes, played, strict=True)]
    return Melody(path.stem, path, k, moved, notes, specs)


def score_melody(melody: Melody, sample_rate: int, stats: BankStats, layers: dict[int, list[int]],
                 settings: measures.PitchSettings, tick: Callable[[], None] = lambda: None,
                 ) -> list[dict[str, Any]]:
    """Each note's figures (scoring.score_stream) with its place in the melody and whether the bank
    has its pitch (bank_pitch) and its velocity at that pitch (bank_velocity); tick() after each."""
    out = []
    for i, (note, spec, audio) in enumerate(zip(melody.notes, melody.specs, melody.audio, strict=True)):
        scored = score_stream(spec, audio, sample_rate, stats, settings)
        vels = layers.get(spec.event.pitch, [])
        scored.update(index=i, written_pitch=note.pitch, start_s=round(note.start, 4),
                      bank_pitch=bool(vels), bank_velocity=spec.event.velocity in vels)
        out.append(scored)
        tick()
    return out


def melodies_block(melodies: Sequence[Melody], scored: Sequence[list[dict[str, Any]]]) -> dict[str, Any]:
    """The report's "melodies": per melody (file, transpose, moved, summary, notes), over all notes,
    and over the short notes, the long ones, the notes at pitches and at velocities the bank lacks."""
    every = [m for notes in scored for m in notes]
    groups = {
        f"short (< {SHORT_S:g} s)": [m for m in every if m["seconds"] < SHORT_S],
        f"long (>= {SHORT_S:g} s)": [m for m in every if m["seconds"] >= SHORT_S],
        "pitch not in the bank": [m for m in every if not m["bank_pitch"]],
        "velocity not in the bank": [m for m in every if m["bank_pitch"] and not m["bank_velocity"]],
    }
    return {
        "per_melody": [
            {"name": mel.name, "file": str(mel.path), "transpose": mel.transpose, "moved": mel.moved,
             **summarize_scored(notes), "notes": notes}
            for mel, notes in zip(melodies, scored, strict=True)
        ],
        "overall": summarize_scored(every),
        "groups": {name: summarize_scored(notes) for name, notes in groups.items()},
    }
