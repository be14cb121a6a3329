"""Crash safety: SIGKILL/SIGINT ``marble batch`` at random moments, rerun, and check no final name ever holds a partial file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np

from marble.frontends.batch import read_manifest
from tests.support.batch import (
    DRAFT_OPTS,
    assert_out_dir_consistent,
    pid_alive,
    wait_for_running,
)

PROMPTS = ["a red barn on a farm", "a lake at dawn", "a desert canyon"]


def _worker_pids(out) -> list[int]:
    pids = []
    for rec_path in (out / ".partial").glob("*/job.json"):
        try:
            pids.append(int(json.loads(rec_path.read_text())["worker"]["pid"]))
        except (OSError, ValueError, KeyError):
            pass
    return pids


def test_sigkill_at_random_moments_then_resume(tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("\n".join(PROMPTS) + "\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "marble.frontends.cli.main", "batch", str(jobs), "--out", str(out), "--workers", "2",
           *DRAFT_OPTS]
    rng = np.random.default_rng(7)
    hit_running = 0
    # first a Ctrl-C (SIGINT) while jobs run, then SIGKILLs at seeded random moments of the batch
    for delay, sig in zip(rng.uniform(2.0, 12.0, size=3), [signal.SIGINT, signal.SIGKILL, signal.SIGKILL]):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if sig == signal.SIGINT:
            wait_for_running(out, "*")
            delay = delay / 10
        time.sleep(float(delay))
        running = _worker_pids(out) if out.exists() else []
        hit_running += bool(running)
        proc.send_signal(sig)
        try:
            _, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
        if sig == signal.SIGINT and proc.returncode != 0:  # 0: the batch finished before the signal
            assert proc.returncode == 130 and "interrupted" in stderr, (proc.returncode, stderr)
        if out.exists():
            assert_out_dir_consistent(out)
        deadline = time.monotonic() + 20  # workers of a killed driver notice it is gone and exit
        while any(pid_alive(p) for p in running) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(pid_alive(p) for p in running), running
    assert hit_running, "no interruption happened while jobs were running; the test proved nothing"

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert res.returncode == 0, res.stdout + res.stderr
    records = read_manifest(out)
    assert [r["name"] for r in records] == ["00000", "00001", "00002"]
    assert all(r["status"] in ("done", "skipped") for r in records), records
    on_disk = assert_out_dir_consistent(out)
    assert sorted(on_disk) == ["00000", "00001", "00002"]
    assert all(rec["status"] == "done" and rec["files"] for rec in on_disk.values())
    assert not list((out / ".partial").iterdir())
