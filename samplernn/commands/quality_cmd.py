"""`samplernn bench quality`: time to quality, a thin typer layer over samplernn.bench.quality."""

from __future__ import annotations

import json
import math
import sys
from contextlib import ExitStack
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import typer

from samplernn.bench.quality_measures import DEFAULT_EVERY, DEFAULT_MINUTES, QUALITY_EVALUATE
from samplernn.commands.common import Device, Quiet, fail
from samplernn.common.errors import UsageError, UserError
from samplernn.common.progress import ProgressFn, progress_bar
from samplernn.common.threads import MAX_THREADS
from samplernn.evaluate.options import EvaluateOptions
from samplernn.train.config import TrainConfig

_TRAIN = {f.name: f for f in fields(TrainConfig)}
_EVALUATE = {f.name: f for f in fields(EvaluateOptions)}
# The bars of the two phases: label and the text fields they show.
_PHASES = {"train": ("train", ("loss", "val", "sound", "sps")),
           "evaluate": ("evaluate", ("checkpoint", "stage"))}


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    bench_app.command("quality")(bench_quality_command)


def bench_quality_command(
    dataset: Path = typer.Argument(..., help="Prepared dataset dir (made by `samplernn prepare`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for quality.json, quality.png and the run."),
    minutes: float = typer.Option(
        DEFAULT_MINUTES, min=0.01, help="Training budget, minutes (--max-minutes)."
    ),
    every: float = typer.Option(DEFAULT_EVERY, min=0.01, help="Training minutes between snapshots."),
    init: str = typer.Option(None, metavar="NAME|PATH", help=_TRAIN["init"].metadata["help"]),
    run: Path = typer.Option(
        None, "--run", help="The run dir to train into, or to evaluate with --evaluate-only.",
        show_default="OUT/run",
    ),
    evaluate_only: bool = typer.Option(
        False, "--evaluate-only",
        help="Train nothing: evaluate the snapshots, best.pt and last.pt of the run already in --run.",
    ),
    settings: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE",
        help="A training setting (TrainConfig field) over the default recipe; repeatable: --set patience=0.",
    ),
    seeds: int = typer.Option(
        QUALITY_EVALUATE.seeds, min=1,
        help="Generate each checkpoint's notes this many times (seeds 0, 1, …); quality.json keeps every "
        "seed's values of the measures that are evaluate bars.",
    ),
    max_notes: int = typer.Option(
        QUALITY_EVALUATE.max_notes, min=1, help=_EVALUATE["max_notes"].metadata["help"]
    ),
    melodies: bool = typer.Option(
        QUALITY_EVALUATE.shipped_melodies, "--melodies/--no-melodies",
        help="Score the shipped melody set at every snapshot (as evaluate --shipped-melodies).",
    ),
    device: Device = QUALITY_EVALUATE.device,
    threads: int = typer.Option(
        0, min=0, max=MAX_THREADS,
        help="CPU threads for training and evaluation (as evaluate --threads); 0 = torch's choice in "
        "training, evaluate's defaults in evaluation.",
    ),
    quiet: Quiet = False,
) -> None:
    """Time to quality: train with the default recipe for --minutes, keeping a snapshot every --every
    training minutes; evaluate each snapshot (test split, shipped melodies, missing semitones,
    in-between velocities); write the curve of quality against training minutes: OUT/quality.json
    and OUT/quality.png."""
    from samplernn.bench.quality import quality_curve

    try:
        for name, value in (("--minutes", minutes), ("--every", every)):
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value}")
        options = replace(QUALITY_EVALUATE, device=device, seeds=seeds, max_notes=max_notes,
                          shipped_melodies=melodies)  # fmt: skip
    except ValueError as exc:
        fail(UsageError(str(exc)))
    try:
        overrides = {"device": device, **_parse_settings(settings)}
        with _PhaseBars(enabled=not quiet) as bars:
            curve = quality_curve(
                dataset, out, minutes=minutes, every=every, init=init, train_overrides=overrides,
                evaluate=options, evaluate_only=evaluate_only, run_dir=run, threads=threads,
                progress=bars, log=None if quiet else _log,
            )  # fmt: skip
    except UserError as exc:
        fail(exc)
    _print_times(curve)
    typer.echo(f"curve: {out / 'quality.json'}, {out / 'quality.png'}")


def _parse_settings(settings: list[str]) -> dict[str, Any]:
    """--set KEY=VALUE pairs as TrainConfig settings: VALUE read as JSON (numbers, true, null, …),
    else as text. Raises UserError for a malformed pair or an unknown key."""
    out: dict[str, Any] = {}
    for item in settings:
        key, sep, text = item.partition("=")
        if not sep or key not in _TRAIN:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(_TRAIN)}")
        try:
            out[key] = json.loads(text)
        except json.JSONDecodeError:
            out[key] = text
    return out


def _print_times(curve: dict[str, Any]) -> None:
    """Each target and the training minutes of the first snapshot that met it."""
    for key, minutes in curve["time_to_target"].items():
        when = "not met" if minutes is None else f"met at {minutes:.1f} min"
        typer.echo(f"{key} {curve['targets'][key]}: {when}")


def _log(line: str) -> None:
    print(line, file=sys.stderr)  # a live progress bar shows it above itself


class _PhaseBars:
    """A progress callback drawing one bar per phase (training, then evaluation), each opened at
    its phase's first report and closed when the next phase starts."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.phase, self.stack = enabled, None, ExitStack()
        self.bar: ProgressFn | None = None

    def __enter__(self) -> _PhaseBars:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()

    def __call__(self, done: int, total: int | None = None, *, phase: str, **values: Any) -> None:
        if phase != self.phase:
            self.stack.close()
            label, names = _PHASES[phase]
            bar = progress_bar(label, total or 0, enabled=self.enabled, fields=names)
            self.bar = self.stack.enter_context(bar)
            self.phase = phase
        assert self.bar is not None
        self.bar(done, total, **values)
