"""``marble generate --images/--video/--panorama``: a world from photos on the command line, and
every bad capture refused with one line and exit 2, nothing left behind."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from marble.frontends.cli.main import app

runner = CliRunner()


def test_images_folder_makes_a_world_with_its_cameras(synthetic_capture, tmp_path):
    from marble.world import World

    folder = synthetic_capture.paths[0].parent
    out = tmp_path / "out"
    r = runner.invoke(app, ["generate", "--images", str(folder), "--preset", "draft", "--refine", "2", "-q",
                            "--no-previews", "--no-eval", "-f", "ply", "-o", str(out), "--camera-height", "1.7"])
    assert r.exit_code == 0, r.output
    assert "12 of 12 photos registered" in r.output
    assert "reprojection error" in r.output
    world = World.load(out / "world.marble")
    assert len(world.cameras) == 12 and world.cameras[0].name == "photo_000.png"
    assert (out / "world.ply").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest  # written last, after the world


@pytest.fixture
def bad(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    rng = np.random.default_rng(0)
    noise = d / "noise"
    noise.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(noise / f"n{i}.png")
    Image.new("RGB", (400, 300), "red").save(d / "wide.png")
    (d / "empty.mp4").write_bytes(b"")
    (d / "junk.mp4").write_bytes(b"not a video at all" * 50)
    Image.new("RGB", (64, 48), "blue").save(d / "one.png")
    return d


@pytest.mark.parametrize("args, message", [
    (["--images", "{d}/noise"], "could be placed"),
    (["--images", "{d}/one.png"], "at least 2"),
    (["--images", "{d}/one.png", "--images", "{d}/one.png"], "more than once"),
    (["--video", "{d}/empty.mp4"], "empty (0 bytes)"),
    (["--video", "{d}/junk.mp4"], "cannot be read"),
    (["--video", "{d}/missing.mp4"], "does not exist"),
    (["--panorama", "{d}/wide.png"], "not 2:1"),
    (["--video", "{d}/junk.mp4", "--max-frames", "100000"], "--max-frames"),
    (["--images", "{d}/noise", "--panorama", "{d}/wide.png"], "give one input"),
    (["--images", "{d}/noise", "--camera-height", "-1"], "--camera-height"),
])
def test_bad_captures_exit_2_with_one_line_and_nothing_left(bad, tmp_path, args, message):
    out = tmp_path / "out"
    r = runner.invoke(app, ["generate", *[a.format(d=bad) for a in args], "--preset", "draft", "--refine", "0",
                            "-q", "--no-previews", "--no-eval", "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert not out.exists()


def test_panorama_makes_a_world_with_the_panorama_as_its_sky(tmp_path):
    from marble.world import World

    # A simple 2:1 panorama: sky above the equator, textured ground below.
    h = 128
    lat = (0.5 - (np.arange(h) + 0.5) / h) * np.pi
    rng = np.random.default_rng(0)
    pano = np.where(lat[:, None, None] > 0, np.array([0.5, 0.7, 0.95]), 0.3 + 0.2 * rng.random((h, 2 * h, 1)))
    pano = np.broadcast_to(pano, (h, 2 * h, 3))
    Image.fromarray((pano * 255).astype(np.uint8)).save(tmp_path / "pano.png")
    out = tmp_path / "out"
    r = runner.invoke(app, ["generate", "--panorama", str(tmp_path / "pano.png"), "--preset", "draft", "-q",
                            "--no-previews", "--no-eval", "-f", "ply", "-o", str(out)])
    assert r.exit_code == 0, r.output
    world = World.load(out / "world.marble")
    assert world.environment.kind == "panorama"
    assert world.provenance.inputs["panorama"] == "pano.png"
    assert "ground" in world.layer_names
