"""The work of one job: ``run_job(job, out_dir) -> JobResult``, run in a worker process or a Ray task.

``run_job`` makes the world in a private folder under ``out_dir/.partial/``, writes its exports
through :func:`marble.frontends.outputs.write_outputs`, lists every file with its sha256 in ``job.json``
(written last) and renames the folder into place. A job that raises is recorded as failed (its
folder then holds only ``job.json`` with the error); it never stops the batch.

When the driver and the workers do not share a disk (a Ray cluster without a shared path),
:func:`run_job_detached` returns the files as bytes and the driver writes them with
:func:`finalize_result`.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from marble.frontends.batch.jobs import Job
from marble.frontends.batch.manifest import (
    RECORD_VERSION,
    STATUS_DONE,
    STATUS_FAILED,
    STATUS_RUNNING,
    commit_dir,
    file_records,
    new_staging_dir,
    write_job_record,
)
from marble.io import resolve_under, write_bytes_atomic

MAX_ERROR_CHARS = 500


@dataclass
class JobResult:
    """What became of one job.

    Attributes:
        name, index, line: the job's folder name, position and line in the job file.
        status: ``"done"``, ``"failed"`` or ``"skipped"`` (done by an earlier run and verified).
        error: one-line error (``"ValueError: ..."``) for failed jobs.
        traceback: the full traceback of a failed job, when there is one.
        started, finished: Unix times; ``seconds`` the job's wall time, ``cpu_seconds`` its process CPU time.
        files: ``[{"path", "bytes", "sha256"}]`` of the outputs, relative to the job folder.
        fingerprint: :meth:`Job.fingerprint` of the job.
        worker: ``{"host", "pid"}`` of the process that ran it.
        committed: the job folder is already in place (``False``: the driver must call :func:`finalize_result`).
        this_run: made (or attempted) by this run rather than carried over from an earlier one.
        payload: output bytes by relative path, for detached runs (never written to the manifest).
    """

    name: str
    index: int
    line: int
    status: str
    error: str | None = None
    traceback: str | None = None
    started: float | None = None
    finished: float | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str = ""
    worker: dict[str, Any] = field(default_factory=dict)
    committed: bool = False
    this_run: bool = True
    payload: dict[str, bytes] | None = None

    def record(self) -> dict[str, Any]:
        """The manifest line of this job (no traceback, no payload)."""
        d = asdict(self)
        for key in ("traceback", "payload", "committed"):
            d.pop(key)
        return d

    def to_dict(self) -> dict[str, Any]:
        """Everything, for sending between processes (payload bytes included)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "JobResult":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    @classmethod
    def from_record(cls, record: dict[str, Any], job: Job, *, status: str) -> "JobResult":
        """A result carried over from an earlier run's ``job.json``."""
        return cls(name=job.name, index=job.index, line=job.line, status=status, error=record.get("error"),
                   started=record.get("started"), finished=record.get("finished"), seconds=record.get("seconds"),
                   files=list(record.get("files") or []), fingerprint=job.fingerprint(),
                   worker=dict(record.get("worker") or {}), committed=True, this_run=False)


