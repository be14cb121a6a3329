"""Local parallelism: a pool of spawned worker processes, each loading the models once.

Each worker is a ``spawn``-ed process that imports the pipelines and warms its models once (the pool
initializer), then runs one job at a time with :func:`marble.frontends.batch.worker.run_job`. The driver talks
to every worker over its own pipe and watches its process sentinel, so when a worker dies (killed,
out of memory, a crash in native code) exactly the job it was running is recorded as failed, a fresh
worker replaces it, and the other jobs carry on.

Workers ignore SIGINT (the driver decides what Ctrl-C means) and exit by themselves when the driver
process goes away, so killing the driver never leaves orphans that keep writing.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator

from marble.errors import MarbleError
from marble.frontends.batch.jobs import Job
from marble.frontends.batch.worker import JobResult, failed_result, run_job

#: Most times in a row a worker may die before it is ready before the pool gives up.
MAX_START_FAILURES = 3


class BatchError(MarbleError):
    """The batch machinery itself failed (workers cannot start); no single job is to blame."""


def available_cpus() -> int:
    """CPU cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def warm_up() -> None:
    """Load what every job needs once per worker: the pipelines, the exporters and the prompt parser.

    Parsing one short prompt builds the text module's process-wide state here, so jobs reuse it.
    The MiniLM embedder (a process-wide singleton) and its vocabulary index are loaded here too:
    most prompts have a word the lexicon does not know, and loading it inside the first job made
    that job 3-4 s slower on every worker (paid again by each worker in a pool). A worker that
    cannot load it still runs jobs: the prompt parser then falls back to its word lists.
    """
    import pipelines.text_to_world  # noqa: F401
    from exporters.registry import preload

    preload()
    from marble.text import parse_prompt
    from marble.text.embed import LAZY_DEFAULT, vocab_index

    parse_prompt("a small wooden cabin in a pine forest")
    import open3d  # noqa: F401 - the view renderer imports it lazily; ~0.8 s that the first job would pay

    try:
        vocab_index(LAZY_DEFAULT)
        LAZY_DEFAULT.encode(["a quiet courtyard"])
    except Exception as exc:  # noqa: BLE001 - a missing model degrades parsing, it does not stop the batch
        print(f"warning: batch worker {os.getpid()} could not load the prompt embedder "
              f"({type(exc).__name__}: {exc}); prompts are parsed with word lists only", file=sys.stderr)


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(3)
        time.sleep(0.5)


