"""Helpers every CLI command shares: turning Marble errors into one-line messages and exit code 2."""

from __future__ import annotations

import functools
import sys
from typing import Callable, TypeVar

import typer

from marble.errors import MarbleError
from marble.interrupt import interrupted
from marble.progress import close_progress_bars

F = TypeVar("F", bound=Callable)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    close_progress_bars()
    first_line = " ".join(str(message).split())
    print(f"error: {first_line}", file=sys.stderr)
    raise typer.Exit(code)


def handle_errors(fn: F) -> F:
    """Wrap a command so that Marble errors exit 2 with one line on stderr, and Ctrl-C exits 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except MarbleError as exc:
            fail(str(exc))
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename}")
        except (ImportError, OSError) as exc:
            if interrupted():  # Ctrl-C inside a library's import or a write surfaces as its own error
                _interrupted()
            if isinstance(exc, ImportError):  # a dependency that is missing or cannot load its system library
                fail(import_error_message(exc))
            fail(os_error_message(exc))  # a full disk, a read-only folder, a name the file system refuses
        except KeyboardInterrupt:
            _interrupted()
        except Exception:
            if interrupted():  # a library interrupted mid-import fails later with an unrelated error
                _interrupted()
            raise

    return wrapper  # type: ignore[return-value]


def import_error_message(exc: ImportError) -> str:
    """One line for a library that failed to import, naming it and the fix."""
    text = " ".join(str(exc).split())
    if "libusb" in text:
        return (f"open3d cannot load the system library libusb-1.0 ({text}): install it with "
                "`sudo apt-get install libusb-1.0-0` (Debian/Ubuntu), then run the command again")
    package = exc.name or "a dependency"
    return (f"the Python package {package!r} is missing or broken ({text}): run scripts/setup.sh to install "
            "Marble's dependencies into .venv")


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error, naming the file and what to do."""
    import errno

    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some disk space or choose another output folder; nothing was replaced"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a folder you can write to"
    elif exc.errno == errno.ENAMETOOLONG:
        fix = "choose a shorter file name"
    else:
        fix = "check the path and try again"
    return f"{reason}{where}: {fix}"


def say_interrupted() -> None:
    """End any half-drawn progress bar and print ``interrupted`` on its own line (stderr)."""
    close_progress_bars()
    print("interrupted", file=sys.stderr)


def _interrupted() -> None:
    say_interrupted()
    raise typer.Exit(EXIT_INTERRUPTED)


def parse_csv(value: str | None) -> list[str]:
    """``"ply, glb"`` -> ``["ply", "glb"]`` (empty entries dropped)."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def preset_names() -> str:
    """``"draft, standard, high"``: the presets, from their table (for ``--help``)."""
    from marble.presets import PRESETS

    return ", ".join(PRESETS)


def profile_names() -> str:
    """``"quest3, visionpro, web, desktop"``: the target profiles, from their table (for ``--help``)."""
    from exporters.budgets import PROFILES

    return ", ".join(PROFILES)


def format_names(*, worlds_only: bool = False) -> str:
    """The export extensions, from the exporters' registry (for ``--help``); ``worlds_only`` leaves
    out those that hold no world (panorama, camera path)."""
    from exporters.registry import EXPORTERS

    return ", ".join(sorted(e.extension.lstrip(".") for e in EXPORTERS.values()
                            if not worlds_only or e.content != "other"))
