"""Held-out cameras: where a user would look from, chosen independently of the generation rig.

- **Eye level**: random positions on the walkable ground (the whole footprint of the layout, not
  just the rig's line), 1.6 m above the terrain, at least ``CLEARANCE`` from every object, random
  heading, pitched 0-15 degrees down.
- **Aerial**: 10 m above random points of the footprint looking 45 degrees down (indoors: just
  under the ceiling, 45 degrees down at the room).
- **Head moves** (worlds without a layout, e.g. photo worlds): the world's first camera moved
  0.5 m sideways and 1 m forward and back, as a seated or standing viewer's head moves.

The cameras depend only on the layout and ``seed``, never on the generation's own cameras.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from marble.camera import Camera
from marble.layout import Layout
from pipelines.views.walkable import WalkableRegion, walkable_region, yaw_direction

CLEARANCE = 0.4
"""Metres a held-out eye keeps from every object's box and mesh."""

EYE_PITCH_RANGE = (-15.0, 0.0)
"""Pitch range of eye-level cameras, degrees (negative: looking down)."""

AERIAL_PITCH = -45.0

HEAD_MOVES = ((0.5, 0.0), (-0.5, 0.0), (0.0, 1.0), (0.0, -1.0), (0.5, 1.0), (-0.5, -1.0), (-0.5, 1.0), (0.5, -1.0))
"""Head-sized moves ``(sideways, forward)`` in metres, in the source camera's frame."""


def _camera(eye, direction, *, width: int, height: int, fov_y_deg: float, name: str) -> Camera:
    eye = np.asarray(eye, np.float64)
    return Camera.look_at(eye, eye + np.asarray(direction, np.float64), fov_y_deg=fov_y_deg, width=width,
                          height=height, name=name)


def _free_spots(region: WalkableRegion, obstacles, n: int, rng: np.random.Generator, *, height: float,
                inset: float, tries: int = 400) -> list[np.ndarray]:
    """Up to ``n`` free eye points ``[3]`` uniformly on the (inset) footprint, ``height`` above the ground."""
    out: list[np.ndarray] = []
    x0, x1 = region.x0 + inset, region.x1 - inset
    z0, z1 = region.z0 + inset, region.z1 - inset
    if x1 <= x0 or z1 <= z0:
        x0 = x1 = (region.x0 + region.x1) / 2
        z0 = z1 = (region.z0 + region.z1) / 2
    for _ in range(tries):
        if len(out) >= n:
            break
        x, z = rng.uniform(x0, x1), rng.uniform(z0, z1)
        base = 0.0 if region.indoor else obstacles.ground_height(x, z)
        p = np.array([x, base + height, z])
        if obstacles.is_free(p, CLEARANCE):
            out.append(p)
    return out


def heldout_cameras(
    layout: Layout,
    *,
    eye: int = 8,
    aerial: int = 4,
    width: int = 256,
    height: int = 160,
    fov_y_deg: float = 70.0,
    seed: int = 0,
    geometry=None,
) -> list[Camera]:
    """Random eye-level and aerial cameras over a layout's walkable region.

    Args:
        layout: the world's layout (objects are avoided, the terrain followed).
        eye, aerial: how many of each (fewer when the layout is too crowded to place them).
        width, height, fov_y_deg: image size and vertical field of view.
        seed: the draw; the same layout and seed give the same cameras.
        geometry: the layout's ``SceneGeometry`` list: cameras then follow the ground mesh and
            keep clear of the actual meshes too.
    Returns:
        Cameras named ``eye_*`` then ``aerial_*``.
    """
    from pipelines.views.rig import _Obstacles

    rng = np.random.default_rng([int(seed), 0x5EED])
    region = walkable_region(layout)
    obstacles = _Obstacles(layout, geometry, margin=CLEARANCE)
    cams: list[Camera] = []
    for i, p in enumerate(_free_spots(region, obstacles, eye, rng, height=region.eye_height, inset=0.2)):
        d = yaw_direction(rng.uniform(0, 2 * math.pi), rng.uniform(*EYE_PITCH_RANGE))
        cams.append(_camera(p, d, width=width, height=height, fov_y_deg=fov_y_deg, name=f"eye_{i:03d}"))
    h = region.top + region.eye_height
    spots = _free_spots(region, obstacles, aerial, rng, height=h, inset=0.25 * min(region.x1 - region.x0, region.z1 - region.z0) / 2 if not region.indoor else 0.1)
    for i, p in enumerate(spots):
        if region.indoor:  # look across the room, towards its middle
            yaw = math.atan2(-p[0], -p[2]) + rng.uniform(-0.6, 0.6)
        else:
            yaw = rng.uniform(0, 2 * math.pi)
        cams.append(_camera(p, yaw_direction(yaw, AERIAL_PITCH), width=width, height=height, fov_y_deg=fov_y_deg,
                            name=f"aerial_{i:03d}"))
    return cams


def head_move_cameras(source: Camera, *, width: int, height: int) -> list[Camera]:
    """The source camera moved by :data:`HEAD_MOVES` (same orientation and field of view), resized."""
    base = source.resized(width, height)
    T0 = base.T_world_camera.numpy()
    right = T0[:3, 0].copy()
    fwd = T0[:3, 2].copy()
    right[1] = fwd[1] = 0.0  # moves stay level
    right /= max(np.linalg.norm(right), 1e-9)
    fwd /= max(np.linalg.norm(fwd), 1e-9)
    cams = []
    for i, (side, ahead) in enumerate(HEAD_MOVES):
        T = T0.copy()
        T[:3, 3] = T0[:3, 3] + side * right + ahead * fwd
        cams.append(Camera(base.fx, base.fy, base.cx, base.cy, width, height, torch.from_numpy(T), f"head_{i:03d}"))
    return cams
