"""Multi-view generation from a layout: the camera rig and the ray-cast procedural painter.

``camera_rig(layout, preset=..., seed=...)`` places the cameras; ``render_views(layout, geometry,
cameras, seed=...)`` renders each with :class:`LayoutRenderer` (open3d/Embree ray casting on the
CPU) into ``marble.view.View`` objects that ``pipelines.fusion.fuse_views`` turns into splats.
"""

from pipelines.views.edges import silhouette_pixels
from pipelines.views.raycast import LayoutRenderer, render_views
from pipelines.views.rig import CLEARANCE, EYE_HEIGHT, camera_rig
from pipelines.views.shading import environment_for, lamp_lights, shade, sky_pixels

__all__ = [
    "CLEARANCE",
    "EYE_HEIGHT",
    "LayoutRenderer",
    "camera_rig",
    "environment_for",
    "lamp_lights",
    "render_views",
    "shade",
    "silhouette_pixels",
    "sky_pixels",
]
