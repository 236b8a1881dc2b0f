"""`samplernn` and `python -m samplernn`: the console entry point.

The command-line modules (typer, rich and every command's options) take about a second to import;
a Ctrl-C in that second would print the import's traceback, so they are imported here, inside
the same "interrupted" rule as the commands themselves (samplernn.cli.main).
"""

from __future__ import annotations

import sys

from samplernn.common.errors import INTERRUPTED_STATUS


def run() -> None:
    """Import the CLI and run it (samplernn.cli.main); a Ctrl-C while importing exits with
    "interrupted" on stderr and status 130, as one while a command runs."""
    try:
        from samplernn.cli import main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)
    main()


if __name__ == "__main__":
    run()
