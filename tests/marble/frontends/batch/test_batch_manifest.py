"""Job records, verification, atomic folder commits, the manifest and the batch lock (no generation needed)."""

from __future__ import annotations

import json

import pytest

from marble.errors import InputError
from marble.frontends.batch.jobs import Job
from marble.frontends.batch.manifest import (
    BatchLock,
    Manifest,
    commit_dir,
    file_records,
    new_staging_dir,
    read_manifest,
    sweep_partial,
    verify_job_dir,
    write_job_record,
)
from marble.frontends.batch.orchestrate import plan_batch
from marble.frontends.batch.worker import (
    JobResult,
    failed_result,
    finalize_result,
    job_record,
)


def _job(name="a", **kw):
    return Job(index=kw.pop("index", 0), line=1, name=name, prompt=kw.pop("prompt", "a barn"), preset="draft",
               formats=("ply",), **kw)


def _fake_done_folder(out, job, files=None):
    """A committed job folder written the way run_job writes one (bytes stand in for a world)."""
    staging = new_staging_dir(out, job.name)
    for rel, data in (files or {"world.ply": b"ply\n" + b"x" * 100, "previews/p0.png": b"png"}).items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(data)
    result = JobResult(name=job.name, index=job.index, line=job.line, status="done", files=file_records(staging),
                       fingerprint=job.fingerprint(), seconds=1.0)
    write_job_record(staging, job_record(job, result))
    return commit_dir(staging, out / job.name)


def test_verify_accepts_complete_and_rejects_changed_outputs(tmp_path):
    job = _job()
    folder = _fake_done_folder(tmp_path, job)
    state, record = verify_job_dir(folder, job)
    assert state == "done" and [f["path"] for f in record["files"]] == ["previews/p0.png", "world.ply"]
    assert not (tmp_path / ".partial" / "a").exists() and list((tmp_path / ".partial").iterdir()) == []

    assert verify_job_dir(folder, _job(seed=5))[0] is None            # another fingerprint: rerun
    (folder / "world.ply").write_bytes(b"ply\n" + b"y" * 100)         # same size, other bytes
    assert verify_job_dir(folder, job)[0] is None
    (folder / "world.ply").write_bytes(b"ply\n")                      # truncated
    assert verify_job_dir(folder, job)[0] is None
    (folder / "world.ply").unlink()
    assert verify_job_dir(folder, job)[0] is None
    (folder / "job.json").write_text("{trunc")
    assert verify_job_dir(folder, job) == (None, None)


def test_commit_replaces_an_old_folder_whole(tmp_path):
    job = _job()
    _fake_done_folder(tmp_path, job, {"world.ply": b"old", "stale.glb": b"old"})
    _fake_done_folder(tmp_path, job, {"world.ply": b"new"})
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["job.json", "world.ply"]
    assert (tmp_path / "a" / "world.ply").read_bytes() == b"new"
    assert list((tmp_path / ".partial").iterdir()) == []


def test_failed_record_and_plan(tmp_path):
    done, failed, fresh = _job("done", index=0), _job("bad", index=1), _job("new", index=2)
    _fake_done_folder(tmp_path, done)
    finalize_result(failed, failed_result(failed, "the worker process died (killed by SIGKILL)"), tmp_path)
    rec = json.loads((tmp_path / "bad" / "job.json").read_text())
    assert rec["status"] == "failed" and "SIGKILL" in rec["error"] and rec["job"]["prompt"] == "a barn"
    assert verify_job_dir(tmp_path / "bad", failed)[0] == "failed"

    plan = plan_batch([done, failed, fresh], tmp_path)
    assert [j.name for j in plan.run] == ["new"]
    assert [(r.name, r.status, r.this_run) for r in plan.carried] == [("done", "skipped", False), ("bad", "failed", False)]
    plan = plan_batch([done, failed, fresh], tmp_path, retry_failed=True)
    assert [j.name for j in plan.run] == ["bad", "new"]


def test_payload_is_written_and_checked(tmp_path):
    job = _job()
    data = b"splats" * 10
    import hashlib

    ok = JobResult(name="a", index=0, line=1, status="done", fingerprint=job.fingerprint(),
                   files=[{"path": "world.ply", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}],
                   payload={"world.ply": data})
    finalize_result(job, ok, tmp_path)
    assert (tmp_path / "a" / "world.ply").read_bytes() == data and verify_job_dir(tmp_path / "a", job)[0] == "done"

    bad = JobResult(name="a", index=0, line=1, status="done", fingerprint=job.fingerprint(),
                    files=[{"path": "world.ply", "bytes": len(data), "sha256": "0" * 64}], payload={"world.ply": data})
    finalize_result(job, bad, tmp_path)
    assert bad.status == "failed" and "corrupted" in bad.error
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["job.json"]

    evil = JobResult(name="a", index=0, line=1, status="done", fingerprint=job.fingerprint(),
                     files=[{"path": "../x.ply", "bytes": 1, "sha256": hashlib.sha256(b"x").hexdigest()}],
                     payload={"../x.ply": b"x"})
    with pytest.raises(InputError, match="escapes"):
        finalize_result(job, evil, tmp_path)
    assert not (tmp_path / "x.ply").exists()


def test_manifest_order_throttle_and_sweep(tmp_path):
    jobs = [_job("b", index=0), _job("a", index=1)]
    m = Manifest(tmp_path, jobs, min_interval=3600)
    m.update({"name": "a", "status": "done"})
    assert m.flush() is True                      # first write is never throttled
    m.update({"name": "b", "status": "failed"})
    assert m.flush() is False                     # throttled
    assert [r["name"] for r in read_manifest(tmp_path)] == ["a"]
    assert m.flush(force=True) is True
    assert [r["name"] for r in read_manifest(tmp_path / "manifest.jsonl")] == ["b", "a"]

    new_staging_dir(tmp_path, "crashed")
    (tmp_path / ".manifest.abc.tmp.jsonl").write_text("partial")
    assert sweep_partial(tmp_path) == 1 and list((tmp_path / ".partial").iterdir()) == []


def test_lock_is_exclusive(tmp_path):
    with BatchLock(tmp_path):
        with pytest.raises(InputError, match="another `marble batch`"):
            BatchLock(tmp_path).acquire()
    with BatchLock(tmp_path):
        pass
