"""The `samplernn` command: a thin typer layer over the importable functions."""

from __future__ import annotations

import sys

import typer

from samplernn.commands import register_all
from samplernn.commands.common import echo_error
from samplernn.common.errors import UserError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help=__doc__,
    rich_markup_mode="markdown",  # help texts are plain: "[default: 0.001]" must not read as a rich tag
)
bench_app = typer.Typer(
    no_args_is_help=True, help="Speed and memory benchmarks.", rich_markup_mode="markdown"
)
app.add_typer(bench_app, name="bench")
# One module per step of the data flow adds its commands; each typer function stays small and
# calls an importable function.
register_all(app, bench_app)

__all__ = ["app", "bench_app", "main"]


def main() -> None:
    """Console entry point: user mistakes become one line on stderr, never a traceback."""
    try:
        app()
    except UserError as exc:
        echo_error(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
