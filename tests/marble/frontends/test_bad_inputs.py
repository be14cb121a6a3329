"""Every bad input, table-driven: the CLI exits 2 with one line on stderr and writes nothing;
the Python API raises a specific Marble exception."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from marble.errors import BudgetError, FormatError, InputError
from marble.frontends.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-inputs")
    f = {}
    f["dir"] = d
    (d / "garbage.marble").write_bytes(b"this is not a zip")
    f["garbage"] = d / "garbage.marble"
    (d / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    f["corrupt_png"] = d / "corrupt.png"
    Image.new("RGB", (1, 1), "red").save(d / "one.png")
    f["one_png"] = d / "one.png"
    Image.new("RGB", (64, 48), "blue").save(d / "small.png")
    f["small_png"] = d / "small.png"
    (d / "notes.txt").write_text("hello")
    f["not_image"] = d / "notes.txt"
    (d / "layout.json").write_text("{not json")
    f["bad_layout"] = d / "layout.json"
    (d / "other.json").write_text(json.dumps({"hello": 1}))
    f["not_layout"] = d / "other.json"
    (d / "empty.jsonl").write_text("")
    f["empty_jobs"] = d / "empty.jsonl"
    (d / "jobs.jsonl").write_text('{"prompt": "a forest"}\n{"prompt": ""}\n{oops\n')
    f["bad_jobs"] = d / "jobs.jsonl"
    # a valid tiny world and a PLY with NaN
    from marble.gaussians import Gaussians
    from marble.world import World

    w = World()
    w.add_layer("a", gaussians=Gaussians.from_points(torch.rand(50, 3), torch.rand(50, 3)))
    f["world"] = w.save(d / "ok.marble")
    from exporters import export

    export(w, d / "ok.ply")
    data = bytearray((d / "ok.ply").read_bytes())
    header_end = data.index(b"end_header\n") + len(b"end_header\n")
    data[header_end:header_end + 4] = np.array([np.nan], np.float32).tobytes()
    (d / "nan.ply").write_bytes(bytes(data))
    f["nan_ply"] = d / "nan.ply"
    f["ok_ply"] = d / "ok.ply"
    return f


# (id, argv builder, words expected in the message)
CLI_CASES = [
    ("generate-empty", lambda f, o: ["generate", "", "--out", o], "prompt"),
    ("generate-whitespace", lambda f, o: ["generate", "  \t ", "--out", o], "prompt"),
    ("generate-too-long", lambda f, o: ["generate", "x" * 2001, "--out", o], "2000"),
    ("generate-preset", lambda f, o: ["generate", "a forest", "--preset", "ultra", "--out", o], "preset"),
    ("generate-format", lambda f, o: ["generate", "a forest", "--format", "docx", "--out", o], "format"),
    ("generate-profile", lambda f, o: ["generate", "a forest", "--profile", "mars", "--out", o], "profile"),
    ("generate-image-missing", lambda f, o: ["generate", "--image", str(f["dir"] / "nope.png"), "--out", o], "nope.png"),
    ("generate-image-corrupt", lambda f, o: ["generate", "--image", str(f["corrupt_png"]), "--out", o], "corrupt.png"),
    ("generate-image-1x1", lambda f, o: ["generate", "--image", str(f["one_png"]), "--out", o], "one.png"),
    ("generate-image-not-image", lambda f, o: ["generate", "--image", str(f["not_image"]), "--out", o], "notes.txt"),
    ("generate-layout-json", lambda f, o: ["generate", "--layout", str(f["bad_layout"]), "--out", o], "layout.json"),
    ("generate-layout-kind", lambda f, o: ["generate", "--layout", str(f["not_layout"]), "--out", o], "other.json"),
    ("generate-nothing", lambda f, o: ["generate", "--out", o], "prompt"),
    ("export-missing", lambda f, o: ["export", str(f["dir"] / "nope.marble"), o + ".glb"], "nope.marble"),
    ("export-garbage", lambda f, o: ["export", str(f["garbage"]), o + ".glb"], "garbage.marble"),
    ("export-extension", lambda f, o: ["export", str(f["world"]), o + ".docx"], "docx"),
    ("export-profile", lambda f, o: ["export", str(f["world"]), o + ".glb", "--profile", "mars"], "mars"),
    ("export-nan-import", lambda f, o: ["export", str(f["nan_ply"]), o + ".spz"], "nan.ply"),
    ("render-garbage", lambda f, o: ["render", str(f["garbage"]), "--out", o + ".mp4"], "garbage.marble"),
    ("render-huge", lambda f, o: ["render", str(f["world"]), "--out", o + ".mp4", "--width", "20000"], "width"),
    ("render-frames", lambda f, o: ["render", str(f["world"]), "--out", o + ".mp4", "--frames", "0"], "frames"),
    ("parse-empty", lambda f, o: ["parse", "   "], "prompt"),
    ("info-garbage", lambda f, o: ["info", str(f["garbage"])], "garbage.marble"),
    ("batch-missing", lambda f, o: ["batch", str(f["dir"] / "nope.jsonl"), "--out", o], "nope.jsonl"),
    ("batch-empty", lambda f, o: ["batch", str(f["empty_jobs"]), "--out", o], "empty"),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_rejects_with_one_line_and_writes_nothing(case, files, tmp_path):
    name, argv, needle = case
    out = str(tmp_path / "out")
    before = set(os.listdir(tmp_path))
    res = runner.invoke(app, argv(files, out))
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and needle.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in res.output
    assert set(os.listdir(tmp_path)) == before, "bad input must leave nothing behind"


def test_batch_reports_every_bad_line(files, tmp_path):
    res = runner.invoke(app, ["batch", str(files["bad_jobs"]), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "jobs.jsonl:2" in res.stderr and "jobs.jsonl:3" in res.stderr
    assert not (tmp_path / "o").exists()


def test_real_process_exit_code_and_no_traceback(files, tmp_path):
    """One row through a real interpreter: the console script's exit code and stderr."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-m", "marble.frontends.cli.main", "export", str(files["garbage"]),
                          str(tmp_path / "x.glb")], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "x.glb").exists()


