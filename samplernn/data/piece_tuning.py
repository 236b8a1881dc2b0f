"""Each tonal drum piece's resonance, in Hz: the frequency a kit's oscillator runs at.

The default kit model's takes of ForzeeStereo's rack toms hold no peak where the toms ring (71,
113, 136 Hz; their spectra lie within ~4 dB over 20-150 Hz: a rumble), and the likeness judge
takes both upper toms for the low one. With `train --piece-tuning` the model's oscillator inputs
(ModelConfig.oscillator: the sin and cos of the note's phase from its onset) run at each tonal
piece's resonance measured on its train hits (samplernn.measures.resonance) instead of its GM
key's equal-tempered frequency, a clock the takes can ring at; a piece with no such peak (a snare,
a hi-hat, a crash) gets no oscillator.
"""

from __future__ import annotations

from samplernn.data.dataset import PreparedDataset
from samplernn.measures.resonance import tonal_pieces


def piece_tuning(dataset: PreparedDataset, split: str | None = "train") -> dict[int, float]:
    """{GM key: resonance in Hz} of the pieces of `dataset` whose hits in `split` (None: every
    split) ring (measures.resonance.tonal_pieces over each hit from its note-on). Raises UserError
    for an unreadable audio file."""
    notes = dataset.notes if split is None else dataset.split(split)
    hits = ((int(n.pitch), dataset.load_audio(n)[n.onset :]) for n in notes)
    return tonal_pieces(hits, dataset.sample_rate)
