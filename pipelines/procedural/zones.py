"""Clear zones: where cameras stand and people walk, which placement keeps free (the centre, the walk path, indoor corners and the doorway)."""

from __future__ import annotations

import numpy as np

from marble.layout import (
    LayoutEnvironment,
)
from pipelines.procedural.collision import (
    Box,
)

CLEAR_RADIUS_OUTDOOR = 3.0  # metres kept free around the centre (camera ring)
WALK_HALF_WIDTH = 1.0  # metres kept free each side of the walk path
CLEAR_RADIUS_INDOOR = 0.6
CORNER_INSET = 0.55  # indoor camera positions: this far from both walls of a corner
CORNER_RADIUS = 0.4


# ----------------------------------------------------------------------------- public helpers
def room_openings(env: LayoutEnvironment) -> dict:
    """Door and window of an indoor room, derived from its size (so geometry and placement agree).

    Returns:
        ``{"door": (x_centre, width, height)}`` on the +Z wall and
        ``{"window": (z_centre, width, sill, top)}`` on the -X wall, metres.
    """
    W, H, D = env.room_size if env.room_size else (2 * env.extent, 2.7, 2 * env.extent)
    door_w = min(0.9, W * 0.3)
    door_x = W * 0.22
    door_h = min(2.05, H - 0.2)
    win_w = min(1.4, D * 0.4)
    sill = min(0.9, H * 0.35)
    top = min(sill + 1.2, H - 0.25)
    return {"door": (door_x, door_w, door_h), "window": (0.0, win_w, sill, top)}


def walk_path(env: LayoutEnvironment) -> np.ndarray:
    """``[P, 3]`` ground points of the walk-through path the layout keeps clear (y = 0).

    Outdoors a straight path along X through the centre (0.6 x extent each way); indoors from the
    doorway to the room centre.
    """
    if env.indoor:
        W, _, D = env.room_size
        door_x = room_openings(env)["door"][0]
        return np.array([[door_x, 0.0, D / 2 - 0.6], [0.0, 0.0, 0.0], [-W / 4, 0.0, -D / 4]])
    L = 0.6 * env.extent
    return np.array([[-L, 0.0, 0.0], [0.0, 0.0, 0.0], [L, 0.0, 0.0]])


def camera_positions(env: LayoutEnvironment) -> np.ndarray:
    """``[K, 3]`` ground points where cameras may stand: the centre, and indoors the four corners."""
    pts = [[0.0, 0.0, 0.0]]
    if env.indoor:
        W, _, D = env.room_size
        for sx in (-1, 1):
            for sz in (-1, 1):
                pts.append([sx * (W / 2 - CORNER_INSET), 0.0, sz * (D / 2 - CORNER_INSET)])
    return np.array(pts, dtype=np.float64)


def clear_zones(env: LayoutEnvironment) -> tuple[list[tuple[float, float, float]], list[Box]]:
    """Areas that standing objects keep out of, so cameras are never inside an object.

    Returns:
        circles ``[(x, z, radius), ...]`` and boxes (:class:`Box`, with their height range).
    """
    circles: list[tuple[float, float, float]] = []
    boxes: list[Box] = []
    if env.indoor:
        W, H, D = env.room_size
        circles.append((0.0, 0.0, CLEAR_RADIUS_INDOOR))
        for x, _, z in camera_positions(env)[1:]:
            circles.append((float(x), float(z), CORNER_RADIUS))
        op = room_openings(env)
        door_x, door_w, door_h = op["door"]
        boxes.append(Box(door_x, D / 2 - 0.5, door_w / 2 + 0.1, 0.5, 0.0, 0.0, H, name="doorway"))
        wz, ww, sill, top = op["window"]
        boxes.append(Box(-W / 2 + 0.25, wz, 0.25, ww / 2, 0.0, sill, top, name="window"))
    else:
        circles.append((0.0, 0.0, CLEAR_RADIUS_OUTDOOR))
        L = 0.6 * env.extent
        boxes.append(Box(0.0, 0.0, L, WALK_HALF_WIDTH, 0.0, 0.0, 1e4, name="walk_path"))
    return circles, boxes


def shore_z(env: LayoutEnvironment) -> float:
    """Beach archetype: the water line (z of the shore); land is z < shore, sea beyond."""
    return 0.45 * env.extent
