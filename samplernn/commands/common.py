"""What the command modules share: the one-line error exit and typer options used by several commands.

Kept here (not in samplernn.cli) because samplernn.cli imports samplernn.commands at import time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated, Any, NoReturn

import typer
from typer.main import get_current_context

from samplernn.common.audio import BIT_DEPTHS
from samplernn.common.errors import UsageError
from samplernn.common.progress import ProgressFn, progress_bar
from samplernn.common.threads import MAX_THREADS, env_threads_notice, oversubscribed
from samplernn.generate.options import (
    HIT_PIECE_SECONDS,
    HIT_PROBE_SECONDS,
    MIN_P_HELP,
    ONSET_PROBE_SECONDS,
    GenerationOptions,
)
from samplernn.generate.temperature import ATTACK_TEMPERATURE_HELP

WEIGHT_DTYPE_DEFAULT = GenerationOptions.weight_dtype
#: Most takes `synth` and `pack` make of one note (or piece and velocity): each take is a stream of
#: the batch, held in memory until written; more is a typo.
MAX_TAKES = 256
#: The help of every command's checkpoint argument (common.shipped.resolve_checkpoint reads it).
CHECKPOINT_HELP = ("Checkpoint file (.pt) from `samplernn train`, a training run's folder (its "
                   "checkpoints/best.pt), or a shipped model's name (trombone-small).")


def echo_error(message: object) -> None:
    """One red `error: …` line on stderr."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


def usage_line(path: str, message: object) -> str:
    """'samplernn CMD: message (see 'samplernn CMD --help')': a usage mistake on one line."""
    return f"{path}: {' '.join(str(message).split())} (see '{path} --help')"


