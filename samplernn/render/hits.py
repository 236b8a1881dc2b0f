"""A drum model's hits generated as one-shots, for `synth`, `pack` and the `serve` page's takes.

Each hit is generated after `lead` seconds of silent context (the model's, cut off: the one-shot
starts at its note-on), held for its held part, rung out for the kit's release tail and `tail`
seconds more, and faded over its last render.drums.HIT_FADE_S. How (`engine`, as `render`'s,
render.voices.pick_render_engine): "notes" generates every hit as its own stream, the lead
included, in one batch; "voices" strikes them all at once on the live engine's voices, each from
the primed state (the lead generated once), so a hit search candidate costs only its probe — on
one CPU thread 2.7–3× faster with the search, measuring alike (docs/drums.md, *Hit search*).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from conditioning import MidiNote
from conditioning.midi import DRUM_CHANNEL
from samplernn.generate.engine import synthesize
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.drums import one_shot
from samplernn.render.streams import note_stream
from samplernn.render.voices import pick_render_engine, voice_takes


def strike(
    ckpt: Checkpoint,
    hits: Sequence[tuple[int, int, int]],
    generation: GenerationOptions,
    lead: float = 0.25,
    tail: float = 0.1,
    engine: str = "notes",
) -> list[np.ndarray]:
    """One-shots, float32 (n_i,) in the order of `hits`: (GM key, velocity, held samples) each,
    n_i = held + the kit's release tail + `tail` s. `generation` as given (temperature, seed,
    onset search: the caller's). Raises ValueError for an unknown engine."""
    sr = ckpt.sample_rate
    if pick_render_engine(engine, ckpt.model, generation) == "voices":
        notes = [(MidiNote(k, v, lead, lead + held / sr, DRUM_CHANNEL, 0), k) for k, v, held in hits]
        audio = voice_takes(ckpt.model, ckpt.stats, sr, notes, lead, tail, generation)
    else:
        lead_n, tail_n = round(lead * sr), round(tail * sr)
        specs = [note_stream(k, v, lead_n, lead_n + held, ckpt.stats, lead_n, tail_n) for k, v, held in hits]
        audio = [a[lead_n:] for a in synthesize(ckpt.model, [s.cond for s in specs], generation)]
    return [one_shot(a, sr) for a in audio]
