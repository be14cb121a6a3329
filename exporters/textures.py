"""Baking vertex colours into a UV-atlas texture (xatlas), for engines that want textured meshes.

``bake_vertex_colors`` charts the mesh with xatlas, rasterises every triangle into a texture of
the requested size (barycentric interpolation of its vertex colours, in sRGB), and dilates the
charts' borders so mip-mapping does not bleed the background into the surface.
"""

from __future__ import annotations

import numpy as np
import trimesh
from PIL import Image

from marble.errors import InputError


def bake_vertex_colors(mesh: trimesh.Trimesh, *, size: int = 1024, padding: int = 2) -> trimesh.Trimesh:
    """A copy of ``mesh`` with UVs and a ``size`` x ``size`` baked base-colour texture.

    Args:
        mesh: a mesh with vertex (or face) colours; ``V`` vertices, ``F`` faces.
        size: texture side in pixels.
        padding: texels between charts.
    Returns:
        A mesh with ``V' >= V`` vertices (seams split), the same faces, and a ``TextureVisuals``.
    """
    import cv2
    import xatlas

    if size < 16:
        raise InputError(f"`texture_size` must be at least 16, got {size}")
    vis = mesh.visual
    if isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "face":
        colors = np.repeat(np.asarray(vis.face_colors), 3, axis=0)
        mesh = trimesh.Trimesh(mesh.vertices[mesh.faces].reshape(-1, 3), np.arange(len(mesh.faces) * 3).reshape(-1, 3),
                               vertex_colors=colors, process=False)
        mesh.merge_vertices()
        colors = np.asarray(mesh.visual.vertex_colors)
    elif isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "vertex":
        colors = np.asarray(vis.vertex_colors)
    else:
        return mesh
    atlas = xatlas.Atlas()
    atlas.add_mesh(np.asarray(mesh.vertices, dtype=np.float32), np.asarray(mesh.faces, dtype=np.uint32))
    pack = xatlas.PackOptions()
    pack.resolution = int(size)
    pack.padding = int(padding)
    pack.bilinear = True
    chart = xatlas.ChartOptions()
    chart.max_iterations = 1
    atlas.generate(chart, pack)
    vmapping, faces, uvs = atlas[0]
    cols = colors[vmapping].astype(np.float32)  # [V', 4]
    tex = np.zeros((size, size, 4), np.float32)
    ids = np.full((size, size), -1, np.int32)
    # Triangle id buffer (rows = v flipped so the image's top row is v = 1).
    px = np.stack([uvs[:, 0] * size - 0.5, (1.0 - uvs[:, 1]) * size - 0.5], axis=1)
    shift = 4
    pts = np.round(px[faces] * (1 << shift)).astype(np.int32)  # [F, 3, 2]
    for f in range(len(faces)):
        cv2.fillConvexPoly(ids, pts[f], int(f), lineType=cv2.LINE_8, shift=shift)
        # draw edges too so thin triangles still own texels
        cv2.polylines(ids, [pts[f]], True, int(f), 1, lineType=cv2.LINE_8, shift=shift)
    ys, xs = np.nonzero(ids >= 0)
    fid = ids[ys, xs]
    a, b, c = px[faces[fid, 0]], px[faces[fid, 1]], px[faces[fid, 2]]
    p = np.stack([xs, ys], axis=1).astype(np.float32)
    v0, v1, v2 = b - a, c - a, p - a
    d00 = (v0 * v0).sum(1)
    d01 = (v0 * v1).sum(1)
    d11 = (v1 * v1).sum(1)
    d20 = (v2 * v0).sum(1)
    d21 = (v2 * v1).sum(1)
    den = d00 * d11 - d01 * d01
    den = np.where(np.abs(den) < 1e-12, 1.0, den)
    w1 = np.clip((d11 * d20 - d01 * d21) / den, 0, 1)
    w2 = np.clip((d00 * d21 - d01 * d20) / den, 0, 1)
    s = np.clip(w1 + w2, 1.0, None)
    w1, w2 = w1 / s, w2 / s
    w0 = 1.0 - w1 - w2
    tex[ys, xs] = (
        w0[:, None] * cols[faces[fid, 0]] + w1[:, None] * cols[faces[fid, 1]] + w2[:, None] * cols[faces[fid, 2]]
    )
    filled = (ids >= 0).astype(np.uint8)
    img = np.clip(np.round(tex), 0, 255).astype(np.uint8)
    # Dilate chart borders outward (a few texels) so filtering never samples the empty background.
    for _ in range(max(2, padding + 1)):
        grown = cv2.dilate(img, np.ones((3, 3), np.uint8))
        grown_mask = cv2.dilate(filled, np.ones((3, 3), np.uint8))
        new = (grown_mask > 0) & (filled == 0)
        # average of filled neighbours: blur of masked image / blur of mask
        num = cv2.blur(img.astype(np.float32) * filled[..., None], (3, 3))
        den_m = cv2.blur(filled.astype(np.float32), (3, 3))[..., None]
        avg = np.where(den_m > 0, num / np.maximum(den_m, 1e-6), grown)
        img[new] = np.clip(np.round(avg[new]), 0, 255).astype(np.uint8)
        filled = np.maximum(filled, new.astype(np.uint8))
    has_alpha = bool((colors[:, 3] < 255).any())
    image = Image.fromarray(img if has_alpha else img[..., :3], mode="RGBA" if has_alpha else "RGB")
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=image, metallicFactor=0.0, roughnessFactor=0.9)
    out = trimesh.Trimesh(
        vertices=np.asarray(mesh.vertices)[vmapping], faces=faces.astype(np.int64),
        visual=trimesh.visual.TextureVisuals(uv=uvs.astype(np.float64), material=material),
        process=False, validate=False,
    )
    return out


def texture_limit(options, scene, mesh: trimesh.Trimesh | None = None) -> int:
    """Texture side to bake ``mesh`` at: ``options.texture_size`` capped by the profile's limit,
    scaled down (to a power of two, at least 64) for meshes with less surface than the scene's
    largest, so small props do not get the ground's texture budget."""
    cap = (scene.manifest.get("budget") or {}).get("max_texture_size") if scene is not None else None
    size = int(options.texture_size)
    size = min(size, int(cap)) if cap else size
    if mesh is not None and scene is not None:
        areas = [float(layer.mesh.area) for layer in scene.layers if layer.mesh is not None]
        biggest = max(areas) if areas else 0.0
        if biggest > 0 and mesh.area < biggest:
            want = size * (float(mesh.area) / biggest) ** 0.5
            size = max(min(64, size), min(size, 1 << int(np.ceil(np.log2(max(want, 1.0))))))
    return size


def should_bake(options, scene) -> bool:
    """Baking is on when asked for, or by default when the profile wants textures."""
    if options.bake_textures is not None:
        return bool(options.bake_textures)
    return bool(scene is not None and (scene.manifest.get("budget") or {}).get("bake_textures"))


def maybe_bake(mesh: trimesh.Trimesh, options, scene) -> trimesh.Trimesh:
    """``mesh`` baked to a texture when :func:`should_bake`, otherwise unchanged."""
    if not should_bake(options, scene):
        return mesh
    return bake_vertex_colors(mesh, size=texture_limit(options, scene, mesh))
