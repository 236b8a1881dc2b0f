"""CPU thread counts: the bound every --threads takes, and torch's count for a stretch of work
(torch is imported only when that is used: the CLI imports this module at start)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

#: The most CPU threads any --threads (and $SAMPLERNN_THREADS) takes: more than the cores of any
#: machine this runs on, so a larger number is a slip, which torch or numba would otherwise act on
#: by starting that many OS threads.
MAX_THREADS = 1024


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
