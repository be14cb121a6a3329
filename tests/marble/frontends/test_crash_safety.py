"""Kill `marble generate` at random moments: every file under a final name must be complete and valid."""

import json
import os
import random
import signal
import subprocess
import sys
import time

from PIL import Image

from marble.frontends.outputs import verify_outputs
from marble.world import World

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def check_final_files(out):
    """Every non-temporary file in ``out`` must parse."""
    for p in out.iterdir():
        if p.name.startswith("."):
            continue  # a temp file from the killed run: never under a final name
        if p.suffix == ".marble":
            World.load(p)
        elif p.suffix == ".png":
            Image.open(p).load()
        elif p.suffix == ".json":
            json.loads(p.read_text())
        elif p.suffix == ".ply":
            from exporters import import_file

            import_file(p)
        elif p.suffix == ".glb":
            import trimesh

            trimesh.load(p, force="scene")


def test_sigkill_generate_leaves_only_complete_files(tmp_path):
    out = tmp_path / "world"
    cmd = [sys.executable, "-m", "marble.frontends.cli.main", "generate", "a park with benches", "--preset", "draft",
           "--out", str(out), "--quiet"]
    rng = random.Random(1234)
    for _ in range(3):
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 12.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if out.exists():
            check_final_files(out)
    # a final uninterrupted run completes and verifies, and cleans the killed runs' temp files
    res = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    check_final_files(out)
    assert verify_outputs(out)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_ctrl_c_at_any_moment_exits_130_without_traceback(tmp_path):
    """SIGINT during model loading, generation or writing: exit 130, "interrupted" as the last line, no
    traceback, nothing partial. Some libraries swallow a KeyboardInterrupt raised inside their imports;
    marble.interrupt remembers it and stops at the next progress report."""
    import threading

    out = tmp_path / "world"
    cmd = [sys.executable, "-m", "marble.frontends.cli.main", "generate", "a bungalow by the seashore", "--preset", "draft",
           "--out", str(out)]
    for delay in (0.0, 0.3, 0.8, 1.5):  # after the command's first progress output (its handler is in place)
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        chunks: list[str] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stderr.read(1), "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while not chunks and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        if proc.poll() is not None:  # finished before the signal (a fast machine): nothing to check
            continue
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        reader.join(timeout=30)
        err = "".join(chunks)
        assert proc.returncode == 130, (delay, proc.returncode, err[-1500:])
        assert "Traceback" not in err and err.replace("\r", "\n").strip().splitlines()[-1] == "interrupted", \
            (delay, err[-1500:])
        if out.exists():
            check_final_files(out)
            assert not [p.name for p in out.iterdir() if p.name.startswith(".")], (delay, list(out.iterdir()))
