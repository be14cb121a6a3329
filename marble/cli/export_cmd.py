"""``marble export``: placeholder until its issue lands (see README)."""

from __future__ import annotations

import typer

from marble.cli.common import fail, handle_errors


@handle_errors
def export(args: list[str] = typer.Argument(None)) -> None:
    """Not built yet."""
    fail("`marble export` is not available in this build yet", code=1)
