"""Procedural layout, geometry, materials and lighting: SceneSpec -> Layout -> meshes.

Contract (used by views, fusion, the CLI and the editor):

- :func:`synthesize_layout` (spec, seed) -> ``Layout``
- :func:`build_scene_geometry` (layout) -> ``list[SceneGeometry]`` (mesh + material parts per layer)
- :func:`albedo` (material, colour, world points, normals) -> RGB, procedural and seamless
- :func:`bake_vertex_colors` (geometry) -> vertex-coloured mesh for export
- :func:`lighting_for` (spec) -> ``Lighting``

Extras for camera placement: :func:`clear_zones`, :func:`camera_positions`, :func:`walk_path`,
and :func:`terrain_height` (ground height at any x, z).
"""

from __future__ import annotations

from pipelines.procedural.geometry import bake_vertex_colors, build_scene_geometry
from pipelines.procedural.lighting import lighting_for
from pipelines.procedural.materials import albedo
from pipelines.procedural.placement import synthesize_layout
from pipelines.procedural.terrain import terrain_height
from pipelines.procedural.types import Part, SceneGeometry
from pipelines.procedural.zones import (
    camera_positions,
    clear_zones,
    room_openings,
    walk_path,
)

__all__ = [
    "Part", "SceneGeometry", "albedo", "bake_vertex_colors", "build_scene_geometry", "camera_positions",
    "clear_zones", "lighting_for", "room_openings", "synthesize_layout", "terrain_height", "walk_path",
]
