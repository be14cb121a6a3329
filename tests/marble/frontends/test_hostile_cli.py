"""Misused commands and faults, as the hostile-input sweep tried them: each ends in one line on stderr,
a non-zero exit, and no file lost, replaced half-way or left behind.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import zipfile

import pytest
from typer.testing import CliRunner

from exporters.samples import sample_world
from marble.frontends.cli.main import app
from marble.io import FolderLock
from marble.world import World

runner = CliRunner()


def _err(res) -> list[str]:
    return (res.stderr if res.stderr else res.output).strip().splitlines()


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def world_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("w")
    return sample_world(n_splats=400, sh_degree=0, seed=2).save(d / "w.marble")


# ---------------------------------------------------------------------- data loss
def test_a_failed_export_keeps_the_previous_file_even_when_it_is_the_input(world_file, tmp_path):
    scene = tmp_path / "scene.glb"
    assert runner.invoke(app, ["export", str(world_file), str(scene)]).exit_code == 0
    before = scene.read_bytes()
    (tmp_path / "scene.glb.manifest.json").mkdir()  # the profile's manifest path is blocked
    res = runner.invoke(app, ["export", str(scene), str(scene), "--profile", "quest3"])
    assert res.exit_code == 2 and len(_err(res)) == 1, _err(res)
    assert scene.read_bytes() == before  # the input survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.glb", "scene.glb.manifest.json"]  # nothing else


def test_interrupt_between_collider_and_manifest_leaves_the_old_set(world_file, tmp_path, monkeypatch):
    from exporters import export

    w = World.load(world_file)
    first = export(w, tmp_path / "v.glb", profile="quest3", collider=False)
    before = _snapshot(tmp_path)
    import exporters.profiles as prof

    real = prof.atomic_write
    calls = []

    def interrupting(path, *a, **k):
        calls.append(path)
        if str(path).endswith(".manifest.json"):
            raise KeyboardInterrupt
        return real(path, *a, **k)

    monkeypatch.setattr(prof, "atomic_write", interrupting)
    with pytest.raises(KeyboardInterrupt):
        export(w, tmp_path / "v.glb", profile="quest3", collider=True)
    assert calls and _snapshot(tmp_path) == before, (first, list(tmp_path.iterdir()))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_generate_removes_only_its_own_leftovers_and_locks_the_folder(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".notes.tmp").write_text("mine")  # a user's own file: never taken
    (out / ".world.ply.abc123.marble-tmp.ply").write_bytes(b"half")  # a killed run's leftover
    with FolderLock(out, holder="another `marble generate`"):
        res = runner.invoke(app, ["generate", "a small lake", "--preset", "draft", "--format", "ply", "--no-previews",
                                  "--out", str(out), "-q"])
        assert res.exit_code == 2 and "another `marble generate` is already writing" in _err(res)[-1], _err(res)
    res = runner.invoke(app, ["generate", "a small lake", "--preset", "draft", "--format", "ply", "--no-previews",
                              "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert ".notes.tmp" in names and ".world.ply.abc123.marble-tmp.ply" not in names
    assert {"world.marble", "world.ply", "manifest.json"} <= names


def test_a_full_disk_is_one_line_and_keeps_the_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "o"
    args = ["generate", "a small lake", "--preset", "draft", "--format", "ply,spz", "--no-previews", "--out", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    before = _snapshot(out)
    import exporters.spz as spz

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "world.spz"))

    monkeypatch.setattr(spz, "write_spz", full)
    res = runner.invoke(app, ["generate", "a small lake at dawn", *args[2:]])
    lines = _err(res)
    assert res.exit_code == 2 and len(lines) == 1 and "No space left on device" in lines[0], lines
    assert _snapshot(out) == before  # the old world.marble, world.ply and manifest, not a mix
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------- tracebacks that are now one line
def test_rendering_into_a_folder_nobody_may_write(world_file):
    assert not os.access("/sys", os.W_OK) or not _can_create("/sys")
    res = runner.invoke(app, ["render", str(world_file), "--frames", "2", "--width", "16", "--height", "16",
                              "--out", "/sys/marble-render.mp4"])
    lines = _err(res)
    assert res.exit_code == 2 and len(lines) == 1 and "/sys" in lines[0], lines


def _can_create(folder: str) -> bool:
    try:
        fd = os.open(os.path.join(folder, ".marble-probe"), os.O_CREAT | os.O_WRONLY)
    except OSError:
        return False
    os.close(fd)
    os.unlink(os.path.join(folder, ".marble-probe"))
    return True


def test_exporting_to_a_long_legal_file_name(world_file, tmp_path):
    name = "w" * (244 - len(".ply")) + ".ply"
    res = runner.invoke(app, ["export", str(world_file), str(tmp_path / name)])
    assert res.exit_code == 0, _err(res)
    assert (tmp_path / name).is_file() and [p.name for p in tmp_path.iterdir()] == [name]


def test_cuda_on_a_machine_without_one_is_refused(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU: the refusal cannot happen here")
    res = runner.invoke(app, ["generate", "a lake", "--device", "cuda", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no CUDA GPU" in _err(res)[-1]
    assert not (tmp_path / "o").exists()


def test_batch_files_with_hostile_lines(tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("L", (1, 1)).save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big")  # IHDR claims 60000 x 60000
    bomb.write_bytes(bytes(data))
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join([
        json.dumps({"prompt": "a lake"}),
        '{"prompt": "a lake", "seed": ' + "7" * 5000 + "}",
        "[" * 5000 + "]" * 5000,
        json.dumps({"image": "bomb.png"}),
    ]) + "\n")
    res = runner.invoke(app, ["batch", str(jobs), "--out", str(tmp_path / "out"), "--preset", "draft"])
    text = "\n".join(_err(res))
    assert res.exit_code == 2, text
    assert "jobs.jsonl:2:" in text and "jobs.jsonl:3:" in text and "jobs.jsonl:4:" in text, text
    assert "Traceback" not in text
    csv = tmp_path / "jobs.csv"
    csv.write_text("prompt,seed\n\"" + "a" * 200_000 + "\",1\n")
    res = runner.invoke(app, ["batch", str(csv), "--out", str(tmp_path / "out2")])
    assert res.exit_code == 2 and "jobs.csv:" in "\n".join(_err(res)) and "Traceback" not in res.output


def test_ray_address_with_nothing_listening_fails_fast(tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("a lake\n")
    proc = subprocess.run([sys.executable, "-m", "marble.frontends.cli.main", "batch", str(jobs), "--out",
                           str(tmp_path / "out"), "--ray", "127.0.0.1:9"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Ray cluster answers" in lines[0], lines


def test_a_ply_with_a_duplicate_property_and_a_bundle_with_a_bad_version(tmp_path):
    ply = tmp_path / "dup.ply"
    ply.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
                    b"property float x\nend_header\n" + b"\0" * 8)
    res = runner.invoke(app, ["export", str(ply), str(tmp_path / "o.spz")])
    assert res.exit_code == 2 and "declared twice" in _err(res)[-1]
    bundle = tmp_path / "v.marble"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("world.json", '{"format": "marble-world", "version": "one", "layers": []}')
        zf.writestr("tensors.safetensors", b"")
    res = runner.invoke(app, ["info", str(bundle)])
    assert res.exit_code == 2 and len(_err(res)) == 1 and "version" in _err(res)[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dup.ply", "v.marble"]


@pytest.mark.parametrize("text,needle", [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"environment": {"archetype": "park", "indoor": false, "extent": ' + "9" * 5000 + "}}", "number too long"),
    ('{"environment": {"archetype": "park", "indoor": false, "extent": 10}, "objects": [{"name": "a", "label": "bench", '
     '"position": [NaN, 0, 0], "size": [1, 1, 1]}]}', "position"),
    ('{"environment": {"archetype": "park", "indoor": false, "extent": 10}, "objects": [{"name": "a", "label": "bench", '
     '"position": [0, 0, 0], "size": [-1, 1, 1]}]}', "size"),
    ('{"environment": {"archetype": "room", "indoor": true, "extent": 3}}', "room_size"),
])
def test_hostile_layout_files(text, needle, tmp_path):
    layout = tmp_path / "blockout.json"
    layout.write_text(text)
    res = runner.invoke(app, ["generate", "--layout", str(layout), "--preset", "draft", "--out", str(tmp_path / "o")])
    lines = _err(res)
    assert res.exit_code == 2 and len(lines) == 1 and needle in lines[0] and "blockout.json" in lines[0], lines
    assert not (tmp_path / "o").exists()