def _worker_id() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def one_line_error(exc: BaseException) -> str:
    """``"TypeName: message"`` on one line, at most ``MAX_ERROR_CHARS`` characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def job_record(job: Job, result: JobResult) -> dict[str, Any]:
    """The ``job.json`` content for ``result`` (the job's spec, status, timings, files, traceback)."""
    import marble

    rec = result.record()
    rec.update(version=RECORD_VERSION, job=job.to_dict(), traceback=result.traceback, marble_version=marble.__version__)
    rec.pop("this_run", None)
    return rec


def produce(job: Job, folder: Path) -> dict[str, Any]:
    """Generate ``job``'s world and write its outputs into ``folder``; returns the outputs' manifest dict."""
    import marble
    from marble.frontends.outputs import write_outputs

    options: dict[str, Any] = {}
    if job.image is not None:
        options["image"] = job.image
    for key in ("video", "panorama", "camera_height", "max_frames"):
        if getattr(job, key, None) is not None:
            options[key] = getattr(job, key)
    if getattr(job, "images", None):
        options["images"] = list(job.images)
    world = marble.generate(job.prompt, seed=job.seed, preset=job.preset, **options)
    return write_outputs(world, folder, formats=tuple(job.formats), previews=job.previews, video=False,
                         profile=job.profile, extra_manifest={"job": job.to_dict()})


def _attempt(job: Job, folder: Path) -> JobResult:
    started = time.time()
    t0, c0 = time.perf_counter(), time.process_time()
    result = JobResult(name=job.name, index=job.index, line=job.line, status=STATUS_DONE, started=started,
                       fingerprint=job.fingerprint(), worker=_worker_id())
    try:
        produce(job, folder)
        result.files = file_records(folder)
        if not result.files:
            raise RuntimeError("the job wrote no output file")
    except Exception as exc:  # noqa: BLE001 - one bad job must not stop the batch; the error is recorded
        result.status = STATUS_FAILED
        result.error = one_line_error(exc)
        result.traceback = traceback.format_exc()
        result.files = []
        for entry in folder.iterdir():  # a failed job keeps only its job.json
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    result.finished = time.time()
    result.seconds = round(time.perf_counter() - t0, 4)
    result.cpu_seconds = round(time.process_time() - c0, 4)
    return result


def run_job(job: Job, out_dir: str | os.PathLike) -> JobResult:
    """Run one job on a disk the driver shares, and put its folder in place at ``out_dir/<name>``.

    Returns:
        A committed :class:`JobResult` (``status`` ``"done"`` or ``"failed"``).
    """
    out_dir = Path(out_dir)
    final = resolve_under(out_dir, job.name)
    staging = new_staging_dir(out_dir, job.name)
    write_job_record(staging, {"name": job.name, "status": STATUS_RUNNING, "started": time.time(),
                               "worker": _worker_id(), "fingerprint": job.fingerprint()})
    result = _attempt(job, staging)
    write_job_record(staging, job_record(job, result))
    commit_dir(staging, final)
    result.committed = True
    return result


def run_job_detached(job: Job) -> JobResult:
    """Run one job in a private temporary folder and return its files as bytes in ``payload``."""
    with tempfile.TemporaryDirectory(prefix="marble-job-") as tmp:
        folder = Path(tmp) / "out"
        folder.mkdir()
        result = _attempt(job, folder)
        result.payload = {f["path"]: (folder / f["path"]).read_bytes() for f in result.files}
    return result


def failed_result(job: Job, error: str, *, started: float | None = None, worker: dict | None = None) -> JobResult:
    """A failed, uncommitted result for a job whose worker could not report (it died, timed out)."""
    now = time.time()
    return JobResult(name=job.name, index=job.index, line=job.line, status=STATUS_FAILED, error=error,
                     started=started, finished=now, seconds=None if started is None else round(now - started, 4),
                     fingerprint=job.fingerprint(), worker=dict(worker or {}))


def finalize_result(job: Job, result: JobResult, out_dir: str | os.PathLike) -> JobResult:
    """Put an uncommitted result's folder in place: its payload files (checked against their sha256) and ``job.json``."""
    if result.committed:
        return result
    import hashlib

    out_dir = Path(out_dir)
    final = resolve_under(out_dir, job.name)
    staging = new_staging_dir(out_dir, job.name)
    for entry in result.files if result.payload is not None else []:
        data = result.payload[entry["path"]]
        if hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["bytes"]:
            result.status, result.files = STATUS_FAILED, []
            result.error = f"output {entry['path']!r} arrived corrupted from the worker"
            shutil.rmtree(staging)
            staging = new_staging_dir(out_dir, job.name)
            break
        write_bytes_atomic(resolve_under(staging, entry["path"]), data)
    result.payload = None
    write_job_record(staging, job_record(job, result))
    commit_dir(staging, final)
    result.committed = True
    return result
