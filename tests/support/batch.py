"""Shared checks for the batch tests: the output folder is consistent, a job is running, a process is alive."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from marble.io import sha256_file

DRAFT_OPTS = ["--preset", "draft", "--formats", "ply", "--no-previews", "--no-progress"]


def assert_out_dir_consistent(out: Path) -> dict[str, dict]:
    """Every file under a final name is complete: job folders hold exactly their job.json's files, sha256-verified.

    Returns:
        ``{job name: job.json record}`` for the job folders present.
    """
    records = {}
    for entry in sorted(out.iterdir()):
        if entry.name.startswith("."):
            continue  # .partial/, .batch.lock, temp files: never final names
        if entry.is_file():
            assert entry.name == "manifest.jsonl", entry
            for line in entry.read_text().splitlines():
                json.loads(line)
            continue
        rec = json.loads((entry / "job.json").read_text())
        assert rec["name"] == entry.name and rec["status"] in ("done", "failed"), rec
        listed = {f["path"]: f for f in rec["files"]}
        on_disk = {p.relative_to(entry).as_posix() for p in entry.rglob("*")
                   if p.is_file() and p.name != "job.json"}
        assert on_disk == set(listed), (entry, on_disk, set(listed))
        for rel, f in listed.items():
            assert (entry / rel).stat().st_size == f["bytes"] and sha256_file(entry / rel) == f["sha256"], rel
        if rec["status"] == "done":
            assert listed, entry
        records[entry.name] = rec
    return records


def wait_for_running(out: Path, name: str, *, timeout: float = 180.0) -> int:
    """Poll ``out/.partial/`` until job ``name`` is running there; return its worker's pid."""
    deadline = time.monotonic() + timeout
    partial = out / ".partial"
    while time.monotonic() < deadline:
        if partial.is_dir():
            for d in partial.glob(f"{name}.*"):
                try:
                    rec = json.loads((d / "job.json").read_text())
                except (OSError, ValueError):
                    continue
                if rec.get("status") == "running":
                    return int(rec["worker"]["pid"])
        time.sleep(0.05)
    raise AssertionError(f"job {name!r} did not start within {timeout} s")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True
