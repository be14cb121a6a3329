"""Defensive reading helpers shared by the importers.

Every reader checks sizes against the file before allocating, so a header that claims a
billion splats in a 1 kB file fails fast with a :class:`FormatError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from marble.errors import FormatError, InputError
from marble.limits import check_memory, env_var, limits


def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of ``path``, refusing missing files and files over ``max_file_bytes``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{str(p)!r} does not exist or is not a file")
    size = p.stat().st_size
    cap = limits().max_file_bytes
    if size > cap:
        raise FormatError(f"{p.name}: {size} bytes is over the import limit of {cap} ({env_var('max_file_bytes')})")
    return p.read_bytes()


def check_count(path: str | Path, count: int, *, what: str = "splats") -> int:
    """Refuse negative counts and counts over ``max_splats``; returns ``count``."""
    cap = limits().max_splats if what == "splats" else limits().max_triangles
    if count < 0:
        raise FormatError(f"{Path(path).name}: negative {what} count {count}")
    if count > cap:
        raise FormatError(
            f"{Path(path).name}: {count} {what} is over the limit of {cap} "
            f"({env_var('max_splats' if what == 'splats' else 'max_triangles')})"
        )
    # decoded splats take ~60 bytes each in float32 plus temporaries; triangles ~100 with vertices
    check_memory(count * (240 if what == "splats" else 100), f"{Path(path).name}: importing {count:,} {what}")
    return count


def require_bytes(path: str | Path, have: int, need: int, what: str) -> None:
    """Raise ``FormatError`` when fewer than ``need`` bytes are available for ``what``."""
    if have < need:
        raise FormatError(f"{Path(path).name}: truncated: {what} needs {need} bytes but only {have} remain")


def require_finite(path: str | Path, **arrays: np.ndarray) -> None:
    """Raise ``FormatError`` naming the first field with NaN or Inf values."""
    for name, a in arrays.items():
        if a is not None and a.size and not np.isfinite(a).all():
            bad = int((~np.isfinite(a)).reshape(a.shape[0], -1).any(axis=1).sum())
            raise FormatError(f"{Path(path).name}: field {name} has NaN or Inf values in {bad} splats")
