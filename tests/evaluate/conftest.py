"""Fixtures for the evaluate tests that need the bank's statistics: a dataset of notes long enough
for the noise floor, its statistics (release tails and loudness envelopes) and a short melody."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from support.audio import write_midi
from support.eval_data import SR, oracle_generate, tone, velocity_amp, write_eval_dataset

from conditioning import BankStats
from conditioning.bankstats import envelope_hop, note_levels
from samplernn.data.dataset import PreparedDataset, load_dataset

# Long enough that the sustained part (onset + 80 ms to release) holds three 0.256 s frames.
N, ONSET, RELEASE, END = 12800, 800, 10400, 12000
RELEASE_AT = (RELEASE - ONSET) / (END - ONSET)

#: (written pitch, velocity, start s, stop s): C4 … G4, fitted into the bank's C3 … G3 by −12.
MELODY = [(60, 100, 0.0, 0.15), (62, 60, 0.2, 0.5), (64, 96, 0.52, 0.95), (67, 120, 0.92, 1.4),
          (65, 50, 1.46, 1.66), (65, 100, 1.71, 1.91)]


@pytest.fixture(scope="session")
def long_dataset(tmp_path_factory: pytest.TempPathFactory) -> PreparedDataset:
    """Sawtooth notes at 48 and 55, velocities 40 / 80 / 120 (test) and one train note."""
    root = tmp_path_factory.mktemp("long_ds")
    return load_dataset(write_eval_dataset(root, n=N, onset=ONSET, release=RELEASE, end=END))


@pytest.fixture(scope="session")
def bank_stats(long_dataset: PreparedDataset) -> BankStats:
    """The statistics prepare would record for `long_dataset` (all its notes)."""
    hop = envelope_hop(SR)
    tails, levels = [], []
    for r in long_dataset.notes:
        x = long_dataset.load_audio(r)
        tails.append((r.pitch, r.velocity, r.end - r.release))
        levels.append((r.pitch, r.velocity, *note_levels(x, r.onset, r.release, r.end, hop)))
    return BankStats.from_notes(SR, tails, levels)


@pytest.fixture(scope="session")
def melody(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A six-note MIDI melody: a 0.15 s note, velocities between layers, legato, a repeated note."""
    return write_midi(tmp_path_factory.mktemp("melody") / "line.mid", MELODY)


@pytest.fixture(scope="session")
def fakes() -> SimpleNamespace:
    """Fake generators for `long_dataset` (oracle, late, noisy) and its note positions."""
    return SimpleNamespace(oracle=oracle, late=late, noisy=noisy, n=N, onset=ONSET, release=RELEASE, end=END,
                           melody=MELODY)


def oracle(**kw):
    """support.eval_data.oracle_generate with the release where `long_dataset` has it."""
    return oracle_generate(release_at=RELEASE_AT, **kw)


def late(delay: int, wave: str = "sawtooth"):
    """A generator that plays each note right but lets it sound `delay` samples past its end."""

    def generate(conds: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for c in conds:
            active = np.flatnonzero(c[:, 0] > 0)
            onset, end = int(active[0]), int(active[-1]) + 1
            release = onset + round(RELEASE_AT * (end - onset))
            pitch, velocity = int(c[onset, 0]), int(c[onset, 1])
            out.append(tone(pitch, len(c), onset, release + delay, end + delay, velocity_amp(velocity), wave))
        return out

    return generate


def noisy(sigma: float, seed: int = 0):
    """The sine oracle plus white noise of standard deviation `sigma` while each note sounds."""
    rng = np.random.default_rng(seed)
    clean = oracle()

    def generate(conds: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for c, x in zip(conds, clean(conds), strict=True):
            mask = c[:, 0] > 0
            out.append((x + sigma * rng.standard_normal(len(c)) * mask).astype(np.float32))
        return out

    return generate
