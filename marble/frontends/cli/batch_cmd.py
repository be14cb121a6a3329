"""``marble batch JOBS --out DIR``: many worlds from a job file, resumable, locally or on Ray."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Optional

import typer

from marble.frontends.cli.common import (
    EXIT_BAD_INPUT,
    fail,
    format_names,
    handle_errors,
    parse_csv,
    preset_names,
    profile_names,
)

EXIT_JOBS_FAILED = 1


def _sigterm_as_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


@handle_errors
def batch(
    jobs: Path = typer.Argument(..., help="Job file: .jsonl (one JSON object per line), .csv (header row) or .txt "
                                          "(one prompt per line)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: one sub-folder per job plus manifest.jsonl."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Local worker processes (default: the "
                                          "machine's cores). With --ray auto: CPUs of a local Ray instance."),
    ray: Optional[str] = typer.Option(None, "--ray", help="Run jobs as Ray tasks: 'auto' (running cluster, else a "
                                      "local one) or a cluster address."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Rerun jobs that failed in an earlier run."),
    preset: str = typer.Option("standard", "--preset", help=f"Preset for jobs that do not set one: {preset_names()}."),
    formats: str = typer.Option("ply,glb", "--formats", help=f"Export formats for jobs that do not set them: {format_names(worlds_only=True)}."),
    seed: int = typer.Option(0, "--seed", help="Seed for jobs that do not set one."),
    profile: Optional[str] = typer.Option(None, "--profile", help=f"VR/engine profile for jobs that do not set one: {profile_names()}."),
    previews: bool = typer.Option(True, "--previews/--no-previews", help="Write preview PNGs in each job folder."),
    job_timeout: Optional[float] = typer.Option(None, "--job-timeout", help="Stop a local job after this many "
                                                "seconds and record it as failed."),
    ray_transfer: str = typer.Option("auto", "--ray-transfer", help="How Ray workers deliver outputs: auto, "
                                     "shared (write to --out) or bytes (return them to the driver)."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar over jobs "
                                            "(default: when stderr is a terminal)."),
) -> None:
    """Generate one world per line of JOBS into DIR/<name>/, skipping jobs an earlier run finished.

    Every line is validated before anything runs. Rerunning the same command resumes: verified jobs
    are skipped, interrupted ones rerun, failed ones rerun with --retry-failed. Exit code 0 when all
    jobs are done, 1 when any failed, 2 for bad input.
    """
    from marble.errors import InputError
    from marble.frontends.batch import (
        JobFileError,
        format_summary,
        load_jobs,
        run_batch,
    )
    from marble.frontends.batch.runner import BatchError

    if workers is not None and workers < 1:
        raise InputError(f"`--workers` must be at least 1, got {workers}")
    if job_timeout is not None and job_timeout <= 0:
        raise InputError(f"`--job-timeout` must be a positive number of seconds, got {job_timeout:g}")
    if ray_transfer not in ("auto", "shared", "bytes"):
        raise InputError(f"unknown `--ray-transfer` {ray_transfer!r}: choose auto, shared or bytes")
    if ray is not None and not ray.strip():
        raise InputError("`--ray` needs 'auto' or a cluster address such as 10.0.0.5:6379")
    try:
        job_list = load_jobs(jobs, seed=seed, preset=preset, formats=parse_csv(formats), profile=profile,
                             previews=previews)
    except JobFileError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        if len(exc.problems) > 1:  # one problem is its own one-line message
            print(f"error: {len(exc.problems)} bad line(s) in {jobs}; nothing was run", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    in_main = threading.current_thread() is threading.main_thread()  # signal handlers need the main thread
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt) if in_main else None
    try:
        report = run_batch(job_list, out, workers=workers, ray=ray, retry_failed=retry_failed,
                           job_timeout=job_timeout, ray_transfer=ray_transfer, progress=progress)
    except BatchError as exc:
        fail(str(exc), code=EXIT_JOBS_FAILED)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    typer.echo(format_summary(report))
    if not report.ok:
        raise typer.Exit(EXIT_JOBS_FAILED)
