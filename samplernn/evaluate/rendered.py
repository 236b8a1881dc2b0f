"""Notes rendered as `samplernn render` would play them, with no recording to compare with: the
melodies (evaluate.melodies) and one note at every semitone the bank lacks (evaluate.gaps). Built
before generation, so that every stream of an evaluation is generated in one batch; scored after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats
from samplernn.evaluate.gaps import missing_pitch_streams
from samplernn.evaluate.melodies import Melody, find_melodies, load_melody, melodies_block, score_melody
from samplernn.evaluate.scoring import score_stream, summarize_scored
from samplernn.measures import sound as measures
from samplernn.render.streams import StreamSpec


@dataclass
class RenderedSet:
    """The melodies and the missing-semitone notes of one evaluation, and their generated audio."""

    melodies: list[Melody] = field(default_factory=list)
    missing: list[StreamSpec] = field(default_factory=list)
    missing_audio: list[np.ndarray] = field(default_factory=list, repr=False)
    missing_asked: bool = False  # the missing semitones were asked for (a bank may lack none)

    @property
    def specs(self) -> list[StreamSpec]:
        """Every stream to generate: the melodies' notes in order, then the missing semitones."""
        return [s for m in self.melodies for s in m.specs] + self.missing

    def attach(self, audio: Sequence[np.ndarray]) -> None:
        """Hand the generated streams (in the order of `specs`) to their melodies and notes."""
        k = 0
        for m in self.melodies:
            m.audio = list(audio[k : k + len(m.specs)])
            k += len(m.specs)
        self.missing_audio = list(audio[k:])


def rendered_set(
    melodies: Sequence[str | Path],
    missing: bool,
    layers: dict[int, list[int]],
    stats: BankStats,
    sample_rate: int,
    tail_seconds: float,
) -> RenderedSet:
    """The streams to generate: every MIDI file of each entry of `melodies` (a folder or a file,
    evaluate.melodies.find_melodies) fitted into the range of `layers`, and with `missing` a note at
    each semitone `layers` lacks. Streams start with the silent lead `samplernn render` gives and
    run on `tail_seconds` past each note's estimated end, so a note that does not stop shows.

    Raises UserError for a melody source without readable MIDI notes."""
    from samplernn.render.midi import RenderOptions

    lead, tail = round(RenderOptions().lead * sample_rate), round(tail_seconds * sample_rate)
    out = RenderedSet()
    if layers:
        pitch_range = (min(layers), max(layers))
        for source in melodies:
            out.melodies += [load_melody(p, pitch_range, stats, sample_rate, lead, tail)
                             for p in find_melodies(source)]
    out.missing_asked = missing
    if missing:
        out.missing = missing_pitch_streams(layers, stats, sample_rate, lead, tail)
    return out


def rendered_blocks(
    rs: RenderedSet,
    sample_rate: int,
    stats: BankStats,
    layers: dict[int, list[int]],
    settings: measures.PitchSettings,
    tick: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """The report's "melodies" (None without melodies) and "missing_pitches" blocks (None when not
    asked for: "none missing" would say the bank lacks none); tick() is called after each note
    scored."""
    melodies = None
    if rs.melodies:
        scored = [score_melody(m, sample_rate, stats, layers, settings, tick) for m in rs.melodies]
        melodies = melodies_block(rs.melodies, scored)
    notes = []
    for spec, x in zip(rs.missing, rs.missing_audio, strict=True):
        notes.append(score_stream(spec, x, sample_rate, stats, settings))
        tick()
    missing = {"pitches": [n["pitch"] for n in notes], **summarize_scored(notes), "notes": notes}
    if not rs.missing_asked:
        missing = None
    return {"melodies": melodies, "missing_pitches": missing}
