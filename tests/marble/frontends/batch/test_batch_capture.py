"""Batch jobs with capture inputs: ``images``, ``video``, ``panorama`` fields, checked on load, run for real."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from marble.frontends.batch.jobs import JobFileError, load_jobs


def _pano(path, h=64):
    lat = (0.5 - (np.arange(h) + 0.5) / h) * np.pi
    rng = np.random.default_rng(0)
    pano = np.where(lat[:, None, None] > 0, np.array([0.5, 0.7, 0.95]), 0.3 + 0.2 * rng.random((h, 2 * h, 1)))
    Image.fromarray((np.broadcast_to(pano, (h, 2 * h, 3)) * 255).astype(np.uint8)).save(path)


def test_capture_fields_load_with_hashes_and_relative_paths(synthetic_capture, tmp_path):
    folder = synthetic_capture.paths[0].parent
    _pano(tmp_path / "pano.png")
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text("\n".join(json.dumps(j) for j in [
        {"name": "yard", "images": str(folder), "camera_height": 1.7},
        {"name": "pano", "panorama": "pano.png"},
    ]) + "\n")
    yard, pano = load_jobs(jobs_file, preset="draft")
    assert len(yard.images) == 12 and yard.camera_height == 1.7 and yard.capture_sha256
    assert pano.panorama == str((tmp_path / "pano.png").resolve()) and pano.capture_sha256
    before = pano.fingerprint()
    _pano(tmp_path / "pano.png", h=96)  # new content, same name: the job is stale
    assert load_jobs(jobs_file, preset="draft")[1].fingerprint() != before


def test_bad_capture_jobs_name_their_line(tmp_path):
    Image.new("RGB", (300, 200), "red").save(tmp_path / "wide.png")
    (tmp_path / "empty.mp4").write_bytes(b"")
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text("\n".join(json.dumps(j) for j in [
        {"panorama": "wide.png"},
        {"video": "empty.mp4"},
        {"images": ["wide.png"]},
        {"video": "empty.mp4", "max_frames": "lots"},
    ]) + "\n")
    with pytest.raises(JobFileError) as info:
        load_jobs(jobs_file)
    lines = info.value.lines()
    assert len(lines) == 4
    assert "jobs.jsonl:1:" in lines[0] and "not 2:1" in lines[0]
    assert "jobs.jsonl:2:" in lines[1] and "empty" in lines[1]
    assert "jobs.jsonl:3:" in lines[2] and "at least 2" in lines[2]
    assert "jobs.jsonl:4:" in lines[3] and "`max_frames`" in lines[3]


def test_panorama_job_runs(tmp_path):
    from marble.frontends.batch.worker import run_job
    from marble.world import World

    _pano(tmp_path / "pano.png")
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(json.dumps({"name": "pano", "panorama": "pano.png"}) + "\n")
    (job,) = load_jobs(jobs_file, preset="draft", formats=("ply",), previews=False)
    result = run_job(job, tmp_path / "out")
    assert result.status == "done", result.error
    world = World.load(tmp_path / "out" / "pano" / "world.marble")
    assert world.environment.kind == "panorama"
