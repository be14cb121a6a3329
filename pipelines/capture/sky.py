"""The sky of a capture: a gradient from the photos' pixels that look up and that no point explains."""

from __future__ import annotations

import numpy as np

from marble.world import Environment

MIN_SKY_SHARE = 0.01


def sky_environment(cameras, photos: dict, observations: dict, *, stride: int = 8) -> tuple[Environment, float]:
    """``(environment, sky share)``: the sky gradient seen in the photos, and the share of sampled pixels it came from.

    A pixel counts as sky when its ray points at least 3 degrees above the horizon (the world is +Y
    up) and it lies outside the triangulation of the photo's observed sparse points (nothing was
    reconstructed there). The horizon colour is the median of sky pixels below 20 degrees, the top
    colour of those above 35 (the horizon colour when there are none). No sun glow is added: the
    photos already show whatever sun there is. With too few sky pixels (an indoor capture) the
    environment is a neutral grey, the colour of the photos' edges.
    """
    from scipy.spatial import Delaunay, QhullError

    from marble.layout import Lighting

    lows, highs, edges, total = [], [], [], 0
    for cam in cameras:
        rgb = photos[cam.name].rgb
        h, w = rgb.shape[:2]
        v, u = np.mgrid[stride // 2:h:stride, stride // 2:w:stride]
        q = np.stack([u.ravel() + 0.5, v.ravel() + 0.5], 1)
        total += len(q)
        dirs = cam.ray_directions().numpy()[v.ravel(), u.ravel()]
        outside = np.ones(len(q), bool)
        xy = observations.get(cam.name, (np.zeros((0, 2)),))[0]
        if len(xy) >= 4:
            try:
                outside = Delaunay(xy).find_simplex(q) < 0
            except QhullError:
                pass
        col = rgb[v.ravel(), u.ravel()]
        elev = np.degrees(np.arcsin(np.clip(dirs[:, 1], -1, 1)))
        sky = outside & (elev > 3)
        lows.append(col[sky & (elev < 20)])
        highs.append(col[sky & (elev > 35)])
        edges.append(np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]))
    low, high = np.concatenate(lows), np.concatenate(highs)
    share = (len(low) + len(high)) / max(total, 1)
    if share < MIN_SKY_SHARE:
        grey = tuple(float(x) for x in np.median(np.concatenate(edges), 0))
        lt = Lighting(sky_top=grey, sky_horizon=grey, sun_intensity=0.0)
        return Environment(lighting=lt, ground_color=grey), share
    hor = np.median(low, 0) if len(low) else np.median(high, 0)
    top = np.median(high, 0) if len(high) else hor
    lt = Lighting(sky_top=tuple(float(x) for x in top), sky_horizon=tuple(float(x) for x in hor), sun_intensity=0.0)
    return Environment(lighting=lt, ground_color=tuple(float(x) for x in hor)), share
