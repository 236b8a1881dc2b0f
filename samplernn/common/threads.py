"""The bound on CPU thread counts the commands take (no torch here: the CLI imports it at start)."""

#: The most CPU threads any --threads (and $SAMPLERNN_THREADS) takes: more than the cores of any
#: machine this runs on, so a larger number is a slip, which torch or numba would otherwise act on
#: by starting that many OS threads.
MAX_THREADS = 1024
