"""When to stop early: Ctrl-C or SIGTERM (finish the step, save, stop), and the run's clock
against --max-minutes."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

#: The signals that stop a run gracefully: Ctrl-C, and the SIGTERM that `timeout`, Slurm's
#: time limit, `docker stop` and `kill` send before they kill.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopFlag:
    """SIGINT or SIGTERM → `requested`: the loop finishes the current step, saves and stops. A
    second one raises KeyboardInterrupt. Off the main thread no handler is installed.
    `on_request()` is called at the first one, to say at once that the run is stopping (a
    validation under way can take a minute, and a silent wait invites the second Ctrl-C)."""

    def __init__(self, on_request: Callable[[], None] | None = None) -> None:
        self.requested = False
        self.on_request = on_request

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """The flag, with its STOP_SIGNALS handlers in place while inside (the old ones after)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            if self.on_request is not None:
                self.on_request()

        old = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
        try:
            yield self
        finally:
            for sig, previous in old.items():
                signal.signal(sig, previous)


class RunClock:
    """A run's training time: the seconds trained before this call (stored in its checkpoints, so
    a resumed run goes on counting) plus the wall time since `start()`."""

    def __init__(self, before: float = 0.0) -> None:
        self.before = float(before)
        self._started: float | None = None

    def start(self) -> None:
        """Start counting this call's time."""
        self._started = time.monotonic()

    def this_call(self) -> float:
        """Seconds since `start()` (0 before it)."""
        return 0.0 if self._started is None else time.monotonic() - self._started

    def elapsed(self) -> float:
        """Seconds of training in all."""
        return self.before + self.this_call()


def time_limit_s(max_minutes: float | None) -> float:
    """--max-minutes in seconds; inf without a limit."""
    return 60.0 * max_minutes if max_minutes else math.inf


def projected_steps(
    step: int, steps: int, steps_this_call: int, seconds_this_call: float, left_s: float
) -> int:
    """The step the run will end at: `steps`, or the step the time limit will stop it at, `left_s`
    seconds from now at this call's pace so far (validations included). Without a time limit
    (left_s inf) or a pace yet, `steps`."""
    if math.isinf(left_s) or steps_this_call <= 0 or seconds_this_call <= 0:
        return steps
    return min(steps, step + max(0, round(steps_this_call / seconds_this_call * left_s)))