def fail(message: object, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero (status `code`). A UsageError is printed as the
    parser's own errors are (usage_line with the running command's path) and exits with 2."""
    if isinstance(message, UsageError):
        ctx = get_current_context(silent=True)
        echo_error(usage_line(ctx.command_path if ctx is not None else "samplernn", message))
        raise typer.Exit(2)
    echo_error(message)
    raise typer.Exit(code)


@contextmanager
def generation_options(quiet: bool = False, **fields: Any) -> Iterator[GenerationOptions]:
    """GenerationOptions(**fields) for a command (UserError for a bad value). Unless quiet, its
    progress callback draws a bar, opened at the first report: a mistake found before generation
    starts prints its one error line without an empty bar above it."""
    with ExitStack() as stack:
        bar: ProgressFn | None = None

        def update(done: int, total: int | None = None, **values: Any) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(progress_bar("generating", total or 0, unit="stream-samples"))
            bar(done, total, **values)

        try:
            options = GenerationOptions(progress=None if quiet else update, **fields)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        yield options


def check_bit_depth(bit_depth: int) -> None:
    """UsageError for a --bit-depth write_wav cannot write (synth's, render's and pack's)."""
    if bit_depth not in BIT_DEPTHS:
        raise UsageError(f"--bit-depth {bit_depth}: use 16, 24 or 8")


def weight_dtype_option(weight_dtype: str, precision: str | None) -> str:
    """The --weight-dtype value, or that of the deprecated --precision spelling (with a one-line
    note on stderr) when given; UserError when both are given and disagree."""
    if precision is None:
        return weight_dtype
    typer.echo("note: --precision is deprecated here; use --weight-dtype (same values)", err=True)
    if weight_dtype != WEIGHT_DTYPE_DEFAULT and weight_dtype != precision:
        raise UsageError(f"--precision {precision} contradicts --weight-dtype {weight_dtype}")
    return precision


# Options of the generation commands (synth, render, bench generate).
Device = Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1 …")]
WeightDtype = Annotated[
    str,
    typer.Option(
        "--weight-dtype",
        help="How the CPU engine stores its weights: auto (float16 when they fit), float32, "
        "float16 (faster).",
    ),
]
# The old spelling of --weight-dtype (in `train`, --precision means autocast): hidden, for one release.
DeprecatedPrecision = Annotated[str | None, typer.Option("--precision", hidden=True)]


def say_if_oversubscribed(threads: int | None) -> int | None:
    """A --threads callback: the value as given, after a notice on stderr when it exceeds the CPU
    cores this process may use (common.threads.oversubscribed). Left out, its default,
    $SAMPLERNN_THREADS, is checked here, before any work: a value that is not a whole number >= 1
    is a usage error naming the variable (exit 2), one cut down or above the cores a notice."""
    if threads is None:
        try:
            check_threads_env()
        except UsageError as exc:
            fail(exc)
        return None
    notice = oversubscribed(threads)
    if notice:
        typer.echo(notice, err=True)
    return threads


def check_threads_env() -> None:
    """$SAMPLERNN_THREADS, the threads of generation where none are given, checked before any work
    (by the --threads callback, and by serve and demo, which generate without the option): a notice
    on stderr when it is cut down to MAX_THREADS or above the usable cores.

    Raises:
        UsageError: naming the variable, for a value that is not a whole number >= 1.
    """
    notice = env_threads_notice()
    if notice:
        typer.echo(notice, err=True)


Threads = Annotated[
    int | None,
    typer.Option(min=1, max=MAX_THREADS, callback=say_if_oversubscribed,
                 help="CPU threads a batch is split over; idle cores help (default: $SAMPLERNN_THREADS, "
                 "else 1)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
RenderEngine = Annotated[
    str | None,
    typer.Option(help="notes: every note (or hit) its own stream, with its own lead and tail; voices: "
                 "persistent voices, generated only while they sound; auto (the default): voices on the "
                 "CPU engine with one thread, notes on CUDA or with --threads above 1.", show_default=False),
]


def finite(value: float | None) -> float | None:
    """Typer callback: refuse nan and inf in the words the parser's range check gives nan (cli._not_finite),
    so that both read "Invalid value for '--OPTION': … is not a finite number"."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def truncation(value: float | None) -> float | None:
    """Typer callback for --min-p: a finite number below 1 (the parser checks >= 0), refused in the
    parser's words ("Invalid value for '--min-p': …")."""
    value = finite(value)
    if value is not None and value >= 1:
        raise typer.BadParameter(f"{value} is not below 1 (1 would leave only the most likely value)")
    return value


Temperature = Annotated[
    float | None,
    typer.Option(min=0.0, callback=finite,
                 help="Sampling temperature (0 = greedy) [default: the model's own, else 1.0]."),
]
AttackTemp = Annotated[
    float | None,
    typer.Option("--attack-temperature", show_default=False, callback=finite, help=ATTACK_TEMPERATURE_HELP),
]
MinP = Annotated[
    float | None,
    typer.Option("--min-p", min=0.0, show_default=False, callback=truncation, help=MIN_P_HELP),
]
Seed = Annotated[int | None, typer.Option(min=0, help="Random seed: the same seed gives the same audio.")]
OnsetCandidates = Annotated[
    int,
    typer.Option(min=1, max=64,
                 help=f"Generate each note's first {ONSET_PROBE_SECONDS:g} s up to this many times (in "
                 "rounds of 2, 2, 4 …, until one holds the note's pitch clearly) and go on from the "
                 "candidate that holds it best (1 = off, as at --temperature 0); a drum model's hits: "
                 f"the one whose first {HIT_PROBE_SECONDS:g} s follows the kit's envelope and peaks "
                 f"soonest and (a kit trained since 2026-12-02) whose first {HIT_PIECE_SECONDS:g} s "
                 "sounds most like its piece."),
]


def onset_search_note(most: int) -> str:
    """What a summary line says about the onset search: ", onsets searched (up to N candidates)",
    or nothing when `most` is 1 (no search)."""
    return f", onsets searched (up to {most} candidates)" if most > 1 else ""
