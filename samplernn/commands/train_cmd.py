"""`samplernn train` and `samplernn bench train`: thin typer layers over the train and bench stages."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from samplernn.commands.common import fail
from samplernn.common.errors import UserError
from samplernn.model.config import PRESETS


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("train")(train_command)
    bench_app.command("train")(bench_train_command)


def train_command(
    dataset: Path = typer.Argument(..., help="Prepared dataset dir (made by `samplernn prepare`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run dir: checkpoints, metrics.jsonl, loss.png."),
    preset: str = typer.Option(None, help=f"Model preset: {', '.join(PRESETS)} [default: small]."),
    steps: int = typer.Option(
        None, help="Optimiser steps in total (a resumed run continues to this) [default: 20000]."
    ),
    batch_size: int = typer.Option(
        None, help="Batch rows (split across processes under torchrun) [default: 32]."
    ),
    window: int = typer.Option(None, help="TBPTT window in samples [default: 1024]."),
    lr: float = typer.Option(None, help="Adam learning rate [default: 0.001]."),
    lr_final: float = typer.Option(
        None,
        help="Anneal the learning rate along a half cosine from --lr to this at --steps [default: constant].",
    ),
    device: str = typer.Option(None, help="auto, cpu or cuda [default: auto]."),
    input_noise: int = typer.Option(
        None, help="Noise of ± this many quantisation levels on the input samples (not the targets): "
        "robust sustained notes in generation [default: 0]."
    ),
    oscillator: int = typer.Option(
        None,
        min=0,
        help="Feed the model sin/cos of this many harmonics of the note's phase (a pitch reference); "
        "with --init, a model without them is widened (new inputs start at zero) [default: the "
        "preset's, 0].",
    ),
    input_gain: float = typer.Option(
        None, help="Half the rows see their input samples scaled by a gain in [this, 1/this], targets "
        "clean: with level conditioning, notes that drift come back to the level [default: 0 = off]."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out where it stopped."),
    init: Path = typer.Option(
        None, help="Start a new run from this checkpoint's weights (fine-tuning, e.g. on re-prepared data)."
    ),
    no_conditioning: bool = typer.Option(None, "--no-conditioning", help="Train the unconditional baseline."),
    seed: int = typer.Option(None, help="Seed of initialisation and data order [default: 0]."),
    val_every: int = typer.Option(
        None, help="Steps between validation/test NLL and checkpoints [default: 500]."
    ),
    patience: int = typer.Option(
        None, help="Validations without improvement before stopping early; 0 = never [default: 10]."
    ),
    max_minutes: float = typer.Option(None, help="Stop (after a final validation) after this many minutes."),
    compile: bool = typer.Option(None, "--compile", help="Use torch.compile."),
    precision: str = typer.Option(
        None, help="auto (bf16 autocast on CUDA, fp32 on CPU), fp32 or bf16 (fast on CPUs with AMX)."
    ),
    threads: int = typer.Option(None, help="CPU threads for torch [default: torch's choice]."),
    preview: bool = typer.Option(
        None,
        "--preview/--no-preview",
        help="Generate a short clip per validation [default: on for CUDA only].",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a conditional SampleRNN on a prepared dataset (also runs under torchrun for DDP)."""
    from samplernn.train.distributed import env_dist
    from samplernn.train.loop import resolve_train_config, train

    given = {
        "preset": preset,
        "steps": steps,
        "batch_size": batch_size,
        "window": window,
        "lr": lr,
        "lr_final": lr_final,
        "device": device,
        "seed": seed,
        "val_every": val_every,
        "patience": patience,
        "max_minutes": max_minutes,
        "compile": compile,
        "preview": preview,
        "precision": precision,
        "threads": threads,
        "conditioning": False if no_conditioning else None,
        "init": str(init) if init else None,
        "input_noise": input_noise,
        "input_gain": input_gain,
    }
    if oscillator is not None:
        if resume:
            fail("--oscillator is part of the run's model; leave it out with --resume")
        given["model_overrides"] = {"oscillator": oscillator}
    given = {k: v for k, v in given.items() if v is not None}
    if resume and init:
        fail("--init starts a new run; it cannot be combined with --resume")
    if not resume and not init:
        given.setdefault("conditioning", True)
    try:
        cfg = resolve_train_config(out, given, resume)
        summary = train(dataset, out, cfg, resume=resume, progress=not quiet)
    except UserError as exc:
        fail(str(exc))
    if not env_dist().is_main:
        return
    if summary["status"] == "interrupted":
        typer.secho(
            f"interrupted at step {summary['step']}; checkpoint saved — continue with --resume",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(130)
    best = summary["best_val"]
    typer.echo(
        f"{summary['status']} at step {summary['step']}: best val "
        + (f"{best:.4f} bits/sample (step {summary['best_step']})" if best is not None else "n/a")
        + f" → {out / 'checkpoints' / 'best.pt'}"
    )


def bench_train_command(
    preset: str = typer.Option("small", help=f"Preset to measure: {', '.join(PRESETS)}."),
    batch_size: int = typer.Option(16, help="Batch rows."),
    window: int = typer.Option(1024, help="TBPTT window in samples."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    steps: int = typer.Option(5, help="Timed steps per measurement (after warm-up)."),
    no_reference: bool = typer.Option(False, "--no-reference", help="Skip the reference-preset run."),
    compile: bool = typer.Option(False, "--compile", help="Use torch.compile."),
    precision: str = typer.Option("auto", help="auto (bf16 on CUDA, fp32 on CPU), fp32 or bf16."),
    threads: int = typer.Option(0, help="CPU threads for torch; 0 = torch's default."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Training throughput (samples/s) for a preset, beside the `reference` preset (batch 16, window 1024)."""
    from samplernn.bench.train import bench_train_report

    try:
        report = bench_train_report(
            preset,
            batch_size=batch_size,
            window=window,
            device=device,
            steps=steps,
            reference=not no_reference,
            compile=compile,
            precision=precision,
            threads=threads,
        )
    except UserError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"training throughput on {report['device']}, {report['threads']} threads")
    for col in ("preset", "batch", "window", "cond", "precision", "params", "samples/s", "ms/step"):
        table.add_column(col, justify="right")
    for r in report["runs"]:
        table.add_row(
            r["preset"],
            str(r["batch_size"]),
            str(r["window"]),
            str(r["conditioning"]),
            r["precision"],
            f"{r['params']:,}",
            f"{r['samples_per_s']:,.0f}",
            f"{r['ms_per_step']:.1f}",
        )
    Console().print(table)
