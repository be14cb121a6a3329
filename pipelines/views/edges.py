"""Silhouette detection on rendered or estimated depth maps (shared by the painter and fusion)."""

from __future__ import annotations

import numpy as np

SLOPE_RATIO = 2.0
"""A depth step is a silhouette only if its inverse-depth step is this many times the smaller of
the steps next to it: a plane's inverse depth is affine in the image, so a surface seen at a grazing
angle changes depth fast but evenly, while an occlusion boundary is a spike."""


def silhouette_pixels(depth: np.ndarray, ids: np.ndarray, *, rel: float = 0.04) -> np.ndarray:
    """Pixels on silhouettes.

    Args:
        depth: ``[H, W]`` z-depth (``inf`` for sky).
        ids: ``[H, W]`` layer ids.
        rel: relative depth jump that counts as an edge.
    Returns:
        ``[H, W]`` bool: a 4-neighbour is on another layer, on the sky, or across a depth
        discontinuity (a jump of more than ``rel`` of the depth that is not the even slope of a
        surface seen at a grazing angle; see :data:`SLOPE_RATIO`).
    """
    d = np.where(np.isfinite(depth), depth, np.float32(1e9)).astype(np.float32)
    inv = 1.0 / np.maximum(d, np.float32(1e-6))
    e = np.zeros(depth.shape, bool)
    for axis in (1, 0):
        n = d.shape[axis]
        if n < 2:
            continue
        lo = [slice(None), slice(None)]
        hi = [slice(None), slice(None)]
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        lo, hi = tuple(lo), tuple(hi)
        step = np.abs(inv[hi] - inv[lo])  # between pixel i and i + 1 along the axis
        if n == 2:  # a single step has no neighbours to show a slope
            before = after = np.zeros_like(step)
        else:  # the steps before and after each one (the border step repeated: no evidence of a slope)
            i = np.arange(n - 1)
            before = np.take(step, np.maximum(i - 1, 0), axis=axis)
            after = np.take(step, np.minimum(i + 1, n - 2), axis=axis)
        smooth = step <= SLOPE_RATIO * np.minimum(before, after)
        jump = (ids[hi] != ids[lo]) | ((np.abs(d[hi] - d[lo]) > rel * np.minimum(d[hi], d[lo])) & ~smooth)
        e[hi] |= jump
        e[lo] |= jump
    return e
