"""Where the generation cameras go: the rig that multi-view generation renders from.

Outdoor layouts get a 360-degree ring at eye height (1.6 m) near the centre, a second ring a
little higher and pitched down (to see the ground and the tops of low objects), and cameras along
the layout's walk-through path looking across the scene (to see the sides the centre cannot).
Heights follow the layout's terrain. Indoor layouts
get rings from the room centre plus cameras in the corners looking inward. No camera is placed
inside (or within ``CLEARANCE`` metres of) an object's box; the search for a free spot is
deterministic for a seed.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from marble.camera import Camera, look_at_pose
from marble.errors import InputError
from marble.layout import Layout
from marble.presets import Preset, get_preset

EYE_HEIGHT = 1.6
"""Camera height above the ground, metres (a standing person's eyes)."""

CLEARANCE = 0.5
"""Minimum distance, metres, kept between a camera and any object's bounding box."""


class _Obstacles:
    """Oriented bounding boxes of the layout objects (+ optional meshes) for free-space tests."""

    def __init__(self, layout: Layout, geometry: Sequence | None, *, margin: float) -> None:
        self.margin = margin
        boxes = []
        for o in layout.objects:
            c, s = math.cos(o.yaw), math.sin(o.yaw)
            boxes.append((o.position, o.size, c, s))
        self.pos = np.array([b[0] for b in boxes], np.float64).reshape(-1, 3)
        self.size = np.array([b[1] for b in boxes], np.float64).reshape(-1, 3)
        self.cos = np.array([b[2] for b in boxes], np.float64)
        self.sin = np.array([b[3] for b in boxes], np.float64)
        self.room: tuple[float, float] | None = None  # indoor: half width (x) and half depth (z) usable
        self._scene = None
        self._ground = None
        self._layout = layout
        self._terrain = None
        if not layout.environment.indoor:
            try:
                from pipelines.procedural import terrain_height  # lazy

                self._terrain = terrain_height
            except ImportError:
                self._terrain = None
        if geometry:
            import open3d as o3d  # lazy

            scene = o3d.t.geometry.RaycastingScene()
            ground = o3d.t.geometry.RaycastingScene()
            n_ground = 0
            for g in geometry:
                T = np.asarray(g.T_world_object, np.float64)
                V = (np.asarray(g.mesh.vertices, np.float64) @ T[:3, :3].T + T[:3, 3]).astype(np.float32)
                F = np.asarray(g.mesh.faces, np.uint32)
                scene.add_triangles(o3d.core.Tensor(V), o3d.core.Tensor(F))
                if g.name in ("ground", "terrain", "floor") or g.label in ("ground", "terrain", "floor"):
                    ground.add_triangles(o3d.core.Tensor(V), o3d.core.Tensor(F))
                    n_ground += 1
            self._o3d = o3d
            self._scene = scene
            self._ground = ground if n_ground else None

    def ground_height(self, x: float, z: float) -> float:
        """Height of the ground under ``(x, z)``: from the ground mesh when given, else the layout's terrain."""
        if self._ground is None:
            if self._terrain is None:
                return 0.0
            return float(self._terrain(self._layout, np.array([x]), np.array([z]))[0])
        ray = np.array([[x, 1e4, z, 0.0, -1.0, 0.0]], np.float32)
        t = float(self._ground.cast_rays(self._o3d.core.Tensor(ray))["t_hit"].numpy()[0])
        return 1e4 - t if math.isfinite(t) else 0.0

    def is_free(self, p: np.ndarray, margin: float | None = None) -> bool:
        """True when ``p [3]`` is at least ``margin`` (default: the rig's) from every object box (and mesh)."""
        m = self.margin if margin is None else float(margin)
        if self.room is not None and (abs(p[0]) > self.room[0] or abs(p[2]) > self.room[1]):
            return False
        if len(self.pos):
            d = p[None, :] - self.pos
            # world -> object local: inverse of the yaw rotation used by LayoutObject.T_world_object
            lx = self.cos * d[:, 0] - self.sin * d[:, 2]
            lz = self.sin * d[:, 0] + self.cos * d[:, 2]
            inside = (
                (np.abs(lx) < self.size[:, 0] / 2 + m)
                & (np.abs(lz) < self.size[:, 2] / 2 + m)
                & (d[:, 1] > -m)
                & (d[:, 1] < self.size[:, 1] + m)
            )
            if inside.any():
                return False
        if self._scene is not None:
            q = self._o3d.core.Tensor(p[None, :].astype(np.float32))
            if float(self._scene.compute_distance(q).numpy()[0]) < m * 0.5:
                return False
        return True

    def find_free(self, x: float, z: float, *, height: float, max_radius: float, rng: np.random.Generator,
                  toward: tuple[float, float] | None = None, margins: Sequence[float] = ()) -> np.ndarray:
        """The free eye point nearest ``(x, z)``: tries the spot, then spirals (or steps ``toward``).

        ``margins`` are tried first, widest first (open space preferred), then the rig's clearance.
        """
        for m in list(margins) + [self.margin]:
            try:
                return self._find_free(x, z, height=height, max_radius=max_radius, rng=rng, toward=toward, margin=m)
            except InputError:
                if m == self.margin:
                    raise
        raise AssertionError("unreachable")

    def _find_free(self, x: float, z: float, *, height: float, max_radius: float, rng: np.random.Generator,
                   toward: tuple[float, float] | None, margin: float) -> np.ndarray:
        def candidate(cx: float, cz: float) -> np.ndarray | None:
            # cheap test at the nominal height first (terrain is flat next to objects), then the real one
            if not self.is_free(np.array([cx, height, cz]), margin):
                return None
            p = np.array([cx, self.ground_height(cx, cz) + height, cz])
            return p if self.is_free(p, margin) else None

        p = candidate(x, z)
        if p is not None:
            return p
        offset = rng.uniform(0, 2 * math.pi)
        step = 0.25
        r = step
        while r <= max_radius + 1e-9:
            if toward is not None:
                dx, dz = toward[0] - x, toward[1] - z
                n = math.hypot(dx, dz)
                if n > 1e-9 and r <= n:
                    p = candidate(x + dx / n * r, z + dz / n * r)
                    if p is not None:
                        return p
            k = max(8, int(2 * math.pi * r / step))
            for i in range(k):
                a = offset + 2 * math.pi * i / k
                p = candidate(x + r * math.cos(a), z + r * math.sin(a))
                if p is not None:
                    return p
            r += step
        raise InputError(
            f"no free camera position within {max_radius:.1f} m of ({x:.1f}, {z:.1f}): the layout is too crowded; "
            "move or remove objects near the centre"
        )


def _camera(eye, direction, preset: Preset, name: str) -> Camera:
    eye = np.asarray(eye, np.float64)
    T = look_at_pose(eye, eye + np.asarray(direction, np.float64))
    return Camera.from_fov(fov_y_deg=preset.fov_y_deg, width=preset.view_width, height=preset.view_height,
                           T_world_camera=T, name=name)


def _direction(yaw: float, pitch_deg: float) -> np.ndarray:
    """Unit direction for a heading ``yaw`` (radians, 0 = +Z, pi/2 = +X) and a pitch in degrees."""
    p = math.radians(pitch_deg)
    return np.array([math.sin(yaw) * math.cos(p), math.sin(p), math.cos(yaw) * math.cos(p)])


def _ring(eye, n: int, *, pitch_deg: float, start: float, preset: Preset, prefix: str) -> list[Camera]:
    return [
        _camera(eye, _direction(start + 2 * math.pi * i / n, pitch_deg), preset, f"{prefix}_{i:03d}")
        for i in range(n)
    ]


def _split(n: int) -> tuple[int, int]:
    """Views on the eye-level ring and on the raised, pitched-down ring."""
    if n <= 3:
        return n, 0
    first = int(math.ceil(n * 0.6))
    return first, n - first


def camera_rig(
    layout: Layout,
    *,
    preset: Preset | str,
    seed: int,
    geometry: Sequence | None = None,
) -> list[Camera]:
    """The cameras multi-view generation renders from.

    Args:
        layout: the scene (objects are avoided; ``environment.indoor`` picks the rig).
        preset: ``ring_views``, ``walk_views``, ``view_width``, ``view_height``, ``fov_y_deg``.
        seed: jitters ring start angles and the free-spot search deterministically.
        geometry: optional ``SceneGeometry`` list; when given, cameras follow the ground mesh's
            height and keep clear of the actual meshes too.
    Returns:
        ``preset.ring_views + preset.walk_views`` cameras (OpenCV convention), named
        ``ring_*``, ``ring_hi_*``, ``walk_*`` (outdoor) or ``ring_*``, ``ring_lo_*``, ``corner_*`` (indoor).
    """
    preset = get_preset(preset)
    rng = np.random.default_rng(int(seed))
    obstacles = _Obstacles(layout, geometry, margin=CLEARANCE)
    if layout.environment.indoor:
        return _indoor_rig(layout, preset, rng, obstacles)
    return _outdoor_rig(layout, preset, rng, obstacles)


def _outdoor_rig(layout: Layout, preset: Preset, rng: np.random.Generator, obs: _Obstacles) -> list[Camera]:
    extent = max(float(layout.environment.extent), 2.0)
    centre = obs.find_free(0.0, 0.0, height=EYE_HEIGHT, max_radius=extent * 0.8, rng=rng, margins=(2.5, 1.5))
    n1, n2 = _split(preset.ring_views)
    start = rng.uniform(0, 2 * math.pi / max(n1, 1))
    cams = _ring(centre, n1, pitch_deg=-5.0, start=start, preset=preset, prefix="ring")
    if n2:
        high = centre + np.array([0.0, 1.2, 0.0])
        if not obs.is_free(high):
            high = centre
        cams += _ring(high, n2, pitch_deg=-25.0, start=start + math.pi / n2, preset=preset, prefix="ring_hi")
    path = _walk_path(layout)
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    cum = np.r_[0.0, np.cumsum(seg)]
    n = preset.walk_views
    turn = math.radians(35.0)
    for i in range(n):
        s = cum[-1] * (i + 0.5) / n
        j = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1))
        f = (s - cum[j]) / max(seg[j], 1e-9)
        x, _, z = path[j] * (1 - f) + path[j + 1] * f
        eye = obs.find_free(x, z, height=EYE_HEIGHT, max_radius=extent * 0.5, rng=rng, margins=(1.5,))
        # look along the path towards its far end (across the scene), turned left/right in turn
        far_end = path[-1] if s < cum[-1] / 2 else path[0]
        yaw = math.atan2(far_end[0] - eye[0], far_end[2] - eye[2]) + (turn if i % 2 == 0 else -turn)
        cams.append(_camera(eye, _direction(yaw, -8.0), preset, f"walk_{i:03d}"))
    return cams


