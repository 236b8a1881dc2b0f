"""Helpers for the evaluate tests: notes with known pitch, envelope and end, a tiny dataset of
them in the prepare format, and a fake generator that plays the conditioning back as a tone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from samplernn.common.audio import write_wav
from samplernn.measures.sound import midi_to_hz, sawtooth
from support.synth_data import write_manifest

SR = 16000


def envelope_note(
    n: int, onset: int, release: int, end: int, amp: float = 0.5, attack: int = 160
) -> np.ndarray:
    """Amplitude envelope: linear attack from onset, sustain to release, exponential decay that
    reaches 1 % of `amp` at `end`, zero after (so the 0.8 % audible end is `end`)."""
    t = np.arange(n)
    env = np.clip((t - onset) / attack, 0.0, 1.0)
    decay = np.exp(np.log(0.01) * np.maximum(t - release, 0) / max(end - release, 1))
    env = np.where(t >= release, decay, env)
    env[(t < onset) | (t >= end)] = 0.0
    return amp * env


def tone(
    pitch: float,
    n: int,
    onset: int,
    release: int,
    end: int,
    amp: float = 0.5,
    wave: str = "sine",
    sr: int = SR,
) -> np.ndarray:
    """A sine or band-limited sawtooth at MIDI `pitch` (fractional allowed) under `envelope_note`."""
    f = midi_to_hz(pitch)
    osc = np.sin(2 * np.pi * f * np.arange(n) / sr) if wave == "sine" else sawtooth(f, n, sr)
    return (osc * envelope_note(n, onset, release, end, amp)).astype(np.float32)


def velocity_amp(velocity: int) -> float:
    return 0.05 + 0.6 * velocity / 127


def write_eval_dataset(
    root: str | Path,
    notes: Sequence[tuple[int, int, str]] = tuple((p, v, "test") for p in (48, 55) for v in (40, 80, 120))
    + ((48, 80, "train"),),
    n: int = 6400,
    onset: int = 800,
    release: int = 4000,
    end: int = 5600,
    wave: str = "sawtooth",
) -> Path:
    """A prepared dataset (audio/<id>.wav 16-bit mono, manifest.csv, dataset.json) of
    (pitch, velocity, split) notes, all with the same positions; louder with velocity."""
    root = Path(root)
    rows = []
    for i, (pitch, velocity, split) in enumerate(notes):
        note_id = f"{split}_{pitch}_{velocity}_{i}"
        x = tone(pitch, n, onset, release, end, velocity_amp(velocity), wave)
        write_wav(root / "audio" / f"{note_id}.wav", x, SR)
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
                "source": "tests/eval_data.py",
            }
        )
    write_manifest(root, rows)
    info = {"sample_rate": SR, "bank_stats": {"sample_rate": SR, "release_tail": []}}
    (root / "dataset.json").write_text(json.dumps(info))
    return root


def oracle_generate(
    detune: float = 0.0,
    wave: str = "sine",
    gain: float = 1.0,
    release_at: float = 2 / 3,
    dynamics: bool = True,
    stops: bool = True,
):
    """A fake generate function: reads pitch, velocity, onset and end back from each conditioning
    array and plays a tone (`detune` semitones off) that ends where requested. Conditioning does not
    carry the release: it is taken at `release_at` of the note (2/3 matches write_eval_dataset).
    dynamics=False plays every velocity at the level of velocity 80; stops=False holds the tone to the
    end of the conditioning array."""

    def generate(conds: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for c in conds:
            active = np.flatnonzero(c[:, 0] > 0)
            onset, end = int(active[0]), int(active[-1]) + 1
            pitch, velocity = int(c[onset, 0]), int(c[onset, 1])
            release = onset + round(release_at * (end - onset))
            if not stops:
                release, end = len(c) - 1, len(c)
            out.append(
                gain
                * tone(
                    pitch + detune,
                    len(c),
                    onset,
                    release,
                    end,
                    velocity_amp(velocity if dynamics else 80),
                    wave,
                )
            )
        return out

    return generate
