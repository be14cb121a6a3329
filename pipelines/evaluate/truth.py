"""The procedural ground truth at any camera: the layout's meshes ray cast and shaded, supersampled.

The painter that made the world's colours (:class:`pipelines.views.LayoutRenderer`) renders the
layout's own geometry at the held-out camera with ``SUPERSAMPLE x SUPERSAMPLE`` rays per pixel,
averaged: a pixel's true value is the mean over its area, which is what splats (each a small
blur of the surface) reproduce, not one aliased point sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marble.camera import Camera
from marble.layout import Layout

SUPERSAMPLE = 2
"""Rays per pixel along each axis."""


@dataclass
class GroundTruth:
    """What the layout looks like from one camera.

    Attributes:
        rgb: ``[H, W, 3]`` float32 shaded colour, sky where rays miss.
        coverage: ``[H, W]`` float32 fraction of a pixel's rays that hit geometry (0 = sky).
        depth: ``[H, W]`` float32 nearest z-depth among a pixel's rays (``inf`` for sky).
    """

    rgb: np.ndarray
    coverage: np.ndarray
    depth: np.ndarray


class GroundTruthRenderer:
    """Renders the procedural ground truth of a layout.

    Args:
        layout: the world's layout.
        geometry: its ``SceneGeometry`` list (``pipelines.procedural.build_scene_geometry``).
        seed: the material seed the world was generated with.
    """

    def __init__(self, layout: Layout, geometry, *, seed: int) -> None:
        from pipelines.views.raycast import LayoutRenderer

        self.renderer = LayoutRenderer(geometry, layout, seed=int(seed), edge_samples=0)

    def render(self, camera: Camera) -> GroundTruth:
        """Ground truth at ``camera`` (its own image size)."""
        s = SUPERSAMPLE
        h, w = camera.height, camera.width
        view = self.renderer.render(camera.resized(w * s, h * s))
        rgb = view.rgb.reshape(h, s, w, s, 3).mean(axis=(1, 3))
        hit = np.isfinite(view.depth).reshape(h, s, w, s)
        depth = np.where(hit, view.depth.reshape(h, s, w, s), np.inf).min(axis=(1, 3))
        return GroundTruth(rgb=rgb.astype(np.float32), coverage=hit.mean(axis=(1, 3)).astype(np.float32),
                           depth=depth.astype(np.float32))