def _walk_path(layout: Layout) -> np.ndarray:
    """``[P, 3]`` ground polyline of the walk-through (the layout keeps it clear of objects)."""
    try:
        from pipelines.procedural import (
            walk_path,  # lazy: the layout package is optional here
        )

        path = np.asarray(walk_path(layout.environment), np.float64)
    except ImportError:
        L = 0.6 * float(layout.environment.extent)
        path = np.array([[-L, 0.0, 0.0], [0.0, 0.0, 0.0], [L, 0.0, 0.0]])
    if path.ndim != 2 or path.shape[0] < 2 or path.shape[1] != 3:
        raise InputError(f"walk path must have shape [P>=2, 3], got {path.shape}")
    return path


def _indoor_rig(layout: Layout, preset: Preset, rng: np.random.Generator, obs: _Obstacles) -> list[Camera]:
    env = layout.environment
    if env.room_size is not None:
        width, height, depth = (float(v) for v in env.room_size)
    else:
        width = depth = 2 * float(env.extent)
        height = 2.7
    eye_h = float(np.clip(EYE_HEIGHT, 0.5, height - 0.35))
    half = min(width, depth) / 2
    obs.room = (max(width / 2 - 0.25, 0.05), max(depth / 2 - 0.25, 0.05))
    centre = obs.find_free(0.0, 0.0, height=eye_h, max_radius=max(half - 0.3, 0.3), rng=rng, margins=(1.0,))
    n1, n2 = _split(preset.ring_views)
    start = rng.uniform(0, 2 * math.pi / max(n1, 1))
    cams = _ring(centre, n1, pitch_deg=-12.0, start=start, preset=preset, prefix="ring")
    if n2:
        cams += _ring(centre, n2, pitch_deg=-40.0, start=start + math.pi / n2, preset=preset, prefix="ring_lo")
    inset = min(0.55, half * 0.4)
    corners = [
        (width / 2 - inset, depth / 2 - inset), (-width / 2 + inset, -depth / 2 + inset),
        (-width / 2 + inset, depth / 2 - inset), (width / 2 - inset, -depth / 2 + inset),
    ]
    first = int(rng.integers(0, 2)) * 2  # which diagonal pair comes first
    corners = corners[first:] + corners[:first]
    target = np.array([0.0, min(0.9, height * 0.4), 0.0])
    for i in range(preset.walk_views):
        cx, cz = corners[i % 4]
        h = eye_h if (i // 4) % 2 == 0 else max(0.9, eye_h - 0.5)
        eye = obs.find_free(cx, cz, height=h, max_radius=half, rng=rng, toward=(0.0, 0.0))
        look = target - eye
        if np.linalg.norm(look[[0, 2]]) < 0.3:  # pushed to the middle: look along the diagonal instead
            look = np.array([-cx, -0.4, -cz])
        cams.append(_camera(eye, look, preset, f"corner_{i:03d}"))
    return cams
