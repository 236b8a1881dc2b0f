"""The sheet of a sample pack: one row per piece, one column per velocity, each cell the log-mel
spectrograms of its takes side by side (dB under the piece's loudest sound, so that quieter
velocities look darker); with the kit's samples, a first column of real hits of each piece."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from samplernn.common.plots import SPECTROGRAM_RANGE_DB, figure
from samplernn.measures.sound import MelSettings, log_mel_db
from samplernn.render.drums import piece_name

SHEET_MEL = MelSettings(n_mels=48, fft_seconds=0.032, hop_fraction=0.5)
GAP_FRAMES = 2  # blank frames between two takes in a cell
SILENCE_DB = -1000.0  # where a shorter take has ended (drawn as the bottom of the scale)


class SheetTake(Protocol):
    key: int
    velocity: int
    number: int
    audio: np.ndarray


@dataclass
class Hit:
    """A real hit of the kit for the sheet: float audio (n,) from its onset."""

    key: int
    velocity: int
    number: int
    audio: np.ndarray = field(repr=False)


def cell_strip(specs: Sequence[np.ndarray]) -> np.ndarray:
    """Spectrograms (bands, frames_i) padded with silence to the longest and joined with NaN gaps
    (drawn blank) → (bands, F)."""
    width = max(s.shape[1] for s in specs)
    gap = np.full((specs[0].shape[0], GAP_FRAMES), np.nan)
    parts: list[np.ndarray] = []
    for s in specs:
        padded = np.full((s.shape[0], width), SILENCE_DB)
        padded[:, : s.shape[1]] = s
        parts += [padded, gap]
    return np.concatenate(parts[:-1], axis=1)


def plot_sheet(path: str | Path, takes: Sequence[SheetTake], sample_rate: int, title: str = "",
               real: Sequence[SheetTake] = ()) -> Path:
    """Write the sheet PNG of `takes` (float audio from the note-on) to `path`, with a first column
    of the `real` hits when given; returns the path."""
    keys = sorted({t.key for t in takes})
    columns: list[tuple[str, list[SheetTake]]] = [("real (kit)", [h for h in real if h.key in keys])]
    columns = columns if real else []
    for v in sorted({t.velocity for t in takes}):
        columns.append((f"velocity {v}", [t for t in takes if t.velocity == v]))
    specs = {id(t): log_mel_db(t.audio, sample_rate, SHEET_MEL) for _, col in columns for t in col}
    size = (2.4 * len(columns) + 1.6, 0.85 * len(keys) + 0.9)
    with figure(path, figsize=size, dpi=80, layout="constrained") as fig:
        axes = fig.subplots(len(keys), len(columns), squeeze=False)
        image = None
        for r, key in enumerate(keys):
            top = max(specs[id(t)].max() for _, col in columns for t in col if t.key == key)
            for c, (label, col) in enumerate(columns):
                mine = sorted((t for t in col if t.key == key), key=lambda t: t.number)
                seconds = max((len(t.audio) for t in mine), default=0) / sample_rate
                image = _cell(axes[r][c], [specs[id(t)] - top for t in mine], seconds) or image
                if c == 0:
                    axes[r][c].set_ylabel(f"{key} {piece_name(key)}", rotation=0, ha="right", va="center",
                                          fontsize=8)
                if r == 0:
                    axes[r][c].set_title(label, fontsize=9)
        if image is not None:
            fig.colorbar(image, ax=axes, label="dB re the piece's loudest sound", shrink=0.8)
        if title:
            fig.suptitle(title, fontsize=10)
    return Path(path)


def _cell(ax: Any, cell: list[np.ndarray], seconds: float) -> Any:
    """Draw one cell's spectrograms side by side, labelled with their count and the longest take's
    length in seconds (not the strip's width in whole mel frames); returns the image (None for an
    empty cell)."""
    ax.set_xticks([])
    ax.set_yticks([])
    if not cell:
        return None
    ax.set_xlabel(f"{len(cell)} × {seconds:.2f} s", fontsize=7, labelpad=1)
    return ax.imshow(cell_strip(cell), origin="lower", aspect="auto", cmap="magma",
                     vmin=-SPECTROGRAM_RANGE_DB, vmax=0, interpolation="nearest")
