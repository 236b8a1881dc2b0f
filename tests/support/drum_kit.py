"""Synthetic drum one-shots whose measures are known, a tiny drum kit dataset of them in the
`samplernn prepare` format, its statistics, and a tiny drum-model checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conditioning import BankStats, find_extent
from conditioning.bankstats import envelope_hop, note_levels
from samplernn.common.audio import write_wav
from samplernn.data.dataset import CREATED_BY
from samplernn.model.checkpoint import make_payload, save_checkpoint
from support.synth_data import write_manifest
from support.tiny import tiny_model

SR = 16000
ONSET = 800  # 50 ms of silence before each hit
HIT = 6400  # samples from the onset to the end of each file (0.4 s)
#: key → (kind, seconds for the level to fall 20 dB)
PIECES = {36: ("tone", 0.12), 38: ("noise", 0.08), 42: ("hiss", 0.03)}
VELOCITIES = (40, 100)


def one_shot(kind: str, decay_s: float, amp: float = 0.5, n: int = HIT, seed: int = 0,
             attack: int = 0, sr: int = SR) -> np.ndarray:
    """A hit from sample 0: `kind` 'tone' (a 70 Hz sine), 'noise' (white noise plus 190 Hz),
    'hiss' (differenced noise: bright) under an exponential decay falling 20 dB in `decay_s`,
    reaching `amp` after a linear `attack` (samples). float32 (n,)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    src = {"tone": lambda: np.sin(2 * np.pi * 70 * t),
           "noise": lambda: 0.6 * rng.standard_normal(n) + 0.4 * np.sin(2 * np.pi * 190 * t),
           "hiss": lambda: np.diff(rng.standard_normal(n + 1))}[kind]()
    src = src / np.abs(src).max()
    env = 10 ** (-t / decay_s)  # -20 dB per decay_s
    if attack:
        env *= np.clip(np.arange(n) / attack, 0.0, 1.0)
    return (amp * env * src).astype(np.float32)


def velocity_amp(velocity: int) -> float:
    return 0.1 + 0.7 * velocity / 127


def write_drum_dataset(root: Path, per_layer: dict[str, int] | None = None) -> Path:
    """A prepared drum kit: PIECES × VELOCITIES, `per_layer` hits per split (default 2 train,
    1 test), each a fresh noise seed; dataset.json says layout 'drumkit' and holds the statistics
    of the train split. Returns root."""
    per_layer = per_layer or {"train": 2, "test": 1}
    (root / "audio").mkdir(parents=True, exist_ok=True)
    rows, tails, levels, hop, seed = [], [], [], envelope_hop(SR), 0
    for key, (kind, decay) in PIECES.items():
        for vel in VELOCITIES:
            for split, count in per_layer.items():
                for i in range(count):
                    seed += 1
                    x = np.zeros(ONSET + HIT, np.float32)
                    x[ONSET:] = one_shot(kind, decay, velocity_amp(vel), seed=seed)
                    end = find_extent(x)[1]
                    release = ONSET + hop
                    note_id = f"{key}_{vel}_{split}_{i}"
                    write_wav(root / "audio" / f"{note_id}.wav", x, SR)
                    rows.append({"id": note_id, "audio": f"audio/{note_id}.wav", "split": split, "pitch": key,
                                 "velocity": vel, "onset": ONSET, "release": release, "end": end,
                                 "n_samples": x.size, "source": "synthetic"})
                    tails.append((key, vel, end - release))
                    if split == "train":
                        levels.append((key, vel, *note_levels(x, ONSET, release, end, hop)))
    write_manifest(root, rows)
    stats = BankStats.from_notes(SR, tails, levels)
    info = {"created_by": CREATED_BY, "sample_rate": SR, "layout": "drumkit", "bank_stats": stats.to_dict(),
            "source": "drum_kit.py"}
    (root / "dataset.json").write_text(json.dumps(info))
    return root


def drum_stats(root: Path) -> BankStats:
    """The statistics a dataset written by write_drum_dataset holds."""
    return BankStats.from_dict(json.loads((root / "dataset.json").read_text())["bank_stats"])


def drum_checkpoint(out: Path, stats: BankStats, layout: str | None = "drumkit",
                    dataset_path: str | None = None, generation: dict | None = None) -> Path:
    """A tiny model trained (nominally) on a kit: the payload's dataset record holds `layout` (None:
    no layout, as checkpoints from before the record) and `dataset_path`; `generation` as given
    (training's recipe.playing_hints; none: as checkpoints from before the record)."""
    record = {k: v for k, v in (("path", dataset_path), ("layout", layout)) if v}
    extra = {"dataset": record} if record else {}
    if generation is not None:
        extra["generation"] = generation
    save_checkpoint(out, make_payload(tiny_model(perturb=0.3), SR, stats, **extra))
    return out
