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

from pipelines.layout.geometry import bake_vertex_colors, build_scene_geometry
from pipelines.layout.lighting import lighting_for
from pipelines.layout.materials import albedo
from pipelines.layout.placement import camera_positions, clear_zones, room_openings, synthesize_layout, walk_path
from pipelines.layout.terrain import terrain_height
from pipelines.layout.types import Part, SceneGeometry

__all__ = [
    "Part", "SceneGeometry", "albedo", "bake_vertex_colors", "build_scene_geometry", "camera_positions",
    "clear_zones", "lighting_for", "room_openings", "synthesize_layout", "terrain_height", "walk_path",
]
