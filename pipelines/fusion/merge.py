"""Merging lifted points on a multi-level voxel grid: one cell per splat, never mixing layers."""

from __future__ import annotations

import math

import numpy as np

from pipelines.fusion.params import COORD_BITS, LAYER_BITS, LEVEL_BITS, LEVEL_RATIO
from pipelines.fusion.samples import Samples


def _levels(footprint: np.ndarray, offsets: np.ndarray, voxel: float) -> np.ndarray:
    """Merge level per point: the finest cell >= footprint, coarser when coordinates would overflow."""
    ratio = math.log(LEVEL_RATIO)
    lv = np.ceil(np.log(np.maximum(footprint, 1e-9) / voxel) / ratio - 1e-6)
    lim = 2 ** (COORD_BITS - 1) - 2
    reach = np.max(np.abs(offsets), axis=1)
    lv_range = np.ceil(np.log(np.maximum(reach / (voxel * lim), 1e-12)) / ratio)
    lv = np.maximum(np.maximum(lv, lv_range), 0)
    return np.minimum(lv, 2**LEVEL_BITS - 1).astype(np.int64)


def _keys_at(offsets: np.ndarray, layer: np.ndarray, level: np.ndarray | int, voxel: float) -> np.ndarray:
    """``[M]`` int64 cell keys packing (level, layer, i, j, k)."""
    level = np.broadcast_to(np.asarray(level, np.int64), layer.shape)
    cell = voxel * LEVEL_RATIO ** level.astype(np.float64)
    ijk = np.floor(offsets / cell[:, None]).astype(np.int64) + 2 ** (COORD_BITS - 1)
    ijk = np.clip(ijk, 0, 2**COORD_BITS - 1)
    key = (level << LAYER_BITS) | layer
    for a in range(3):
        key = (key << COORD_BITS) | ijk[:, a]
    return key


def _cell_keys(s: Samples, voxel: float, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell key and cell size per sample.

    A sample whose own level is coarse (a far view) but whose position already lies in a cell that
    finer samples (a near view) occupy joins that finer cell instead of making a coarse splat: the
    near views' detail is not veiled by blurry splats from far ones, and the far pixel still adds
    its (low) weight to the colour.
    """
    offsets = s.points - origin
    level = _levels(s.footprint, offsets, voxel)
    max_level = int(level.max()) if len(level) else 0
    for lv in range(max_level):
        own = level == lv
        if not own.any():
            continue
        coarse = np.flatnonzero(level > lv)
        if not len(coarse):
            break
        occupied = np.sort(_keys_at(offsets[own], s.layer[own], lv, voxel))  # duplicates are harmless
        q = _keys_at(offsets[coarse], s.layer[coarse], lv, voxel)
        pos = np.minimum(np.searchsorted(occupied, q), len(occupied) - 1)
        hit = occupied[pos] == q
        level[coarse[hit]] = lv
    cell = voxel * LEVEL_RATIO ** level.astype(np.float64)
    return _keys_at(offsets, s.layer, level, voxel), cell.astype(np.float32)


def merge_samples(s: Samples, voxel: float, origin: np.ndarray) -> dict[str, np.ndarray]:
    key, cell = _cell_keys(s, voxel, origin)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    w = s.weight[order].astype(np.float64)
    wsum = np.add.reduceat(w, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))

    def wmean(a: np.ndarray, dtype=np.float64) -> np.ndarray:
        a = a[order].astype(dtype, copy=False)
        return np.add.reduceat(a * w[:, None].astype(dtype), starts, axis=0) / wsum[:, None].astype(dtype)

    # the best (highest-weight) pixel of each cell gives the normal, slant and footprint
    wmax = np.maximum.reduceat(w, starts)
    is_best = w >= wmax[group]
    first_best = np.flatnonzero(is_best)
    # keep the first best per group
    gb = group[first_best]
    keep = np.r_[True, gb[1:] != gb[:-1]]
    best = order[first_best[keep]]
    return {
        "means": wmean(s.points),
        "colors": np.clip(wmean(s.colors, np.float32), 0.0, 1.0),
        "normals": s.normals[best],
        "tangents": s.tangents[best],
        "footprint": s.footprint[best],
        "stretch": s.stretch[best],
        "cell": cell[order][starts],
        "pixels": np.add.reduceat(s.conf[order].astype(np.float64), starts),
        "layer": s.layer[order][starts],
        "edge": np.minimum.reduceat(s.edge[order], starts),
    }
