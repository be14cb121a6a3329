"""``marble batch`` end to end on the local process pool: bad input, a killed worker, resume, --retry-failed."""

from __future__ import annotations

import json
import os
import signal
import threading

from typer.testing import CliRunner

from marble.frontends.batch import read_manifest
from marble.frontends.cli.main import app
from tests.support.batch import (
    DRAFT_OPTS,
    assert_out_dir_consistent,
    wait_for_running,
)


def test_bad_job_file_reports_every_line_and_runs_nothing(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join([
        json.dumps({"prompt": "a barn", "name": "barn"}),
        "{oops",
        json.dumps({"prompt": "a barn", "name": "barn"}),
        json.dumps({"prompt": "a barn", "preset": "mega"}),
        json.dumps({"image": "nowhere.png"}),
    ]))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["batch", str(jobs), "--out", str(out)])
    assert res.exit_code == 2, res.output
    err = res.stderr
    for n in (2, 3, 4, 5):
        assert f"jobs.jsonl:{n}: " in err, err
    assert "jobs.jsonl:1:" not in err and "nothing was run" in err
    assert not out.exists()

    for args, needle in [
        (["batch", str(tmp_path / "missing.jsonl"), "--out", str(out)], "does not exist"),
        (["batch", str(jobs), "--out", str(out), "--workers", "0"], "--workers"),
        (["batch", str(jobs), "--out", str(out), "--ray-transfer", "ftp"], "--ray-transfer"),
    ]:
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2 and needle in res.stderr and res.stderr.count("\n") == 1, res.stderr

    ok = tmp_path / "ok.txt"
    ok.write_text("a barn\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(app, ["batch", str(ok), "--out", str(blocker / "sub")])
    assert res.exit_code == 2 and "--out" in res.stderr, res.stderr


def test_local_batch_isolates_a_killed_worker_and_resumes(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join(json.dumps(j) for j in [
        {"name": "victim", "prompt": "a red barn on a farm", "seed": 1},
        {"name": "lake", "prompt": "a lake at dawn", "seed": 2},
        {"name": "lake-twin", "prompt": "a lake at dawn", "seed": 2},
    ]) + "\n")
    out = tmp_path / "out"
    args = ["batch", str(jobs), "--out", str(out), *DRAFT_OPTS]
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(res=CliRunner().invoke(app, [*args, "--workers", "2"])),
                              daemon=True)
    thread.start()
    pid = wait_for_running(out, "victim")
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    res = box["res"]
    assert res.exit_code == 1, res.output
    stdout = res.stdout
    assert "failed jobs:" in stdout and "victim" in stdout and "SIGKILL" in stdout, stdout

    records = {r["name"]: r for r in read_manifest(out)}
    assert [r["name"] for r in read_manifest(out)] == ["victim", "lake", "lake-twin"]
    assert records["victim"]["status"] == "failed" and "SIGKILL" in records["victim"]["error"]
    assert records["lake"]["status"] == "done" and records["lake-twin"]["status"] == "done"
    on_disk = assert_out_dir_consistent(out)
    assert on_disk["victim"]["status"] == "failed" and on_disk["victim"]["files"] == []
    # the same job in two worker processes writes the same bytes (determinism across processes; the
    # run's timings live in job.json and manifest.json, not in world.marble)
    sha = lambda rec: {f["path"]: f["sha256"] for f in rec["files"] if f["path"] in ("world.ply", "world.marble")}  # noqa: E731
    assert sha(records["lake"]) == sha(records["lake-twin"]) and len(sha(records["lake"])) == 2
    assert records["lake"]["worker"]["pid"] != os.getpid()

    # rerun: the verified jobs are skipped, the failure is carried over (still exit 1), nothing is remade
    mtime = (out / "lake" / "world.ply").stat().st_mtime_ns
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "0 run now" in res.stdout and "--retry-failed" in res.stdout, res.output
    assert [r["status"] for r in read_manifest(out)] == ["failed", "skipped", "skipped"]

    # a damaged output is detected and only that job reruns; --retry-failed reruns the failure
    (out / "lake-twin" / "world.ply").write_bytes(b"truncated")
    res = CliRunner().invoke(app, [*args, "--retry-failed", "--workers", "2"])
    assert res.exit_code == 0, res.output
    statuses = {r["name"]: r["status"] for r in read_manifest(out)}
    assert statuses == {"victim": "done", "lake": "skipped", "lake-twin": "done"}
    assert (out / "lake" / "world.ply").stat().st_mtime_ns == mtime
    final = assert_out_dir_consistent(out)
    assert sha(final["lake-twin"]) and final["lake-twin"]["fingerprint"] == records["lake"]["fingerprint"]
    assert not list((out / ".partial").iterdir())


def test_job_timeout_stops_only_that_job(tmp_path):
    from marble.frontends.batch import Job, run_batch

    job = Job(index=0, line=1, name="slow", prompt="a red barn on a farm", preset="draft", formats=("ply",),
              previews=False)
    report = run_batch([job], tmp_path / "out", workers=1, job_timeout=0.2, progress=False)
    (result,) = report.results
    assert result.status == "failed" and "timed out after 0.2 s" in result.error, result
    assert assert_out_dir_consistent(tmp_path / "out")["slow"]["status"] == "failed"
