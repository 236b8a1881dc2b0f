"""Sample sources without MIDI: each reads a bank's own description into notes for `prepare`.

* `named` — one file per note, the note and dynamic in its name (`naming`), or in its root key;
* `nsynth` — the NSynth dataset's examples.json + audio/ (note-off at 3 s);
* `sfz` — an SFZ instrument's regions (`sfz_parser` reads the text);
* `drumkit` — a Hydrogen drum kit or a folder of one-shots, pitches from General MIDI drum keys
  (`gm_drums`);
* `plain_audio` — any folder of recordings, cut into chunks for unconditional training.

Every source returns a `SourceResult` (notes and one-line failures) without reading audio;
`to_discovery` turns it into `prepare`'s `Discovery`, placing the release of one-shots from their
envelope (`release.one_shot_release`). `pitch_check` compares a note's name with a pitch tracker.
"""

from samplernn.prepare.sources.drumkit import drumkit_notes, one_shot_notes
from samplernn.prepare.sources.named import NamedOptions, named_notes, verify_pitches
from samplernn.prepare.sources.nsynth import NsynthFilter, nsynth_notes
from samplernn.prepare.sources.plain_audio import ChunkSettings, audio_chunks
from samplernn.prepare.sources.records import SAMPLE_SUFFIXES, SampleNote, SourceResult, to_discovery
from samplernn.prepare.sources.sfz import sfz_notes

__all__ = [
    "SAMPLE_SUFFIXES",
    "ChunkSettings",
    "NamedOptions",
    "NsynthFilter",
    "SampleNote",
    "SourceResult",
    "audio_chunks",
    "drumkit_notes",
    "named_notes",
    "nsynth_notes",
    "one_shot_notes",
    "sfz_notes",
    "to_discovery",
    "verify_pitches",
]
