"""Safe file output: atomic writes and paths kept under a chosen folder.

Every file Marble writes goes through :func:`atomic_write` (or :func:`atomic_path`): the data
lands in a temporary file in the same folder, is flushed and fsynced, then renamed over the
final name, so a crash leaves either the previous file or none, never a partial one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Iterator

from marble.errors import InputError

_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    Use this for libraries that insist on writing to a filename themselves. On any exception
    the temporary file is removed and ``path`` is left untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real suffix so format libraries that sniff the extension still work.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".tmp" + "".join(final.suffixes), dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``path`` atomically on close.

    Args:
        path: final file name.
        mode: ``"wb"`` or ``"w"``.
        encoding: text encoding for ``"w"`` (default utf-8).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write supports modes 'wb' and 'w', got {mode!r}")
    with atomic_path(path) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding or "utf-8", "newline": "\n"}
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (utf-8) to ``path`` atomically and return the path."""
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (renames into it) to disk; a file system that cannot is left alone."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def remove_stale_temp_files(out_dir: str | os.PathLike, *, extra_patterns: tuple[str, ...] = ()) -> int:
    """Remove the ``.<stem>.*.tmp*`` files an interrupted :func:`atomic_path` left in ``out_dir`` (and files
    matching ``extra_patterns``); returns how many went."""
    n = 0
    for pattern in (".*.tmp*", *extra_patterns):
        for entry in Path(out_dir).glob(pattern):
            if entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()
                    n += 1
    return n


def sanitize_name(name: str, *, fallback: str = "item", max_length: int = 80) -> str:
    """Turn free text (a prompt, an upload's name) into a safe single path component.

    Keeps letters, digits, ``-``, ``_`` and ``.``; collapses the rest to ``-``; strips leading
    dots (no hidden files, no ``..``); avoids Windows reserved names. Never returns ``""``.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:max_length].strip("-.")
    if not cleaned:
        cleaned = fallback
    if cleaned.split(".")[0].lower() in _RESERVED:
        cleaned = f"_{cleaned}"
    return cleaned


def resolve_under(root: str | os.PathLike, relative: str | os.PathLike) -> Path:
    """Resolve ``relative`` under ``root``, refusing anything that escapes it.

    Raises:
        InputError: ``relative`` is absolute or climbs out of ``root`` (``..``, symlinks).
    """
    root_path = Path(root).resolve()
    rel = Path(relative)
    if rel.is_absolute():
        raise InputError(f"path {str(relative)!r} must be relative to the output folder {str(root_path)!r}")
    candidate = (root_path / rel).resolve()
    if candidate != root_path and root_path not in candidate.parents:
        raise InputError(f"path {str(relative)!r} escapes the output folder {str(root_path)!r}")
    return candidate


def ensure_output_dir(path: str | os.PathLike) -> Path:
    """Create (if needed) and return a writable output folder.

    Raises:
        InputError: ``path`` is an existing file, or the folder cannot be created or written.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {str(out)!r} is a file, not a folder: choose a folder with --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {str(out)!r}: {exc.strerror}; choose another --out") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"output folder {str(out)!r} is not writable: choose another --out")
    return out
