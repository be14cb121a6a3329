"""Ctrl-C that is never lost: a SIGINT handler that also remembers the interrupt.

Some libraries catch every exception while importing optional parts (or are interrupted half-way
through an import and fail later with an unrelated error), so a ``KeyboardInterrupt`` raised there
can vanish or turn into a ``NameError``. The CLI installs :func:`install`; library code checks the
flag at every progress report (:func:`marble.progress.report`), so an interrupt swallowed by a
library still stops the command at the next stage, and an error that follows one is reported as
the interrupt it really was.
"""

from __future__ import annotations

import signal
import threading

_INTERRUPTED = threading.Event()


def _on_sigint(signum, frame) -> None:
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT with :func:`_on_sigint` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_sigint)


def interrupted() -> bool:
    """Whether a SIGINT arrived since :func:`install`."""
    return _INTERRUPTED.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a SIGINT arrived (even one a library swallowed)."""
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt
