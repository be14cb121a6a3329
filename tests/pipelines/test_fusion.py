"""Tests for pipelines.fusion: views -> per-layer flat splats, sky dome, PSNR check, TSDF meshes.

Views come from the ray-cast renderer on a hand-built scene (see tests/support/scenes.py), at tiny
image sizes so the whole file runs in seconds on one core.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from marble.camera import Camera
from marble.color import psnr
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.geometry import quat_to_rotmat
from marble.presets import get_preset
from marble.view import View
from pipelines.fusion import (
    FusionResult,
    fuse_views,
    fusion_psnr,
    rerender,
    tsdf_meshes,
)
from pipelines.views import camera_rig, environment_for, render_views
from tests.support.scenes import ALBEDO, make_scene

PRESET = get_preset("draft", view_width=72, view_height=48, ring_views=6, walk_views=2, voxel_size=0.05,
                    max_splats=200_000, sky_splats=400)


@pytest.fixture(scope="module")
def scene():
    layout, geometry = make_scene(ground_half=8.0)
    cams = camera_rig(layout, preset=PRESET, seed=0)
    views = render_views(layout, geometry, cams, seed=0, albedo_fn=ALBEDO)
    return layout, geometry, views


@pytest.fixture(scope="module")
def fused(scene):
    layout, _, views = scene
    return fuse_views(views, preset=PRESET, seed=0, environment=environment_for(layout))


def _surface_distance(geometry, points: np.ndarray) -> np.ndarray:
    import open3d as o3d

    rc = o3d.t.geometry.RaycastingScene()
    for g in geometry:
        m = g.world_mesh()
        rc.add_triangles(o3d.core.Tensor(np.asarray(m.vertices, np.float32)), o3d.core.Tensor(np.asarray(m.faces, np.uint32)))
    return rc.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy()


def test_splats_lie_on_the_surfaces_in_their_layers(scene, fused):
    layout, geometry, views = scene
    assert isinstance(fused, FusionResult)
    assert set(fused.gaussians) == {"ground", "box_1", "ball_1"}
    for name, g in fused.gaussians.items():
        g.validate()
        d = _surface_distance([x for x in geometry if x.name == name], g.means.numpy())
        assert np.percentile(d, 95) < 0.03, name  # voxel-averaged points stay on their own surface
        assert d.max() < 0.2, name
    box = fused.gaussians["box_1"].means.numpy()
    assert np.linalg.norm(box[:, [0, 2]] - [3.0, 1.0], axis=1).max() < 0.75  # inside the box's footprint
    assert fused.stats["splats"] == sum(g.num_splats for g in fused.gaussians.values())
    assert fused.stats["merged"] > 0  # views overlap: duplicates were merged
    assert fused.stats["splats"] < fused.stats["surface_pixels"]


def test_splats_are_flat_and_follow_the_normals(fused):
    g = fused.gaussians["ground"]
    R = quat_to_rotmat(g.quats)  # [N, 3, 3]; column 2 is the splat's thin axis
    thin = R[:, :, 2]
    assert (thin[:, 1].abs() > 0.99).float().mean() > 0.97  # ground normal is +Y
    s = g.scales
    assert (s[:, 2] < 0.2 * s[:, :2].min(dim=1).values).all()  # thin along the normal
    ball = fused.gaussians["ball_1"]
    centre = torch.tensor([-2.0, 0.8, -3.0])
    radial = ball.means - centre
    radial = radial / radial.norm(dim=1, keepdim=True)
    cos = (quat_to_rotmat(ball.quats)[:, :, 2] * radial).sum(1).abs()
    assert cos.median() > 0.97
    assert (g.opacities > 0.9).all()


def test_colours_come_from_the_views(scene, fused):
    _, _, views = scene
    all_rgb = np.concatenate([v.rgb[np.isfinite(v.depth)] for v in views])
    box_rgb = np.concatenate([v.rgb[v.object_ids == v.layer_names.index("box_1")] for v in views])
    g = fused.gaussians["box_1"]
    assert np.abs(g.colors.numpy().mean(0) - box_rgb.mean(0)).max() < 0.05
    assert np.abs(fused.gaussians["ground"].colors.numpy().mean(0) - all_rgb.mean(0)).max() < 0.1


def test_fusion_is_deterministic(scene, fused):
    layout, _, views = scene
    again = fuse_views(views, preset=PRESET, seed=0, environment=environment_for(layout))
    for name, g in fused.gaussians.items():
        for k, t in g.tensors().items():
            assert torch.equal(t, again.gaussians[name].tensors()[k]), (name, k)
    for k, t in fused.sky.tensors().items():
        assert torch.equal(t, again.sky.tensors()[k])


def test_cap_keeps_the_most_important_splats(scene, fused):
    layout, _, views = scene
    cap = fused.stats["splats"] // 3
    capped = fuse_views(views, preset=get_preset(PRESET, max_splats=cap), seed=0)
    n = sum(g.num_splats for g in capped.gaussians.values())
    assert n == cap and capped.stats["pruned"] == fused.stats["splats"] - cap
    # every layer keeps a share (pruning thins evenly, it does not wipe out whole objects)
    assert set(capped.gaussians) == set(fused.gaussians)
    for name, g in capped.gaussians.items():
        assert g.num_splats > 0.15 * fused.gaussians[name].num_splats, name


def test_sky_dome_surrounds_the_scene(scene, fused):
    layout, _, views = scene
    sky = fused.sky
    assert sky.num_splats == PRESET.sky_splats
    centre = np.mean([v.camera.position.numpy() for v in views], axis=0)
    r = np.linalg.norm(sky.means.numpy() - centre, axis=1)
    assert np.allclose(r, r[0], rtol=1e-4) and r[0] >= 50.0
    ground_extent = np.abs(fused.gaussians["ground"].means.numpy()).max()
    assert r[0] > 5 * ground_extent
    # colours match the sky the views show in the same directions
    env = environment_for(layout)
    from pipelines.views import sky_pixels

    dirs = (sky.means.numpy() - centre) / r[:, None]
    up = dirs[:, 1] > 0.2
    assert np.abs(sky.colors.numpy()[up] - sky_pixels(env, dirs[up])).mean() < 0.03
    assert fuse_views(views, preset=PRESET, seed=0, sky=False).sky is None


def test_fused_splats_reproduce_the_views(scene, fused):
    layout, _, views = scene
    env = environment_for(layout)
    chosen = views[:2]
    good = fusion_psnr(fused, chosen, environment=env)
    assert len(good["per_view"]) == 2 and good["names"] == [v.camera.name for v in chosen]
    assert good["min"] > 24.0, good
    # a broken fusion (colours shuffled between splats) must fail the same threshold
    g = fused.all_gaussians(include_sky=False)
    perm = torch.randperm(g.num_splats, generator=torch.Generator().manual_seed(0))
    broken = Gaussians(g.means, g.quats, g.log_scales, g.opacity_logits, g.sh0[perm])
    bad = fusion_psnr(broken, chosen, environment=env)
    assert bad["mean"] < good["mean"] - 6 and bad["mean"] < 24.0
    # and so must splats moved off the surfaces
    shifted = Gaussians(g.means + torch.tensor([0.3, 0.0, 0.0]), g.quats, g.log_scales, g.opacity_logits, g.sh0)
    assert fusion_psnr(shifted, chosen, environment=env)["mean"] < good["mean"] - 3


def test_confidence_weights_the_merge():
    cam = Camera.look_at((0, 2.0, 0), (0, 0, 0.0001), width=16, height=12, fov_y_deg=30)
    depth = np.full((12, 16), 2.0, np.float32)
    ids = np.zeros((12, 16), np.int32)
    normals = np.tile(np.array([0, 1, 0], np.float32), (12, 16, 1))
    red = View(cam, np.tile(np.array([1, 0, 0], np.float32), (12, 16, 1)), depth, ids, ["floor"], normals,
               np.full((12, 16), 1.0, np.float32), source="procedural")
    blue = View(cam, np.tile(np.array([0, 0, 1], np.float32), (12, 16, 1)), depth, ids, ["floor"], normals,
                np.full((12, 16), 0.1, np.float32), source="image-lift")
    preset = get_preset("draft", voxel_size=0.05, sky_splats=0)
    res = fuse_views([red, blue], preset=preset, seed=0)
    col = res.gaussians["floor"].colors.numpy().mean(0)
    assert col[0] == pytest.approx(1 / 1.1, abs=0.02) and col[2] == pytest.approx(0.1 / 1.1, abs=0.02)
    assert res.sky is None


def test_normals_are_estimated_when_views_have_none():
    cam = Camera.look_at((0, 2.0, 0), (0.0, 0, 1.5), width=40, height=30, fov_y_deg=50)
    # analytic depth of the plane y = 0 seen from this camera
    dirs = cam.ray_directions().numpy()
    t = -2.0 / dirs[..., 1]
    fwd = cam.T_world_camera[:3, 2].numpy()
    depth = np.where(dirs[..., 1] < 0, t * (dirs @ fwd), np.inf).astype(np.float32)
    view = View(cam, np.full((30, 40, 3), 0.5, np.float32), depth, np.where(np.isfinite(depth), 0, -1).astype(np.int32),
                ["plane"], normals=None)
    pts = view.camera.unproject(view.depth)[np.isfinite(depth)]
    assert np.abs(pts[:, 1]).max() < 1e-4
    res = fuse_views([view], preset=get_preset("draft", voxel_size=0.05, sky_splats=50), seed=1)
    thin = quat_to_rotmat(res.gaussians["plane"].quats)[:, :, 2]
    assert (thin[:, 1].abs() > 0.99).float().mean() > 0.9


def test_tsdf_meshes_per_layer(scene):
    _, geometry, views = scene
    meshes = tsdf_meshes(views, voxel_size=0.05, layers=["box_1", "ball_1"])
    assert set(meshes) == {"box_1", "ball_1"}
    for name, m in meshes.items():
        assert len(m.faces) > 20
        assert m.visual.vertex_colors.shape == (len(m.vertices), 4)
        d = _surface_distance([g for g in geometry if g.name == name], np.asarray(m.vertices))
        assert np.median(d) < 0.045 and np.percentile(d, 90) < 0.1, name  # within a voxel or two
    assert np.abs(np.asarray(meshes["ball_1"].vertices).mean(0) - [-2.0, 0.8, -3.0]).max() < 0.6


def test_bad_inputs_are_rejected(scene):
    _, _, views = scene
    with pytest.raises(InputError, match="views"):
        fuse_views([], preset=PRESET, seed=0)
    with pytest.raises(InputError, match="single View"):
        fuse_views(views[0], preset=PRESET, seed=0)
    with pytest.raises(InputError, match="views\\[1\\]"):
        fuse_views([views[0], "x"], preset=PRESET, seed=0)
    v = views[0]
    sky_only = View(v.camera, v.rgb, np.full_like(v.depth, np.inf), np.full_like(v.object_ids, -1), [])
    with pytest.raises(InputError, match="finite depth"):
        fuse_views([sky_only], preset=PRESET, seed=0)
    bad_ids = View(v.camera, v.rgb, v.depth, v.object_ids + 5, v.layer_names)
    with pytest.raises(InputError, match="object_ids"):
        fuse_views([bad_ids], preset=PRESET, seed=0)
    with pytest.raises(InputError, match="preset"):
        fuse_views(views, preset="nope", seed=0)
    with pytest.raises(InputError, match="voxel_size"):
        tsdf_meshes(views, voxel_size=-1.0)
    with pytest.raises(InputError, match="world_or_gaussians"):
        fusion_psnr("not splats", views)


def test_psnr_helper():
    a = np.zeros((4, 4, 3), np.float32)
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-4)


def test_rerender_composites_the_environment(scene, fused):
    layout, _, views = scene
    env = environment_for(layout)
    v = views[0]
    img = rerender(fused.all_gaussians(include_sky=False), v, environment=env)
    sky = ~np.isfinite(v.depth)
    from scipy.ndimage import binary_erosion

    open_sky = binary_erosion(sky, iterations=3)
    assert open_sky.any()
    assert np.abs(img[open_sky] - v.rgb[open_sky]).max() < 0.02
