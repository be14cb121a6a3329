"""Preview media: fitted camera paths, videos, equirectangular panoramas and the `marble render` command."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from marble.api import camera_path
from marble.errors import InputError
from marble.frontends.cli.main import app
from marble.gaussians import Gaussians
from marble.render.panorama import equirect_directions, render_panorama
from marble.render.video import write_orbit_video, write_video
from marble.world import Layer, World


def small_world() -> World:
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(600, 3, generator=g) - 0.5
    cube = Gaussians.from_points(pts * 0.6, torch.tensor([[0.9, 0.1, 0.1]]).expand(600, 3), scales=0.05)
    gp = torch.rand(800, 3, generator=g) * 6 - 3
    gp[:, 1] = -0.5
    ground = Gaussians.from_points(gp, torch.tensor([[0.2, 0.6, 0.2]]).expand(800, 3), scales=0.12)
    return World([Layer("cube", gaussians=cube), Layer("ground", gaussians=ground)])


@pytest.mark.parametrize("kind", ["orbit", "ring", "walk"])
def test_camera_paths_fit_the_world(kind):
    w = small_world()
    cams = camera_path(w, kind, frames=5, width=64, height=40)
    assert len(cams) == 5 and all((c.width, c.height) == (64, 40) for c in cams)
    lo, hi = w.bounds()
    for c in cams:
        p = c.position.numpy()
        if kind == "orbit":  # outside the scene, looking at its centre
            centre = torch.tensor((lo + hi) / 2, dtype=torch.float64)
            x = torch.linalg.inv(c.T_world_camera) @ torch.cat([centre, torch.ones(1, dtype=torch.float64)])
            assert x[2] > 0 and abs(x[0] / x[2] * c.fx) < c.width / 2
        else:  # inside the scene at eye height
            assert lo[0] <= p[0] <= hi[0] and lo[2] <= p[2] <= hi[2]
    with pytest.raises(InputError, match="`camera`"):
        camera_path(w, "spiral")
    with pytest.raises(InputError, match="`frames`"):
        camera_path(w, "orbit", frames=0)


def test_orbit_video_roundtrip(tmp_path):
    path = write_orbit_video(small_world(), tmp_path / "orbit.mp4", frames=4, width=48, height=31, fps=8)
    reader = imageio.get_reader(path)
    frames = [f for f in reader]
    assert len(frames) == 4
    assert frames[0].shape == (32, 48, 3)  # height rounded up to even for H.264
    assert not np.array_equal(frames[0], frames[2])  # the camera moves
    assert [p.name for p in tmp_path.iterdir()] == ["orbit.mp4"]  # no temp files left


def test_write_video_rejects_bad_input(tmp_path):
    f = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(InputError, match="`out`"):
        write_video([f], tmp_path / "v.avi")
    with pytest.raises(InputError, match="share one size"):
        write_video([f, np.zeros((4, 4, 3), np.uint8)], tmp_path / "v.mp4")
    with pytest.raises(InputError, match="no frames"):
        write_video([], tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []  # nothing partial written


def test_panorama_is_equirectangular_and_places_objects():
    w = small_world()
    eye = (0.0, 0.0, 2.5)  # the cube is straight ahead along -Z: longitude pi (the image's left/right edges)
    pano = render_panorama(w, eye, height=48)
    assert pano.shape == (48, 96, 3)
    dirs = equirect_directions(48)
    sky = w.environment.sky_color(dirs)
    assert np.abs(pano[0] - sky[0]).max() < 1e-4  # straight up: only sky
    red = (pano[..., 0] > 0.6) & (pano[..., 1] < 0.35)
    cols = np.nonzero(red.any(axis=0))[0]
    assert len(cols) and all(c < 15 or c > 80 for c in cols)
    rows = np.nonzero(red.any(axis=1))[0]
    assert 12 < rows.mean() < 36  # near the horizon
    with pytest.raises(InputError, match="`eye`"):
        render_panorama(w, (0, float("nan"), 0), height=16)


def test_cli_render_video_and_panorama(tmp_path):
    world = tmp_path / "w.marble"
    small_world().save(world)
    runner = CliRunner()
    res = runner.invoke(app, ["render", str(world), "--camera", "walk", "--frames", "3", "--width", "32",
                              "--height", "24", "--out", str(tmp_path / "walk.mp4"),
                              "--panorama", str(tmp_path / "pano.png"), "--panorama-height", "24"])
    assert res.exit_code == 0, res.output
    assert len([f for f in imageio.get_reader(tmp_path / "walk.mp4")]) == 3
    assert Image.open(tmp_path / "pano.png").size == (48, 24)


@pytest.mark.parametrize(
    "args,needle",
    [
        ([], "nothing to write"),
        (["--out", "x.avi"], "--out"),
        (["--out", "x.mp4", "--camera", "zoom"], "camera"),
        (["--out", "x.mp4", "--frames", "0"], "frames"),
        (["--panorama", "p.png", "--eye", "1,2"], "--eye"),
        (["--out", "x.mp4", "--layers", "nope"], "no layer named"),
    ],
)
def test_cli_render_bad_input_exit_2(tmp_path, args, needle):
    world = tmp_path / "w.marble"
    small_world().save(world)
    args = [a if not a.endswith((".mp4", ".avi", ".png")) else str(tmp_path / a) for a in args]
    res = CliRunner().invoke(app, ["render", str(world), *args])
    assert res.exit_code == 2
    msg = res.stderr if hasattr(res, "stderr") and res.stderr else res.output
    assert needle in msg and len(msg.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.marble"]


def test_walk_follows_the_layouts_clear_path():
    """A generated world's walk video stays on the path the layout keeps clear: no eye inside an object."""
    import math

    from pipelines import generate_world
    from pipelines.procedural import terrain_height, walk_path

    world = generate_world("a pine forest with a cabin and rocks", seed=1, preset="draft")
    cams = camera_path(world, "walk", frames=40, width=64, height=40)
    path = walk_path(world.layout.environment)  # outdoors: along X through the centre
    eyes = np.stack([c.position.numpy() for c in cams])
    np.testing.assert_allclose(eyes[:, 2], path[0, 2], atol=1e-6)
    # it keeps to the stretch where the generation's walk cameras stood (the world is complete there)
    rig_x = [c.position[0].item() for c in world.cameras if c.name.startswith("walk")]
    assert len(rig_x) >= 2
    assert eyes[:, 0].min() >= min(rig_x) - 1.0 and eyes[:, 0].max() <= max(rig_x) + 1.0
    assert np.ptp(eyes[:, 0]) > 0.5 * (max(rig_x) - min(rig_x))
    ground = terrain_height(world.layout, eyes[:, 0], eyes[:, 2])
    np.testing.assert_allclose(eyes[:, 1] - ground, 1.6, atol=0.05)
    assert world.layout.objects
    for o in world.layout.objects:
        dx, dz = eyes[:, 0] - o.position[0], eyes[:, 2] - o.position[2]
        c, s = math.cos(o.yaw), math.sin(o.yaw)
        lx, lz = c * dx - s * dz, s * dx + c * dz  # either rotation sense: test the larger footprint
        r = 0.5 * max(o.size[0], o.size[2])
        inside = (np.abs(lx) < r) & (np.abs(lz) < r) & (eyes[:, 1] < o.position[1] + o.size[1])
        assert not inside.any(), f"walk camera inside {o.name}"
