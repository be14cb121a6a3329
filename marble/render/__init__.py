"""Rendering Gaussian splats and meshes.

``render`` draws splats from a batch of cameras (gsplat on CUDA, Marble's tile rasterizer on CPU);
``render_world`` draws a World's visible layers over its sky; ``raycast_meshes`` ray-casts meshes
with the same Camera type for side-by-side previews.
"""

from marble.render.core import RenderOutput, render

__all__ = ["RenderOutput", "render", "render_world", "raycast_meshes"]


def __getattr__(name):  # lazy: open3d and the world renderer load only when used
    if name == "render_world":
        from marble.render.world_render import render_world

        return render_world
    if name == "raycast_meshes":
        from marble.render.mesh_preview import raycast_meshes

        return raycast_meshes
    raise AttributeError(f"module 'marble.render' has no attribute {name!r}")
