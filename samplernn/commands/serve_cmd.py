"""`samplernn serve`: a thin typer layer over samplernn.serve.server.serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from samplernn.commands.common import CHECKPOINT_HELP, Device, check_threads_env, fail
from samplernn.common.errors import UserError
from samplernn.serve.server import DEFAULT_HOST, DEFAULT_PORT


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    checkpoint: Annotated[Path, typer.Argument(help=CHECKPOINT_HELP)],
    host: Annotated[
        str, typer.Option(help="Address to listen on; the default is this machine only.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    device: Device = "auto",
) -> None:
    """A local web page to audition takes of a note (ranked by pitch, noise and level), keep the
    best, download them as WAVs or a zip sample pack, and render uploaded MIDI files."""
    from samplernn.serve.server import serve

    try:
        check_threads_env()  # the takes generate with its threads: said now, not at the first request
        serve(checkpoint, host, port, device, announce=typer.echo)
    except UserError as exc:
        fail(exc)
