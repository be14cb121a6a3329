"""The walk-through of a generated world: the layout's clear path, over the terrain, where the views were taken."""

from __future__ import annotations

import numpy as np

from marble.render.paths import clip_to_cameras, densify
from pipelines.procedural.terrain import terrain_height
from pipelines.procedural.zones import walk_path


def layout_walk(world) -> np.ndarray | None:
    """``[P, 3]`` ground points of the generated layout's clear walk-through, or ``None``.

    Generated worlds keep their layout, whose walk path no object stands on; the walk keeps to the
    stretch of it where the generation's walk cameras stood, densified and lifted onto the terrain.
    Worlds without a layout (imports, compositions) get ``None``.
    """
    layout = getattr(world, "layout", None)
    if layout is None:
        return None
    try:
        pts = np.asarray(walk_path(layout.environment), np.float64)
    except Exception:  # noqa: BLE001 - an odd layout falls back to the generic walk
        return None
    if len(pts) < 2 or not np.isfinite(pts).all():
        return None
    pts = clip_to_cameras(pts, [c for c in world.cameras if c.name.startswith("walk")])
    if np.linalg.norm(np.diff(pts, axis=0), axis=1).sum() <= 0:
        return None
    dense = densify(pts)
    if not layout.environment.indoor:
        dense[:, 1] = terrain_height(layout, dense[:, 0], dense[:, 2])
    return dense
