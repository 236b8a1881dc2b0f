"""CPU thread counts: the bound every --threads takes, and torch's count for a stretch of work
(torch is imported only when that is used: the CLI imports this module at start)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from samplernn.common.errors import UsageError

#: The most CPU threads any --threads (and $SAMPLERNN_THREADS) takes: more than the cores of any
#: machine this runs on, so a larger number is a slip, which torch or numba would otherwise act on
#: by starting that many OS threads.
MAX_THREADS = 1024
#: The environment variable that gives generation's threads where --threads is not given.
THREADS_ENV = "SAMPLERNN_THREADS"


def env_threads() -> int | None:
    """$SAMPLERNN_THREADS as a number of threads, at most MAX_THREADS (env_threads_notice says
    when it was cut down); None when unset or blank.

    Raises:
        UsageError: naming the variable, for a value that is not a whole number >= 1 ('abc', '0',
            '2.5').
    """
    asked = _asked_threads()
    return None if asked is None else min(asked, MAX_THREADS)


def _asked_threads() -> int | None:
    """$SAMPLERNN_THREADS as given (None when unset or blank); UsageError as env_threads."""
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return None
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise UsageError(f"${THREADS_ENV}={text!r}: not a number of threads (a whole number >= 1); set it "
                         f"to one, e.g. {THREADS_ENV}=2, or unset it for 1")
    return threads


def env_threads_notice() -> str | None:
    """A one-line notice when $SAMPLERNN_THREADS asks for more than MAX_THREADS (taken as
    MAX_THREADS) or more than the usable cores; None otherwise. UsageError as env_threads."""
    asked = _asked_threads()
    if asked is not None and asked > MAX_THREADS:
        return (f"note: ${THREADS_ENV}={asked} is more than {MAX_THREADS}, the most threads taken: "
                f"using {MAX_THREADS}")
    return oversubscribed(asked, f"${THREADS_ENV}=")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def oversubscribed(threads: int | None, given: str = "--threads ") -> str | None:
    """A one-line notice when `threads` exceeds the usable cores (a slip such as --threads 1000 on
    two cores makes torch's threads wait on each other: a run that seems to hang); None otherwise.
    `given`: how the number was given, before it ('--threads ', '$SAMPLERNN_THREADS=')."""
    cores = usable_cores()
    if not threads or threads <= cores:
        return None
    return (f"note: {given}{threads} is more than the {cores} CPU cores this process may use: "
            "it will run slower, not faster")


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """torch's CPU (intra-op) thread count set to `n` while inside (0 or None: left alone), then
    as it was."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
