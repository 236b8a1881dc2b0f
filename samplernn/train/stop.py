"""When to stop early: Ctrl-C (finish the step, save, stop) and the --max-minutes deadline."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any


class StopFlag:
    """SIGINT → `requested`: the loop finishes the current step, saves and stops. A second
    Ctrl-C raises KeyboardInterrupt. Off the main thread no handler is installed."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """The flag, with its SIGINT handler in place while inside (the old one after)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        old = signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, old)


class Deadline:
    """`minutes` from now (None: never)."""

    def __init__(self, minutes: float | None) -> None:
        self._at = time.monotonic() + 60 * minutes if minutes else math.inf

    def passed(self) -> bool:
        """Whether the deadline is behind us."""
        return time.monotonic() > self._at
