"""Exception types shared by every Marble package.

Bad user input raises :class:`InputError` (a ``ValueError``); the CLI turns it into a
one-line message on stderr and exit code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MarbleError(Exception):
    """Base class of every error Marble raises on purpose."""


class InputError(MarbleError, ValueError):
    """The user gave something Marble cannot use; the message names it and the fix."""


class FormatError(InputError):
    """A file is malformed (bad magic, truncated, counts that disagree, NaN values)."""


class BudgetError(InputError):
    """An operation would exceed a configured limit (memory, splats, pixels, profile budget)."""


class ModelUnavailableError(MarbleError):
    """A learned model could not be loaded (absent offline, wrong kind of folder)."""
