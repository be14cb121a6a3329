"""On-disk records of a batch: each job folder's ``job.json`` and the batch's ``manifest.jsonl``.

Layout under ``--out DIR``::

    DIR/<name>/          one folder per job: world.marble, exports, previews, job.json
    DIR/manifest.jsonl   one line per job (file order): status, error, timings, files with sha256
    DIR/.partial/        jobs in progress (a crash leaves them here; the next run removes them)
    DIR/.batch.lock      held while a batch writes into DIR

A job folder appears under its final name only when it is complete: the job is made in
``.partial/`` and renamed into place after its ``job.json`` (the commit record, written last) is
on disk. ``job.json`` lists every output file with its size and sha256, so a later run can verify
a folder before it skips the job. ``manifest.jsonl`` is rewritten atomically (temp + rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

from marble.errors import InputError
from marble.frontends.batch.jobs import Job
from marble.io import fsync_dir, remove_stale_temp_files, sha256_file, write_text_atomic

JOB_RECORD = "job.json"
MANIFEST = "manifest.jsonl"
PARTIAL_DIR = ".partial"
LOCK_FILE = ".batch.lock"
RECORD_VERSION = 1

STATUS_DONE = "done"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"
STATUS_RUNNING = "running"


def file_records(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """Every output file under ``folder`` (recursively, sorted), except ``job.json`` and hidden temp files.

    Returns:
        ``[{"path": relative posix path, "bytes": size, "sha256": hex digest}, ...]``
    """
    root = Path(folder)
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or rel.as_posix() == JOB_RECORD or any(part.startswith(".") for part in rel.parts):
            continue
        out.append({"path": rel.as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    return out


def write_job_record(folder: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Write ``folder/job.json`` atomically."""
    return write_text_atomic(Path(folder) / JOB_RECORD, json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_job_record(folder: str | os.PathLike) -> dict[str, Any] | None:
    """``folder/job.json`` as a dict, or ``None`` when it is missing or unreadable."""
    path = Path(folder) / JOB_RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def verify_job_dir(folder: str | os.PathLike, job: Job) -> tuple[str | None, dict[str, Any] | None]:
    """Check a job folder made by an earlier run.

    Returns:
        ``(state, record)``: state is ``"done"`` when the folder holds this job's outputs (same
        fingerprint) and every listed file has its recorded size and sha256; ``"failed"`` when an
        earlier run of this same job failed; ``None`` when the job must run (no folder, another
        fingerprint, or a missing/changed file).
    """
    record = read_job_record(folder)
    if record is None or record.get("fingerprint") != job.fingerprint():
        return None, record
    status = record.get("status")
    if status == STATUS_FAILED:
        return STATUS_FAILED, record
    if status != STATUS_DONE or not isinstance(record.get("files"), list) or not record["files"]:
        return None, record
    root = Path(folder)
    for entry in record["files"]:
        try:
            path = root / entry["path"]
            if path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
                return None, record
        except (OSError, KeyError, TypeError):
            return None, record
    return STATUS_DONE, record


def new_staging_dir(out_dir: str | os.PathLike, name: str) -> Path:
    """A fresh, empty folder under ``out_dir/.partial/`` in which one job is made."""
    staging = Path(out_dir) / PARTIAL_DIR / f"{name}.{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True, exist_ok=False)
    return staging


def commit_dir(staging: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Move a finished job folder into place, replacing an older one.

    The old folder (if any) is first renamed aside into ``.partial/``, then ``staging`` is renamed to
    ``final``; a crash between the two renames leaves no folder under the final name (the job reruns),
    never a mix of old and new files.
    """
    staging, final = Path(staging), Path(final)
    trash = None
    if final.exists():
        trash = staging.parent / f"{staging.name}.old"
        os.replace(final, trash)
    os.replace(staging, final)
    fsync_dir(final.parent)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
    return final


def sweep_partial(out_dir: str | os.PathLike) -> int:
    """Remove what crashed runs left in ``out_dir/.partial/``; returns how many entries went."""
    partial = Path(out_dir) / PARTIAL_DIR
    if not partial.is_dir():
        return 0
    n = 0
    for entry in partial.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        n += 1
    return n


def remove_stale_files(out_dir: str | os.PathLike) -> int:
    """Remove temp files an interrupted atomic write left in ``out_dir``, and stale Ray probe files."""
    return remove_stale_temp_files(out_dir, extra_patterns=(".ray-probe-*",))


class BatchLock:
    """An exclusive ``flock`` on ``out_dir/.batch.lock`` so two batches never write one folder.

    The operating system drops the lock when the holder dies (even by SIGKILL).
    """

    def __init__(self, out_dir: str | os.PathLike):
        self.path = Path(out_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "BatchLock":
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; run one batch per folder
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError(f"another `marble batch` is writing to {str(self.path.parent)!r}: "
                             "wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "BatchLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class Manifest:
    """The batch's ``manifest.jsonl``: the latest record of every job, in job order.

    Records are kept in memory and the file is rewritten atomically by :meth:`flush`, at most once
    every ``min_interval`` seconds unless forced, so thousands of jobs do not rewrite it thousands
    of times a second.

    Args:
        out_dir: the batch's output folder.
        jobs: every job of the batch (fixes the order of the lines).
        min_interval: least seconds between two unforced rewrites.
    """

    def __init__(self, out_dir: str | os.PathLike, jobs: Iterable[Job], *, min_interval: float = 1.0):
        self.path = Path(out_dir) / MANIFEST
        self._order = {job.name: job.index for job in jobs}
        self._records: dict[str, dict[str, Any]] = {}
        self._min_interval = min_interval
        self._last_flush: float | None = None
        self._dirty = True  # the first flush always writes, so every batch leaves a manifest

    def update(self, record: dict[str, Any]) -> None:
        """Set the record of job ``record["name"]``."""
        self._records[record["name"]] = record
        self._dirty = True

    def records(self) -> list[dict[str, Any]]:
        """The records so far, in job order."""
        return sorted(self._records.values(), key=lambda r: self._order.get(r["name"], 1 << 62))

    def flush(self, *, force: bool = False) -> bool:
        """Rewrite the file if anything changed (and the interval has passed, unless ``force``)."""
        now = time.monotonic()
        recent = self._last_flush is not None and now - self._last_flush < self._min_interval
        if not self._dirty or (not force and recent):
            return False
        text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in self.records())
        write_text_atomic(self.path, text)
        self._last_flush = now
        self._dirty = False
        return True


def read_manifest(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a ``manifest.jsonl`` (``[]`` when it does not exist)."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
