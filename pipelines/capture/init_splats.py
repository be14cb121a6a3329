"""Splats from a capture's sparse points, densified along each photo's interpolated depth.

COLMAP's sparse points are far too few (a few thousand) to fit photos. Each registered photo's
observed points are triangulated in the image (Delaunay); the depth inside each triangle is
interpolated linearly, except in triangles that span a depth edge (farthest corner over
:data:`EDGE_RATIO` times the nearest), and pixels on a grid are lifted to 3D with the photo's
colour. Each photo contributes about ``2 * budget / photos`` points (overlap), thinned to the budget.
Pixels outside every triangle that look down hit the ground plane (``y = 0`` once aligned: SIFT
finds few features on smooth ground near the camera); the rest (open sky, unseen parts) get no
splats: the sky is the environment.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from marble.camera import Camera
from marble.gaussians import Gaussians
from pipelines.capture.photos import CapturePhoto

EDGE_RATIO = 1.35
CLOSER_VIEW_RATIO = 2.5
"""A photo's point is dropped when another camera sees that spot this many times closer: that
camera's own, finer points cover it (a far point's footprint would be a huge blob up close, slow to
render and to fit)."""
NEAR_CLIP = 0.3
"""Metres: points this close in front of any camera are dropped (outliers of matching or of the
interpolation; a splat there would cover that whole photo)."""
INIT_OPACITY = 0.7
SIGMA_PER_FOOTPRINT = 0.5
"""Initial splat standard deviation as a share of the grid step it was lifted at (neighbours just overlap)."""
GROUND_MAX_DISTANCE = 30.0
"""Metres: rays that meet the ground plane farther than this get no ground splat (the horizon)."""


def _interpolated_depth(xy: np.ndarray, z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``[M]`` depth at pixels ``q [M, 2]`` from observed points ``xy [K, 2]`` at depths ``z [K]`` (NaN: none)."""
    from scipy.spatial import Delaunay, QhullError

    out = np.full(len(q), np.nan)
    if len(xy) < 4:
        return out
    try:
        tri = Delaunay(xy)
    except QhullError:
        return out
    simplex = tri.find_simplex(q)
    idx = np.nonzero(simplex >= 0)[0]
    zc = z[tri.simplices[simplex[idx]]]  # [M, 3]
    keep = zc.max(1) <= EDGE_RATIO * zc.min(1)
    idx, zc = idx[keep], zc[keep]
    T = tri.transform[simplex[idx]]  # [M, 3, 2] affine to barycentric
    b01 = np.einsum("mij,mj->mi", T[:, :2], q[idx] - T[:, 2])
    bary = np.concatenate([b01, 1 - b01.sum(1, keepdims=True)], 1)
    out[idx] = 1.0 / (bary * (1.0 / zc)).sum(1)  # inverse depth is linear across a plane's image
    return out


def _photo_points(cam: Camera, rgb: np.ndarray, xy: np.ndarray, pts_world: np.ndarray, stride: int,
                  ground_y: float | None):
    """``([M, 3]`` world points, ``[M, 3]`` colours, ``[M]`` footprint radii, ``[M]`` distances, metres) of one photo."""
    viewmat = np.linalg.inv(cam.T_world_camera.numpy())
    pc = pts_world @ viewmat[:3, :3].T + viewmat[:3, 3]
    z = pc[:, 2]
    ok = z > 1e-6
    h, w = rgb.shape[:2]
    off = stride // 2
    v, u = np.mgrid[off:h:stride, off:w:stride]
    q = np.stack([u.ravel() + 0.5, v.ravel() + 0.5], 1).astype(np.float64)
    depth = _interpolated_depth(xy[ok].astype(np.float64), z[ok], q)
    d_cam = np.stack([(q[:, 0] - cam.cx) / cam.fx, (q[:, 1] - cam.cy) / cam.fy, np.ones(len(q))], 1)
    if ground_y is not None:  # rays that miss the triangulation and look down meet the ground
        T_wc = cam.T_world_camera.numpy()
        dy = d_cam @ T_wc[1, :3]
        t_hit = (ground_y - T_wc[1, 3]) / np.where(dy < -1e-6, dy, np.nan)
        dist = t_hit * np.linalg.norm(d_cam, axis=1)
        use = np.isnan(depth) & np.isfinite(t_hit) & (t_hit > 0) & (dist < GROUND_MAX_DISTANCE)
        depth[use] = t_hit[use]
    found = np.isfinite(depth)
    if not found.any():
        return None
    q, depth, d_cam = q[found], depth[found], d_cam[found]
    p_cam = d_cam * depth[:, None]
    T_wc = cam.T_world_camera.numpy()
    p_world = p_cam @ T_wc[:3, :3].T + T_wc[:3, 3]
    pix = q.astype(np.int64)
    colors = rgb[np.clip(pix[:, 1], 0, h - 1), np.clip(pix[:, 0], 0, w - 1)]
    radius = depth * stride / (0.5 * (cam.fx + cam.fy))
    dist = np.linalg.norm(p_cam, axis=1)
    return p_world, colors.astype(np.float32), radius, dist


