"""Generation: layout synthesis, view sources, fusion, refinement, and the routing between them.

- :mod:`pipelines.generate`: :func:`generate_world`, which routes a request to a pipeline
- :mod:`pipelines.text_to_world`, :mod:`pipelines.image_to_world`, :mod:`pipelines.learned`: the pipelines
- :mod:`pipelines.procedural`: SceneSpec -> Layout -> meshes, materials and lighting
- :mod:`pipelines.views`: the camera rig, ray-cast views and their shading
- :mod:`pipelines.lift`: image lifting (depth, warp and inpaint); :mod:`pipelines.diffusion`: learned models
- :mod:`pipelines.fusion`: views -> splats; :mod:`pipelines.refine`: photometric refinement
"""

from __future__ import annotations

from pipelines.generate import generate_world

__all__ = ["generate_world"]