def _api_cases():
    import marble
    from exporters import import_file
    from marble.camera import Camera
    from marble.gaussians import Gaussians
    from marble.images import load_image
    from marble.render import render
    from marble.world import World

    cam = Camera.look_at([0, 0, 3], [0, 0, 0], width=32, height=32)
    nan_splats = Gaussians.from_points(torch.rand(5, 3), torch.rand(5, 3))
    return [
        ("generate-empty", lambda f: marble.generate("  "), InputError, "prompt"),
        ("generate-preset", lambda f: marble.generate("a forest", preset="ultra"), InputError, "preset"),
        ("generate-seed", lambda f: marble.generate("a forest", seed=-5, preset="draft"), InputError, "seed"),
        ("load-garbage", lambda f: World.load(f["garbage"]), FormatError, "garbage.marble"),
        ("import-nan", lambda f: import_file(f["nan_ply"]), FormatError, "nan"),
        ("image-corrupt", lambda f: load_image(f["corrupt_png"]), InputError, "corrupt.png"),
        ("image-1x1", lambda f: load_image(f["one_png"]), InputError, "one.png"),
        ("camera-focal", lambda f: Camera(fx=0.0, fy=1.0, cx=0, cy=0, width=8, height=8), InputError, "fx"),
        ("render-empty", lambda f: render(Gaussians.empty(), [cam]), InputError, "empty"),
        ("render-size", lambda f: render(nan_splats, [cam], width=16384, height=16384), InputError, "width"),
        ("render-nan", lambda f: render(_with_nan(nan_splats), [cam]), InputError, "means"),
    ]


def _with_nan(g):
    g = g.clone()
    g.means[0, 0] = float("nan")
    return g


API_IDS = ["generate-empty", "generate-preset", "generate-seed", "load-garbage", "import-nan", "image-corrupt",
           "image-1x1", "camera-focal", "render-empty", "render-size", "render-nan"]


@pytest.mark.parametrize("case_id", API_IDS)
def test_api_raises_specific_errors(case_id, files):
    case = {c[0]: c for c in _api_cases()}[case_id]
    _, call, exc_type, needle = case
    with pytest.raises(exc_type) as info:
        call(files)
    assert needle.lower() in str(info.value).lower()
    assert "\n" not in str(info.value).strip()


def test_memory_budget_refuses_instead_of_being_killed(files, monkeypatch):
    from exporters import import_file
    from marble.camera import Camera
    from marble.render import render

    world = import_file(files["ok_ply"])  # fine under the default budget
    monkeypatch.setenv("MARBLE_MEMORY_BUDGET_BYTES", "4096")
    with pytest.raises(BudgetError, match="MARBLE_MEMORY_BUDGET_BYTES"):
        import_file(files["ok_ply"])
    cam = Camera.look_at([0, 0, 3], [0, 0, 0], width=512, height=512)
    with pytest.raises(BudgetError, match="rendering 1 view"):
        render(world.gaussians(), [cam])


def test_prompts_with_control_characters_emoji_and_rtl_are_accepted():
    from marble.text import parse_prompt, validate_prompt

    cleaned = validate_prompt("a forest\x00\x07 at night")
    assert "\x00" not in cleaned and "\x07" not in cleaned and "forest" in cleaned and "night" in cleaned
    for prompt in ("a beach 🌴🏖️ at sunset", "غابة في الليل a forest", "  a   park  "):
        spec = parse_prompt(validate_prompt(prompt))
        assert spec.archetype
