"""Progress bars. Library code never draws: it takes a `ProgressFn` callback and calls it as work
advances; the commands pass the callback of a `progress_bar` (rich, to stderr) or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# progress(done, total, **fields): `done` units of `total` so far; fields are shown as text
# (e.g. loss="1.23"). Callers pass None for "no progress reporting".
ProgressFn = Callable[..., None]


@contextmanager
def progress_bar(
    label: str, total: int, *, enabled: bool = True, fields: tuple[str, ...] = (), unit: str = ""
) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr (count, percentage, named text fields, elapsed, ETA).

    Yields `update(done, total=None, **fields)`; `done` is absolute, not an increment. With
    enabled=False it yields a function that does nothing, so callers need no branch.
    """
    if not enabled:
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns += [TextColumn(f"{name} {{task.fields[{name}]}}") for name in fields]
    columns += [TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True, log_path=False), refresh_per_second=4) as bar:
        task = bar.add_task(label, total=total, **{name: "-" for name in fields})

        def update(done: int, total: int | None = None, **values: Any) -> None:
            kwargs = {k: str(v) for k, v in values.items()}
            if total is not None:
                kwargs["total"] = total
            bar.update(task, completed=done, **kwargs)

        yield update


def counter(update: ProgressFn | None) -> Callable[[int], None]:
    """Turn an absolute `update(done)` into an `advance(n)` that adds n each call (None → no-op)."""
    if update is None:
        return lambda n: None
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        update(done)

    return advance


def _ignore(*args: Any, **kwargs: Any) -> None:
    return None
