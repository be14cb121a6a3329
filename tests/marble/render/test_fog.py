"""Distance fog drawn live by the renderer (marble.render.fog): per splat, per camera, masked, baked for exports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from marble.camera import Camera
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.layout import Lighting
from marble.render import render, render_world
from marble.render.fog import META_KEY, Fog, baked_gaussians, fogged_sh, layers_fog, live_flag
from marble.world import Environment, Layer, World

FOG = Fog(0.05, (0.9, 0.8, 0.7))
RED = (0.8, 0.1, 0.1)


def wall(z: float, color=RED) -> Gaussians:
    """A 3 m x 3 m wall of opaque splats facing +Z at depth ``z`` (camera at the origin looks down -Z)."""
    xs = torch.linspace(-1.5, 1.5, 31)
    x, y = torch.meshgrid(xs, xs, indexing="ij")
    pts = torch.stack([x.reshape(-1), y.reshape(-1), torch.full((x.numel(),), -z)], 1)
    return Gaussians.from_points(pts, torch.tensor([color]).expand(len(pts), 3), scales=0.08, opacity=0.99)


def cam_at(z: float) -> Camera:
    return Camera.look_at((0.0, 0.0, z), (0.0, 0.0, z - 1.0), width=32, height=24, fov_y_deg=30)


def centre_rgb(out) -> np.ndarray:
    c = out.colors[0].numpy()
    a = out.alphas[0].numpy()
    return (c[10:14, 14:18] / np.maximum(a[10:14, 14:18], 1e-6)).reshape(-1, 3).mean(0)


@pytest.mark.parametrize("distance", [2.0, 10.0, 40.0])
def test_each_splat_is_veiled_by_its_own_distance(distance):
    g = wall(distance)
    got = centre_rgb(render(g, [cam_at(0.0)], fog=FOG))
    t = math.exp(-FOG.density * distance)
    want = np.array(RED) * t + np.array(FOG.color) * (1 - t)
    assert np.abs(got - want).max() < 0.02
    plain = centre_rgb(render(g, [cam_at(0.0)]))
    assert np.abs(plain - np.array(RED)).max() < 0.02  # without fog: the stored colour


def test_walking_up_takes_the_fog_off_and_cameras_differ_in_one_batch():
    g = wall(0.0)
    out = render(g, [cam_at(30.0), cam_at(2.0)], fog=FOG)
    far, near = (centre_rgb(type(out)(out.colors[i:i + 1], out.alphas[i:i + 1], out.depths[i:i + 1])) for i in (0, 1))
    assert np.linalg.norm(near - np.array(RED)) < 0.2 < np.linalg.norm(far - np.array(RED))


def test_the_mask_spares_splats_that_hold_their_fog_already():
    g = wall(20.0)
    none = torch.zeros(g.num_splats, dtype=torch.bool)
    assert torch.allclose(render(g, [cam_at(0.0)], fog=FOG, fog_mask=none).colors, render(g, [cam_at(0.0)]).colors,
                          atol=1e-6)
    with pytest.raises(InputError, match="fog_mask"):
        render(g, [cam_at(0.0)], fog=FOG, fog_mask=torch.zeros(3, dtype=torch.bool))


def test_fogged_sh_mixes_every_band_linearly():
    from marble.render.sh import eval_sh

    torch.manual_seed(0)
    n = 50
    sh = torch.randn(n, 4, 3) * 0.3
    means = torch.randn(n, 3) * 5
    eye = torch.tensor([1.0, 2.0, 3.0])
    dirs = means - eye
    out = fogged_sh(sh, means, eye, FOG)
    t = torch.exp(-FOG.density * dirs.norm(dim=1))[:, None]
    want = eval_sh(1, sh, dirs) * t + torch.tensor(FOG.color) * (1 - t)
    assert torch.allclose(eval_sh(1, out, dirs), want, atol=1e-5)


def foggy_world(live: bool) -> World:
    env = Environment(lighting=Lighting(fog_density=FOG.density, fog_color=FOG.color))
    meta = {META_KEY: live_flag((-2.0, 2.0, -2.0, 2.0))} if live else {}
    return World([Layer("wall", gaussians=wall(10.0), meta=meta), Layer("other", gaussians=wall(12.0, (0.1, 0.1, 0.8)))],
                 environment=env)


def test_render_world_fogs_only_live_layers():
    live, baked = foggy_world(True), foggy_world(False)
    fog, mask = layers_fog(live)
    assert fog == FOG and mask.sum() == live.layer("wall").num_splats and mask.numel() == live.num_splats
    assert layers_fog(baked) == (None, None)
    a = centre_rgb(render_world(live, [cam_at(0.0)], sky=False))
    b = centre_rgb(render_world(baked, [cam_at(0.0)], sky=False))
    t = math.exp(-FOG.density * 10.0)
    assert np.abs(a - (np.array(RED) * t + np.array(FOG.color) * (1 - t))).max() < 0.02
    assert np.abs(b - np.array(RED)).max() < 0.02


def test_exports_get_the_fog_baked_in(tmp_path):
    from exporters.ply import decode_ply

    w = foggy_world(True)
    layer = w.layer("wall")
    baked = baked_gaussians(layer, layer.world_gaussians(), w.environment)
    # 10 m beyond a 4 m footprint: the baked colour sits between the stored one and the fog
    rgb = baked.colors.mean(0).numpy()
    assert np.linalg.norm(rgb - np.array(RED)) > 0.1 and np.linalg.norm(rgb - np.array(FOG.color)) > 0.1
    assert baked_gaussians(w.layer("other"), w.layer("other").gaussians, w.environment) is w.layer("other").gaussians
    path = tmp_path / "w.ply"
    w.export(path, layers=["wall"])
    g = decode_ply(path, path.read_bytes())
    assert np.allclose(np.sort(g.colors.numpy(), axis=0), np.sort(baked.colors.numpy(), axis=0), atol=2e-3)
