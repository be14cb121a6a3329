"""End-to-end: prompt -> world on the draft preset, through the Python API and the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import marble
from marble.frontends.outputs import verify_outputs
from marble.world import World

PROMPT = "a cabin in a snowy pine forest at sunset"
MARBLE = [sys.executable, "-m", "marble.frontends.cli.main"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def run_cli(*args, cwd=None):
    return subprocess.run([*MARBLE, *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "cabin"
    res = run_cli("generate", PROMPT, "--preset", "draft", "--seed", "3", "--out", str(out), "--quiet")
    return res, out


def test_cli_generate_writes_every_file(cli_run):
    res, out = cli_run
    assert res.returncode == 0, res.stderr[-3000:]
    names = {p.name for p in out.iterdir()}
    assert {"world.marble", "world.ply", "world.glb", "manifest.json"} <= names
    assert any(n.startswith("preview_") and n.endswith(".png") for n in names)
    assert not any(n.startswith(".") for n in names), names  # no temp files left
    assert verify_outputs(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["prompt"] == PROMPT and manifest["inputs"]["seed"] == 3
    assert manifest["stages"]["views"] and manifest["counts"]["splats"] > 1000
    assert "Files in" in res.stdout


def test_generated_world_has_requested_objects(cli_run):
    _, out = cli_run
    world = World.load(out / "world.marble")
    labels = {layer.label for layer in world.layers}
    assert "cabin" in labels and "pine_tree" in labels
    assert world.layout is not None and world.layout.spec.time_of_day == "sunset"
    assert world.provenance.prompt == PROMPT and world.provenance.preset == "draft"
    assert world.cameras, "the generation cameras are kept with the world"


def test_preview_is_not_blank(cli_run):
    import numpy as np
    from PIL import Image

    _, out = cli_run
    img = np.asarray(Image.open(sorted(out.glob("preview_*.png"))[0])).astype(float)
    assert img.std() > 10, "preview looks blank"


def test_api_is_deterministic_and_seed_dependent(tmp_path):
    a = marble.generate("a desert with cacti", seed=1, preset="draft")
    b = marble.generate("a desert with cacti", seed=1, preset="draft")
    c = marble.generate("a desert with cacti", seed=2, preset="draft")
    assert a.equal(b)
    assert not a.equal(c)
    assert a.provenance.timings  # kept for this run's manifest, not in the bundle:
    assert a.save(tmp_path / "a.marble").read_bytes() == b.save(tmp_path / "b.marble").read_bytes()


@pytest.mark.parametrize(
    "prompt,archetype,label",
    [
        ("a cozy living room with a blue sofa", "living_room", "sofa"),
        ("a beach with palm trees", "beach", "palm_tree"),
        ("a city street with cars", "city_street", "car"),
    ],
)
def test_archetypes_differ_and_contain_objects(prompt, archetype, label):
    world = marble.generate(prompt, seed=0, preset="draft")
    assert world.layout.environment.archetype == archetype
    assert label in {layer.label for layer in world.layers}
    assert world.num_splats > 1000


@pytest.mark.parametrize(
    "args,needle",
    [
        (["   "], "prompt"),
        (["x" * 2001], "2000"),
        (["a forest", "--preset", "ultra"], "preset"),
        (["a forest", "--format", "ply,docx"], "format"),
        (["a forest", "--seed", "-1"], "seed"),
        (["a forest", "--refine", "-3"], "--refine"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, needle):
    out = tmp_path / "out"
    extra = [] if "--preset" in args else ["--preset", "draft"]
    res = run_cli("generate", *args, *extra, "--out", str(out), "--quiet")
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = [l for l in res.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and needle in lines[0].lower(), res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_cli_out_path_is_a_file(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    res = run_cli("generate", "a forest", "--preset", "draft", "--out", str(f), "--quiet")
    assert res.returncode == 2 and "is a file" in res.stderr
    assert f.read_text() == "x"


def test_cli_out_dir_not_writable(tmp_path):
    if os.geteuid() == 0:
        ro = Path("/proc/marble-not-writable")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
    res = run_cli("generate", "a forest", "--preset", "draft", "--out", str(ro / "x"), "--quiet")
    assert res.returncode == 2 and "not writable" in res.stderr, res.stderr


def test_refinement_runs_when_asked_and_raises_fidelity():
    """``refine_steps`` fits the fused splats to their views: PSNR at the views goes up, recorded in provenance."""
    from pipelines.text_to_world import TextToWorldPipeline

    pipe = TextToWorldPipeline()
    plain = pipe("a lake at dawn", seed=1, preset="draft")
    if not __import__("torch").cuda.is_available():  # the default on CPU: no refinement
        assert "refine" not in plain.world.provenance.stages
        assert "refine_psnr_after_db" not in plain.world.provenance.metrics
    out = pipe("a lake at dawn", seed=1, preset="draft", refine_steps=12, measure_fidelity=True)
    m = out.world.provenance.metrics
    assert m["refine_psnr_after_db"] > m["refine_psnr_before_db"] + 0.2, m
    assert out.world.provenance.stages["refine"].endswith("-12")
    assert out.timings["refine"] > 0
    assert out.world.num_splats == plain.world.num_splats  # CPU refinement keeps the splat count
    with pytest.raises(marble.InputError, match="refine_steps"):
        marble.generate("a lake", preset="draft", refine_steps=-1)


def test_preview_cameras_keep_square_pixels_for_any_photo_aspect():
    """A 4:3 photo's camera resized to the 16:10 preview size used to be squashed."""
    from marble.camera import Camera
    from marble.frontends.outputs import preview_cameras
    from marble.world import World

    cam = Camera.look_at((0.0, 1.6, 0.0), (0.0, 1.6, 5.0), fov_y_deg=50.0, width=640, height=480)
    (out,) = preview_cameras(World(layers=[], cameras=[cam]), count=1, width=320, height=200)
    assert (out.width, out.height) == (320, 200)
    assert abs(out.fx - cam.fx * 0.5) < 1e-9 and abs(out.fy - cam.fy * 0.5) < 1e-9  # square pixels kept
    # the same centre ray: the image is cropped top and bottom about it
    assert abs(out.cx - cam.cx * 0.5) < 1e-9 and abs(out.cy - 100.0) < 1e-6
