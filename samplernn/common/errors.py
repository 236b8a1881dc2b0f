"""User-facing errors: the CLI prints their message on one line and exits non-zero."""


class UserError(Exception):
    """A mistake in the user's input (a path, a file, an option). The message names it; the CLI
    exits with status 1."""


class UsageError(UserError):
    """An option's value the command cannot take (`--bit-depth 12`, `--device tpu`, `--steps 0`):
    a mistake on the command line, not in a file. The CLI prints it as the parser's own errors
    ("error: samplernn CMD: … (see 'samplernn CMD --help')") and exits with status 2, the status
    click gives its usage errors."""


INTERRUPTED_STATUS = 130
"""The exit status of a command stopped by Ctrl-C: 128 + SIGINT (2), as a shell reports it."""
