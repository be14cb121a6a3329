"""The editor's files stay private to the user, and nothing of a session outlives it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marble.errors import InputError
from marble.frontends.editor import EditorSession
from marble.frontends.editor.folders import editor_root, private_dir, sweep_sessions

REPO = Path(__file__).resolve().parents[3]


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_the_default_root_is_per_user_and_the_env_wins(tmp_path):
    assert editor_root({}).name == f"marble-editor-{os.getuid()}"
    assert editor_root({"MARBLE_EDITOR_DIR": str(tmp_path / "e")}) == tmp_path / "e"


def test_private_dir_is_0700_and_refuses_links_and_files(tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    os.chmod(loose, 0o777)
    assert _mode(private_dir(loose)) == 0o700  # an existing, world-open folder is closed
    assert _mode(private_dir(tmp_path / "a" / "b")) == 0o700
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="link or not a folder"):
        private_dir(tmp_path / "link")
    (tmp_path / "file").write_text("x")
    with pytest.raises((InputError, FileExistsError)):
        private_dir(tmp_path / "file")


def test_a_session_that_writes_nothing_leaves_nothing(tmp_path):
    s = EditorSession(root=tmp_path)
    with pytest.raises(InputError):
        s.export(["ply"])  # no world: the error comes before any folder is made
    s.close()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_exports_are_private_and_go_with_the_session(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be world-readable in a shared folder
    try:
        s = EditorSession(root=tmp_path)
        s.generate("a small room with a chair", preset="draft", seed=0)
        files = s.export(["ply"])
        bundle = s.save_bundle()
    finally:
        os.umask(old)
    folder = s.workdir
    assert folder.parent == tmp_path and _mode(folder) == 0o700 and _mode(tmp_path) == 0o700
    for f in [*files, bundle]:
        # every folder between the root and the file is 0700: no other user can reach the file
        for parent in f.relative_to(tmp_path).parents:
            if str(parent) != ".":
                assert _mode(tmp_path / parent) == 0o700, parent
    s.close()
    assert not folder.exists()


def test_stale_session_folders_are_swept_fresh_ones_kept(tmp_path):
    old, new = tmp_path / "session-old", tmp_path / "session-new"
    for d in (old, new):
        d.mkdir()
        (d / "world.marble").write_text("x")
    past = time.time() - 3 * 86400
    os.utime(old, (past, past))
    (tmp_path / "mine.txt").write_text("not the editor's")
    assert sweep_sessions(tmp_path) == 1
    assert not old.exists() and new.exists() and (tmp_path / "mine.txt").exists()


def test_the_app_keeps_gradio_files_in_the_private_root(tmp_path):
    root = tmp_path / "editor"
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    env.update(MARBLE_EDITOR_DIR=str(root), PYTHONPATH=str(REPO))
    code = "import app, gradio.utils as u; print(u.get_upload_folder())"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert Path(out.stdout.strip().splitlines()[-1]) == root / "gradio"


def test_the_app_refuses_a_root_of_another_kind(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "target")
    env = dict(os.environ, MARBLE_EDITOR_DIR=str(tmp_path / "root"), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, str(REPO / "app.py"), "--port", "1"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "MARBLE_EDITOR_DIR" in out.stderr and "Traceback" not in out.stderr
