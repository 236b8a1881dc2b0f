"""`samplernn demo`: the README's main job (thin; logic: samplernn.render.demo)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from typer.main import get_current_context

from samplernn.commands.common import (
    OnsetCandidates,
    check_threads_env,
    fail,
    generation_options,
    onset_search_note,
)
from samplernn.common.errors import UsageError, UserError
from samplernn.common.lists import counted
from samplernn.common.progress import progress_bar
from samplernn.generate.options import ONSET_CANDIDATES
from samplernn.render.demo import (
    BUNDLED_BANK,
    DEFAULT_MELODY,
    DEFAULT_MODEL,
    DEMO_GENERATION,
    DEMO_INIT,
    check_demo_run,
    demo_outputs,
    prepare_demo_bank,
    render_demo,
    train_demo_model,
)


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the WAV and PNG.")] = Path("demo_out"),
    model: Annotated[Path, typer.Option(help="Checkpoint to play.")] = DEFAULT_MODEL,
    midi: Annotated[Path, typer.Option(help="MIDI file to render.")] = DEFAULT_MELODY,
    train: Annotated[bool, typer.Option("--train", help="Prepare the bundled bank and train a model first.")]
    = False,
    minutes: Annotated[float, typer.Option(min=0.01, help="Training time with --train.")] = 3.0,
    scratch: Annotated[
        bool, typer.Option("--scratch", help=f"With --train: start from nothing, not from {DEMO_INIT}.")
    ] = False,
    bank: Annotated[Path, typer.Option(help="Instrument bank for --train.")] = BUNDLED_BANK,
    seed: Annotated[int, typer.Option(min=0, help="Seed of training and generation.")] = DEMO_GENERATION.seed,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    onset_candidates: OnsetCandidates = ONSET_CANDIDATES,
) -> None:
    """Render the shipped melody with the shipped trombone model (or --train one first)."""
    from samplernn.prepare.report import summary_lines

    try:
        if not math.isfinite(minutes):
            raise UsageError(f"--minutes must be a finite number, got {minutes}")
        _check_train_options(train)
        check_threads_env()  # the melody renders with its threads: said now, not after --train's minutes
        demo_outputs(out, midi)  # before preparing and training, not after
        if train:
            check_demo_run(out, bank, seed=seed, scratch=scratch)  # before prepare replaces its bank
            start = "from scratch" if scratch else f"fine-tuning {DEMO_INIT}"
            typer.echo(f"preparing {bank} into {out}/dataset …")
            for line in summary_lines(prepare_demo_bank(out, bank), bank):
                typer.echo(line)
            if (out / "run" / "checkpoints" / "last.pt").is_file():
                typer.echo(f"going on with the earlier run in {out}/run ({start}) to {minutes:g} min in all "
                           "…")
            else:
                typer.echo(f"training `small` ({start}) for {minutes:g} min into {out}/run …")
            with progress_bar("train", 0, fields=("loss", "val", "sound", "sps")) as update:
                model = train_demo_model(out, minutes=minutes, device=device, seed=seed, scratch=scratch,
                                         progress=update, said=typer.echo)
        # The melody plays on the CPU unless a device is named (--device auto is for training).
        with generation_options(seed=seed, device=None if device == "auto" else device) as gen:
            res = render_demo(out, model, midi, gen, onset_candidates)
    except UserError as exc:
        fail(exc)
    clamped = counted(res.clamped, "note")
    if res.transpose:
        moved = f", moved {res.transpose:+d} semitones toward its range"
        moved += f" ({clamped} still outside it clamped to its edge)" if res.clamped else ""
    else:
        moved = f", {clamped} outside its range clamped to its edge" if res.clamped else ""
    typer.echo(
        f"rendered {counted(res.n_notes, 'hit' if res.drums else 'note')} ({res.seconds:.1f} s of audio) in "
        f"{res.elapsed:.1f} s "
        f"with {res.checkpoint}{moved}{onset_search_note(res.onset_candidates)}, gain {res.gain_db:+.1f} dB"
    )
    typer.echo(f"audio:       {res.wav}")
    typer.echo(f"spectrogram: {res.png}")


#: Options that only --train reads, and the one it replaces (it plays the model it trains).
_TRAIN_ONLY = ("minutes", "scratch", "bank")


def _check_train_options(train: bool) -> None:
    """UsageError for an option given on the command line that the run would silently ignore:
    --minutes, --scratch or --bank without --train (the shipped model would play instead of one
    trained on the bank), --model with --train (the trained model plays, not it)."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return
    given = [name for name in (*_TRAIN_ONLY, "model")  # typer's own click: its enum, by name
             if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"]  # fmt: skip
    if train and "model" in given:
        raise UsageError("--model and --train: --train plays the model it trains (fine-tuned from "
                         f"{DEMO_INIT}); give one")
    unused = [f"--{name}" for name in given if name != "model"]
    if not train and unused:
        named = unused[0] if len(unused) == 1 else f"{', '.join(unused[:-1])} and {unused[-1]}"
        verb = "counts" if len(unused) == 1 else "count"
        raise UsageError(f"{named} only {verb} with --train (add it to train a model first)")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command()(demo)
