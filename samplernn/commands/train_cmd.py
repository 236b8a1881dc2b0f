"""`samplernn train` and `samplernn bench train`: thin typer layers over the train and bench stages."""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import typer

from samplernn.commands.common import fail
from samplernn.common.errors import INTERRUPTED_STATUS, UsageError, UserError
from samplernn.common.files import check_output_folder
from samplernn.common.progress import progress_bar
from samplernn.common.threads import oversubscribed
from samplernn.model.config import PRESETS
from samplernn.train.config import SCHEDULED_SAMPLING, TrainConfig


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("train")(train_command)
    bench_app.command("train")(bench_train_command)


_FIELDS = {f.name: f for f in fields(TrainConfig)}
# Options that switch a TrainConfig setting (on by default) off: option name → field.
SWITCHES_OFF = {"no_conditioning": "conditioning"}


def _setting(name: str, *param_decls: str, **kw: Any) -> Any:
    """The option of TrainConfig field `name`: the field's default and help text."""
    f = _FIELDS[name]
    return typer.Option(f.default, *param_decls, help=f.metadata["help"], **kw)


OSCILLATOR_OPTION: Any = typer.Option(
    None,
    min=0,
    help="Feed the model sin/cos of this many harmonics of the note's phase (a pitch reference); "
    "with --init, a model without them is widened (new inputs start at zero).",
    show_default="the preset's",
)
PRE_EMPHASIS_OPTION: Any = typer.Option(
    None,
    min=0.0,
    max=0.99,
    help="Model pre-emphasised audio, y[n] = x[n] - A·x[n-1] (e.g. 0.85), de-emphasised after "
    "generation: quantisation noise then sits under the strong low harmonics. 0 = off.",
    show_default="the preset's: 0.7 in small and base; 0 for a new drum kit run",
    metavar="A",
)
DROPOUT_OPTION: Any = typer.Option(
    None,
    min=0.0,
    max=0.9,
    help="Dropout share while training, on each frame tier's GRU input and output and the "
    "sample-level MLP (Zaremba et al. 2014): against learning a small bank by heart. Generation "
    "never drops.",
    show_default="the preset's: 0, off",
    metavar="P",
)


