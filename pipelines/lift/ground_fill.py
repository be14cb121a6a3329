"""The ground at the viewer's feet: a photo never sees it, a user who steps back does.

A photo (and every view turned from the same spot) sees the ground only beyond where its lowest
ray meets it, a couple of metres out; inside that disc the world has nothing, so a step back shows
a hole under the horizon. :func:`fill_ground_below` tiles the uncovered part of the disc with flat
ground splats at the seen ground's spacing and height, each coloured by the seen ground mirrored
across the disc's edge in its direction (so the texture continues rather than a flat mean colour).
"""

from __future__ import annotations

import math

import numpy as np

from marble.gaussians import Gaussians
from pipelines.fusion.params import SPLAT_OPACITY
from pipelines.fusion.splats import flat_splats

ANGLE_BINS = 72
"""Directions (5 degrees each) in which the inner edge of the seen ground is found."""

EDGE_RANK = 8
"""The inner edge of the seen ground in a direction is its ``EDGE_RANK``-th nearest splat (a few
stray splats nearer in do not count)."""

MARGIN = 2.0
"""Cells out to this many spacings past the inner edge are filled where still uncovered."""

SIGMA = 0.7
"""Splat standard deviation as a fraction of the spacing (neighbours overlap with no gaps)."""

MAX_SPLATS = 200_000


def fill_ground_below(ground: Gaussians, centre_xz, *, max_splats: int = MAX_SPLATS,
                      ) -> tuple[Gaussians | None, dict]:
    """Flat splats over the ground disc around ``centre_xz`` that no ground splat covers.

    Args:
        ground: the world's ground layer (world coordinates, +Y up), ``means [N, 3]``.
        centre_xz: ``[2]`` where the photo was taken from (x, z).
        max_splats: most splats added (the spacing grows to fit).
    Returns:
        ``(new splats or None, stats)``: stats hold ``added``, ``spacing_m`` and ``radius_m`` (the
        median inner edge of the seen ground).
    """
    from scipy.spatial import cKDTree

    stats = {"added": 0, "spacing_m": 0.0, "radius_m": 0.0}
    if ground is None or ground.num_splats < 64:
        return None, stats
    c = np.asarray(centre_xz, np.float64).reshape(2)
    m = ground.means.numpy().astype(np.float64)
    xz = m[:, [0, 2]] - c
    r = np.hypot(xz[:, 0], xz[:, 1])
    theta = np.arctan2(xz[:, 1], xz[:, 0])
    b = ((theta + math.pi) / (2 * math.pi) * ANGLE_BINS).astype(np.int64) % ANGLE_BINS
    edge = np.full(ANGLE_BINS, np.nan)
    for k in range(ANGLE_BINS):
        rk = r[b == k]
        if len(rk) >= 16:
            edge[k] = np.partition(rk, EDGE_RANK - 1)[EDGE_RANK - 1]
    if not np.isfinite(edge).any():
        return None, stats
    r_in = float(np.nanmedian(edge))
    # the seen ground's spacing just outside the edge
    near = np.flatnonzero(r < np.nanmax(edge) + 1.0)
    if len(near) < 16:
        return None, stats
    tree = cKDTree(xz)
    d, _ = tree.query(xz[near[:: max(1, len(near) // 4000)]], k=2)
    spacing = float(np.median(d[:, 1]))
    if not math.isfinite(spacing) or spacing <= 0:
        return None, stats
    r_max = float(np.nanmax(edge)) + MARGIN * spacing
    area = math.pi * r_max * r_max
    spacing = max(spacing, math.sqrt(area / max(max_splats, 1)))
    n = math.ceil(r_max / spacing)
    g = (np.arange(-n, n + 1) * spacing)
    gx, gz = np.meshgrid(g, g, indexing="ij")
    cells = np.stack([gx.ravel(), gz.ravel()], 1)
    rc = np.hypot(cells[:, 0], cells[:, 1])
    tc = np.arctan2(cells[:, 1], cells[:, 0])
    bc = ((tc + math.pi) / (2 * math.pi) * ANGLE_BINS).astype(np.int64) % ANGLE_BINS
    e = edge[bc]
    ok = np.isfinite(e) & (rc <= e + MARGIN * spacing)
    cells, rc, tc, e = cells[ok], rc[ok], tc[ok], e[ok]
    dist, _ = tree.query(cells, k=1, distance_upper_bound=0.9 * spacing)
    free = ~np.isfinite(dist)
    cells, rc, tc, e = cells[free], rc[free], tc[free], e[free]
    if not len(cells):
        return None, {**stats, "spacing_m": round(spacing, 4), "radius_m": round(r_in, 3)}
    # colour and height from the seen ground mirrored across the edge in the cell's direction
    rs = np.clip(2.0 * e - rc, e, None) + spacing
    src = np.stack([np.cos(tc) * rs, np.sin(tc) * rs], 1)
    _, idx = tree.query(src, k=4)
    rgb = ground.colors.numpy()[idx].mean(axis=1)
    y = np.median(m[idx, 1], axis=1)
    means = np.stack([cells[:, 0] + c[0], y, cells[:, 1] + c[1]], 1)
    k = len(means)
    up = np.tile([0.0, 1.0, 0.0], (k, 1))
    tangent = np.tile([1.0, 0.0, 0.0], (k, 1))
    sig = np.full(k, SIGMA * spacing)
    out = flat_splats(means, up, tangent, sig, sig, rgb, opacity=SPLAT_OPACITY, max_thickness=0.01)
    return out, {"added": int(k), "spacing_m": round(spacing, 4), "radius_m": round(r_in, 3)}


def with_ground_below(gaussians: dict[str, Gaussians], centre_xz, *, max_total: int,
                      layer: str = "ground") -> tuple[dict[str, Gaussians], dict]:
    """``gaussians`` with :func:`fill_ground_below` added to its ``layer``, keeping the total within
    ``max_total`` splats (and adding at most :data:`MAX_SPLATS`)."""
    g = gaussians.get(layer)
    budget = min(max_total - sum(x.num_splats for x in gaussians.values()), MAX_SPLATS)
    if g is None or budget <= 0:
        return gaussians, {"added": 0}
    extra, stats = fill_ground_below(g, centre_xz, max_splats=budget)
    if extra is None:
        return gaussians, stats
    out = dict(gaussians)
    out[layer] = Gaussians.concat([g, extra])
    return out, stats
