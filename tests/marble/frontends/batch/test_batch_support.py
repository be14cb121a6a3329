"""Self-checks of the batch tests' shared consistency checks (tests/support/batch.py)."""

from __future__ import annotations

import json

from marble.io import sha256_file
from tests.support.batch import assert_out_dir_consistent


def test_consistency_check_catches_a_truncated_file(tmp_path):
    job_dir = tmp_path / "a"
    job_dir.mkdir()
    (job_dir / "world.ply").write_bytes(b"full content")
    rec = {"name": "a", "status": "done", "files": [
        {"path": "world.ply", "bytes": 12, "sha256": sha256_file(job_dir / "world.ply")}]}
    (job_dir / "job.json").write_text(json.dumps(rec))
    assert set(assert_out_dir_consistent(tmp_path)) == {"a"}
    (job_dir / "world.ply").write_bytes(b"full")
    try:
        assert_out_dir_consistent(tmp_path)
    except AssertionError:
        return
    raise AssertionError("a truncated file passed the check")
