"""Batch jobs as Ray tasks on a local Ray instance: a failing task, a killed worker, shared disk and bytes."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from PIL import Image

from marble.frontends.batch import load_jobs, run_batch
from tests.support.batch import assert_out_dir_consistent, wait_for_running

ray = pytest.importorskip("ray")  # the optional `ray` extra; installed in CI


@pytest.fixture(scope="module")
def local_ray():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    if started:
        ray.shutdown()


def _run_in_thread(**kwargs):
    box: dict = {}

    def target():
        try:
            box["report"] = run_batch(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box


def test_ray_tasks_fail_in_isolation_and_resume(tmp_path, local_ray):
    img = tmp_path / "photo.png"
    Image.new("RGB", (32, 24), (90, 140, 200)).save(img)
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(
        '{"name": "victim", "prompt": "a red barn on a farm"}\n'
        '{"name": "ok", "prompt": "a lake at dawn", "seed": 3}\n'
        '{"name": "photo", "image": "photo.png"}\n')
    jobs = load_jobs(jobs_file, preset="draft", formats=["ply"], previews=False)
    img.unlink()  # the photo disappears after validation: that task fails for a real reason
    out = tmp_path / "out"

    thread, box = _run_in_thread(jobs=jobs, out_dir=out, ray="auto", progress=False)
    pid = wait_for_running(out, "victim")
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    report = box["report"]
    by_name = {r.name: r for r in report.results}
    assert report.backend == "ray" and [r.name for r in report.results] == ["victim", "ok", "photo"]
    assert by_name["victim"].status == "failed" and "died" in by_name["victim"].error
    assert by_name["photo"].status == "failed" and by_name["photo"].error
    assert by_name["ok"].status == "done" and any(f["path"] == "world.ply" for f in by_name["ok"].files)
    assert not report.ok
    on_disk = assert_out_dir_consistent(out)
    assert {n: r["status"] for n, r in on_disk.items()} == {"victim": "failed", "ok": "done", "photo": "failed"}

    # resume with --retry-failed minus the photo job: the killed job reruns, the finished one is skipped;
    # this time the task returns its files as bytes (no shared disk) and the driver writes them
    report = run_batch([j for j in jobs if j.name != "photo"], out, ray="auto", retry_failed=True,
                       ray_transfer="bytes", progress=False)
    assert [(r.name, r.status) for r in report.results] == [("victim", "done"), ("ok", "skipped")]
    victim = assert_out_dir_consistent(out)["victim"]
    assert victim["status"] == "done" and victim["worker"]["pid"] != pid
    assert any(f["path"] == "world.ply" for f in victim["files"])
