"""Options of `samplernn evaluate`: every default and option help is stated once, here.

Light to import (no torch): the CLI reads the defaults when it builds its options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samplernn.common.paths import PRETRAINED_DIR
from samplernn.common.threads import MAX_THREADS
from samplernn.data.manifest import SPLITS
from samplernn.generate.options import (
    MIN_P_HELP,
    ONSET_CANDIDATES,
    ONSET_PROBE_SECONDS,
    THREADS_ENV,
    valid_min_p,
    valid_temperature,
)
from samplernn.generate.temperature import ATTACK_TEMPERATURE_HELP

#: The melody set that ships with the package (written by scripts/make_melodies.py).
SHIPPED_MELODIES = PRETRAINED_DIR / "melodies"
#: A second set, of other music, to report beside the shipped one and never to tune on (same script).
HELDOUT_MELODIES = PRETRAINED_DIR / "melodies_heldout"


def _option(default: Any, help_text: str) -> Any:
    """An options field with its default and the help `samplernn evaluate --help` shows."""
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class EvaluateOptions:
    """How a checkpoint is evaluated. Each field's metadata["help"] is its `samplernn evaluate` help.

    Raises ValueError (at construction) for an unknown split, a count below 1, threads outside
    1..MAX_THREADS, a negative seed or a temperature that is negative, NaN or infinite (an attack
    temperature also when 0).
    """

    split: str = _option("test", "Which split to evaluate: train, val or test.")
    max_notes: int | None = _option(None, "Evaluate at most N notes, spread over pitches and velocities "
                                    "(a drum model: at most N of the piece-velocity layers its takes "
                                    "are generated for) [default: every note of the split].")
    seed: int = _option(0, "Random seed for generation.")
    seeds: int = _option(
        1,
        "Generate the notes this many times (seeds SEED, SEED+1, …) and tabulate every bar "
        "per seed: one seed's pass or fail means little.",
    )
    temperature: float | None = _option(
        None, "Sampling temperature (0 = greedy); None = the checkpoint's own.")
    attack_temperature: float | None = _option(None, ATTACK_TEMPERATURE_HELP)
    min_p: float | None = _option(None, MIN_P_HELP)
    onset_candidates: int = _option(
        ONSET_CANDIDATES,
        f"Generate each note's first {ONSET_PROBE_SECONDS:g} s up to this many times (in rounds of 2, "
        "2, 4 …, until one holds the note's pitch clearly) and go on from the candidate that holds it "
        "best, as render and synth do by default (1 = off: the model's every onset as it comes).")
    device: str = _option("auto", "auto, cpu, cuda, cuda:1 …")
    batch_size: int = _option(64, "Notes generated (and NLL windows) per batch.")
    threads: int | None = _option(
        None, f"CPU threads for generation and NLL (default: ${THREADS_ENV}, else 1, for generation; "
        "torch's choice for NLL).")
    velocity_sweep: bool = _option(
        True, "For dynamics, also generate each pitch's first note at the bank's other velocities.")
    baseline: Path | None = _option(
        None, "Another checkpoint (e.g. unconditional) whose NLL on the same notes is the bar.")
    melodies: Path | None = _option(
        None,
        "Also render the MIDI melodies in this folder (or this one .mid file), each transposed into "
        "the model's range, and score every note's pitch, length and level.")
    shipped_melodies: bool = _option(
        False, "Also render and score the melody set that ships with samplernn (as --melodies).")
    heldout_melodies: bool = _option(
        False, "Also render and score the held-out melody set that ships with samplernn (other "
        "music than --shipped-melodies, never used to tune the recipe: report it apart).")
    missing_pitches: bool = _option(
        True, "Also generate a note at every semitone the model's bank lacks within its range and "
        "score its pitch.")

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"unknown split {self.split!r} (choose from {', '.join(SPLITS)})")
        counts = (self.seeds, self.batch_size, self.onset_candidates)
        if (self.max_notes is not None and self.max_notes < 1) or min(counts) < 1:
            raise ValueError("max_notes, seeds, batch_size and onset_candidates must be at least 1")
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(f"--threads must be within 1..{MAX_THREADS}, got {self.threads}")
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        if self.temperature is not None and not valid_temperature(self.temperature):
            raise ValueError(f"--temperature must be a finite number >= 0, got {self.temperature}")
        a = self.attack_temperature
        if a is not None and not (valid_temperature(a) and a > 0):
            raise ValueError(f"--attack-temperature must be a finite number > 0, got {a}")
        if self.min_p is not None and not valid_min_p(self.min_p):
            raise ValueError(f"--min-p must be a number in [0, 1), got {self.min_p}")
        if (self.melodies is not None) + self.shipped_melodies + self.heldout_melodies > 1:
            raise ValueError("give one of --melodies DIR, --shipped-melodies, --heldout-melodies")

    @property
    def melody_source(self) -> Path | None:
        """The folder (or file) of melodies to score, None for none."""
        if self.shipped_melodies:
            return SHIPPED_MELODIES
        return HELDOUT_MELODIES if self.heldout_melodies else self.melodies
