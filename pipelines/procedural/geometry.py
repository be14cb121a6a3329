"""Layout -> meshes: one :class:`SceneGeometry` per layer, and vertex-colour baking for export."""

from __future__ import annotations

import numpy as np
import trimesh

from marble.errors import InputError
from marble.layout import Layout
from pipelines.procedural.materials import albedo
from pipelines.procedural.shapes import build_object
from pipelines.procedural.terrain import far_field_geometry, ground_geometry
from pipelines.procedural.types import SceneGeometry


def build_scene_geometry(layout: Layout, *, detail: int = 1, far_field: bool = True) -> list[SceneGeometry]:
    """Procedural meshes for every layer of a layout.

    Args:
        layout: the layout (environment + objects).
        detail: tessellation level: 0 coarse, 1 default (trees ~1-3k triangles, terrain ~32k),
            2 fine.
        far_field: outdoors, add the ``far_field`` layer (terrain, hills, tree lines or city
            blocks out to the horizon, :func:`pipelines.procedural.terrain.far_field_geometry`).

    Returns:
        Environment layers first ("ground" [+ "water"] [+ "far_field"] outdoors; "floor", "walls",
        "ceiling" indoors, identity pose), then one layer per ``LayoutObject`` in layout order, each
        mesh in the object's local frame (bottom-centre origin) with ``T_world_object`` its pose.
    """
    if not isinstance(layout, Layout):
        raise InputError(f"`layout` must be a marble.layout.Layout, got {type(layout).__name__}")
    if not isinstance(detail, (int, np.integer)) or not 0 <= int(detail) <= 3:
        raise InputError(f"`detail` must be an integer in 0..3, got {detail!r}")
    out = ground_geometry(layout, detail=int(detail))
    if far_field:
        out += far_field_geometry(layout, detail=int(detail))
    for obj in layout.objects:
        if min(obj.size) <= 0:
            raise InputError(f"object {obj.name!r} has a non-positive `size` {obj.size}")
        mesh, fp, parts = build_object(obj, detail=int(detail))
        out.append(SceneGeometry(obj.name, obj.label, mesh, fp, parts, obj.T_world_object.numpy().astype(np.float64)))
    return out


def _target_edge(mesh: trimesh.Trimesh, max_faces: int) -> float:
    area = float(mesh.area)
    # an equilateral triangle of side e has area 0.433 e^2; aim below the budget (splits make slivers)
    return max(0.05, float(np.sqrt(area / (0.433 * 0.5 * max_faces))))


def _faces_after(longest: np.ndarray, edge: float) -> int:
    """Faces ``subdivide_to_size(max_edge=edge)`` will produce from faces whose longest edges are ``longest``."""
    n = np.ceil(np.log2(np.maximum(longest / edge, 1.0)))
    return int(np.sum(4.0 ** n))


def bake_vertex_colors(geom: SceneGeometry, *, seed: int, max_edge: float | None = None,
                       max_faces: int = 50_000) -> trimesh.Trimesh:
    """Local-frame copy of ``geom.mesh`` with per-vertex RGBA colours from :func:`albedo`.

    Large faces are subdivided (edges at most ``max_edge`` metres; by default the finest edge that
    keeps the result within ``max_faces`` faces, never finer than 5 cm) so the material pattern
    shows. A mesh that already has ``max_faces`` faces is not subdivided. Colours are evaluated at
    each vertex's WORLD position, so they agree with the views.

    Args:
        geom: one layer's geometry.
        seed: pattern seed (use the layout seed).
        max_edge: explicit subdivision edge length in metres (overrides the budget).
        max_faces: face budget of the result when ``max_edge`` is not given.

    Returns:
        A ``trimesh.Trimesh`` (``process=False``) with ``visual.vertex_colors [V, 4]`` uint8 and
        ``metadata["face_part"] [F]`` int32.
    """
    mesh = geom.mesh
    v = np.asarray(mesh.vertices, dtype=np.float64)
    f = np.asarray(mesh.faces, dtype=np.int64)
    fp = np.asarray(geom.face_part, dtype=np.int32)
    longest = np.linalg.norm(v[f[:, [1, 2, 0]]] - v[f], axis=2).max(1) if len(f) else np.zeros(0)
    if max_edge is not None:
        edge = float(max_edge)
    elif len(f) >= max_faces:  # already at the budget: colour the vertices as they are
        edge = float("inf")
    else:
        edge = _target_edge(mesh, max_faces)
        while _faces_after(longest, edge) > max_faces:  # exact count: each split quarters a face
            edge *= 1.25
    if len(f) and (longest > edge).any():
        v, f, idx = trimesh.remesh.subdivide_to_size(v, f, max_edge=edge, max_iter=12, return_index=True)
        fp = fp[idx]
    out = trimesh.Trimesh(vertices=v, faces=f, process=False, validate=False)
    T = np.asarray(geom.T_world_object, dtype=np.float64)
    vw = v @ T[:3, :3].T + T[:3, 3]
    nw = np.asarray(out.vertex_normals, dtype=np.float64) @ T[:3, :3].T
    # each vertex takes the part of a face that uses it (primitives never share vertices)
    vpart = np.zeros(len(v), dtype=np.int32)
    vpart[f.ravel()] = np.repeat(fp, 3)
    rgb = np.zeros((len(v), 3), dtype=np.float32)
    for k, part in enumerate(geom.parts):
        sel = np.nonzero(vpart == k)[0]
        if len(sel):
            rgb[sel] = albedo(part.material, part.color, vw[sel], nw[sel], seed=seed)
    rgba = np.concatenate([np.round(rgb * 255).astype(np.uint8), np.full((len(v), 1), 255, np.uint8)], 1)
    out.visual = trimesh.visual.ColorVisuals(out, vertex_colors=rgba)
    out.metadata["face_part"] = fp
    return out
