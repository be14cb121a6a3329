"""Progress reporting shared by the CLI (tqdm bars) and the app (gr.Progress).

Library code takes an optional ``progress`` callable ``(stage, fraction, message) -> None``
and calls it as work advances; it never prints. :func:`tqdm_progress` adapts it to tqdm bars.
"""

from __future__ import annotations

import sys
from typing import Callable, Iterable, Iterator, Protocol, TypeVar

from marble.interrupt import check as check_interrupt

T = TypeVar("T")


class ProgressFn(Protocol):
    def __call__(self, stage: str, fraction: float, message: str = "") -> None: ...


def report(progress: ProgressFn | None, stage: str, fraction: float, message: str = "") -> None:
    """Call ``progress`` if given; ``fraction`` is clamped to [0, 1].

    Raises:
        KeyboardInterrupt: a Ctrl-C arrived earlier and a library swallowed it (see :mod:`marble.interrupt`).
    """
    check_interrupt()
    if progress is not None:
        progress(stage, min(max(float(fraction), 0.0), 1.0), message)


def track(items: Iterable[T], progress: ProgressFn | None, stage: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items`` while reporting ``stage`` progress after each one."""
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    report(progress, stage, 0.0)
    for i, item in enumerate(items):
        yield item
        if total:
            report(progress, stage, (i + 1) / total)
    report(progress, stage, 1.0)


_OPEN_BARS: list = []  # bars tqdm_progress opened and has not closed yet


def close_progress_bars() -> None:
    """Close the bars :func:`tqdm_progress` left open (an error or Ctrl-C mid-stage), so that a message
    printed next starts on its own line instead of after a half-drawn bar."""
    while _OPEN_BARS:
        bar = _OPEN_BARS.pop()
        try:
            bar.close()
        except Exception:  # noqa: BLE001 - a broken terminal must not hide the real message
            pass


def tqdm_progress(*, disable: bool | None = None) -> Callable[[str, float, str], None]:
    """A ``progress`` callable that draws one tqdm bar per stage on stderr."""
    from tqdm.auto import tqdm

    if disable is None:
        disable = not sys.stderr.isatty()
    bars: dict[str, tqdm] = {}

    def _progress(stage: str, fraction: float, message: str = "") -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():  # close earlier stages
                if other.n < other.total:
                    other.n = other.total
                    other.refresh()
            bar = bars[stage] = tqdm(total=1000, desc=f"{stage:>10}", leave=True, disable=disable,
                                     bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}{postfix}")
            _OPEN_BARS.append(bar)
        bar.n = int(round(fraction * 1000))
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()
        if fraction >= 1.0:
            bar.close()
            if bar in _OPEN_BARS:
                _OPEN_BARS.remove(bar)

    return _progress
