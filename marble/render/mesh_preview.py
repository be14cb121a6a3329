"""Mesh previews by ray casting (open3d ``RaycastingScene``) with Marble's Camera type.

The same Camera renders a layer's splats (:func:`marble.render.render`) and its mesh here, so the
two can be shown side by side.
"""

from __future__ import annotations

import numpy as np
import trimesh

from marble.camera import Camera
from marble.errors import InputError


def _vertex_or_face_colors(mesh: trimesh.Trimesh, tri: np.ndarray, bary: np.ndarray, uv_hit: np.ndarray) -> np.ndarray:
    """Base colours ``[M, 3]`` in [0, 1] at hit points on ``mesh``."""
    vis = mesh.visual
    kind = getattr(vis, "kind", None)
    if kind == "texture":
        uv = getattr(vis, "uv", None)
        mat = getattr(vis, "material", None)
        image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
        if uv is not None and image is not None:
            tex = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
            f = mesh.faces[tri]  # [M, 3]
            uvs = (uv[f] * bary[..., None]).sum(axis=1)  # [M, 2]
            h, w = tex.shape[:2]
            u = np.clip((uvs[:, 0] % 1.0) * (w - 1), 0, w - 1).round().astype(np.int64)
            v = np.clip((1.0 - uvs[:, 1] % 1.0) * (h - 1), 0, h - 1).round().astype(np.int64)
            return tex[v, u]
        color = getattr(mat, "main_color", None)
        if color is not None:
            return np.broadcast_to(np.asarray(color[:3], np.float32) / 255.0, (len(tri), 3)).copy()
        return np.full((len(tri), 3), 0.7, np.float32)
    if kind == "vertex":
        vc = np.asarray(vis.vertex_colors, np.float32)[:, :3] / 255.0
        return (vc[mesh.faces[tri]] * bary[..., None]).sum(axis=1)
    if kind == "face":
        return np.asarray(vis.face_colors, np.float32)[tri, :3] / 255.0
    return np.full((len(tri), 3), 0.7, np.float32)


def raycast_meshes(
    meshes,
    camera: Camera,
    *,
    shade: bool = True,
    background=(0.0, 0.0, 0.0),
) -> dict:
    """Ray-cast meshes from one camera.

    Args:
        meshes: ``{name: trimesh.Trimesh}`` in world coordinates, or a World (its visible layers' meshes).
        camera: the pinhole camera (OpenCV axes) to cast from.
        shade: darken by the angle to the view ray (a headlight), so shapes read; else flat base colour.
        background: RGB where no mesh is hit.
    Returns:
        dict with ``rgb [H, W, 3]`` float32 in [0, 1], ``depth [H, W]`` float32 camera z (``inf`` on a miss),
        ``ids [H, W]`` int32 index into ``names`` (``-1`` on a miss), ``normals [H, W, 3]`` float32 world
        normals facing the camera, ``names`` list of mesh names.

    Raises:
        InputError: not a mesh dict or World, a non-Camera ``camera``, or no triangles to cast against.
    """
    import open3d as o3d  # lazy: heavy import

    from marble.world import World

    if isinstance(meshes, World):
        meshes = meshes.meshes()
    if not isinstance(meshes, dict):
        raise InputError(f"`meshes` must be a dict of name -> trimesh.Trimesh or a World, got {type(meshes).__name__}")
    if not isinstance(camera, Camera):
        raise InputError(f"`camera` must be a Camera, got {type(camera).__name__}")
    camera.validate()
    names = [n for n, m in meshes.items() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
    for n, m in meshes.items():
        if not isinstance(m, trimesh.Trimesh):
            raise InputError(f"`meshes[{n!r}]` must be a trimesh.Trimesh, got {type(m).__name__}")
    if not names:
        raise InputError("`meshes` holds no triangles to ray-cast")
    scene = o3d.t.geometry.RaycastingScene()
    geom_to_idx = {}
    for i, n in enumerate(names):
        m = meshes[n]
        gid = scene.add_triangles(
            o3d.core.Tensor(np.asarray(m.vertices, np.float32)), o3d.core.Tensor(np.asarray(m.faces, np.uint32))
        )
        geom_to_idx[int(gid)] = i
    H, W = camera.height, camera.width
    dirs = camera.ray_directions().numpy().reshape(-1, 3)  # [HW, 3] unit, world
    origin = np.broadcast_to(camera.position.numpy().astype(np.float32), dirs.shape)
    rays = o3d.core.Tensor(np.concatenate([origin, dirs], axis=1).astype(np.float32))
    hit = scene.cast_rays(rays)
    t = hit["t_hit"].numpy()
    geom = hit["geometry_ids"].numpy().astype(np.int64)
    prim = hit["primitive_ids"].numpy().astype(np.int64)
    uv = hit["primitive_uvs"].numpy()
    normals = hit["primitive_normals"].numpy()
    ok = np.isfinite(t)
    ids = np.full(H * W, -1, np.int32)
    rgb = np.broadcast_to(np.asarray(background, np.float32), (H * W, 3)).copy()
    forward = camera.T_world_camera[:3, 2].numpy().astype(np.float32)
    depth = np.full(H * W, np.inf, np.float32)
    depth[ok] = t[ok] * (dirs[ok] @ forward)
    nrm = np.zeros((H * W, 3), np.float32)
    facing = np.where(((normals * dirs).sum(-1) > 0)[:, None], -normals, normals)
    nrm[ok] = facing[ok]
    for gid, i in geom_to_idx.items():
        sel = ok & (geom == gid)
        if not sel.any():
            continue
        ids[sel] = i
        b = np.stack([1.0 - uv[sel, 0] - uv[sel, 1], uv[sel, 0], uv[sel, 1]], axis=-1).astype(np.float32)
        base = _vertex_or_face_colors(meshes[names[i]], prim[sel], b, uv[sel])
        if shade:
            cos = np.abs((normals[sel] * dirs[sel]).sum(-1, keepdims=True))
            base = base * (0.35 + 0.65 * cos)
        rgb[sel] = base
    return {
        "rgb": np.clip(rgb, 0, 1).reshape(H, W, 3).astype(np.float32),
        "depth": depth.reshape(H, W),
        "ids": ids.reshape(H, W),
        "normals": nrm.reshape(H, W, 3),
        "names": names,
    }
