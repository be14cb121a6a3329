"""The sky dome: rays that hit nothing paint a far dome of splats, the sky layer."""

from __future__ import annotations

import math

import numpy as np

from marble.gaussians import Gaussians
from marble.view import View
from marble.world import Environment
from pipelines.fusion.params import SKY_MIN_Y, SKY_SAMPLE_STRIDE, SKY_SIGMA
from pipelines.fusion.splats import flat_splats
from pipelines.views.shading import lower_sky_colors, sky_pixels


def _fibonacci_cap(n: int, *, min_y: float, phase: float) -> np.ndarray:
    """``[n, 3]`` near-uniform unit directions with ``y >= min_y``."""
    i = np.arange(n, dtype=np.float64) + 0.5
    y = 1.0 - (1.0 - min_y) * i / n
    r = np.sqrt(np.clip(1 - y * y, 0, 1))
    a = phase + i * math.pi * (3.0 - math.sqrt(5.0))
    return np.stack([r * np.sin(a), y, r * np.cos(a)], axis=1)


def _sky_samples(view: View, *, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """World directions ``[M, 3]`` and colours ``[M, 3]`` of every ``stride``-th sky pixel of a view."""
    cam = view.camera
    depth = view.depth[::stride, ::stride]
    sky = ~np.isfinite(depth)
    if not sky.any():
        return np.zeros((0, 3)), np.zeros((0, 3))
    v, u = np.nonzero(sky)
    u = u * stride + 0.5
    v = v * stride + 0.5
    d = np.stack([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, np.ones_like(u)], axis=1) @ cam.T_world_camera[:3, :3].numpy().T
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return d, view.rgb[::stride, ::stride][sky].astype(np.float64)


def environment_sky(environment: Environment, dirs: np.ndarray) -> np.ndarray:
    """``[N, 3]`` dome colours from the environment alone: exactly what the views show where rays
    miss (:func:`pipelines.views.shading.sky_pixels`: the sky, and below the horizon a haze fading to
    the lit far ground)."""
    return sky_pixels(environment, np.asarray(dirs, np.float64)).astype(np.float64)


def sky_dome(views: list[View], *, count: int, centre: np.ndarray, radius: float, environment: Environment | None,
              seed: int) -> Gaussians | None:
    """A sphere of ``count`` flat splats of radius ``radius`` around ``centre``, facing inwards.

    Directions some view saw as sky take the mean of those pixels; the rest take the
    environment's sky (:func:`environment_sky`), or with no environment the nearest seen colour
    (below the horizon faded as :func:`~pipelines.views.shading.lower_sky_colors` does). Neighbouring splats overlap
    (:data:`SKY_SIGMA`), so the dome is opaque in every direction.
    """
    if count <= 0:
        return None
    from scipy.spatial import cKDTree

    phase = float(np.random.default_rng(seed).uniform(0, 2 * math.pi))
    dirs = _fibonacci_cap(count, min_y=SKY_MIN_Y, phase=phase)
    tree = cKDTree(dirs)
    acc = np.zeros((count, 3), np.float64)
    cnt = np.zeros(count, np.float64)
    for v in views:
        rd, rgb = _sky_samples(v, stride=SKY_SAMPLE_STRIDE)
        if not len(rd):
            continue
        _, nn = tree.query(rd)
        cnt += np.bincount(nn, minlength=count)
        for c in range(3):
            acc[:, c] += np.bincount(nn, weights=rgb[:, c], minlength=count)
    seen = cnt > 0
    colors = np.zeros((count, 3), np.float64)
    colors[seen] = acc[seen] / cnt[seen, None]
    if not seen.all():
        if environment is not None:
            colors[~seen] = environment_sky(environment, dirs[~seen])
        elif seen.any():
            _, nn = cKDTree(dirs[seen]).query(dirs[~seen])
            colors[~seen] = colors[seen][nn]
            low = ~seen & (dirs[:, 1] < 0)
            if low.any():
                colors[low] = lower_sky_colors(Environment(), dirs[low], colors[low])
        else:
            colors[~seen] = environment_sky(Environment(), dirs[~seen])
    spacing = radius * math.sqrt(2 * math.pi * (1 - SKY_MIN_Y) / count)
    sig = np.full(count, SKY_SIGMA * spacing, np.float32)
    normals = -dirs.astype(np.float32)
    tang = np.cross(normals, np.array([[0.0, 1.0, 0.0]], np.float32))
    bad = np.linalg.norm(tang, axis=1) < 1e-6
    tang[bad] = np.array([1.0, 0.0, 0.0], np.float32)
    return flat_splats(centre + dirs * radius, normals, tang, sig, sig, colors, opacity=0.99)
