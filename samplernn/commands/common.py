"""What the command modules share: the one-line error exit and typer options used by several commands.

Kept here (not in samplernn.cli) because samplernn.cli imports samplernn.commands at import time.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer


def echo_error(message: object) -> None:
    """One red `error: …` line on stderr."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)


def fail(message: object, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    echo_error(message)
    raise typer.Exit(code)


# Options of the generation commands (synth, render, bench generate).
Device = Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1 …")]
Precision = Annotated[
    str,
    typer.Option(help="CPU engine weights: auto (float16 when they fit), float32, float16 (faster)."),
]
Threads = Annotated[
    int | None,
    typer.Option(min=1, help="CPU threads a batch is split over; idle cores help (default 1)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
Temperature = Annotated[
    float | None,
    typer.Option(min=0.0, help="Sampling temperature (0 = greedy) [default: the model's own, else 1.0]."),
]
Seed = Annotated[int | None, typer.Option(help="Random seed: the same seed gives the same audio.")]
