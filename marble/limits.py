"""Limits on what Marble accepts, in one place, each changeable by an environment variable.

The README's "What is rejected" table is generated from :data:`LIMITS` docs; a limit is read at
call time (``limits().max_prompt_chars``) so tests and users can change it without reimporting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Upper bounds on inputs and work. Field docs name the environment variable that overrides each.

    Attributes:
        max_prompt_chars: longest prompt (``MARBLE_MAX_PROMPT_CHARS``).
        max_image_pixels: largest input image, width x height (``MARBLE_MAX_IMAGE_PIXELS``).
        max_image_side: largest render side in pixels (``MARBLE_MAX_IMAGE_SIDE``).
        max_splats: most splats in one world or import (``MARBLE_MAX_SPLATS``).
        max_triangles: most triangles in one imported mesh (``MARBLE_MAX_TRIANGLES``).
        max_file_bytes: largest file read on import or upload (``MARBLE_MAX_FILE_BYTES``).
        memory_budget_bytes: most memory one operation may plan to allocate (``MARBLE_MEMORY_BUDGET_BYTES``).
    """

    max_prompt_chars: int = 2000
    max_image_pixels: int = 50_000_000
    max_image_side: int = 8192
    max_splats: int = 20_000_000
    max_triangles: int = 10_000_000
    max_file_bytes: int = 2 << 30
    memory_budget_bytes: int = 12 << 30


_ENV = {f.name: f"MARBLE_{f.name.upper()}" for f in fields(Limits)}


def limits() -> Limits:
    """The limits in force now: defaults overridden by ``MARBLE_*`` environment variables."""
    overrides = {}
    for name, var in _ENV.items():
        raw = os.environ.get(var)
        if raw:
            try:
                overrides[name] = int(float(raw))
            except ValueError:
                raise ValueError(f"environment variable {var} must be a number, got {raw!r}") from None
    return Limits(**overrides)


def env_var(name: str) -> str:
    """The environment variable that overrides limit ``name``."""
    return _ENV[name]


MAX_SEED = 2**32 - 1
"""Largest generation seed (seeds are 32-bit unsigned, as torch and numpy generators take them)."""


def check_seed(seed) -> int:
    """Return ``seed`` if it is an ``int`` in ``0..MAX_SEED``; else raise ``InputError`` naming it."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not (0 <= seed <= MAX_SEED):
        from marble.errors import InputError

        raise InputError(f"`seed` must be an integer in 0..{MAX_SEED}, got {seed!r}")
    return seed


def check_memory(nbytes: int | float, what: str) -> None:
    """Refuse an operation that plans to allocate more than ``memory_budget_bytes``.

    Args:
        nbytes: the operation's estimated peak allocation in bytes.
        what: the operation, for the message (e.g. "importing 50,000,000 splats").

    Raises:
        BudgetError: naming the operation, the estimate, the budget and the variable that raises it.
    """
    from marble.errors import BudgetError

    budget = limits().memory_budget_bytes
    if nbytes > budget:
        raise BudgetError(
            f"{what} would need about {nbytes / 2**30:.1f} GiB, over the memory budget of "
            f"{budget / 2**30:.1f} GiB: reduce the size or raise {_ENV['memory_budget_bytes']}"
        )
