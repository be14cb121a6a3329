"""Selecting what a viewer sees: screen-space rectangles, lassos and brush strokes that take only the
surfaces visible from the camera (unless told to select through), and picking the layer under a pixel.

Visibility comes from a coarse depth buffer of the splats themselves: each visible, fairly opaque
splat writes its depth into the cells its footprint covers, and a splat counts as visible when it is
no farther than the nearest depth in its cell (plus a small tolerance). So a rectangle drawn around
an armchair takes the armchair, not the floor and wall behind it.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import torch

from marble.camera import Camera
from marble.edit.selection import Selection, _check_layers, _world_vertices, project_points, rect_pixels, world_points
from marble.errors import InputError
from marble.world import World

DEPTH_TOLERANCE = 0.04
"""Relative depth slack of the visibility test (plus :data:`DEPTH_SLACK_M` metres)."""
DEPTH_SLACK_M = 0.03
MIN_OPACITY = 0.25
"""Splats fainter than this do not hide what lies behind them."""


def _layer_points(world: World, layers: set[str] | None):
    """Yield ``(name, points [N, 3] float64, radius [N] metres, opacity [N])`` of visible layers (mesh-only: vertices)."""
    for layer in world.layers:
        if not layer.visible or layer.is_environment or (layers is not None and layer.name not in layers):
            continue
        if layer.gaussians is not None and layer.num_splats:
            g = layer.gaussians
            s = float(torch.linalg.det(layer.transform[:3, :3]).abs() ** (1 / 3))
            radius = torch.exp(g.log_scales).max(dim=1).values.double().numpy() * s
            yield layer.name, world_points(layer).double().numpy(), radius, torch.sigmoid(g.opacity_logits).double().numpy()
        elif layer.mesh is not None:
            v = _world_vertices(layer)
            if v is not None and len(v):
                edge = float(np.linalg.norm(np.ptp(v, axis=0))) / max(math.sqrt(len(v)), 1.0)
                yield layer.name, v, np.full(len(v), edge), np.ones(len(v))


class DepthCells:
    """A coarse ``[H / cell, W / cell]`` min-depth buffer of splat footprints seen from ``camera``."""

    def __init__(self, world: World, camera: Camera, *, cell: int | None = None, layers: set[str] | None = None) -> None:
        self.camera = camera
        self.cell = int(cell or max(2, round(camera.width / 200)))
        self.gw = -(-camera.width // self.cell)
        self.gh = -(-camera.height // self.cell)
        self.depth = np.full(self.gh * self.gw, np.inf)
        self.items = []  # (name, u, v, z) per layer, reused by the selections
        for name, pts, radius, alpha in _layer_points(world, layers):
            uv, z = project_points(camera, torch.from_numpy(pts).float())
            u, v, z = uv[:, 0].double().numpy(), uv[:, 1].double().numpy(), z.double().numpy()
            self.items.append((name, u, v, z))
            ok = (z > 0.01) & (alpha >= MIN_OPACITY) & (u >= 0) & (u < camera.width) & (v >= 0) & (v < camera.height)
            if not ok.any():
                continue
            reach = np.clip(np.round(camera.fx * radius[ok] * 1.5 / z[ok] / self.cell), 0, 4).astype(np.int64)
            cx, cy, zz = (u[ok] // self.cell).astype(np.int64), (v[ok] // self.cell).astype(np.int64), z[ok]
            for k in range(int(reach.max()) + 1):
                pick = reach >= k
                if not pick.any():
                    break
                for dy in range(-k, k + 1):
                    for dx in range(-k, k + 1):
                        if max(abs(dx), abs(dy)) != k:
                            continue  # ring k only: the inner rings were written by smaller k
                        x, y = cx[pick] + dx, cy[pick] + dy
                        inb = (x >= 0) & (x < self.gw) & (y >= 0) & (y < self.gh)
                        np.minimum.at(self.depth, y[inb] * self.gw + x[inb], zz[pick][inb])

    def visible(self, u: np.ndarray, v: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``[N]`` bool: points at pixels ``(u, v)`` and depth ``z`` are not hidden by nearer splats."""
        x = np.clip((u // self.cell).astype(np.int64), 0, self.gw - 1)
        y = np.clip((v // self.cell).astype(np.int64), 0, self.gh - 1)
        front = self.depth[y * self.gw + x]
        return z <= front * (1 + DEPTH_TOLERANCE) + DEPTH_SLACK_M


def select_screen(
    world: World,
    camera: Camera,
    pixel_mask: np.ndarray,  # [H, W] bool, the camera's image
    *,
    through: bool = False,
    near: float = 0.01,
    layers: Iterable[str] | None = None,
) -> Selection:
    """Splats (of visible, non-environment layers) that project onto ``True`` pixels of ``pixel_mask``.

    Args:
        through: also take splats hidden behind nearer ones (the whole frustum, as in SuperSplat);
            by default only the surfaces the camera sees are taken.
    """
    mask = np.asarray(pixel_mask, dtype=bool)
    if mask.shape != (camera.height, camera.width):
        raise InputError(f"the selection mask is {mask.shape[1]}x{mask.shape[0]} but the view is "
                         f"{camera.width}x{camera.height}: draw the shape again")
    if not mask.any():
        raise InputError("the shape you drew covers no pixel of the view: draw a bigger one")
    names = _check_layers(world, layers)
    cells = DepthCells(world, camera, layers=names)
    sel: Selection = {}
    for name, u, v, z in cells.items:
        inside = (z > near) & (u >= 0) & (u < camera.width) & (v >= 0) & (v < camera.height)
        idx = np.flatnonzero(inside)
        hit = np.zeros(len(u), dtype=bool)
        hit[idx] = mask[v[idx].astype(np.int64), u[idx].astype(np.int64)]
        if not through and hit.any():
            hit[hit] = cells.visible(u[hit], v[hit], z[hit])
        if not hit.any():
            continue
        layer = world.layer(name)
        if layer.gaussians is not None and layer.num_splats:
            sel[name] = torch.from_numpy(hit)
        elif hit.all():
            sel[name] = torch.zeros(0, dtype=torch.bool)  # a mesh-only layer wholly inside the shape
    return sel


def rect_mask(camera: Camera, rect) -> np.ndarray:
    """``[H, W]`` bool of a pixel rectangle ``(x0, y0, x1, y1)`` (corners in any order)."""
    xa, xb, ya, yb = rect_pixels(camera, rect)
    m = np.zeros((camera.height, camera.width), dtype=bool)
    m[ya:yb, xa:xb] = True
    return m


def polygon_mask(camera: Camera, polygon) -> np.ndarray:
    """``[H, W]`` bool of a lasso polygon ``[P >= 3, 2]`` in pixels."""
    import cv2

    poly = np.asarray(polygon, dtype=np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3 or not np.isfinite(poly).all():
        raise InputError(f"a lasso needs at least 3 finite points (x, y), got shape {list(poly.shape)}")
    m = np.zeros((camera.height, camera.width), dtype=np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    return m.astype(bool)


def brush_mask(camera: Camera, points, radius_px: float) -> np.ndarray:
    """``[H, W]`` bool of a brush stroke: circles of ``radius_px`` along the polyline ``points [P, 2]``."""
    import cv2

    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    r = float(radius_px)
    if not len(pts) or not np.isfinite(pts).all() or not (math.isfinite(r) and 0 < r <= 1000):
        raise InputError("a brush stroke needs finite points and a radius between 0 and 1000 pixels")
    m = np.zeros((camera.height, camera.width), dtype=np.uint8)
    ip = np.round(pts).astype(np.int32)
    thick = max(int(round(2 * r)), 1)
    for a, b in zip(ip[:-1], ip[1:]):
        cv2.line(m, tuple(int(t) for t in a), tuple(int(t) for t in b), 1, thickness=thick)
    for p in ip:
        cv2.circle(m, (int(p[0]), int(p[1])), max(int(round(r)), 1), 1, thickness=-1)
    return m.astype(bool)


def pick_layer(world: World, camera: Camera, x: float, y: float, *, radius_px: float = 6.0) -> str | None:
    """The layer of the front-most visible splat (or mesh vertex) within ``radius_px`` of pixel ``(x, y)``.

    Environment layers (the sky dome) are never picked; ``None`` when nothing is there.
    """
    if not (math.isfinite(float(x)) and math.isfinite(float(y))):
        raise InputError(f"the picked pixel must be finite, got ({x}, {y})")
    best, best_z = None, math.inf
    for name, pts, radius, alpha in _layer_points(world, None):
        uv, z = project_points(camera, torch.from_numpy(pts).float())
        u, v, z = uv[:, 0].double().numpy(), uv[:, 1].double().numpy(), z.double().numpy()
        reach = np.maximum(radius_px, camera.fx * radius * 1.5 / np.maximum(z, 1e-6))
        near = (z > 0.01) & (alpha >= MIN_OPACITY) & ((u - x) ** 2 + (v - y) ** 2 <= reach ** 2)
        if near.any():
            zmin = float(z[near].min())
            if zmin < best_z:
                best, best_z = name, zmin
    return best
