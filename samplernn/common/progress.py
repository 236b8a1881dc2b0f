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

    Yields `update(done, total=None, **fields)`; `done` is absolute, not an increment; a field
    `label` replaces the bar's label (a next stage of the same count, e.g. pack's redraw rounds,
    whose added work lowers the percentage). With enabled=False it yields a function that does
    nothing, so callers need no branch.
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
    )

    columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns += [TextColumn(f"{name} {{task.fields[{name}]}}") for name in fields]
    # rich's own ETA forgets its pace whenever the total changes, which a time-bounded training
    # run's total (the step its time limit will stop it at) does at almost every step
    columns += [TimeElapsedColumn(), TextColumn("eta [cyan]{task.fields[eta_]}")]
    pace = _Pace()
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        # total 0 is "not known yet": rich would show 0/0, finished
        task = bar.add_task(label, total=total or None, eta_="-:--:--", **{name: "-" for name in fields})

        def update(done: int, total: int | None = None, **values: Any) -> None:
            kwargs: dict[str, Any] = {k: str(v) for k, v in values.items()}
            if "label" in kwargs:
                kwargs["description"] = kwargs.pop("label")
            if total:
                kwargs["total"] = total
            whole = total or bar.tasks[task].total
            pace.see(done)
            left = pace.seconds_left(int(whole) if whole else None)
            kwargs["eta_"] = "-:--:--" if left is None else _clock(left)
            bar.update(task, completed=done, **kwargs)

        yield update


#: Seconds between two progress lines when stderr is not a terminal.
PLAIN_EVERY_S = 30.0


class _Pace:
    """The pace since the first update, and the seconds it leaves to the total: neither the set-up
    before the first update (a training's model and data) nor work done before the bar began (a
    resumed run's steps) counts. A count that goes back (the next stage of prepare or evaluate,
    counted from 0 again) starts the pace afresh."""

    def __init__(self) -> None:
        self.first: tuple[int, float] | None = None  # (done, time.monotonic()) the pace counts from
        self.last = 0

    def see(self, done: int) -> None:
        """An update's count: the first, or one that went back, is where the pace counts from."""
        if self.first is None or done < self.last:
            self.first = (done, time.monotonic())
        self.last = done

    def seconds_left(self, total: int | None) -> float | None:
        """Seconds from the last count seen to `total` at the pace since the first (None: no pace
        yet, no total, or done)."""
        if self.first is None:
            return None
        now, (first_done, first_t) = time.monotonic(), self.first
        if not total or self.last >= total or now <= first_t or self.last <= first_done:
            return None
        return (total - self.last) / ((self.last - first_done) / (now - first_t))


def _plain_lines(label: str, total: int, unit: str) -> Iterator[ProgressFn]:
    """`progress_bar`'s update for a stderr that is not a terminal: one plain line at most every
    PLAIN_EVERY_S seconds (label, count, percentage, fields, elapsed, ETA at `_Pace`) and one when
    it ends."""
    start = time.monotonic()
    state: dict[str, Any] = {"done": 0, "total": total, "fields": {}, "said": start, "line": "",
                             "label": label}
    pace = _Pace()

    def line() -> str:
        done, whole = state["done"], state["total"]
        share = f" ({100 * done / whole:.0f}%)" if whole else ""
        seconds = pace.seconds_left(whole)
        left = f", eta {_clock(seconds)}" if seconds is not None else ""
        fields = "".join(f" {k} {v}" for k, v in state["fields"].items() if v not in ("", "-"))
        count = f"{done}/{whole or '?'}" + (f" {unit}" if unit else "")
        return f"{state['label']} {count}{share}{fields}, {_clock(time.monotonic() - start)}{left}"

    def update(done: int, total: int | None = None, **values: Any) -> None:
        pace.see(done)  # every count, not only those said: one that went back between two lines
        state["done"] = done
        if total is not None:
            state["total"] = total
        state["label"] = str(values.pop("label", state["label"]))
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
