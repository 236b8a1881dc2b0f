"""CPU thread counts: the bound every --threads takes, and torch's count for a stretch of work
(torch is imported only when that is used: the CLI imports this module at start)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

#: The most CPU threads any --threads (and $SAMPLERNN_THREADS) takes: more than the cores of any
#: machine this runs on, so a larger number is a slip, which torch or numba would otherwise act on
#: by starting that many OS threads.
MAX_THREADS = 1024


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def oversubscribed(threads: int | None) -> str | None:
    """A one-line notice when `threads` exceeds the usable cores (a slip such as --threads 1000 on
    two cores makes torch's threads wait on each other: a run that seems to hang); None otherwise."""
    cores = usable_cores()
    if not threads or threads <= cores:
        return None
    return (f"note: --threads {threads} is more than the {cores} CPU cores this process may use: "
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
