"""Progress bars. Library code never draws: it takes a `ProgressFn` callback and calls it as work
advances; the commands pass the callback of a `progress_bar` (rich, to stderr) or nothing."""

from __future__ import annotations

import sys
import time
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

    console = Console(stderr=True, log_path=False)
    if not console.is_terminal:  # a log file or a pipe: a live bar would arrive once, at the end, cut
        yield from _plain_lines(label, total, unit)
        return
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
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        task = bar.add_task(label, total=total, **{name: "-" for name in fields})

        def update(done: int, total: int | None = None, **values: Any) -> None:
            kwargs = {k: str(v) for k, v in values.items()}
            if total is not None:
                kwargs["total"] = total
            bar.update(task, completed=done, **kwargs)

        yield update


#: Seconds between two progress lines when stderr is not a terminal.
PLAIN_EVERY_S = 30.0


def _plain_lines(label: str, total: int, unit: str) -> Iterator[ProgressFn]:
    """`progress_bar`'s update for a stderr that is not a terminal: one plain line at most every
    PLAIN_EVERY_S seconds (label, count, percentage, fields, elapsed, ETA) and one when it ends.
    The ETA is at the pace since the first update: neither the set-up before it (a training's
    model and data) nor work done before the bar began (a resumed run's steps) counts."""
    start = time.monotonic()
    state: dict[str, Any] = {"done": 0, "total": total, "fields": {}, "said": start, "line": ""}
    state["first"] = None  # (done, time) at the first update: where the pace is counted from

    def line() -> str:
        done, whole = state["done"], state["total"]
        now = time.monotonic()
        share = f" ({100 * done / whole:.0f}%)" if whole else ""
        first_done, first_t = state["first"] or (done, now)
        pace = (done - first_done) / (now - first_t) if now > first_t and done > first_done else 0.0
        left = f", eta {_clock((whole - done) / pace)}" if whole and pace > 0 and done < whole else ""
        fields = "".join(f" {k} {v}" for k, v in state["fields"].items() if v not in ("", "-"))
        count = f"{done}/{whole or '?'}" + (f" {unit}" if unit else "")
        return f"{label} {count}{share}{fields}, {_clock(now - start)}{left}"

    def update(done: int, total: int | None = None, **values: Any) -> None:
        if state["first"] is None:
            state["first"] = (done, time.monotonic())
        state["done"] = done
        if total is not None:
            state["total"] = total
        state["fields"].update({k: str(v) for k, v in values.items()})
        now = time.monotonic()
        if now - state["said"] >= PLAIN_EVERY_S:
            state["said"], state["line"] = now, line()
            print(state["line"], file=sys.stderr, flush=True)

    yield update
    if line() != state["line"]:
        print(line(), file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


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
