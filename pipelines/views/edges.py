"""Silhouette detection on rendered or estimated depth maps (shared by the painter and fusion)."""

from __future__ import annotations

import numpy as np


def silhouette_pixels(depth: np.ndarray, ids: np.ndarray, *, rel: float = 0.04) -> np.ndarray:
    """Pixels on silhouettes.

    Args:
        depth: ``[H, W]`` z-depth (``inf`` for sky).
        ids: ``[H, W]`` layer ids.
        rel: relative depth jump that counts as an edge.
    Returns:
        ``[H, W]`` bool: a 4-neighbour is on another layer, on the sky, or at a depth jump.
    """
    d = np.where(np.isfinite(depth), depth, np.float32(1e9)).astype(np.float32)
    e = np.zeros(depth.shape, bool)
    for a, b in (((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                 ((slice(1, None), slice(None)), (slice(None, -1), slice(None)))):
        jump = (ids[a] != ids[b]) | (np.abs(d[a] - d[b]) > rel * np.minimum(d[a], d[b]))
        e[a] |= jump
        e[b] |= jump
    return e
