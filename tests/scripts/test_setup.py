"""The README's setup (scripts/setup.sh) on a machine without libusb: it stops before the long install
with the exact command to run, instead of installing everything and dying later in open3d's import."""

from __future__ import annotations

import os
import subprocess

from typer.testing import CliRunner

from tests.support import REPO


def _shim(tmp_path, name: str, script: str) -> None:
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + script + "\n")
    p.chmod(0o755)


def test_setup_stops_with_the_apt_command_when_libusb_is_missing_and_not_root(tmp_path):
    _shim(tmp_path, "ldconfig", "exit 0")  # lists no libraries: libusb is missing
    _shim(tmp_path, "id", 'echo 1000')  # not root: cannot apt-get
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "PYTHON": "/nonexistent/python"}
    res = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh")], capture_output=True, text=True, env=env,
                         timeout=60)
    assert res.returncode == 1
    assert "sudo apt-get install libusb-1.0-0" in res.stderr
    assert "creating .venv" not in res.stdout  # stopped before any install


def test_a_library_that_cannot_load_is_one_line_naming_it(monkeypatch, tmp_path):
    import sys

    from marble.frontends.cli.main import app

    monkeypatch.setitem(sys.modules, "open3d", None)  # `import open3d` fails as a missing libusb makes it fail
    res = CliRunner().invoke(app, ["generate", "a lake", "--preset", "draft", "--out", str(tmp_path / "o"), "-q"])
    lines = (res.stderr if res.stderr else res.output).strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, lines
    assert "open3d" in lines[0] and "scripts/setup.sh" in lines[0]
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
