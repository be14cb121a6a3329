"""Oriented-box overlap tests for placement, in plain Python floats (fast for a few hundred boxes).

A :class:`Box` is a footprint rectangle (centre, half-extents, yaw about +Y, same sense as
``LayoutObject.yaw``) plus a vertical range. Two boxes interpenetrate when their footprints
overlap (separating-axis test) and their vertical ranges overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Box:
    """An oriented box: footprint centre ``(cx, cz)``, half-extents ``(hx, hz)``, ``yaw``, heights ``y0..y1``."""

    cx: float
    cz: float
    hx: float
    hz: float
    yaw: float
    y0: float
    y1: float
    name: str = ""
    flat: bool = False  # rugs and other covers: only collide with other flat things
    parent: str | None = None
    water: bool = False  # a body of water (river, lake, sea): cameras may look over it
    wet: bool = False  # may stand in or over water (boats, fish, bridges, piers)
    span: bool = False  # spans water (bridges, piers): may cross other wet things
    open_water: bool = False  # a river or the sea: crosses the camera zones (cameras look across it)

    @property
    def radius(self) -> float:
        return math.hypot(self.hx, self.hz)

    def axes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """World (x, z) directions of the local x and z axes."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        # local (1, 0) -> world (c, -s); local (0, 1) -> world (s, c)  (matches T_world_object)
        return (c, -s), (s, c)

    def to_local(self, x: float, z: float) -> tuple[float, float]:
        """World (x, z) point in this box's local footprint frame."""
        (ax, az), (bx, bz) = self.axes()
        dx, dz = x - self.cx, z - self.cz
        return dx * ax + dz * az, dx * bx + dz * bz

    def to_world(self, lx: float, lz: float) -> tuple[float, float]:
        """Local footprint point to world (x, z)."""
        (ax, az), (bx, bz) = self.axes()
        return self.cx + lx * ax + lz * bx, self.cz + lx * az + lz * bz

    def corners(self) -> list[tuple[float, float]]:
        return [self.to_world(sx * self.hx, sz * self.hz) for sx, sz in ((-1, -1), (1, -1), (1, 1), (-1, 1))]

    def support(self, dx: float, dz: float) -> float:
        """Half-width of the footprint along the unit world direction ``(dx, dz)``."""
        (ax, az), (bx, bz) = self.axes()
        return self.hx * abs(dx * ax + dz * az) + self.hz * abs(dx * bx + dz * bz)


def footprints_overlap(a: Box, b: Box, margin: float = 0.0) -> bool:
    """Separating-axis test of two oriented rectangles, each grown by ``margin`` metres."""
    dx, dz = b.cx - a.cx, b.cz - a.cz
    if math.hypot(dx, dz) > a.radius + b.radius + 2 * margin:
        return False
    for box in (a, b):
        for ux, uz in box.axes():
            dist = abs(dx * ux + dz * uz)
            if dist >= a.support(ux, uz) + b.support(ux, uz) + 2 * margin:
                return False
    return True


def boxes_overlap(a: Box, b: Box, margin: float = 0.0, eps: float = 1e-6) -> bool:
    """True when the boxes interpenetrate (touching faces do not count)."""
    if a.y1 <= b.y0 + eps or b.y1 <= a.y0 + eps:
        return False
    return footprints_overlap(a, b, margin)


def circle_overlaps(box: Box, x: float, z: float, r: float) -> bool:
    """True when the footprint comes within ``r`` of the point ``(x, z)``."""
    lx, lz = box.to_local(x, z)
    qx = max(abs(lx) - box.hx, 0.0)
    qz = max(abs(lz) - box.hz, 0.0)
    return qx * qx + qz * qz < r * r


def inside_rect(box: Box, x0: float, x1: float, z0: float, z1: float) -> bool:
    """True when every footprint corner lies in the axis rectangle ``[x0, x1] x [z0, z1]``."""
    return all(x0 - 1e-9 <= x <= x1 + 1e-9 and z0 - 1e-9 <= z <= z1 + 1e-9 for x, z in box.corners())