def train_command(
    ctx: typer.Context,
    dataset: Path = typer.Argument(..., help="Prepared dataset dir (made by `samplernn prepare`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run dir: checkpoints, metrics, loss.png, sound.png."),
    preset: str = _setting("preset"),
    steps: int = _setting("steps"),
    batch_size: int = _setting("batch_size"),
    window: int = _setting("window"),
    lr: float = _setting("lr"),
    lr_final: float = _setting("lr_final"),
    warmup_steps: int = _setting("warmup_steps"),
    device: str = _setting("device"),
    input_noise: int = _setting("input_noise"),
    oscillator: int = OSCILLATOR_OPTION,
    pre_emphasis: float = PRE_EMPHASIS_OPTION,
    dropout: float = DROPOUT_OPTION,
    scheduled_sampling: float | None = _setting("scheduled_sampling", metavar="SHARE"),
    input_gain: float = _setting("input_gain"),
    input_gain_from: float = _setting("input_gain_from", metavar="SHARE"),
    input_gain_tiers: str = _setting("input_gain_tiers", metavar="all|frames"),
    ema: float = _setting("ema", metavar="DECAY"),
    attack_weight: float | None = _setting("attack_weight"),
    attack_seconds: float = _setting("attack_seconds", metavar="SECONDS"),
    attack_noise: float = _setting("attack_noise", metavar="SHARE"),
    hidden_countdown: float = _setting("hidden_countdown"),
    note_interpolation: float = _setting("note_interpolation"),
    fill_pitches: int = _setting("fill_pitches"),
    kit_retune: float = _setting("kit_retune", metavar="SEMITONES"),
    balance_pieces: bool = _setting("balance_pieces", "--balance-pieces/--no-balance-pieces"),
    piece_brightness: bool = _setting("piece_brightness", "--piece-brightness/--no-piece-brightness"),
    piece_tuning: bool = _setting("piece_tuning", "--piece-tuning/--no-piece-tuning"),
    fit_min_p: bool = _setting("fit_min_p", "--fit-min-p/--no-fit-min-p"),
    short_notes: int = _setting("short_notes", metavar="COPIES"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out where it stopped."),
    init: str = _setting("init", metavar="NAME|PATH"),
    new_pitch_draws: int = _setting("new_pitch_draws", metavar="TIMES"),
    no_conditioning: bool = typer.Option(
        False, "--no-conditioning", help=_FIELDS[SWITCHES_OFF["no_conditioning"]].metadata["help"]
    ),
    seed: int = _setting("seed"),
    val_every: int = _setting("val_every"),
    patience: int = _setting("patience"),
    choose_by: str = _setting("choose_by"),
    score_tie: float | None = _setting("score_tie"),
    sound_notes: int = _setting("sound_notes"),
    sound_draws: int | None = _setting("sound_draws", metavar="N"),
    sound_seconds: float = _setting("sound_seconds"),
    max_minutes: float = _setting("max_minutes"),
    snapshot_minutes: float = _setting("snapshot_minutes"),
    compile: bool = _setting("compile", "--compile"),
    precision: str = _setting("precision"),
    threads: int = _setting("threads"),
    preview: bool = _setting("preview", "--preview/--no-preview"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a conditional SampleRNN on a prepared dataset (also runs under torchrun for DDP)."""
    from samplernn.train.distributed import env_dist
    from samplernn.train.loop import train

    model_options = (("--oscillator", oscillator), ("--pre-emphasis", pre_emphasis), ("--dropout", dropout))
    for name, value in model_options:
        if resume and value is not None:
            fail(UsageError(f"{name} is part of the run's model; leave it out with --resume"))
    if resume and init:
        fail(UsageError("--init starts a new run; it cannot be combined with --resume"))
    show = env_dist().is_main and not quiet
    try:
        cfg = _checked_config(dataset, out, _given(ctx), resume)
        notice = oversubscribed(cfg.threads)
        if notice and env_dist().is_main:
            typer.echo(notice, err=True)
        # a time-bounded run's total is set by the loop once it knows its pace
        total = cfg.steps if cfg.max_minutes is None else 0
        with progress_bar("train", total, enabled=show, fields=("loss", "val", "sound", "sps")) as update:
            result = train(dataset, out, cfg, resume=resume, progress=update, log=_log if show else None)
    except UserError as exc:
        fail(exc)
    if env_dist().is_main:
        _announce(result, out)


def _checked_config(dataset: Path, out: Path, given: dict[str, Any], resume: bool) -> Any:
    """The run's TrainConfig, checked before the progress bar opens: a read-only --out, a missing
    dataset, a setting out of range or a batch too large for the device's memory is one line, not
    a bar then an error (the run reads the dataset's metadata again). Raises UserError."""
    from samplernn.common.device import resolve_device
    from samplernn.data.dataset import load_dataset
    from samplernn.model.checkpoint import read_payload
    from samplernn.train.distributed import env_dist
    from samplernn.train.init import resolve_train_config
    from samplernn.train.memory import check_step_memory
    from samplernn.train.run_dir import RunPaths, check_outside_dataset, check_run_dir

    check_output_folder(out)
    check_run_dir(RunPaths(out), resume)  # another run, a user's folder: one line, not a bar then the line
    cfg = resolve_train_config(out, given, resume)
    cfg.validate()
    if given.get("lr_final") is not None and given["lr_final"] > cfg.lr:  # the default is capped at --lr
        raise UsageError(f"--lr-final {given['lr_final']:g} is above --lr {cfg.lr:g}: the rate anneals "
                         "down to it")
    if resume and given.get("steps") is not None:
        done = int(read_payload(RunPaths(out).last).get("step", 0))
        if given["steps"] <= done:  # it would validate once more and rewrite last.pt, unasked
            raise UsageError(f"--steps {given['steps']}: the run is at step {done} already; give more "
                             "steps to train on")
    info = env_dist()
    # the device, and whether a step fits in its memory, before the bar
    device = resolve_device(cfg.device, local_rank=info.local_rank if info.enabled else None)
    load_dataset(dataset)  # a missing or damaged dataset: its one line, before the bar
    check_outside_dataset(out, dataset)
    check_step_memory(cfg.model_config(), cfg.batch_size, cfg.window, device, info.world_size)
    return cfg


def _announce(result: Any, out: Path) -> None:
    """How the run ended, on the terminal; exit INTERRUPTED_STATUS when it was interrupted."""
    if result.status == "interrupted":
        typer.secho(
            f"interrupted at step {result.step}; checkpoint saved — continue with --resume",
            fg=typer.colors.YELLOW,
            err=True,
        )
        sys.exit(INTERRUPTED_STATUS)  # not typer.Exit: the CLI would add a second "interrupted"
    if result.status in ("early_stopped", "already_ended"):
        typer.echo(result.message)
    typer.echo(f"{result.status} at step {result.step}: {_best(result)} → {out / 'checkpoints' / 'best.pt'}")


def _best(result: Any) -> str:
    """The checkpoint best.pt holds, in words."""
    if result.best_val is None:
        return "best n/a"
    sound = f"sound score {result.best_score:.2f}, " if result.best_score is not None else ""
    return f"best step {result.best_step} ({sound}val {result.best_val:.4f} bits/sample)"


def _given(ctx: typer.Context) -> dict[str, Any]:
    """The TrainConfig settings typed on the command line; the others are left out (a resumed run
    keeps its stored ones, a fine-tune takes its --init checkpoint's model)."""
    typed = {name: value for name, value in ctx.params.items() if _typed(ctx, name)}
    given = {name: value for name, value in typed.items() if name in _FIELDS}
    given.update({field: False for option, field in SWITCHES_OFF.items() if typed.get(option)})
    model = {name: typed[name] for name in ("oscillator", "pre_emphasis", "dropout") if name in typed}
    if model:
        given["model_overrides"] = model
    return given


def _typed(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _log(line: str) -> None:
    print(line, file=sys.stderr)  # a live progress bar shows it above itself


def bench_train_command(
    preset: str = typer.Option("small", help=f"Preset to measure: {', '.join(PRESETS)}."),
    batch_size: int = typer.Option(TrainConfig.batch_size, help="Batch rows (train's default)."),
    window: int = typer.Option(TrainConfig.window, help="TBPTT window in samples (train's default)."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    steps: int = typer.Option(5, help="Timed steps per measurement (after warm-up)."),
    no_reference: bool = typer.Option(False, "--no-reference", help="Skip the reference-preset run."),
    compile: bool = typer.Option(False, "--compile", help="Use torch.compile."),
    precision: str = typer.Option(
        "auto", help="auto (bf16 on CUDA and on CPUs with native bf16, else fp32), fp32 or bf16."
    ),
    threads: int = typer.Option(0, help="CPU threads for torch; 0 = torch's default."),
    scheduled_sampling: float = typer.Option(
        SCHEDULED_SAMPLING,
        help="Share of the inputs the model draws first, as a bank of pitched notes trains "
        "(train's default); 0 = the plain step (a drum kit's). The reference preset never has it.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Training throughput (samples/s) for a preset, at train's batch, window and scheduled
    sampling unless given, beside the `reference` preset (batch 16, window 1024)."""
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
            scheduled_sampling=scheduled_sampling,
        )
    except UserError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from samplernn.common.tables import print_whole

    table = Table(title=f"training throughput on {report['device']}, {report['threads']} threads")
    for col in ("preset", "batch", "window", "cond", "sched. sampling", "precision", "params", "samples/s",
                "ms/step"):
        table.add_column(col, justify="right")
    for r in report["runs"]:
        table.add_row(
            r["preset"],
            str(r["batch_size"]),
            str(r["window"]),
            str(r["conditioning"]),
            f"{r['scheduled_sampling']:g}",
            r["precision"],
            f"{r['params']:,}",
            f"{r['samples_per_s']:,.0f}",
            f"{r['ms_per_step']:.1f}",
        )
    print_whole(Console(), table)
