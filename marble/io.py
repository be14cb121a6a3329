"""Safe file output: atomic writes and paths kept under a chosen folder.

Every file Marble writes goes through :func:`atomic_write` (or :func:`atomic_path`): the data
lands in a temporary file in the same folder, is flushed and fsynced, then renamed over the
final name, so a crash leaves either the previous file or none, never a partial one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

from marble.errors import FormatError, InputError

_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


TEMP_MARK = ".marble-tmp"
"""What every temporary file Marble writes has in its name (``.<stem>.<random>.marble-tmp<.ext>``), so a
sweep after a crash removes Marble's leftovers and never a user's own ``.tmp`` files."""
TEMP_PATTERN = f".*{TEMP_MARK}*"


def temp_name_parts(final: Path) -> tuple[str, str]:
    """``(prefix, suffix)`` of a temporary file for ``final``: short enough for any legal file name,
    and ending in ``final``'s extension so format libraries that sniff it still work."""
    suffixes = "".join(final.suffixes[-2:])
    if len(suffixes) > 24:
        suffixes = final.suffix[-24:]
    return f".{final.name[:40]}.", TEMP_MARK + suffixes


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    Use this for libraries that insist on writing to a filename themselves. On any exception
    the temporary file is removed and ``path`` is left untouched.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = temp_name_parts(final)
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=final.parent)
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
    """Remove the temporary files (:data:`TEMP_PATTERN`) a killed run's :func:`atomic_path` left in
    ``out_dir``, and files matching ``extra_patterns``; returns how many went.

    Call it only while holding the folder's :class:`FolderLock`, so no live run's files are taken.
    Files that are not Marble's (a user's own ``.notes.tmp``) are never touched.
    """
    n = 0
    for pattern in (TEMP_PATTERN, *extra_patterns):
        for entry in Path(out_dir).glob(pattern):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                n += 1
            elif entry.is_file() or entry.is_symlink():
                with contextlib.suppress(OSError):
                    entry.unlink()
                    n += 1
    return n


@contextlib.contextmanager
def staging_folder(parent: str | os.PathLike, *, kind: str = "files") -> Iterator[Path]:
    """A fresh hidden folder inside ``parent`` to write a set of files in before they replace anything.

    Write every file of the set into it, then :func:`commit_staged` them; whatever happens, the folder
    is removed on exit, so a failed or interrupted write leaves the previous files untouched. Its name
    matches :data:`TEMP_PATTERN`, so a run killed outright is swept up by the next one.
    """
    folder = Path(parent)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{kind}.", suffix=TEMP_MARK, dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def commit_staged(files: list[Path], folder: str | os.PathLike, *, last: Path | None = None) -> list[Path]:
    """Move staged ``files`` (each directly inside a :func:`staging_folder`) into ``folder``, replacing
    files of the same names; ``last`` goes last (the file whose presence says the set is complete).
    Returns the final paths in the order of ``files``."""
    dest = Path(folder)
    order = [f for f in files if f != last] + ([last] if last is not None and last in files else [])
    for f in order:  # refuse before replacing anything: a folder in the way would stop the set half-way
        target = dest / f.name
        if target.is_dir() and not target.is_symlink():
            raise InputError(f"cannot write {str(target)!r}: a folder of that name is in the way; move it or "
                             "choose another output name")
    for f in order:
        os.replace(f, dest / f.name)
    fsync_dir(dest)
    return [dest / f.name for f in files]


MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays/objects accepted in a JSON document read from a file."""


def parse_json(data: bytes | str, what: str, *, error: type[Exception] = FormatError) -> Any:
    """Parse a JSON document from an untrusted file or request.

    Args:
        data: the document, UTF-8 bytes or text.
        what: what it is, for messages (``"scene.glb: JSON chunk"``, ``"jobs.jsonl:4"``).
        error: the exception class to raise (``FormatError`` for files, ``InputError`` for user text).

    Raises:
        ``error`` with one line: not UTF-8, malformed JSON (with the line and column), nesting deeper
        than :data:`MAX_JSON_DEPTH`, or a number too long to read (Python's 4300-digit limit).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray, memoryview)) else data
        doc = json.loads(text)
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text") from None
    except RecursionError:
        raise error(f"{what} is nested too deeply to read (more than {MAX_JSON_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError:  # an integer over sys.get_int_max_str_digits() digits
        raise error(f"{what} holds a number too long to read") from None
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise error(f"{what} is nested too deeply to read (more than {MAX_JSON_DEPTH} levels)")
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return doc


class FolderLock:
    """An exclusive advisory lock (``flock``) on a folder itself, so two runs never write one folder.

    The lock is on the folder's own descriptor: no lock file is left behind, and the operating
    system drops the lock when its holder dies (even by SIGKILL). Where ``flock`` does not exist
    (Windows) it does nothing.

    Args:
        folder: the folder to lock (it must exist).
        holder: what holds it, for the message another run gets (``"marble generate"``).
    """

    def __init__(self, folder: str | os.PathLike, *, holder: str = "another Marble run") -> None:
        self.folder, self.holder = Path(folder), holder
        self._fd: int | None = None

    def acquire(self) -> "FolderLock":
        """Take the lock, or raise ``InputError`` saying another run holds it."""
        try:
            import fcntl
        except ImportError:
            return self
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError(f"{self.holder} is already writing to {str(self.folder)!r}: wait for it to finish "
                             "or choose another output folder") from None
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


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
