"""The `samplernn` command (a thin typer layer over the importable functions)."""

from __future__ import annotations

import math
import sys
from enum import Enum
from importlib.metadata import version
from typing import Any

import typer
from typer import core as typer_core

from samplernn.commands import register_all
from samplernn.commands.common import echo_error, usage_line
from samplernn.common.errors import INTERRUPTED_STATUS, UsageError, UserError


def _flags_show_no_type() -> None:
    """Typer's rich help (0.2x) prints a value type after every option, a flag's too ("--version
    <bool>", "--help <bool>"), as if it took a value: a flag's is left out, as click and earlier typer
    print them. Nothing changes where typer's options have no such column."""
    option = getattr(typer_core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "flags_plain", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich.flags_plain = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich  # type: ignore[union-attr]


_flags_show_no_type()
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="A conditional SampleRNN synthesizer: prepare a bank of recorded notes, train a model on it, "
    "then play notes and MIDI files through it.",
    rich_markup_mode=None,  # click's plain help: rich's tables cut long option names at 80 columns
)
bench_app = typer.Typer(
    no_args_is_help=True, help="Speed and memory benchmarks.", rich_markup_mode=None
)
app.add_typer(bench_app, name="bench")
# One module per step of the data flow adds its commands; each typer function stays small and
# calls an importable function.
register_all(app, bench_app)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"samplernn {version('samplernn')}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """The options before a command (its help text is the app's)."""

__all__ = ["app", "bench_app", "main"]


def main() -> None:
    """Console entry point: user mistakes become one line on stderr, never a traceback. A usage
    mistake (a missing argument, an option out of range) is one line too, exit status 2."""
    try:
        code = app(prog_name="samplernn", standalone_mode=False)
    except UsageError as exc:
        echo_error(usage_line(_command_path(sys.argv[1:]), exc))
        sys.exit(2)
    except UserError as exc:
        echo_error(exc)
        sys.exit(1)
    except (KeyboardInterrupt, typer.Abort):
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
        sys.exit(INTERRUPTED_STATUS)
    except Exception as exc:
        if _interrupted(exc):
            typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
            sys.exit(INTERRUPTED_STATUS)
        if not _is_usage_error(exc):
            raise
        sys.exit(_show_usage_error(exc))
    if code == INTERRUPTED_STATUS:  # typer turns a Ctrl-C in a command into this status, silently
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted(exc: BaseException) -> bool:
    """Whether `exc` is a Ctrl-C that a library wrapped: numba's compiled functions (librosa's pYIN,
    in prepare's pitch check) turn a KeyboardInterrupt into "SystemError: … returned a result with
    an exception set", the interrupt its cause or context."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _is_usage_error(exc: Exception) -> bool:
    """Whether `exc` is the command-line parser's own (typer's click exceptions: they carry a
    message for the user and an exit status)."""
    return callable(getattr(exc, "format_message", None)) and isinstance(getattr(exc, "exit_code", None), int)


def _show_usage_error(exc: Exception) -> int:
    """Print a parser error as one line naming the command and where its help is (help asked for
    by giving no arguments is printed whole); returns the exit status."""
    message = exc.format_message()  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help, which rich has printed already
        if message.strip():
            typer.echo(message)
    else:
        path = ctx.command_path if ctx is not None else _command_path(sys.argv[1:])
        args = sys.argv[1:]
        echo_error(usage_line(path, _not_finite(exc, args) or _not_a_choice(exc, args) or message))
    return exc.exit_code  # type: ignore[attr-defined]


def _not_finite(exc: Exception, args: list[str]) -> str | None:
    """For a ranged number option given nan or inf, a message that says so: typer's range check
    refuses it, but reads "Input should be less than or equal to 60" for nan. None otherwise."""
    given = _given(exc, args)
    if given is None:
        return None
    name, value = given
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isfinite(number) else f"Invalid value for '{name}': {value} is not a finite number"


def _not_a_choice(exc: Exception, args: list[str]) -> str | None:
    """For a choice option (an Enum) given another value, "--layout must be one of auto, pairs, …,
    got 'bogus'", as the commands' own checks say it: typer's reads "Value error, 'bogus' is not
    one of 'auto', …". None otherwise."""
    param = getattr(exc, "param", None)
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = [str(c.value) for c in annotation]
    else:  # older typer: click's Choice
        choices = [str(getattr(c, "value", c)) for c in getattr(getattr(param, "type", None), "choices", ())]
    given = _given(exc, args)
    if not choices or given is None or given[1] in choices:
        return None
    return f"{given[0]} must be one of {', '.join(choices)}, got {given[1]!r}"


def _given(exc: Exception, args: list[str]) -> tuple[str, str] | None:
    """(the option as written, its value) in `args` for the option a parser error names; None when
    it is not there with a value."""
    opts = getattr(getattr(exc, "param", None), "opts", None) or []
    for i, word in enumerate(args):
        name, eq, value = word.partition("=")
        if name in opts and (eq or i + 1 < len(args)):
            return name, value if eq else args[i + 1]
    return None


def _command_path(args: list[str]) -> str:
    """'samplernn CMD [SUB]': the commands named at the start of `args` (for a parser error raised
    before the command's context exists, e.g. an option given without its value)."""
    command, path = typer.main.get_command(app), ["samplernn"]
    for word in args:
        command = getattr(command, "commands", {}).get(word)
        if command is None:
            break
        path.append(word)
    return " ".join(path)


if __name__ == "__main__":
    main()
