"""`samplernn prepare`: an instrument bank → a training set (audio/, manifest.csv, dataset.json).

A bank is recordings with MIDI files (pairs, folder-midi, session), or without: a sample library
named by note, the NSynth layout, an SFZ instrument, a drum kit, or plain recordings cut into
chunks for unconditional training (docs/layouts.md; `sources/` reads the layouts without MIDI).

    from samplernn.prepare import PrepareSettings, prepare_bank, summary_lines
    result = prepare_bank("recordings/", "data/bank", PrepareSettings(sample_rate=16000))
    print("\n".join(summary_lines(result)))

The names below load on first use, so that the CLI can read PrepareSettings without importing
the audio stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from samplernn.prepare.layouts import Failure, discover
    from samplernn.prepare.report import summary_lines
    from samplernn.prepare.run import PrepareResult, prepare_bank
    from samplernn.prepare.settings import PrepareSettings

_HOMES = {
    "Failure": "layouts",
    "discover": "layouts",
    "summary_lines": "report",
    "PrepareResult": "run",
    "prepare_bank": "run",
    "PrepareSettings": "settings",
}
__all__ = ["Failure", "PrepareResult", "PrepareSettings", "discover", "prepare_bank", "summary_lines"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"samplernn.prepare.{_HOMES[name]}"), name)
