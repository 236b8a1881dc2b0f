"""The time-to-quality bench's defaults and measures: which figure of an evaluate report (or of
the checkpoint) each measure is, its target, and the first training minute that met it. Light to
import (no torch): the CLI reads the defaults when it builds its options.

Every value is read from the report `samplernn evaluate` builds (samplernn.evaluate.report); none
is computed here. Shares stay shares (0 … 1), as in the report; the picture shows them in percent.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from samplernn.evaluate.options import EvaluateOptions

DEFAULT_MINUTES = 120.0  # training budget
DEFAULT_EVERY = 10.0  # training minutes between snapshots
#: How each snapshot is evaluated: the test split with the shipped melodies, the semitones the
#: bank lacks and the in-between velocities (the last two are evaluate's defaults).
QUALITY_EVALUATE = EvaluateOptions(shipped_melodies=True)

#: Comparison of a value with its target: value OP target meets it.
_OPS = {">=": operator.ge, "<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class Measure:
    """One measure: `path` is where the evaluate report holds it ("checkpoint" = the checkpoint's
    own record); `unit` "%" marks a share (0 … 1). `target` is (op, value) or (op, key of another
    measure of the same snapshot), None without one; `panel` names the measure whose panel this
    one is drawn in (None: a panel of its own); `bar` is the evaluate bar with the same value (its
    per-seed values with several seeds)."""

    key: str
    label: str
    path: tuple[str, ...]
    unit: str = ""
    target: tuple[str, float | str] | None = None
    panel: str | None = None
    bar: str | None = None


MEASURES: tuple[Measure, ...] = (
    Measure("val_nll", "val NLL", ("checkpoint", "val_nll"), "bits/sample"),
    Measure("test_nll", "test NLL", ("nll", "overall"), "bits/sample", panel="val_nll"),
    Measure("test_pitch_accuracy", "test notes in tune", ("generated", "pitch", "accuracy"), "%",
            (">=", 0.95), bar="pitch accuracy"),
    Measure("melody_pitch_accuracy", "melody notes in tune", ("melodies", "overall", "pitch", "accuracy"),
            "%", (">=", 0.95), bar="melody pitch"),
    Measure("melody_octave_errors", "melody octave errors (notes >= 0.15 s)",
            ("melodies", "overall", "pitch", "octave_errors_long"), "notes", bar="melody octave errors"),
    Measure("missing_pitch_accuracy", "missing semitones in tune", ("missing_pitches", "pitch", "accuracy"),
            "%", (">=", 0.90), bar="missing-pitch accuracy"),
    Measure("length_error_ms", "median |length error|, test notes", ("generated", "duration", "median_ms"),
            "ms", ("<=", 30.0), bar="median duration error"),
    Measure("melody_length_error_ms", "median |length error|, melodies",
            ("melodies", "overall", "length", "median_abs_ms"), "ms", ("<=", 30.0), panel="length_error_ms"),
    Measure("settle_ms", "pitch settles after note-on (median), test notes",
            ("generated", "settle", "median_ms"), "ms"),
    Measure("settle_real_ms", "real notes", ("real", "settle", "median_ms"), "ms", panel="settle_ms"),
    Measure("rms_rising_share", "RMS rising with velocity", ("generated", "dynamics", "rising_share"), "%",
            (">=", 0.90), bar="RMS rising with velocity"),
    Measure("between_share", "in-between velocities in between", ("between_velocities", "share"), "%",
            (">=", 0.80), bar="in-between velocities"),
    Measure("timbre_db", "timbre distance to the real notes", ("timbre", "generated_vs_real"), "dB",
            ("<", "timbre_sawtooth_db"), bar="timbre distance"),
    Measure("timbre_sawtooth_db", "sawtooth baseline", ("timbre", "sawtooth_vs_real"), "dB",
            panel="timbre_db"),
    Measure("noise_floor_db", "noise floor (re strongest harmonic)",
            ("noise_floor", "generated", "median_db"), "dB"),
    Measure("noise_floor_real_quantized_db", "real notes, quantised",
            ("noise_floor", "real_quantized", "median_db"), "dB", panel="noise_floor_db"),
    Measure("clip_share", "clipped samples", ("generated", "clipping", "share"), "%", bar="clipping"),
)
BY_KEY = {m.key: m for m in MEASURES}


def _lookup(source: dict[str, Any], path: Sequence[str]) -> Any:
    """source[path[0]][path[1]]…, None where a block is missing or null (e.g. no melodies)."""
    value: Any = source
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def read_measures(report: dict[str, Any], val_nll: float | None) -> dict[str, Any]:
    """Every measure of MEASURES from an evaluate report, and the checkpoint's validation NLL
    (bits per sample, the training's own record); None where the report has no such figure."""
    source = {**report, "checkpoint": {"val_nll": val_nll}}
    return {m.key: _lookup(source, m.path) for m in MEASURES}


def per_seed(seed_runs: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """{measure key: [its value per seed]} from evaluate's per-seed bars (the measures that are
    bars); empty with one seed."""
    if not seed_runs:
        return {}
    out: dict[str, list[Any]] = {}
    for m in MEASURES:
        if m.bar is not None:
            values = [{b["name"]: b["value"] for b in run["bars"]}.get(m.bar) for run in seed_runs]
            out[m.key] = values
    return out


def target_text(m: Measure) -> str | None:
    """The target in words, e.g. '>= 0.95' or '< timbre_sawtooth_db'; None without one."""
    if m.target is None:
        return None
    op, bound = m.target
    return f"{op} {bound}" if isinstance(bound, str) else f"{op} {bound:g}"


def meets(m: Measure, values: dict[str, Any]) -> bool | None:
    """Whether the snapshot's `values` meet the target of `m` (None: no target, or not measured)."""
    if m.target is None or values.get(m.key) is None:
        return None
    op, bound = m.target
    limit = values.get(bound) if isinstance(bound, str) else bound
    return None if limit is None else bool(_OPS[op](values[m.key], limit))


def time_to_target(snapshots: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """{measure key: the training minutes of the first snapshot that met its target, None if none
    did}, over the measures with a target; `snapshots` in training order."""
    out: dict[str, float | None] = {}
    for m in MEASURES:
        if m.target is not None:
            hit = [s["minutes"] for s in snapshots if meets(m, s["measures"])]
            out[m.key] = hit[0] if hit else None
    return out
