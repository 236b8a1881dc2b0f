"""Min-p truncation per piece: a drum model's draws truncated at each piece's own min-p.

Min-p truncation (Nguyen et al. 2024, "min-p sampling"; GenerationOptions.min_p) leaves out, at
every draw, the classes under P × the most likely class's probability: the rare far-off values that
lay a bed of noise under a quiet tail. One P for a whole kit cleans the pieces whose takes are
noisier than their recordings and makes the others cleaner than theirs (docs/drums.md, "Min-p
truncation"), so a drum model can carry a P per piece (Checkpoint.piece_min_p, fitted by
samplernn.train.min_p_fit): every sample of a note of key k is drawn at pieces[k], every other
sample (outside notes, keys without their own) at the default.

A piece's P can start after the hit's attack (generate.temperature.AttackSpan): its first `hold`
samples are drawn at the default, then the P ramps in linearly over `ramp` samples. Checkpoints
play their table so (GenerationOptions.for_checkpoint: the attack temperature's span), because
truncating the first milliseconds rounds off the attack (docs/drums.md, "The min-p per piece after
the attack").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from conditioning.events import ELAPSED_INDEX, NOTE_INDEX, VELOCITY_INDEX
from samplernn.common.truncation import MIDI_KEYS
from samplernn.generate.temperature import AttackSpan


def min_p_curve(
    cond: np.ndarray | None, default: float, pieces: Mapping[int, float] | None,
    attack: AttackSpan = AttackSpan(),
) -> np.ndarray | None:
    """The min-p of every sample of conditioning rows `cond` (B, n, 5) int (raw columns, as
    conditioning.events_to_conditioning writes them): pieces[key] over a note of that key (its
    velocity column > 0: onset to audible end) after its `attack` span, `default` over the hold and
    elsewhere, linear over the ramp. Returns (B, n) float32, or None where every sample would be at
    `default` (no table, no conditioning, or no note of a key in the table past its hold): the
    engines then truncate every draw at the scalar."""
    if cond is None or not pieces:
        return None
    table = np.full(MIDI_KEYS, default, np.float32)
    for key, p in pieces.items():
        table[key] = p
    keys = np.clip(cond[..., NOTE_INDEX], 0, MIDI_KEYS - 1)
    w = attack.weight(cond[..., ELAPSED_INDEX])
    piece = default * (1.0 - w) + table[keys].astype(np.float64) * w
    curve = np.where(cond[..., VELOCITY_INDEX] > 0, piece, default).astype(np.float32)
    if not np.any(curve != np.float32(default)):
        return None
    return np.ascontiguousarray(curve)
