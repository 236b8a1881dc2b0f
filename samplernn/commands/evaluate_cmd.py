"""`samplernn evaluate`: NLL and sound measures of a checkpoint on a prepared dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from samplernn.commands.common import Device, Temperature, fail
from samplernn.common.errors import UserError


def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint file (.pt).")],
    dataset: Annotated[Path, typer.Argument(help="Prepared dataset directory (from `samplernn prepare`).")],
    split: Annotated[str, typer.Option(help="Which split to evaluate: train, val or test.")] = "test",
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the full report here (JSON).")
    ] = None,
    plots: Annotated[
        Path | None,
        typer.Option(help="Write a PNG grid of real vs generated spectrograms into this directory."),
    ] = None,
    audio: Annotated[
        Path | None, typer.Option(help="Write the generated notes as WAVs into this directory.")
    ] = None,
    max_notes: Annotated[
        int | None, typer.Option(min=1, help="Evaluate at most N notes, spread over pitches and velocities.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for generation.")] = 0,
    seeds: Annotated[
        int,
        typer.Option(
            min=1,
            help="Generate the notes this many times (seeds SEED, SEED+1, …) and tabulate every bar "
            "per seed: one seed's pass or fail means little.",
        ),
    ] = 1,
    temperature: Temperature = None,
    device: Device = "auto",
    batch_size: Annotated[int, typer.Option(min=1, help="Notes generated (and NLL windows) per batch.")] = 64,
    velocity_sweep: Annotated[
        bool,
        typer.Option(
            help="For dynamics, also generate each pitch's first note at the bank's other velocities."
        ),
    ] = True,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Another checkpoint (e.g. unconditional) whose NLL on the same notes is the bar."),
    ] = None,
) -> None:
    """Measure a model: test NLL, pitch, duration, dynamics, timbre and clipping of generated notes,
    next to the same measures on the real recordings."""
    try:
        run_evaluate(**locals())
    except UserError as exc:
        fail(exc)


def run_evaluate(
    checkpoint: Path,
    dataset: Path,
    *,
    split: str = "test",
    json_path: Path | None = None,
    plots: Path | None = None,
    audio: Path | None = None,
    device: str = "auto",
    baseline: Path | None = None,
    velocity_sweep: bool = True,
    seed: int = 0,
    seeds: int = 1,
    **options: Any,
) -> dict[str, Any]:
    """Load, evaluate, print and write; `options` go to evaluate_model. Returns the report (of the
    first seed, with every seed's bars under "seeds" when seeds > 1)."""
    from rich.console import Console

    from samplernn.common.audio import write_wav
    from samplernn.common.files import write_json
    from samplernn.data.dataset import SPLITS, load_dataset
    from samplernn.evaluate.run import evaluate_model
    from samplernn.evaluate.view import plot_spectrograms, render_tables, seeds_table
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.train.loop import resolve_device

    if split not in SPLITS:
        raise UserError(f"unknown split {split!r} (choose from {', '.join(SPLITS)})")
    console = Console()
    ds = load_dataset(dataset)
    dev = resolve_device(device)
    ckpt = load_checkpoint(checkpoint, dev)
    if ckpt.sample_rate != ds.sample_rate:
        raise UserError(f"{checkpoint}: model is {ckpt.sample_rate} Hz, {dataset} is {ds.sample_rate} Hz")
    base_model = load_checkpoint(baseline, dev).model if baseline is not None else None
    options["temperature"] = ckpt.sampling_temperature(options.get("temperature"))
    ev = evaluate_model(
        ckpt.model,
        ds,
        split,
        device=dev,
        baseline_model=base_model,
        sweep_velocities=velocity_sweep,
        progress=console.is_terminal,
        stats=ckpt.stats,
        seed=seed,
        **options,
    )
    ev.report.update(checkpoint=str(checkpoint), dataset=str(dataset), step=ckpt.step)
    render_tables(ev.report, console)
    if seeds > 1:
        runs = [{"seed": seed, "bars": ev.report["bars"], "passed": ev.report["passed"]}]
        for s in range(seed + 1, seed + seeds):
            rep = evaluate_model(
                ckpt.model, ds, split, device=dev, sweep_velocities=velocity_sweep, with_nll=False,
                progress=console.is_terminal, stats=ckpt.stats, seed=s, **options,
            ).report
            nll_bars = [b for b in runs[0]["bars"] if b["name"] == "test NLL"]  # seed-independent
            bars = nll_bars + [b for b in rep["bars"] if b["name"] != "test NLL"]
            runs.append({"seed": s, "bars": bars, "passed": all(b["passed"] is not False for b in bars)})
        ev.report["seeds"] = runs
        console.print(seeds_table(runs))
    if json_path is not None:
        write_json(json_path, ev.report)
        console.print(f"report: {json_path}")
    if plots is not None:
        console.print(f"spectrograms: {plot_spectrograms(ev, plots / 'spectrograms.png')}")
    if audio is not None:
        for rec, g in zip(ev.records + ev.sweep, ev.generated + ev.sweep_audio, strict=True):
            write_wav(audio / f"{rec.id}.generated.wav", g, ds.sample_rate)
        console.print(f"generated notes: {audio}/")
    return ev.report


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add `evaluate` to the CLI."""
    app.command("evaluate")(evaluate)
