"""``.png``: an equirectangular 360-degree panorama of the exported layers over the world's sky.

Drawn by Marble's one panorama renderer, :func:`marble.render.panorama.render_panorama` (the one
``marble render --panorama`` uses), from the scene's centre at eye height; ``panorama_size`` is its height.
"""

from __future__ import annotations

from pathlib import Path

from exporters.scene import ExportOptions, ExportScene
from marble.render.panorama import write_panorama as _write
from marble.world import Environment, Layer, World


def scene_world(scene: ExportScene) -> World:
    """The exported layers (world frame, after any profile) as a World the renderers take."""
    layers = [Layer(x.name, label=x.label, gaussians=x.gaussians, mesh=x.mesh) for x in scene.layers]
    return World(layers, environment=scene.environment or Environment(), cameras=scene.cameras)


def write_panorama(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Render and write the panorama PNG (atomically)."""
    return [_write(scene_world(scene), path, height=int(options.panorama_size))]
