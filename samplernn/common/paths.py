"""Files that ship inside the package: the trained trombone model, the demo melody and the bundled
bank. Every caller takes these paths from here, so a plain `pip install .` finds them too."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PRETRAINED_DIR = PACKAGE_DIR / "pretrained"
SHIPPED_MODEL = PRETRAINED_DIR / "trombone-small.pt"
DEMO_MELODY = PRETRAINED_DIR / "melody.mid"
# 312 FluidR3 trombone notes (FLAC + MIDI pairs); provenance in banks/trombone/PROVENANCE.md.
BUNDLED_BANK = PACKAGE_DIR / "banks" / "trombone" / "notes"
