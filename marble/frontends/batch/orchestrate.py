"""``run_batch``: plan a batch against what earlier runs left, run what is left, keep the manifest.

The plan for every job: **skip** it when its folder holds verified outputs of the same job (same
fingerprint, every file's sha256 matches), carry an earlier **failure** over unless
``retry_failed``, and **run** everything else. Results come back from the local pool or Ray as
jobs finish; each one updates ``manifest.jsonl`` and the progress bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from marble.frontends.batch.jobs import Job
from marble.frontends.batch.manifest import (
    STATUS_DONE,
    STATUS_FAILED,
    STATUS_SKIPPED,
    BatchLock,
    Manifest,
    remove_stale_files,
    sweep_partial,
    verify_job_dir,
)
from marble.frontends.batch.worker import JobResult, finalize_result
from marble.io import ensure_output_dir, resolve_under


@dataclass
class BatchReport:
    """The outcome of :func:`run_batch`.

    Attributes:
        results: one per job, in job order.
        seconds: wall time of the whole batch.
        ran: how many jobs ran in this call.
        backend: ``"local"`` or ``"ray"``.
        workers: worker processes (local) or the Ray address.
    """

    results: list[JobResult] = field(default_factory=list)
    seconds: float = 0.0
    ran: int = 0
    backend: str = "local"
    workers: str = ""

    def counts(self) -> Counter:
        return Counter(r.status for r in self.results)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == STATUS_FAILED]

    @property
    def ok(self) -> bool:
        """Every job is done (now or by an earlier run)."""
        return not self.failed


@dataclass
class Plan:
    """What to do with each job: ``run`` them, or carry over ``carried`` results (skipped or failed earlier)."""

    run: list[Job] = field(default_factory=list)
    carried: list[JobResult] = field(default_factory=list)


def plan_batch(jobs: list[Job], out_dir: str | os.PathLike, *, retry_failed: bool = False) -> Plan:
    """Decide per job whether an earlier run already did it (verified), failed it, or it must run."""
    plan = Plan()
    for job in jobs:
        state, record = verify_job_dir(resolve_under(out_dir, job.name), job)
        if state == STATUS_DONE:
            plan.carried.append(JobResult.from_record(record, job, status=STATUS_SKIPPED))
        elif state == STATUS_FAILED and not retry_failed:
            plan.carried.append(JobResult.from_record(record, job, status=STATUS_FAILED))
        else:
            plan.run.append(job)
    return plan


def run_batch(
    jobs: list[Job],
    out_dir: str | os.PathLike,
    *,
    workers: int | None = None,
    ray: str | None = None,
    retry_failed: bool = False,
    job_timeout: float | None = None,
    ray_transfer: str = "auto",
    progress: bool | None = None,
    on_result: Callable[[JobResult], None] | None = None,
) -> BatchReport:
    """Run a validated batch into ``out_dir``, resuming whatever earlier runs finished.

    Args:
        jobs: from :func:`marble.frontends.batch.jobs.load_jobs`.
        out_dir: output folder; each job writes ``out_dir/<name>/``; ``manifest.jsonl`` sits beside them.
        workers: local worker processes (default: the machine's cores); with ``ray``, the CPUs of a
            local Ray instance this call starts.
        ray: ``None`` for the local pool, else ``"auto"`` or a Ray cluster address.
        retry_failed: rerun jobs that failed in an earlier run (otherwise they stay failed).
        job_timeout: seconds after which a local job is stopped and recorded as failed.
        ray_transfer: ``"auto"``, ``"shared"`` or ``"bytes"`` (see :class:`RayRunner`).
        progress: draw a progress bar on stderr (default: when stderr is a terminal).
        on_result: called with each result as it arrives (after it is on disk).

    Returns:
        A :class:`BatchReport` with one result per job.

    Raises:
        InputError: ``out_dir`` cannot be written, or another batch holds it.
    """
    from marble.frontends.batch.runner import LocalPool, available_cpus

    t0 = time.perf_counter()
    out = ensure_output_dir(out_dir).resolve()
    lock = BatchLock(out).acquire()
    try:
        sweep_partial(out)
        remove_stale_files(out)
        plan = plan_batch(jobs, out, retry_failed=retry_failed)
        manifest = Manifest(out, jobs)
        by_name = {job.name: job for job in jobs}
        results: dict[str, JobResult] = {}
        for r in plan.carried:
            results[r.name] = r
            manifest.update(r.record())
        manifest.flush(force=True)

        bar = _progress_bar(len(plan.run), enabled=progress)

        def _on_result(result: JobResult) -> None:
            job = by_name[result.name]
            result = finalize_result(job, result, out)
            results[result.name] = result
            manifest.update(result.record())
            manifest.flush()
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"failed {sum(1 for r in results.values() if r.status == STATUS_FAILED)}",
                                    refresh=False)
            if on_result is not None:
                on_result(result)

        if ray is None:
            n = workers or available_cpus()
            runner = LocalPool(out, workers=n, job_timeout=job_timeout)
            backend, where = "local", f"{n} worker{'s' if n != 1 else ''}"
        else:
            from marble.frontends.batch.ray_runner import RayRunner

            runner = RayRunner(out, address=ray, num_cpus=workers, transfer=ray_transfer)
            backend, where = "ray", f"ray {ray}"
        try:
            if plan.run:
                runner.run(plan.run, on_result=_on_result)
        finally:
            manifest.flush(force=True)
            if bar is not None:
                bar.close()
        ordered = [results[j.name] for j in jobs if j.name in results]
        return BatchReport(results=ordered, seconds=round(time.perf_counter() - t0, 3), ran=len(plan.run),
                           backend=backend, workers=where)
    finally:
        lock.release()


def _progress_bar(total: int, *, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="jobs", unit="job", file=sys.stderr, dynamic_ncols=True,
                bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}, {rate_fmt}{postfix}")


def format_summary(report: BatchReport, *, max_failures: int = 20) -> str:
    """A plain-text summary table: counts and time per status, then the failed jobs with their errors."""
    counts = report.counts()
    lines = [f"batch: {len(report.results)} jobs, {report.ran} run now on {report.workers}, {report.seconds:.1f} s"]
    lines.append(f"  {'status':<8} {'jobs':>6} {'mean s':>8} {'total s':>9}")
    for status in (STATUS_DONE, STATUS_SKIPPED, STATUS_FAILED):
        rs = [r for r in report.results if r.status == status]
        secs = [r.seconds for r in rs if r.seconds is not None and r.this_run]
        mean = f"{sum(secs) / len(secs):.2f}" if secs else "-"
        total = f"{sum(secs):.1f}" if secs else "-"
        lines.append(f"  {status:<8} {counts.get(status, 0):>6} {mean:>8} {total:>9}")
    failed = report.failed
    if failed:
        width = max(len(r.name) for r in failed[:max_failures])
        lines.append("failed jobs:")
        for r in failed[:max_failures]:
            earlier = "" if r.this_run else " (earlier run; --retry-failed reruns it)"
            lines.append(f"  {r.name:<{width}}  line {r.line:<5} {r.error}{earlier}")
        if len(failed) > max_failures:
            lines.append(f"  ... and {len(failed) - max_failures} more (see manifest.jsonl)")
    return "\n".join(lines)
