"""Synthetic scenes with exactly known depth, for tests and benchmarks of the lifting code.

A ground plane, a few coloured boxes and a gradient sky, ray cast with open3d: every pixel's
colour, z-depth and object label is known, so warping, geometric depth and the warp-and-inpaint
loop can be measured against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marble.camera import Camera


@dataclass
class SyntheticScene:
    """Boxes on a ground plane. ``boxes`` rows: ``(cx, cz, width, height, depth)`` in metres."""

    boxes: np.ndarray
    colors: np.ndarray  # [B, 3]
    ground_color: tuple[float, float, float] = (0.42, 0.36, 0.28)
    ground_size: float = 400.0

    @classmethod
    def random(cls, *, seed: int = 0, n: int = 4, spread: float = 6.0) -> "SyntheticScene":
        rng = np.random.default_rng(seed)
        boxes = np.stack([
            rng.uniform(-spread, spread, n), rng.uniform(3.0, 3.0 + 2 * spread, n),
            rng.uniform(0.6, 2.0, n), rng.uniform(0.8, 3.0, n), rng.uniform(0.6, 2.0, n),
        ], 1)
        colors = rng.uniform(0.05, 0.9, (n, 3))
        colors[:, 2] *= 0.6  # keep boxes from looking like sky
        return cls(boxes=boxes, colors=colors)

    def render(self, camera: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ray cast the scene.

        Returns:
            ``rgb [H, W, 3]`` float32, ``depth [H, W]`` float32 (``inf`` for sky) and
            ``labels [H, W]`` int32 (``-1`` sky, ``0`` ground, ``1 + i`` box ``i``).
        """
        import open3d as o3d
        import trimesh

        scene = o3d.t.geometry.RaycastingScene()
        g = self.ground_size
        gv = np.array([[-g, 0, -g], [g, 0, -g], [g, 0, g], [-g, 0, g]], np.float32)
        gf = np.array([[0, 2, 1], [0, 3, 2]], np.uint32)
        scene.add_triangles(o3d.core.Tensor(gv), o3d.core.Tensor(gf))
        for cx, cz, bw, bh, bd in self.boxes:
            box = trimesh.creation.box(extents=(bw, bh, bd))
            box.apply_translation((cx, bh / 2, cz))
            scene.add_triangles(o3d.core.Tensor(box.vertices.astype(np.float32)),
                                o3d.core.Tensor(box.faces.astype(np.uint32)))
        o, dirs = camera.pixel_rays()
        h, w = camera.height, camera.width
        rays = np.concatenate([np.broadcast_to(o, dirs.shape), dirs], -1).reshape(-1, 6).astype(np.float32)
        hit = scene.cast_rays(o3d.core.Tensor(rays))
        t = hit["t_hit"].numpy().reshape(h, w).astype(np.float64)
        gid = hit["geometry_ids"].numpy().reshape(h, w).astype(np.int64)
        normal = hit["primitive_normals"].numpy().reshape(h, w, 3)
        found = np.isfinite(t)
        labels = np.where(found, gid, -1).astype(np.int32)
        pts = o + dirs * np.where(found, t, 0)[..., None]
        rgb = np.zeros((h, w, 3), np.float32)
        # ground: a soft checker so that it has texture
        chk = ((np.floor(pts[..., 0]) + np.floor(pts[..., 2])) % 2)[..., None]
        ground_rgb = np.asarray(self.ground_color, np.float32) * (0.85 + 0.15 * chk)
        rgb = np.where((labels == 0)[..., None], ground_rgb, rgb)
        shade = 0.75 + 0.25 * np.abs(normal @ np.array([0.3, 0.8, 0.5]))
        for i, c in enumerate(self.colors):
            rgb = np.where((labels == i + 1)[..., None], np.asarray(c, np.float32) * shade[..., None], rgb)
        unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
        up = np.clip(unit[..., 1:2], 0, 1) ** 0.5
        sky = np.array([0.75, 0.85, 0.97], np.float32) * (1 - up) + np.array([0.35, 0.55, 0.9], np.float32) * up
        rgb = np.where((labels == -1)[..., None], sky, rgb)
        depth = np.where(found, t, np.inf).astype(np.float32)
        return np.clip(rgb, 0, 1).astype(np.float32), depth, labels
