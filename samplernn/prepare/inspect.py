"""`samplernn inspect`: one PNG showing a prepared note and the bank it belongs to.

Top: the note's waveform and Hilbert envelope with the detected start/end (envelope threshold)
and the manifest's onset/release/end marks. Middle: its conditioning arrays. Bottom: notes per
pitch and velocity over the whole bank, and notes per split.

A dataset of unconditioned chunks (the *audio* layout) has no notes to speak of: its picture is
the chunk's waveform and level, and the chunks of each recording per split.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from conditioning import (
    DEFAULT_THRESHOLD,
    ELAPSED_INDEX,
    LEVEL_INDEX,
    NOTE_INDEX,
    REMAINING_INDEX,
    VELOCITY_INDEX,
    envelope,
    find_extent,
    level_column_db,
    note_name,
)
from samplernn.common.errors import UsageError, UserError
from samplernn.common.files import check_output_file
from samplernn.common.plots import figure
from samplernn.data.dataset import MANIFEST_FILE, SPLITS, NoteRecord, PreparedDataset, load_dataset
from samplernn.data.drum_bank import is_drum_bank
from samplernn.prepare.layouts import recording_of
from samplernn.prepare.sources.gm_drums import piece_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.gridspec import GridSpec


def default_note(ds: PreparedDataset) -> NoteRecord:
    """A representative note: the middle one when ordered by pitch, velocity and length."""
    ordered = sorted(ds.notes, key=lambda n: (n.pitch, n.velocity, n.n_samples, n.id))
    return ordered[len(ordered) // 2]


def find_note(ds: PreparedDataset, note_id: str) -> NoteRecord:
    """The note with id `note_id`, else the one prepared from the source of that name (manifest's
    `source`: `take.wav#3`), or from the file of that name, stem or path (`Cello_C#2_mf.wav`, whose
    id is `Cello_C_2_mf`; a path may carry the bank's folder before it). Raises UserError naming
    the nearest ids (difflib's ratio) when none matches, or the notes of a file that gave several."""
    for n in ds.notes:
        if note_id in (n.id, n.source):
            return n
    wanted = note_id.replace("\\", "/")

    def named(source: str) -> bool:
        file = recording_of(source)  # a session note's '#k' left off
        return wanted in (Path(file).name, Path(file).stem) or wanted.endswith("/" + file)

    found = [n for n in ds.notes if named(n.source)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UserError(f"{ds.root / MANIFEST_FILE}: {len(found)} notes were prepared from {note_id!r} "
                        f"({found[0].source}, {found[1].source} …): give one of them, or its id")
    ids = [n.id for n in ds.notes]
    near = difflib.get_close_matches(note_id, ids, n=3, cutoff=0.5)
    hint = f"the nearest: {', '.join(near)}" if near else f"ids look like {', '.join(ids[:3])}"
    raise UserError(f"{ds.root / MANIFEST_FILE}: no note with id {note_id!r} ({hint})")


def _keys(ds: PreparedDataset) -> tuple[Callable[[int], str], str]:
    """How the picture names a key, and what a key is: a drum kit's by its piece ('acoustic
    snare', 'piece'), else by note ('C4', 'pitch')."""
    if is_drum_bank(ds.info.get("layout"), ds.stats):
        return piece_name, "piece"
    return note_name, "pitch"


def _velocity_bins(velocities: list[int]) -> tuple[list[str], list[int]]:
    """Row labels and a row index per velocity: distinct values, or bins of 16 if there are many."""
    distinct = sorted(set(velocities))
    if len(distinct) <= 16:
        return [str(v) for v in distinct], [distinct.index(v) for v in velocities]
    return [f"{16 * k}–{16 * k + 15}" for k in range(8)], [v // 16 for v in velocities]


def _plot_note(fig: Figure, gs: GridSpec, ds: PreparedDataset, note: NoteRecord, threshold: float) -> None:
    x = ds.load_audio(note)
    sr = ds.sample_rate
    t = np.arange(x.size) / sr
    env = envelope(x)
    extent = find_extent(x, threshold, env)

    ax = fig.add_subplot(gs[0, :])
    ax.plot(t, x, lw=0.5, color="0.55", label="waveform")
    ax.plot(t, env, lw=1.0, color="tab:blue", label="envelope")
    if extent is not None:
        for pos, name in zip(extent, ("start", "end (envelope)"), strict=True):
            ax.axvline(pos / sr, color="0.2", ls=":", lw=1, label=f"detected {name}")
    for pos, name, color in ((note.onset, "onset", "tab:green"), (note.release, "release", "tab:orange"),
                             (note.end, "end", "tab:red")):
        ax.axvline(pos / sr, color=color, lw=1.2, label=f"{name} (sample {pos})")
    cond = note.conditioning(ds.stats)
    if ds.stats.envelopes:
        level = 10.0 ** (level_column_db(cond[:, LEVEL_INDEX]) / 20.0) * (cond[:, NOTE_INDEX] > 0)
        ax.plot(t, level, lw=1.0, color="tab:olive", label="bank level (RMS)")
    name, kind = _keys(ds)
    key = (f"key {note.pitch}, {name(note.pitch)}" if kind == "piece"
           else f"{name(note.pitch)} (MIDI {note.pitch})")
    ax.set_title(f"{note.id} — {key}, velocity {note.velocity}, {note.split}, {note.n_samples / sr:.2f} s")
    ax.set_xlim(0, t[-1] if t.size else 1)
    ax.set_ylabel("amplitude")
    ax.legend(loc="upper right", fontsize=7, ncols=2)

    ax1 = fig.add_subplot(gs[1, 0], sharex=ax)
    ax1.step(t, cond[:, NOTE_INDEX], where="post", color="tab:purple", label="note")
    ax1.step(t, cond[:, VELOCITY_INDEX], where="post", color="tab:cyan", label="velocity")
    ax1.set_ylabel("note / velocity")
    ax1.set_xlabel("seconds")
    ax1.legend(loc="upper right", fontsize=7)
    ax2 = fig.add_subplot(gs[1, 1], sharex=ax)
    ax2.plot(t, cond[:, REMAINING_INDEX], color="tab:red", label="remaining")
    ax2.plot(t, cond[:, ELAPSED_INDEX], color="tab:green", label="elapsed")
    ax2.set_ylabel("samples")
    ax2.set_xlabel("seconds")
    ax2.legend(loc="upper right", fontsize=7)


def _plot_bank(fig: Figure, gs: GridSpec, ds: PreparedDataset) -> None:
    pitches = sorted({n.pitch for n in ds.notes})
    labels, rows = _velocity_bins([n.velocity for n in ds.notes])
    grid = np.zeros((len(labels), len(pitches)), dtype=int)
    for n, r in zip(ds.notes, rows, strict=True):
        grid[r, pitches.index(n.pitch)] += 1
    ax = fig.add_subplot(gs[2, 0])
    im = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis", vmin=0)
    if grid.size <= 48 * 16:
        for (r, c), count in np.ndenumerate(grid):
            ax.text(c, r, str(count), ha="center", va="center", fontsize=6,
                    color="white" if count < grid.max() / 2 else "black")
    name, kind = _keys(ds)
    ax.set_xticks(range(len(pitches)), [name(p) for p in pitches], rotation=90, fontsize=6)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel(kind)
    ax.set_ylabel("velocity")
    ax.set_title(f"bank: {len(ds.notes)} notes; notes per {kind} and velocity", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03, label="notes")

    ax2 = fig.add_subplot(gs[2, 1])
    bottom = np.zeros(len(pitches))
    for split in SPLITS:
        counts = Counter(n.pitch for n in ds.notes if n.split == split)
        values = np.array([counts.get(p, 0) for p in pitches])
        ax2.bar(range(len(pitches)), values, bottom=bottom, label=f"{split} ({values.sum()})")
        bottom += values
    ax2.set_xticks(range(len(pitches)), [name(p) for p in pitches], rotation=90, fontsize=6)
    ax2.set_ylabel("notes")
    ax2.set_title(f"splits per {kind}", fontsize=9)
    ax2.legend(fontsize=7)


def is_unconditioned(ds: PreparedDataset) -> bool:
    """True for a dataset of chunks with no notes (the audio layout: every pitch and velocity 0)."""
    return ds.info.get("layout") == "audio" or all(n.pitch == 0 and n.velocity == 0 for n in ds.notes)


def _plot_chunk(fig: Figure, gs: GridSpec, ds: PreparedDataset, note: NoteRecord) -> None:
    """The chunk's waveform with its envelope, and its RMS level in 10 ms frames."""
    x = ds.load_audio(note)
    sr = ds.sample_rate
    t = np.arange(x.size) / sr
    ax = fig.add_subplot(gs[0, :])
    ax.plot(t, x, lw=0.5, color="0.55", label="waveform")
    ax.plot(t, envelope(x), lw=1.0, color="tab:blue", label="envelope")
    ax.set_title(f"{note.id} — chunk of {note.source}, {note.split}, {note.n_samples / sr:.2f} s "
                 "(unconditioned)")
    ax.set_xlim(0, t[-1] if t.size else 1)
    ax.set_ylabel("amplitude")
    ax.legend(loc="upper right", fontsize=7)
    hop = max(1, sr // 100)
    frames = x[: x.size // hop * hop].reshape(-1, hop).astype(np.float64)
    level = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    ax1 = fig.add_subplot(gs[1, :], sharex=ax)
    ax1.plot(np.arange(level.size) * hop / sr, level, color="tab:olive")
    ax1.set_ylabel("RMS level (dBFS)")
    ax1.set_xlabel("seconds")


def _plot_recordings(fig: Figure, gs: GridSpec, ds: PreparedDataset) -> None:
    """Chunks of each recording, stacked by split."""
    recordings = list(dict.fromkeys(recording_of(n.source) for n in ds.notes))
    ax = fig.add_subplot(gs[2, :])
    left = np.zeros(len(recordings))
    for split in SPLITS:
        counts = Counter(recording_of(n.source) for n in ds.notes if n.split == split)
        values = np.array([counts.get(r, 0) for r in recordings])
        ax.barh(range(len(recordings)), values, left=left, label=f"{split} ({values.sum()})")
        left += values
    if len(recordings) <= 40:
        ax.set_yticks(range(len(recordings)), recordings, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("chunks")
    ax.set_title(f"bank: {len(ds.notes)} chunks of {len(recordings)} recordings", fontsize=9)
    ax.legend(fontsize=7)


def inspect_dataset(root: str | Path, note_id: str | None = None, png: str | Path | None = None) -> Path:
    """Write the inspection PNG for one note (or chunk) of the prepared dataset at `root`; return its
    path.

    Default note: `default_note`; default path: ROOT/inspect-<id>.png. Raises UserError for a
    dataset, note or PNG path that cannot be used.
    """
    ds = load_dataset(root)
    note = find_note(ds, note_id) if note_id else default_note(ds)
    threshold = float(ds.info.get("settings", {}).get("threshold", DEFAULT_THRESHOLD))
    png = Path(png) if png else ds.root / f"inspect-{note.id}.png"
    check_output_file(png)  # before drawing; a failed write is a UserError too (common.files)
    if png.suffix.lower() != ".png":  # -o dataset.json would replace the dataset's own file
        raise UsageError(f"-o {png}: give a .png file name for the picture")
    with figure(png, figsize=(12, 10), dpi=100, layout="constrained") as fig:
        gs = fig.add_gridspec(3, 2, height_ratios=(1.3, 1.0, 1.1))
        if is_unconditioned(ds):
            _plot_chunk(fig, gs, ds, note)
            _plot_recordings(fig, gs, ds)
        else:
            _plot_note(fig, gs, ds, note, threshold)
            _plot_bank(fig, gs, ds)
    return png
