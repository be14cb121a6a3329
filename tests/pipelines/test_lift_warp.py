"""Forward warping, depth alignment and classical inpainting on scenes with known geometry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from marble.camera import Camera, look_at_pose
from marble.errors import InputError
from pipelines.lift import align_depth, forward_warp, inpaint_classical
from pipelines.lift.geometric_depth import camera_from_horizon
from pipelines.lift.synthetic import SyntheticScene
from pipelines.lift.warp import SurfaceCache, project


def _cam(eye, target, w=96, h=72, fov=60.0):
    return Camera.look_at(eye, target, fov_y_deg=fov, width=w, height=h)


def test_unproject_project_round_trip():
    cam = _cam((0.3, 1.2, -0.5), (1.0, 0.5, 5.0))
    depth = np.random.default_rng(0).uniform(1, 9, (cam.height, cam.width)).astype(np.float32)
    pts = cam.unproject(depth)
    xy, z = project(pts, cam)
    v, u = np.meshgrid(np.arange(cam.height) + 0.5, np.arange(cam.width) + 0.5, indexing="ij")
    assert np.allclose(xy[..., 0], u, atol=1e-6) and np.allclose(xy[..., 1], v, atol=1e-6)
    assert np.allclose(z, depth, rtol=1e-6)


def test_warped_pixels_land_where_geometry_says_subpixel():
    # A tilted plane n.x = d seen from two cameras; colours encode the source pixel coordinates.
    n = np.array([0.2, -0.1, -1.0])
    n /= np.linalg.norm(n)
    d0 = -6.0  # plane: n.x = d0 (about 6 m ahead)
    src = _cam((0, 0, 0), (0, 0, 1))
    dst = _cam((0.4, -0.2, 0.3), (0.8, 0.1, 6.0))
    o, dirs = src.pixel_rays()
    depth = (d0 - o @ n) / (dirs @ n)  # ray parameter == z-depth
    v, u = np.meshgrid(np.arange(src.height) + 0.5, np.arange(src.width) + 0.5, indexing="ij")
    rgb = np.stack([u / src.width, v / src.height, np.zeros_like(u)], -1).astype(np.float32)
    out = forward_warp(rgb, depth.astype(np.float32), src, dst)
    assert 0.5 < out.coverage < 1.0
    # analytic: intersect dst rays with the plane, project into src
    od, dd = dst.pixel_rays()
    t = (d0 - od @ n) / (dd @ n)
    xy, _ = project(od + dd * t[..., None], src)
    ok = ~out.hole
    err_x = np.abs(out.rgb[..., 0] * src.width - xy[..., 0])[ok]
    err_y = np.abs(out.rgb[..., 1] * src.height - xy[..., 1])[ok]
    assert err_x.max() < 0.05 and err_y.max() < 0.05  # sub-pixel (float32 colours limit it)
    assert np.allclose(out.depth[ok], t[ok], rtol=1e-4)
    # every pixel whose analytic source position lies inside the source mesh is covered
    inside = (xy[..., 0] > 0.6) & (xy[..., 0] < src.width - 0.6) & (xy[..., 1] > 0.6) & (xy[..., 1] < src.height - 0.6)
    assert not (out.hole & inside).any()
    assert not (ok & ~((xy[..., 0] >= 0.49) & (xy[..., 0] <= src.width - 0.49))).any()


def test_holes_are_exactly_the_disoccluded_pixels():
    scene = SyntheticScene(boxes=np.array([[0.0, 4.0, 1.2, 2.5, 1.0], [1.8, 7.0, 1.0, 1.5, 1.0]]),
                           colors=np.array([[0.8, 0.2, 0.1], [0.1, 0.6, 0.2]]))
    src = _cam((0.0, 1.6, 0.0), (0.0, 1.2, 8.0), w=120, h=80)
    dst = _cam((0.9, 1.6, 0.4), (0.2, 1.2, 8.0), w=120, h=80)
    rgb_s, depth_s, _ = scene.render(src)
    _, depth_t, _ = scene.render(dst)
    out = forward_warp(rgb_s, depth_s, src, dst)
    # Ground truth: a dst pixel is seen by src iff its true surface point projects inside src and
    # src's depth there matches (not occluded); sky is seen iff its direction falls inside src.
    od, dd = dst.pixel_rays()
    unit = dd / np.linalg.norm(dd, axis=-1, keepdims=True)
    pts = np.where(np.isfinite(depth_t)[..., None], od + dd * np.where(np.isfinite(depth_t), depth_t, 0)[..., None],
                   od + unit * 1000.0)
    xy, z = project(pts, src)
    inside = (xy[..., 0] >= 0.5) & (xy[..., 0] <= src.width - 0.5) & (xy[..., 1] >= 0.5) & (xy[..., 1] <= src.height - 0.5)
    # the four source pixel centres around the projection bracket the depth there
    c0 = np.clip(np.floor(xy[..., 0] - 0.5).astype(int), 0, src.width - 2)
    r0 = np.clip(np.floor(xy[..., 1] - 0.5).astype(int), 0, src.height - 2)
    nb = np.stack([depth_s[r0, c0], depth_s[r0, c0 + 1], depth_s[r0 + 1, c0], depth_s[r0 + 1, c0 + 1]], -1)
    with np.errstate(invalid="ignore"):
        visible_geom = np.isfinite(depth_t) & (z >= nb.min(-1) * 0.98) & (z <= nb.max(-1) * 1.02) & np.isfinite(nb).all(-1)
    visible_sky = ~np.isfinite(depth_t) & ~np.isfinite(nb).any(-1)
    truth_hole = ~(inside & (visible_geom | visible_sky))
    assert truth_hole.sum() > 100  # the box really disoccludes something
    from scipy import ndimage

    boundary = ndimage.binary_dilation(truth_hole, iterations=1) & ndimage.binary_dilation(~truth_hole, iterations=1)
    # pixels whose source neighbourhood straddles an occlusion edge are ambiguous at pixel resolution
    with np.errstate(invalid="ignore"):
        ambiguous = np.isfinite(depth_t) & (nb.max(-1) > 1.1 * nb.min(-1))
    assert ambiguous.mean() < 0.12
    mismatch = out.hole != truth_hole
    bad = mismatch & ~boundary & ~ambiguous
    assert bad.mean() < 0.001, f"{int(bad.sum())} mismatches away from hole edges"
    iou = (out.hole & truth_hole).sum() / (out.hole | truth_hole).sum()
    assert iou > 0.85
    # where not a hole, the warped depth is the true depth
    ok = ~out.hole & np.isfinite(depth_t) & ~boundary
    assert np.median(np.abs(out.depth[ok] - depth_t[ok]) / depth_t[ok]) < 1e-3


def test_identity_warp_and_object_ids():
    cam = camera_from_horizon(width=64, height=48, horizon_row=16)
    rgb, depth, labels = SyntheticScene.random(seed=1).render(cam)
    names = ["ground"] + [f"box_{i}" for i in range(4)]
    # a quarter-pixel shift: no ray passes exactly through a mesh vertex
    dst = Camera(cam.fx, cam.fy, cam.cx + 0.25, cam.cy + 0.2, cam.width, cam.height, cam.T_world_camera)
    out = forward_warp(rgb, depth, cam, dst, object_ids=np.where(labels >= 0, labels, -1), layer_names=names)
    inner = np.zeros_like(out.hole)
    inner[1:-1, 1:-1] = True
    assert (out.hole & inner).mean() < 0.06  # only the sub-pixel gaps along occlusion edges and the horizon
    good = inner & (out.object_ids >= 0) & ~out.hole
    assert np.abs(out.rgb[good] - rgb[good]).max() < 0.2
    assert (np.array(out.layer_names)[out.object_ids[good]] == np.array(names)[labels[good]]).mean() > 0.97
    assert abs(int(out.sky[inner].sum()) - int((~np.isfinite(depth))[inner].sum())) <= 0.01 * inner.sum()


def test_surface_cache_accumulates():
    cams = [_cam((0, 1.6, 0), (np.sin(a) * 5, 1.3, np.cos(a) * 5), w=48, h=32) for a in (0.0, 0.8)]
    scene = SyntheticScene.random(seed=2)
    cache = SurfaceCache()
    for c in cams:
        rgb, depth, _ = scene.render(c)
        cache.add(rgb, depth, c)
    mid = _cam((0, 1.6, 0), (np.sin(0.4) * 5, 1.3, np.cos(0.4) * 5), w=48, h=32)
    one = SurfaceCache()
    rgb, depth, _ = scene.render(cams[0])
    one.add(rgb, depth, cams[0])
    assert cache.render(mid).coverage > one.render(mid).coverage


def test_bad_depth_rejected():
    cam = _cam((0, 0, 0), (0, 0, 1), w=8, h=8)
    with pytest.raises(InputError, match="NaN"):
        forward_warp(np.zeros((8, 8, 3)), np.full((8, 8), np.nan), cam, cam)
    with pytest.raises(InputError, match="shape"):
        forward_warp(np.zeros((8, 8, 3)), np.ones((4, 4)), cam, cam)


def test_align_depth_recovers_scale_shift_with_outliers():
    rng = np.random.default_rng(0)
    ref = rng.uniform(2, 20, (40, 50))
    est = (ref - 0.7) / 3.0
    est[:5] = 100.0  # outliers
    aligned, info = align_depth(est, ref, space="depth")
    assert info["rel_error"] < 1e-6 and abs(info["scale"] - 3.0) < 1e-6
    disp = 5.0 / ref + 0.1
    aligned, info = align_depth(disp, ref, space="disparity")
    assert np.allclose(aligned[5:], ref[5:], rtol=1e-5)
    with pytest.raises(InputError, match="NaN"):
        align_depth(np.full((4, 4), np.nan), ref[:4, :4])
    with pytest.raises(InputError, match="pixels"):
        align_depth(est, np.full_like(ref, np.inf))


@pytest.mark.parametrize("method", ["telea", "ns", "biharmonic"])
def test_inpaint_classical_fills_only_the_mask(method):
    h, w = 32, 40
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :].repeat(h, 0)
    img = np.stack([x, 1 - x, np.full_like(x, 0.3)], -1)
    mask = np.zeros((h, w), bool)
    mask[10:20, 12:25] = True
    damaged = np.where(mask[..., None], 0.0, img)
    out = inpaint_classical(damaged, mask, method=method)
    assert np.array_equal(out[~mask], damaged[~mask])
    assert np.abs(out[mask] - img[mask]).mean() < 0.08  # a smooth ramp is recovered
    with pytest.raises(InputError, match="method"):
        inpaint_classical(img, mask, method="magic")


def test_warp_deterministic():
    cam = camera_from_horizon(width=48, height=32, horizon_row=10)
    rgb, depth, _ = SyntheticScene.random(seed=3).render(cam)
    dst = Camera(cam.fx, cam.fy, cam.cx, cam.cy, 48, 32,
                 T_world_camera=look_at_pose((0.5, 1.6, 0.5), (0.5, 1.0, 8.0)))
    a, b = forward_warp(rgb, depth, cam, dst), forward_warp(rgb, depth, cam, dst)
    assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.hole, b.hole)
    assert torch.equal(torch.from_numpy(a.depth), torch.from_numpy(b.depth))
