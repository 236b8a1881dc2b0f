"""Whether a bank is a drum kit: the one rule that training, rendering and evaluation share.

A bank is a drum kit when `prepare` read it with the drum-kit layout (DRUM_LAYOUT: Hydrogen kits
and folders of one-shots named by piece). Where the layout is not known (a checkpoint from before
it was recorded, whose dataset has gone), the bank statistics decide: every piece a General MIDI
drum key (35–81) and the notes held for at most HELD_MAX_S, a median (the one-shot rule puts a
drum's note-off at the end of its attack peak).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats

DRUM_LAYOUT = "drumkit"  # the prepare layout of drum kits and folders of one-shots
GM_DRUM_KEYS = range(35, 82)
HELD_MAX_S = 0.03


def is_drum_bank(layout: str | None, stats: BankStats) -> bool:
    """Whether a bank prepared with `layout` (None: unknown) and holding `stats` is a drum kit."""
    return layout == DRUM_LAYOUT if layout is not None else looks_like_a_kit(stats)


def looks_like_a_kit(stats: BankStats) -> bool:
    """The statistics of a drum kit: every piece a GM drum key, held a median of <= HELD_MAX_S
    (False without loudness envelopes)."""
    pitches = {p for p, _ in stats.tails}
    if not stats.envelopes or not pitches or not pitches <= set(GM_DRUM_KEYS):
        return False
    held = [e.sustain.size * stats.hop / stats.sample_rate for e in stats.envelopes.values()]
    return float(np.median(held)) <= HELD_MAX_S


def trained_layout(payload: dict[str, Any]) -> str | None:
    """The prepare layout of the dataset a checkpoint (its raw `payload`) was trained on, if known:
    recorded in the checkpoint, else read from that dataset's dataset.json while it is there."""
    dataset = payload.get("dataset") or {}
    if dataset.get("layout"):
        return str(dataset["layout"])
    info = Path(str(dataset.get("path", ""))) / "dataset.json"
    if dataset.get("path") and info.is_file():
        try:
            return json.loads(info.read_text()).get("layout")
        except (OSError, ValueError):
            return None
    return None


def payload_is_kit(payload: dict[str, Any]) -> bool:
    """Whether the checkpoint `payload` was trained on a drum kit (is_drum_bank of its layout and
    its bank statistics)."""
    stats = payload.get("bank_stats")
    bank = BankStats.from_dict(stats) if stats else BankStats(int(payload.get("sample_rate", 16000)))
    return is_drum_bank(trained_layout(payload), bank)
