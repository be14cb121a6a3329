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


SPLAT_BYTES = 300
"""Peak bytes to import one splat without SH bands (measured 160-290 across PLY, SPZ and GLB)."""
SH_VALUE_BYTES = 70
"""Peak bytes per SH rest coefficient of a splat (degree 3 has 15: measured 640-1300 B a splat in all)."""


def splat_bytes(sh_coefficients: int = 0) -> int:
    """Peak bytes importing one splat with ``sh_coefficients`` rest coefficients (0, 3, 8, 15, 24) takes."""
    return SPLAT_BYTES + SH_VALUE_BYTES * max(0, int(sh_coefficients))


def check_count(path: str | Path, count: int, *, what: str = "splats", bytes_each: int | None = None) -> int:
    """Refuse negative counts, counts over ``max_splats`` (``max_triangles``), and counts whose decoding
    would take more than the memory budget at ``bytes_each`` (default: a splat without SH, or a
    triangle); returns ``count``."""
    cap = limits().max_splats if what == "splats" else limits().max_triangles
    if count < 0:
        raise FormatError(f"{Path(path).name}: negative {what} count {count}")
    if count > cap:
        raise FormatError(
            f"{Path(path).name}: {count} {what} is over the limit of {cap} "
            f"({env_var('max_splats' if what == 'splats' else 'max_triangles')})"
        )
    each = bytes_each if bytes_each is not None else (splat_bytes() if what == "splats" else 100)
    check_memory(count * each, f"{Path(path).name}: importing {count:,} {what}")
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
