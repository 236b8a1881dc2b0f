"""The sheet of a sample pack: one row per piece, one column per velocity, each cell the log-mel
spectrograms of its takes side by side (dB under the piece's loudest take, so that quieter
velocities look darker)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from samplernn.common.plots import SPECTROGRAM_RANGE_DB, figure
from samplernn.measures.sound import MelSettings, log_mel_db, mel_hop
from samplernn.render.drums import piece_name

SHEET_MEL = MelSettings(n_mels=48, fft_seconds=0.032, hop_fraction=0.5)
GAP_FRAMES = 2  # blank frames between two takes in a cell


class SheetTake(Protocol):
    key: int
    velocity: int
    number: int
    audio: np.ndarray


def cell_strip(specs: Sequence[np.ndarray]) -> np.ndarray:
    """Spectrograms (bands, frames_i) padded to the longest and joined with NaN gaps → (bands, F)."""
    width = max(s.shape[1] for s in specs)
    gap = np.full((specs[0].shape[0], GAP_FRAMES), np.nan)
    parts: list[np.ndarray] = []
    for s in specs:
        padded = np.full((s.shape[0], width), np.nan)
        padded[:, : s.shape[1]] = s
        parts += [padded, gap]
    return np.concatenate(parts[:-1], axis=1)


def plot_sheet(path: str | Path, takes: Sequence[SheetTake], sample_rate: int, title: str = "") -> Path:
    """Write the sheet PNG of `takes` (float audio from the note-on) to `path`; returns it."""
    keys = sorted({t.key for t in takes})
    vels = sorted({t.velocity for t in takes})
    specs = [log_mel_db(t.audio, sample_rate, SHEET_MEL) for t in takes]
    hop = mel_hop(sample_rate, SHEET_MEL)
    size = (2.4 * len(vels) + 1.6, 0.85 * len(keys) + 0.9)
    with figure(path, figsize=size, dpi=80, layout="constrained") as fig:
        axes = fig.subplots(len(keys), len(vels), squeeze=False)
        image = None
        for r, key in enumerate(keys):
            top = max(s.max() for s, t in zip(specs, takes, strict=True) if t.key == key)
            for c, vel in enumerate(vels):
                ax = axes[r][c]
                ax.set_xticks([])
                ax.set_yticks([])
                ordered = sorted(zip(specs, takes, strict=True), key=lambda st: st[1].number)
                cell = [s - top for s, t in ordered if (t.key, t.velocity) == (key, vel)]
                if cell:
                    image = ax.imshow(cell_strip(cell), origin="lower", aspect="auto", cmap="magma",
                                      vmin=-SPECTROGRAM_RANGE_DB, vmax=0, interpolation="nearest")
                    seconds = max(s.shape[1] for s in cell) * hop / sample_rate
                    ax.set_xlabel(f"{len(cell)} × {seconds:.2f} s", fontsize=7, labelpad=1)
                if c == 0:
                    ax.set_ylabel(f"{key} {piece_name(key)}", rotation=0, ha="right", va="center", fontsize=8)
                if r == 0:
                    ax.set_title(f"velocity {vel}", fontsize=9)
        if image is not None:
            fig.colorbar(image, ax=axes, label="dB re the piece's loudest take", shrink=0.8)
        if title:
            fig.suptitle(title, fontsize=10)
    return Path(path)
