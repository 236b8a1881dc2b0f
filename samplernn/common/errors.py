"""User-facing errors: the CLI prints their message on one line and exits non-zero."""


class UserError(Exception):
    """A mistake in the user's input (a path, a file, an option). The message names it."""