def _worker_main(conn, out_dir: str, threads: int, parent_pid: int) -> None:
    """Body of a worker process: warm up, then run the jobs the driver sends until it sends ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    try:
        import torch

        torch.set_num_threads(threads)
    except Exception:  # noqa: BLE001 - reported to the driver, which stops the batch
        conn.send(("fatal", traceback.format_exc()))
        return
    try:
        warm_up()
    except Exception as exc:  # noqa: BLE001 - not fatal: each job then fails with the real error, recorded in its job.json
        print(f"warning: batch worker {os.getpid()} could not preload models ({type(exc).__name__}: {exc})",
              file=sys.stderr)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            # Every output is already renamed into place and the result sent: skip the interpreter's
            # teardown (about 1 s with torch, transformers and open3d loaded), which the driver waits for.
            with contextlib.suppress(Exception):
                conn.close()
                sys.stdout.flush()
                sys.stderr.flush()
                from multiprocessing import util as mp_util

                mp_util._run_finalizers(0)  # unlink this process's semaphores (tqdm's lock), as a normal exit would
            os._exit(0)
        job = Job.from_dict(msg)
        conn.send(("started", job.name, os.getpid()))
        result = run_job(job, out_dir)
        conn.send(("result", result.to_dict()))


@contextlib.contextmanager
def _thread_env(threads: int) -> Iterator[None]:
    """Set the native thread-pool sizes a spawned child inherits, then restore the parent's."""
    keys = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: str(threads) for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _ignore_sigint() -> Iterator[None]:
    """Spawn children with SIGINT ignored from their first instruction (Ctrl-C reaches the whole process group)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class _Worker:
    proc: Any
    conn: Any
    ready: bool = False
    job: Job | None = None
    started: float = 0.0
    started_wall: float = 0.0
    killed_for: str | None = None


def describe_exit(code: int | None) -> str:
    """``-9`` -> ``"killed by SIGKILL"``; ``1`` -> ``"exit code 1"``."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class LocalPool:
    """Run jobs on ``workers`` spawned processes of this machine.

    Args:
        out_dir: the batch's output folder (workers write job folders into it).
        workers: number of worker processes.
        threads_per_worker: torch/OpenMP threads per worker (default: cores // workers, at least 1).
        job_timeout: seconds after which a job's worker is killed and the job recorded as failed (``None``: no limit).
        start_timeout: seconds a worker may take to import and warm up before the pool gives up.
        poll_s: longest wait between checks of the workers.
    """

    def __init__(self, out_dir: str | os.PathLike, *, workers: int, threads_per_worker: int | None = None,
                 job_timeout: float | None = None, start_timeout: float = 600.0, poll_s: float = 0.5):
        if workers < 1:
            raise ValueError(f"`workers` must be at least 1, got {workers}")
        self.out_dir = str(out_dir)
        self.workers = int(workers)
        self.threads = threads_per_worker or max(1, available_cpus() // self.workers)
        self.job_timeout = job_timeout
        self.start_timeout = start_timeout
        self.poll_s = poll_s
        self._ctx = mp.get_context("spawn")

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child_conn, self.out_dir, self.threads, os.getpid()),
                                 daemon=True, name="marble-batch-worker")
        with _thread_env(self.threads), _ignore_sigint():
            proc.start()
        child_conn.close()
        w = _Worker(proc=proc, conn=parent_conn)
        w.started = time.monotonic()
        return w

    def run(self, jobs: list[Job], *, on_result: Callable[[JobResult], None],
            on_start: Callable[[Job, int], None] | None = None) -> None:
        """Run every job; call ``on_result`` (in this process) as each one finishes, in completion order.

        Raises:
            BatchError: workers cannot start (they die or fail while importing/warming up).
            KeyboardInterrupt: passed on after the workers are stopped.
        """
        queue = deque(jobs)
        pool: list[_Worker] = []
        start_failures = 0
        try:
            pool = [self._spawn() for _ in range(min(self.workers, len(queue)))]
            while pool and (queue or any(w.job is not None for w in pool)):
                for w in pool:
                    if w.ready and w.job is None and queue:
                        job = queue.popleft()
                        try:
                            w.conn.send(job.to_dict())
                        except OSError:  # the worker just died: keep the job; the death is handled below
                            queue.appendleft(job)
                            continue
                        w.job, w.started, w.started_wall = job, time.monotonic(), time.time()
                wait([w.conn for w in pool] + [w.proc.sentinel for w in pool], timeout=self.poll_s)
                now = time.monotonic()
                for w in list(pool):
                    dead = False
                    try:
                        while w.conn.poll():
                            msg = w.conn.recv()
                            if msg[0] == "ready":
                                w.ready, start_failures = True, 0
                            elif msg[0] == "started" and on_start is not None and w.job is not None:
                                on_start(w.job, msg[2])
                            elif msg[0] == "result":
                                w.job = None
                                on_result(JobResult.from_dict(msg[1]))
                            elif msg[0] == "fatal":
                                last = msg[1].strip().splitlines()[-1]
                                raise BatchError(f"a batch worker failed while starting: {last}")
                    except (EOFError, OSError):
                        dead = True
                    if not dead and not w.proc.is_alive():
                        dead = not w.conn.poll()
                    if dead:
                        w.proc.join(timeout=5)
                        pool.remove(w)
                        with contextlib.suppress(OSError):
                            w.conn.close()
                        if w.job is not None:
                            why = w.killed_for or f"the worker process died ({describe_exit(w.proc.exitcode)})"
                            on_result(failed_result(w.job, why, started=w.started_wall,
                                                    worker={"pid": w.proc.pid}))
                        elif not w.ready:
                            start_failures += 1
                            if start_failures >= MAX_START_FAILURES:
                                raise BatchError(f"batch workers keep dying while starting "
                                                 f"({describe_exit(w.proc.exitcode)})")
                        busy = sum(1 for x in pool if x.job is not None)
                        if len(pool) < self.workers and len(queue) > len(pool) - busy:
                            pool.append(self._spawn())
                        continue
                    if w.job is not None and self.job_timeout and now - w.started > self.job_timeout:
                        w.killed_for = f"timed out after {self.job_timeout:g} s (the worker was stopped)"
                        w.proc.kill()
                    elif not w.ready and now - w.started > self.start_timeout:
                        raise BatchError(f"a batch worker did not start within {self.start_timeout:g} s")
        except BaseException:
            self._shutdown(pool, graceful=False)  # Ctrl-C or an error: workers are disposable, stop them now
            raise
        self._shutdown(pool, graceful=True)

    def _shutdown(self, pool: list[_Worker], *, graceful: bool) -> None:
        for w in pool:
            if graceful and w.job is None:
                with contextlib.suppress(OSError, ValueError):
                    w.conn.send(None)
            else:
                w.proc.kill()
        deadline = time.monotonic() + 10
        for w in pool:
            w.proc.join(timeout=max(0.1, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(timeout=5)
            with contextlib.suppress(OSError):
                w.conn.close()
