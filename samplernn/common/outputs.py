"""Output paths that would overwrite an input: refused before anything is generated."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from samplernn.common.errors import UserError


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether `a` and `b` name the same file: os.path.samefile when both exist (links
    included), else equal resolved paths."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def refuse_overwriting(outputs: Iterable[str | Path], inputs: Iterable[str | Path]) -> None:
    """UserError naming the first output that is one of the inputs (e.g. `render song.mid -o
    song.mid`, which would replace the MIDI file with audio)."""
    inputs = [Path(p) for p in inputs]
    for out in outputs:
        for src in inputs:
            if same_file(out, src):
                raise UserError(f"{out}: this is an input ({src}); write the output somewhere else")
