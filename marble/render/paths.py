"""Camera paths fitted to a world: an orbit around it, a ring on the spot, a walk through it.

A walk follows the ground points it is given (for a generated world, :func:`marble.api.camera_path`
passes the layout's clear walk path over the terrain); without them it goes three quarters of a
circle around the centre.
"""

from __future__ import annotations

import math

import numpy as np

from marble.camera import Camera, orbit, ring, walk
from marble.errors import InputError

CAMERA_PATHS = ("orbit", "ring", "walk")
MAX_FRAMES = 10_000
EYE_HEIGHT = 1.6
WALK_STEP = 0.5
"""Metres between the points a walk path is densified to."""


def scene_bounds(world) -> tuple[np.ndarray, np.ndarray]:
    """``(lo [3], hi [3])`` of the visible layers, leaving out the sky dome (it would swamp the scene).

    A world that holds nothing but environment layers falls back to all of them.
    """
    if any(layer.visible and not layer.is_environment and (layer.num_splats or layer.num_triangles)
           for layer in world.layers):
        lo, hi = world.bounds(include_environment=False)
    else:
        lo, hi = world.bounds()
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def camera_path(
    world,
    kind: str = "orbit",
    *,
    frames: int = 48,
    width: int = 480,
    height: int = 320,
    fov_y_deg: float = 60.0,
    eye=None,
    walk_points: np.ndarray | None = None,
) -> list[Camera]:
    """Cameras along a path fitted to the world's bounds.

    Args:
        world: the World to frame.
        kind: ``"orbit"`` (circle outside, looking at the centre), ``"ring"`` (turn on the spot at eye
            height, a person looking around) or ``"walk"`` (eye-height walk along ``walk_points``,
            else three quarters of a circle around the centre).
        frames: number of cameras.
        width, height: image size.
        fov_y_deg: vertical field of view.
        eye: ``[3]`` eye point for ``"ring"`` (default: centre of the ground at 1.6 m).
        walk_points: ``[P, 3]`` ground points a ``"walk"`` follows (eye height above them), e.g.
            :func:`marble.api.walk_points`; ``None``: three quarters of a circle around the centre.
    Returns:
        ``frames`` cameras.
    """
    if kind not in CAMERA_PATHS:
        raise InputError(f"`camera` path must be one of {', '.join(CAMERA_PATHS)}, got {kind!r}")
    if int(frames) != frames or not (1 <= frames <= MAX_FRAMES):
        raise InputError(f"`frames` must be an integer in 1..{MAX_FRAMES}, got {frames}")
    lo, hi = scene_bounds(world)
    center = (lo + hi) / 2
    size = hi - lo
    r_xz = max(float(max(size[0], size[2])) / 2, 0.5)
    ground = float(lo[1])
    if kind == "orbit":
        radius = 1.6 * r_xz + 0.5
        look_y = ground + 0.35 * float(size[1])
        c = np.array([center[0], look_y, center[2]])
        return orbit(c, radius=radius, height=0.45 * radius, n=frames, fov_y_deg=fov_y_deg, width=width,
                     height_px=height)
    if kind == "ring":
        e = default_eye(world)
        if eye is not None:
            e = np.asarray(eye, np.float64)
            if e.shape != (3,) or not np.isfinite(e).all():
                raise InputError(f"`eye` must be three finite numbers x,y,z, got {eye}")
        return ring(e, n=frames, fov_y_deg=max(fov_y_deg, 70.0), width=width, height_px=height)
    path = None if walk_points is None else np.asarray(walk_points, np.float64)
    if path is not None and (path.ndim != 2 or path.shape[1] != 3 or len(path) < 2 or not np.isfinite(path).all()):
        raise InputError(f"`walk_points` must be two or more finite x,y,z points, got shape {list(path.shape)}")
    if path is not None:  # the walk-through the layout keeps clear of objects, over the terrain
        return walk(path, n=frames, eye_height=EYE_HEIGHT, fov_y_deg=max(fov_y_deg, 70.0), width=width,
                    height_px=height, look_ahead=1.0)
    # no layout (imported splats): three quarters of a circle around the centre at 40% of the extent
    rr = 0.4 * r_xz
    angles = np.linspace(0.0, 1.5 * math.pi, 24)
    pts = np.stack([center[0] + rr * np.sin(angles), np.full_like(angles, ground), center[2] + rr * np.cos(angles)], -1)
    eye_h = min(EYE_HEIGHT, max(float(size[1]) * 0.5, 0.2))
    return walk(pts, n=frames, eye_height=eye_h, fov_y_deg=max(fov_y_deg, 70.0), width=width, height_px=height,
                look_ahead=max(rr * 0.3, 0.2))


def clip_to_cameras(path: np.ndarray, cameras: list[Camera]) -> np.ndarray:
    """The stretch of polyline ``path [P, 3]`` between the outermost of ``cameras`` along it.

    The world was fused from views taken there; beyond them it is seen only from afar and thins
    out, so a walk stays where the world is complete. Fewer than two cameras: the whole path.
    """
    if len(cameras) < 2:
        return path
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    cum = np.r_[0.0, np.cumsum(seg)]
    ss = []
    for cam in cameras:  # arc length of the closest point of the path (on the ground plane)
        p = cam.position.numpy()[[0, 2]]
        best, best_s = np.inf, 0.0
        for a, b, s0, d in zip(path[:-1, [0, 2]], path[1:, [0, 2]], cum[:-1], seg):
            t = float(np.clip(np.dot(p - a, b - a) / max(d * d, 1e-12), 0.0, 1.0))
            dist = float(np.linalg.norm(a + t * (b - a) - p))
            if dist < best:
                best, best_s = dist, s0 + t * d
        ss.append(best_s)
    lo, hi = min(ss), max(ss)
    if hi - lo < 1e-6:
        return path

    def at(s: float) -> np.ndarray:
        i = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1))
        return path[i] + (s - cum[i]) / max(seg[i], 1e-12) * (path[i + 1] - path[i])

    inner = [path[i] for i in range(len(path)) if lo < cum[i] < hi]
    return np.stack([at(lo), *inner, at(hi)])


def densify(path: np.ndarray, step: float = WALK_STEP) -> np.ndarray:
    """Polyline ``path [P, 3]`` resampled so no two consecutive points are more than ``step`` apart."""
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    return np.concatenate([np.linspace(a, b, max(2, int(np.ceil(d / step)) + 1))[:-1]
                           for a, b, d in zip(path[:-1], path[1:], seg)] + [path[-1:]])


def default_eye(world) -> np.ndarray:
    """``[3]`` eye point for panoramas and rings: the centre of the scene at eye height above its lowest
    point (1.6 m; in a scene too small to stand in, less than 1.5 m across, half its height)."""
    lo, hi = scene_bounds(world)
    c = (lo + hi) / 2
    size = hi - lo
    if max(float(size[0]), float(size[2])) >= 1.5:
        up = EYE_HEIGHT
    else:
        up = min(EYE_HEIGHT, max(float(size[1]) * 0.5, 0.2))
    return np.array([c[0], lo[1] + up, c[2]], np.float64)
