"""Batch generation: many worlds from one job file, resumable, on local processes or a Ray cluster.

Modules: :mod:`~marble.frontends.batch.jobs` (parse and validate job files), :mod:`~marble.frontends.batch.manifest`
(job records, verification, atomic folder commits, ``manifest.jsonl``), :mod:`~marble.frontends.batch.worker`
(``run_job``: the work of one job), :mod:`~marble.frontends.batch.runner` (local process pool),
:mod:`~marble.frontends.batch.ray_runner` (Ray tasks) and :mod:`~marble.frontends.batch.orchestrate` (``run_batch``).
"""

from __future__ import annotations

from marble.frontends.batch.jobs import Job, JobFileError, Problem, load_jobs
from marble.frontends.batch.manifest import read_manifest, verify_job_dir
from marble.frontends.batch.orchestrate import (
    BatchReport,
    format_summary,
    plan_batch,
    run_batch,
)
from marble.frontends.batch.worker import JobResult, run_job

__all__ = [
    "BatchReport", "Job", "JobFileError", "JobResult", "Problem", "format_summary", "load_jobs", "plan_batch",
    "read_manifest", "run_batch", "run_job", "verify_job_dir",
]