def init_splats(
    cameras: list[Camera],
    photos: dict[str, CapturePhoto],
    observations: dict,
    points: np.ndarray,
    colors: np.ndarray,
    *,
    budget: int,
    ground_y: float | None = 0.0,
    seed: int = 0,
) -> Gaussians:
    """Initial splats for fitting, about ``budget`` of them.

    Args:
        cameras: registered cameras in the world frame (``name`` keys ``photos`` and ``observations``).
        photos: photo name -> :class:`CapturePhoto` (``rgb [H, W, 3]`` at the cameras' size).
        observations: photo name -> ``([M, 2]`` pixels, ``[M]`` point indices)`` (from :class:`SfmResult`).
        points: ``[P, 3]`` sparse points in the world frame.
        colors: ``[P, 3]`` their colours in [0, 1].
        budget: target number of splats (at most this many are kept).
        seed: which points are kept when there are more than ``budget``.
        ground_y: height of the ground plane that downward rays missing every point meet; ``None``: no plane.
    Returns:
        :class:`Gaussians` (isotropic, ``sh_degree`` 0), in the world frame.
    """
    budget = max(int(budget), 16)
    per_photo = max(budget * 2 // max(len(cameras), 1), 64)  # overlap: about half merge away
    all_p, all_c, all_r, all_d = [points.astype(np.float64)], [colors.astype(np.float32)], [], []
    # A sparse point's footprint: the distance to its neighbours, roughly (set below from the merged cloud).
    for cam in cameras:
        ph = photos[cam.name]
        stride = max(1, round(math.sqrt(cam.width * cam.height / per_photo)))
        xy, idx = observations.get(cam.name, (np.zeros((0, 2)), np.zeros(0, np.int64)))
        got = _photo_points(cam, ph.rgb, xy, points[idx], stride, ground_y)
        if got is None:
            continue
        all_p.append(got[0])
        all_c.append(got[1])
        all_r.append(got[2])
        all_d.append(got[3])
    keep = [_closest_views(cameras, cam_p, d) for cam_p, d in zip(all_p, [np.zeros(len(points))] + all_d)]
    all_p = [p[k] for p, k in zip(all_p, keep)]
    all_c = [c[k] for c, k in zip(all_c, keep)]
    all_r = [r[k] for r, k in zip(all_r, keep[1:])]
    p = np.concatenate(all_p)
    c = np.concatenate(all_c)
    dense_r = np.concatenate(all_r) if all_r else np.zeros(0)
    r_sparse = np.full(len(all_p[0]), float(np.median(dense_r)) if len(dense_r) else 0.05)
    r = np.concatenate([r_sparse, dense_r])
    p, c, r = _thin(p, c, r, budget, seed)
    return Gaussians.from_points(torch.from_numpy(p.astype(np.float32)), torch.from_numpy(c),
                                 scales=torch.from_numpy((SIGMA_PER_FOOTPRINT * r).astype(np.float32)), opacity=INIT_OPACITY)


def _closest_views(cameras: list[Camera], p: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """``[M]`` bool: the points ``p`` (at distance ``dist`` from the photo they came from) that no other
    camera sees (in its image, in front) :data:`CLOSER_VIEW_RATIO` times closer, nor any camera has
    within :data:`NEAR_CLIP` in front of it."""
    keep = np.ones(len(p), bool)
    for cam in cameras:
        viewmat = np.linalg.inv(cam.T_world_camera.numpy())
        pc = p @ viewmat[:3, :3].T + viewmat[:3, 3]
        z = pc[:, 2]
        front = z > 0.05
        zs = np.where(front, z, 1.0)
        u = cam.fx * pc[:, 0] / zs + cam.cx
        v = cam.fy * pc[:, 1] / zs + cam.cy
        seen = front & (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
        keep &= ~(seen & ((CLOSER_VIEW_RATIO * np.linalg.norm(pc, axis=1) < dist) | (z < NEAR_CLIP)))
    return keep


def _thin(p: np.ndarray, c: np.ndarray, r: np.ndarray, budget: int, seed: int):
    """At most ``budget`` points: a seeded uniform sample (each keeps its own footprint)."""
    if len(p) <= budget:
        return p, c, r
    keep = np.sort(np.random.default_rng(seed).choice(len(p), size=budget, replace=False))
    return p[keep], c[keep], r[keep]
