"""Tiny prepared datasets written by tests: short sine notes in the `samplernn prepare` format.

A dataset dir holds audio/<id>.wav (16-bit mono), manifest.csv and dataset.json, exactly the
contract `samplernn.dataset.load_dataset` reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conditioning import BankStats
from conditioning.bankstats import envelope_hop, note_levels
from samplernn.common.audio import write_wav
from samplernn.data import manifest


def sine_note(pitch: int, n_samples: int, onset: int, end: int, sample_rate: int, amp: float) -> np.ndarray:
    """A decaying sine at `pitch` over [onset, end), silence elsewhere: float32 (n_samples,)."""
    t = np.arange(n_samples)
    freq = 440.0 * 2 ** ((pitch - 69) / 12)
    x = np.zeros(n_samples, dtype=np.float32)
    n = end - onset
    env = np.exp(-3.0 * np.arange(n) / n)
    x[onset:end] = amp * env * np.sin(2 * np.pi * freq * t[onset:end] / sample_rate)
    return x


def write_synth_dataset(
    root: str | Path,
    pitches: tuple[int, ...] = (48, 55, 60),
    per_split: dict[str, int] | None = None,
    sample_rate: int = 4000,
    min_len: int = 300,
    max_len: int = 700,
    seed: int = 0,
) -> Path:
    """Write a prepared dataset of sine notes; per_split counts notes per pitch in each split.

    Lengths vary between min_len and max_len samples so that notes end mid-window.
    """
    root = Path(root)
    per_split = per_split or {"train": 3, "val": 1, "test": 1}
    rng = np.random.default_rng(seed)
    (root / "audio").mkdir(parents=True, exist_ok=True)
    rows, tails, levels = [], [], []
    hop = envelope_hop(sample_rate)
    for split, count in per_split.items():
        for pitch in pitches:
            for i in range(count):
                n = int(rng.integers(min_len, max_len + 1))
                onset = int(rng.integers(2, max(3, n // 10)))
                end = n - int(rng.integers(2, max(3, n // 8)))
                release = (onset + end) // 2
                velocity = int(rng.integers(40, 127))
                note_id = f"{split}_{pitch}_{i}"
                audio = sine_note(pitch, n, onset, end, sample_rate, 0.2 + 0.6 * velocity / 127)
                write_wav(root / "audio" / f"{note_id}.wav", audio, sample_rate)
                rows.append(
                    {
                        "id": note_id,
                        "audio": f"audio/{note_id}.wav",
                        "split": split,
                        "pitch": pitch,
                        "velocity": velocity,
                        "onset": onset,
                        "release": release,
                        "end": end,
                        "n_samples": n,
                        "source": "synthetic",
                    }
                )
                tails.append((pitch, velocity, end - release))
                if split == "train":
                    levels.append((pitch, velocity, *note_levels(audio, onset, release, end, hop)))
    write_manifest(root, rows)
    stats = BankStats.from_notes(sample_rate, tails, levels)
    info = {"sample_rate": sample_rate, "bank_stats": stats.to_dict(), "source": "tests/synth_data.py"}
    (root / "dataset.json").write_text(json.dumps(info, indent=2))
    return root


def write_manifest(root: Path, rows: list[dict]) -> None:
    """root/manifest.csv with one row per note (dicts with the fields of data.manifest.NoteRecord),
    through the package's own manifest writer."""
    manifest.write_manifest(root / "manifest.csv", [manifest.NoteRecord(**row) for row in rows])
