"""`samplernn evaluate`: NLL and sound measures of a checkpoint on a prepared dataset (thin; logic:
samplernn.evaluate). Every default and option help comes from evaluate.options.EvaluateOptions."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer

from samplernn.commands.common import (
    CHECKPOINT_HELP,
    AttackTemp,
    Device,
    MinP,
    Quiet,
    Temperature,
    fail,
    say_if_oversubscribed,
)
from samplernn.common.errors import UsageError, UserError
from samplernn.common.threads import MAX_THREADS
from samplernn.evaluate.options import EvaluateOptions

_FIELDS = {f.name: f for f in fields(EvaluateOptions)}


def _default(name: str) -> Any:
    """EvaluateOptions' default of field `name`."""
    return _FIELDS[name].default


def _option(name: str, **kw: Any) -> Any:
    """A typer option whose help is EvaluateOptions' help of field `name`."""
    return typer.Option(help=_FIELDS[name].metadata["help"], **kw)


def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help=CHECKPOINT_HELP)],
    dataset: Annotated[Path, typer.Argument(help="Prepared dataset directory (from `samplernn prepare`).")],
    split: Annotated[str, _option("split")] = _default("split"),
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the full report here (JSON, with the definition "
                                  "of every measure).")
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(help="Write spectrograms.png into this folder (made if missing): a grid of real "
                          "vs generated log-mel spectrograms of a few notes; for a drum model also "
                          "likeness.png: which piece its takes and the real hits sound like."),
    ] = None,
    audio: Annotated[
        Path | None, typer.Option(help="Write the generated notes as WAVs into this folder: "
                                  "<id>.generated.wav per note, melody_<name>.wav, missing_<pitch>.wav.")
    ] = None,
    max_notes: Annotated[int | None, _option("max_notes", min=1)] = _default("max_notes"),
    seed: Annotated[int, _option("seed", min=0)] = _default("seed"),
    seeds: Annotated[int, _option("seeds", min=1)] = _default("seeds"),
    temperature: Temperature = _default("temperature"),
    attack_temperature: AttackTemp = _default("attack_temperature"),
    min_p: MinP = _default("min_p"),
    onset_candidates: Annotated[
        int, _option("onset_candidates", min=1, max=64)
    ] = _default("onset_candidates"),
    device: Device = _default("device"),
    batch_size: Annotated[int, _option("batch_size", min=1)] = _default("batch_size"),
    threads: Annotated[int | None, _option("threads", min=1, max=MAX_THREADS, show_default=False,
                                           callback=say_if_oversubscribed)] = _default(
        "threads"),
    velocity_sweep: Annotated[bool, _option("velocity_sweep")] = _default("velocity_sweep"),
    baseline: Annotated[Path | None, _option("baseline")] = _default("baseline"),
    melodies: Annotated[Path | None, _option("melodies")] = _default("melodies"),
    shipped_melodies: Annotated[bool, _option("shipped_melodies")] = _default("shipped_melodies"),
    heldout_melodies: Annotated[bool, _option("heldout_melodies")] = _default("heldout_melodies"),
    missing_pitches: Annotated[bool, _option("missing_pitches")] = _default("missing_pitches"),
    quiet: Quiet = False,
) -> None:
    """Measure a model: test NLL, pitch, duration, dynamics, timbre, clipping and noise floor of
    generated notes, next to the same measures on the real recordings; semitones and velocities the
    bank lacks; with --melodies, --shipped-melodies or --heldout-melodies, MIDI melodies scored note
    by note."""
    from rich.console import Console

    from samplernn.common.progress import progress_bar
    from samplernn.evaluate import checkpoint as evaluation
    from samplernn.evaluate.view import print_whole, render_tables, seeds_table

    try:
        options = EvaluateOptions(
            split=split, max_notes=max_notes, seed=seed, seeds=seeds, temperature=temperature, device=device,
            attack_temperature=attack_temperature, min_p=min_p, onset_candidates=onset_candidates,
            batch_size=batch_size, threads=threads, velocity_sweep=velocity_sweep, baseline=baseline,
            melodies=melodies, shipped_melodies=shipped_melodies, heldout_melodies=heldout_melodies,
            missing_pitches=missing_pitches)
    except ValueError as exc:  # --split banana, --temperature inf, two melody sources
        fail(UsageError(str(exc)))
    console = Console()
    try:
        evaluation.check_outputs(json_path, plots, audio, checkpoint=checkpoint, dataset=dataset,
                                 melodies=melodies)
        shown = console.is_terminal and not quiet
        with progress_bar("evaluate", 0, enabled=shown, fields=("stage",)) as update:
            result = evaluation.evaluate_checkpoint(checkpoint, dataset, options, progress=update)
        for line in result.report["notices"]:
            typer.secho(f"warning: {line}", fg=typer.colors.YELLOW, err=True)
        render_tables(result.report, console)
        if result.seed_runs:
            print_whole(console, seeds_table(result.seed_runs))
        if json_path is not None:
            console.print(f"report: {evaluation.write_report(result, json_path)}")
        if plots is not None:
            for picture in evaluation.write_spectrograms(result, plots):
                console.print(f"{picture.stem}: {picture}")
        if audio is not None:
            console.print(f"generated notes: {evaluation.write_generated(result, audio)}/")
    except UserError as exc:
        fail(exc)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add `evaluate` to the CLI."""
    app.command("evaluate")(evaluate)
