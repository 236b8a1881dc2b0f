"""What a min-p truncation can be (Nguyen et al. 2024, "min-p sampling"; samplernn.generate.min_p):
the one rule the generation options, the command line and a checkpoint's playing hints check by."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

#: MIDI keys 0..127: the keys a per-piece table may name.
MIDI_KEYS = 128


def valid_min_p(p: object) -> bool:
    """Whether `p` can be a min-p truncation: a real number in [0, 1) (1 would leave only the most
    likely class, which is greedy decoding: temperature 0)."""
    return isinstance(p, numbers.Real) and not isinstance(p, bool) and 0.0 <= float(p) < 1.0


def valid_piece_min_p(table: object, string_keys: bool = False) -> bool:
    """Whether `table` maps MIDI keys 0..127 to min-p truncations (`valid_min_p`): keys are ints,
    or with `string_keys` decimal strings (as a checkpoint's payload stores them)."""
    if not isinstance(table, Mapping):
        return False
    for key, p in table.items():
        if string_keys:
            if not (isinstance(key, str) and key.isdigit()):
                return False
            key = int(key)
        if not (isinstance(key, int) and not isinstance(key, bool) and 0 <= key < MIDI_KEYS):
            return False
        if not valid_min_p(p):
            return False
    return True
