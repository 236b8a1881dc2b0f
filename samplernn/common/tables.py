"""Printing rich tables whole: on a terminal at its width, written to a file or a pipe at least at
the table's natural width (evaluate's report, the bench tables)."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.measure import Measurement


def print_whole(console: Console, table: RenderableType) -> None:
    """Print `table` at the console's width on a terminal; written to a file or pipe (80 columns
    unless $COLUMNS says otherwise), at least at the table's natural width, so that no figure is
    cut to "10…" (console.print's own width cannot exceed the console's)."""
    width = console.width
    if not console.is_terminal:
        natural = Measurement.get(console, console.options.update_width(1000), table).maximum
        console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width
