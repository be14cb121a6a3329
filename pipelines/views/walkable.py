"""Where a user can go in a generated world: the walkable region of a layout.

Outdoors it is the ground inside the layout's extent (the square ``|x|, |z| <= extent``; on a
beach only the land side of the shore), at eye height above the terrain, and from above the
whole footprint (aerial views 10 m up). Indoors it is the room, away from the walls. Coverage
(:mod:`pipelines.fusion.surface`) sizes splats by the distance from this region, and the
held-out evaluation (:mod:`pipelines.evaluate`) puts its cameras in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from marble.layout import Layout

EYE_HEIGHT = 1.6
"""Eye height above the ground, metres."""

AERIAL_HEIGHT = 10.0
"""Height of the aerial (45 degrees down) views above the ground, metres."""

WALL_MARGIN = 0.3
"""Indoors, how close to a wall a viewer's eye may come, metres."""

SHORE_MARGIN = 0.5
"""On a beach, how far from the water line the walkable sand ends, metres."""


@dataclass(frozen=True)
class WalkableRegion:
    """An axis-aligned footprint ``x0..x1 x z0..z1`` a viewer may stand on, and how high they may be.

    Attributes:
        x0, x1, z0, z1: the footprint, metres (world frame).
        indoor: a room (ceiling above) rather than open ground.
        eye_height: eye height above the floor or terrain.
        top: the highest a viewer goes above the ground (the aerial height outdoors, just under
            the ceiling indoors).
    """

    x0: float
    x1: float
    z0: float
    z1: float
    indoor: bool
    eye_height: float
    top: float

    @property
    def area(self) -> float:
        """Footprint area, square metres."""
        return max(self.x1 - self.x0, 0.0) * max(self.z1 - self.z0, 0.0)

    def contains(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``[N]`` bool: the points ``(x [N], z [N])`` lie on the footprint."""
        x = np.asarray(x, np.float64)
        z = np.asarray(z, np.float64)
        return (x >= self.x0) & (x <= self.x1) & (z >= self.z0) & (z <= self.z1)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """``[N]`` metres from world points ``[N, 3]`` to the nearest place a viewer's eye can be.

        Horizontal distance outside the footprint, plus how far a point lies above ``top``
        (heights are measured from y = 0, the level the layout keeps flat around its objects).
        """
        p = np.asarray(points, np.float64).reshape(-1, 3)
        dx = np.maximum(np.maximum(self.x0 - p[:, 0], p[:, 0] - self.x1), 0.0)
        dz = np.maximum(np.maximum(self.z0 - p[:, 2], p[:, 2] - self.z1), 0.0)
        dy = np.maximum(p[:, 1] - (self.top + self.eye_height), 0.0)
        return np.sqrt(dx * dx + dz * dz + dy * dy)


def walkable_region(layout: Layout) -> WalkableRegion:
    """The walkable region of ``layout`` (see the module docstring)."""
    env = layout.environment
    if env.indoor:
        if env.room_size is not None:
            w, h, d = (float(v) for v in env.room_size)
        else:
            w = d = 2.0 * float(env.extent)
            h = 2.7
        mx = min(WALL_MARGIN, w / 4)
        mz = min(WALL_MARGIN, d / 4)
        eye = float(np.clip(EYE_HEIGHT, 0.5, max(h - 0.35, 0.5)))
        return WalkableRegion(-w / 2 + mx, w / 2 - mx, -d / 2 + mz, d / 2 - mz, True, eye, max(h - 0.25 - eye, 0.0))
    e = max(float(env.extent), 1.0)
    z1 = e
    if env.archetype == "beach":
        from pipelines.procedural.zones import shore_z

        z1 = min(e, shore_z(env) - SHORE_MARGIN)
    return WalkableRegion(-e, e, -e, z1, False, EYE_HEIGHT, AERIAL_HEIGHT)


def horizon_radius(layout: Layout) -> float:
    """How far the far field reaches from the centre, metres (12x the extent, at least 240 m)."""
    return max(12.0 * float(layout.environment.extent), 240.0)


def yaw_direction(yaw: float, pitch_deg: float) -> np.ndarray:
    """Unit direction for a heading ``yaw`` (radians, 0 = +Z, pi/2 = +X) and a pitch in degrees."""
    p = math.radians(pitch_deg)
    return np.array([math.sin(yaw) * math.cos(p), math.sin(p), math.cos(yaw) * math.cos(p)])
