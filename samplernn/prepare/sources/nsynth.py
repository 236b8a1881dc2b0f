"""The *nsynth* layout: the NSynth dataset's folders (`examples.json` + `audio/`).

    nsynth-test/
        examples.json     {"bass_synthetic_033-022-050": {"pitch": 22, "velocity": 50,
                            "instrument_str": "bass_synthetic_033", "instrument_family_str": "bass",
                            "instrument_source_str": "synthetic", ...}, ...}
        audio/bass_synthetic_033-022-050.wav       (4 s, 16 kHz, note-off at 3 s)

`src` may be one split (the folder holding examples.json) or a folder of splits. Pitch and
velocity come from the JSON; every note was rendered with its note-off 3 s after the note-on at
the start of the file, so that is its release (no envelope rule needed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from samplernn.common.errors import UserError
from samplernn.prepare.sources.records import SampleNote, SourceResult, relative

NSYNTH_RELEASE_S = 3.0  # NSynth notes are held for 3 s of their 4 s
EXAMPLES = "examples.json"
#: The values of NSynth's `instrument_family_str`.
NSYNTH_FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed", "string",
                   "synth_lead", "vocal")


@dataclass(frozen=True)
class NsynthFilter:
    """Which notes to keep: instrument names (`instrument_str`, shell patterns allowed such as
    'guitar_acoustic_*'), families (`instrument_family_str`: bass, brass, flute, guitar, keyboard,
    mallet, organ, reed, string, synth_lead, vocal) and sources (acoustic, electronic, synthetic).
    Empty means all."""

    instruments: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def keeps(self, entry: dict[str, Any]) -> bool:
        name = str(entry.get("instrument_str", ""))
        return ((not self.instruments or any(fnmatch(name, p) for p in self.instruments))
                and (not self.families or entry.get("instrument_family_str") in self.families)
                and (not self.sources or entry.get("instrument_source_str") in self.sources))


def find_splits(src: Path) -> list[Path]:
    """The examples.json files of `src`: its own, else those of its immediate subfolders."""
    if (src / EXAMPLES).is_file():
        return [src / EXAMPLES]
    return sorted(p / EXAMPLES for p in src.iterdir() if (p / EXAMPLES).is_file()) if src.is_dir() else []


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: unreadable NSynth examples file ({exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object of notes, found {type(data).__name__}")
    return data


def _note(key: str, entry: Any, split: Path, src: Path) -> SampleNote | str:
    """The note of one examples.json entry, or the reason it cannot be used."""
    audio = split.parent / "audio" / f"{key}.wav"
    where = f"{split}: note {key!r}"
    if not isinstance(entry, dict):
        return f"{where}: not a JSON object"
    pitch, velocity = entry.get("pitch"), entry.get("velocity")
    if not isinstance(pitch, int) or not 0 <= pitch <= 127:
        return f"{where}: pitch {pitch!r} is not a MIDI number 0..127"
    if not isinstance(velocity, int) or not 1 <= velocity <= 127:
        return f"{where}: velocity {velocity!r} is not in 1..127"
    if not audio.is_file():
        return f"{audio}: missing audio file for {where}"
    return SampleNote(audio, relative(audio, src), pitch, velocity, split, NSYNTH_RELEASE_S, None, True)


def nsynth_notes(src: str | Path, keep: NsynthFilter = NsynthFilter()) -> SourceResult:
    """The notes of an NSynth folder that pass `keep`, sorted by note name within each split.

    Raises:
        UserError: no examples.json, an unreadable one, or a filter that keeps nothing (the
            message lists the families and a few instruments there are).
    """
    src = Path(src)
    splits = find_splits(src)
    if not splits:
        raise UserError(f"{src}: no {EXAMPLES} here or in its subfolders (not an NSynth folder)")
    found = SourceResult("nsynth")
    families: set[str] = set()
    instruments: set[str] = set()
    for split in splits:
        for key, entry in sorted(_load(split).items()):
            if isinstance(entry, dict):
                families.add(str(entry.get("instrument_family_str")))
                instruments.add(str(entry.get("instrument_str")))
                if not keep.keeps(entry):
                    continue
            note = _note(key, entry, split, src)
            if isinstance(note, str):
                found.fail(f"{relative(split, src)}#{key}", note)
            else:
                found.notes.append(note)
    if not found.notes and not found.failures:
        some = ", ".join(sorted(instruments)[:5])
        raise UserError(f"{src}: no note matches the filter (families: {', '.join(sorted(families))}; "
                        f"instruments such as {some})")
    return found
