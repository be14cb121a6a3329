"""Run batch jobs as Ray tasks: one task per job, with the preset's CPU/GPU request.

``ray`` is an optional dependency (``pip install 'marble-worlds[ray]'``) and is imported only here,
only when a batch asks for it. Results stream back with ``ray.wait`` as tasks finish. Each task
checks whether it sees the driver's output folder (a probe file the driver writes): if so it writes
its job folder there itself (shared disk), otherwise it returns the files as bytes and the driver
writes them. Tasks run with ``max_retries=0``, so a task whose worker process dies is recorded as
failed (the same manifest and resume rules as the local pool; ``--retry-failed`` reruns it).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from marble.errors import InputError
from marble.frontends.batch.jobs import Job
from marble.frontends.batch.worker import (
    JobResult,
    failed_result,
    one_line_error,
    run_job,
    run_job_detached,
)
from marble.presets import get_preset

PROBE_PREFIX = ".ray-probe-"


def import_ray():
    """Import ``ray`` or explain how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError("`--ray` needs Ray: install it with pip install 'marble-worlds[ray]'") from None
    return ray


def _ray_job(job_dict: dict[str, Any], out_dir: str, probe: str, transfer: str) -> dict[str, Any]:
    """Body of one Ray task (runs on a worker node)."""
    from marble.frontends.batch.runner import warm_up

    if not _WARM[0]:  # once per Ray worker process: Ray reuses worker processes across tasks
        warm_up()
        _WARM[0] = True
    job = Job.from_dict(job_dict)
    shared = transfer == "shared" or (transfer == "auto" and os.path.exists(os.path.join(out_dir, probe)))
    result = run_job(job, out_dir) if shared else run_job_detached(job)
    return result.to_dict()


_WARM = [False]


RAY_PROBE_TIMEOUT_S = 3.0


def probe_address(address: str, *, timeout: float = RAY_PROBE_TIMEOUT_S) -> None:
    """Check that something listens at a Ray address (``host:port`` or ``ray://host:port``).

    Raises:
        InputError: the address is malformed, or nothing answers within ``timeout`` seconds.
    """
    import socket

    text = address.split("://", 1)[-1]
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not (0 < int(port) < 65536):
        raise InputError(f"`--ray {address}` is not an address: use auto, HOST:PORT (e.g. 10.0.0.5:6379) "
                         "or ray://HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(f"no Ray cluster answers at `--ray {address}` ({exc.strerror or exc}): start one with "
                         "`ray start --head` there, or use `--ray auto` for a local one") from None


def _resources(job: Job) -> dict[str, float]:
    preset = get_preset(job.preset)
    return {"num_cpus": float(preset.num_cpus), "num_gpus": float(preset.num_gpus)}


class RayRunner:
    """Run jobs on a Ray cluster.

    Args:
        out_dir: the batch's output folder on the driver.
        address: ``"auto"`` (connect to the running cluster, else start a local one) or a cluster
            address (``"host:6379"``, ``"ray://host:10001"``). Ignored when Ray is already initialised.
        num_cpus: CPUs of a local instance this runner starts (``None``: all).
        transfer: ``"auto"`` (tasks that see ``out_dir`` write there, others return bytes),
            ``"shared"`` or ``"bytes"``.
        max_in_flight: most tasks submitted at once (default: twice the cluster's CPUs, at least 4).
        poll_s: longest single wait for a result.
    """

    def __init__(self, out_dir: str | os.PathLike, *, address: str = "auto", num_cpus: int | None = None,
                 transfer: str = "auto", max_in_flight: int | None = None, poll_s: float = 1.0):
        if transfer not in ("auto", "shared", "bytes"):
            raise InputError(f"unknown `transfer` {transfer!r}: choose auto, shared or bytes")
        self.out_dir = Path(out_dir).resolve()
        self.address = address
        self.num_cpus = num_cpus
        self.transfer = transfer
        self.max_in_flight = max_in_flight
        self.poll_s = poll_s

    def _connect(self, ray) -> bool:
        if ray.is_initialized():
            return False
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if self.address in ("auto", "", None):
            if self.num_cpus:
                try:  # starts a local instance of this size, unless a running cluster is found
                    ray.init(num_cpus=self.num_cpus, **kwargs)
                    return True
                except ValueError:  # found a running cluster: its size is its own
                    pass
            ray.init(**kwargs)
        else:
            probe_address(self.address)  # seconds, not the minute Ray spends retrying a dead address
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise InputError(f"cannot reach the Ray cluster at `--ray {self.address}`: {one_line_error(exc)}") from None
        return True

    def run(self, jobs: list[Job], *, on_result: Callable[[JobResult], None],
            on_start: Callable[[Job, int], None] | None = None) -> None:
        """Submit every job as a task and call ``on_result`` as each finishes (completion order)."""
        ray = import_ray()
        started_here = self._connect(ray)
        probe = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
        probe_path = self.out_dir / probe
        probe_path.write_text("marble batch driver\n")
        task = ray.remote(_ray_job)
        pending: dict[Any, tuple[Job, float]] = {}
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            limit = self.max_in_flight or max(4, 2 * cpus)
            queue = list(reversed(jobs))
            while queue or pending:
                while queue and len(pending) < limit:
                    job = queue.pop()
                    ref = task.options(max_retries=0, retry_exceptions=False, **_resources(job)).remote(
                        job.to_dict(), str(self.out_dir), probe, self.transfer)
                    pending[ref] = (job, time.time())
                done, _ = ray.wait(list(pending), num_returns=1, timeout=self.poll_s)
                for ref in done:
                    job, submitted = pending.pop(ref)
                    try:
                        result = JobResult.from_dict(ray.get(ref, timeout=self.poll_s * 60))
                    except ray.exceptions.WorkerCrashedError:
                        result = failed_result(job, "the Ray worker process died while running the job",
                                               started=submitted)
                    except ray.exceptions.RayError as exc:
                        cause = getattr(exc, "cause", None) or exc
                        result = failed_result(job, f"Ray task failed: {one_line_error(cause)}", started=submitted)
                    on_result(result)
        except BaseException:
            for ref in pending:  # Ctrl-C or a driver error: stop this batch's tasks on the cluster too
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - best effort; a finished task cannot be cancelled
                    pass
            raise
        finally:
            probe_path.unlink(missing_ok=True)
            if started_here:
                ray.shutdown()
