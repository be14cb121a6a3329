"""TSDF meshes: depth views integrated per layer (open3d VoxelBlockGrid) into vertex-coloured meshes."""

from __future__ import annotations

import math

import numpy as np

from marble.errors import InputError
from marble.view import View
from pipelines.fusion.params import UNLABELLED_LAYER
from pipelines.fusion.samples import check_views


def tsdf_meshes(
    views: list[View],
    *,
    voxel_size: float,
    layers: list[str] | None = None,
    max_depth: float | None = None,
) -> dict:
    """A TSDF-fused, vertex-coloured mesh per layer from depth views (open3d ``VoxelBlockGrid``).

    For layers with no source geometry (image-lifted worlds). Each layer integrates only its own
    pixels, so meshes do not bleed into each other.

    Args:
        views: views with finite depth where there is surface.
        voxel_size: TSDF voxel, metres (truncation is 4 voxels).
        layers: names to mesh (default: every layer some view names, plus ``"scene"`` for unlabelled pixels).
        max_depth: ignore depth beyond this (default: 400 voxels).
    Returns:
        name -> ``trimesh.Trimesh`` in world coordinates with ``visual.vertex_colors``; layers that
        produced no triangles are left out.
    """
    import open3d as o3d
    import trimesh

    views = check_views(views)
    if not (isinstance(voxel_size, (int, float)) and math.isfinite(voxel_size) and voxel_size > 0):
        raise InputError(f"`voxel_size` must be a positive number of metres, got {voxel_size!r}")
    max_depth = float(max_depth) if max_depth is not None else 400.0 * voxel_size
    if layers is None:
        layers = []
        for v in views:
            for n in v.layer_names:
                if n not in layers:
                    layers.append(n)
            if (v.object_ids < 0).any() and np.isfinite(v.depth[v.object_ids < 0]).any() and UNLABELLED_LAYER not in layers:
                layers.append(UNLABELLED_LAYER)
    o3c = o3d.core
    out = {}
    for name in layers:
        grid = o3d.t.geometry.VoxelBlockGrid(
            attr_names=("tsdf", "weight", "color"), attr_dtypes=(o3c.float32, o3c.float32, o3c.float32),
            attr_channels=(1, 1, 3), voxel_size=float(voxel_size), block_resolution=8, block_count=10_000,
            device=o3c.Device("CPU:0"),
        )
        used = 0
        for v in views:
            if name == UNLABELLED_LAYER:
                mask = v.object_ids < 0
            elif name in v.layer_names:
                mask = v.object_ids == v.layer_names.index(name)
            else:
                continue
            depth = np.where(mask & np.isfinite(v.depth) & (v.depth < max_depth), v.depth, 0.0).astype(np.float32)
            if not (depth > 0).any():
                continue
            cam = v.camera
            K = o3c.Tensor(np.array([[cam.fx, 0, cam.cx - 0.5], [0, cam.fy, cam.cy - 0.5], [0, 0, 1]]), o3c.float64)
            E = o3c.Tensor(np.linalg.inv(cam.T_world_camera.numpy()), o3c.float64)
            d_img = o3d.t.geometry.Image(o3c.Tensor(np.ascontiguousarray(depth)))
            c_img = o3d.t.geometry.Image(o3c.Tensor(np.ascontiguousarray(np.clip(v.rgb, 0, 1).astype(np.float32))))
            blocks = grid.compute_unique_block_coordinates(d_img, K, E, 1.0, max_depth)
            grid.integrate(blocks, d_img, c_img, K, E, 1.0, max_depth)
            used += 1
        if not used:
            continue
        m = grid.extract_triangle_mesh(weight_threshold=min(float(used), 1.0) * 0.5).to_legacy()
        if len(m.triangles) == 0:
            continue
        colors = (np.clip(np.asarray(m.vertex_colors), 0, 1) * 255 + 0.5).astype(np.uint8)
        if len(colors) != len(m.vertices):
            colors = np.full((len(m.vertices), 3), 200, np.uint8)
        mesh = trimesh.Trimesh(
            vertices=np.asarray(m.vertices), faces=np.asarray(m.triangles),
            vertex_colors=np.concatenate([colors, np.full((len(colors), 1), 255, np.uint8)], axis=1), process=False,
        )
        out[name] = mesh
    return out
