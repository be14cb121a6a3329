"""Render a layout's procedural geometry from any camera with Embree ray casting on the CPU.

:class:`LayoutRenderer` loads every ``SceneGeometry`` (world frame) into one
``open3d.t.geometry.RaycastingScene``; :meth:`LayoutRenderer.render` casts one ray per pixel, looks up
each hit's material part, asks the procedural material for an albedo, casts a shadow ray towards
the sun and shades (see :mod:`pipelines.views.shading`). The result is a ``marble.view.View`` with
z-depth (``inf`` for sky), world normals, per-pixel layer ids and the shaded colour.
"""

from __future__ import annotations

import zlib
from typing import Callable, Sequence

import numpy as np

from marble.camera import Camera
from marble.errors import InputError
from marble.layout import Layout
from marble.progress import ProgressFn, report
from marble.view import View
from pipelines.views.edges import silhouette_pixels
from pipelines.views.shading import (
    environment_for,
    lamp_lights,
    shade,
    sky_pixels,
    sun_strength,
    sun_vector,
)

AlbedoFn = Callable[..., np.ndarray]

_SUBPIXEL = ((-0.25, -0.25), (0.25, 0.25), (0.25, -0.25), (-0.25, 0.25))
"""Rotated-grid-ish sub-pixel offsets (pixels) for silhouette anti-aliasing."""

SMOOTH_NORMAL_COS = 0.85
"""Interpolated vertex normals are used where they stay within ~32 degrees of the face normal."""


def _default_albedo() -> AlbedoFn:
    from pipelines.procedural import (
        albedo,  # lazy: the layout package builds noise tables
    )

    return albedo


def _object_seed(seed: int, name: str) -> int:
    """A per-layer material seed: stable across runs and machines (crc32, not ``hash``)."""
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % (2**31 - 1)


class LayoutRenderer:
    """Ray-cast renderer of procedural scene geometry (the "blockout renderer + procedural painter").

    Args:
        geometry: ``SceneGeometry`` items (``name``, ``mesh`` in the LOCAL frame, ``face_part [F]``,
            ``parts`` with ``material``/``color``, ``T_world_object [4, 4]``). Layer ids in the
            views index ``[g.name for g in geometry]``.
        layout: the layout (its environment's lighting shades the views).
        seed: material pattern seed; the same seed gives identical views.
        albedo_fn: ``albedo(material, color, points [N,3], normals [N,3], *, seed) -> [N,3]``;
            defaults to ``pipelines.procedural.albedo``.
        shadows: cast a shadow ray per lit hit.
        ao_samples: rays per hit for short-range ambient occlusion (0 = off).
        edge_samples: extra sub-pixel rays (0..4) averaged on silhouette pixels (anti-aliasing).
    """

    def __init__(
        self,
        geometry: Sequence,
        layout: Layout,
        *,
        seed: int,
        albedo_fn: AlbedoFn | None = None,
        shadows: bool = True,
        ao_samples: int = 0,
        edge_samples: int = 4,
    ) -> None:
        import open3d as o3d  # lazy: heavy import

        if not geometry:
            raise InputError("`geometry` is empty: build it with pipelines.procedural.build_scene_geometry(layout)")
        self._o3d = o3d
        self.layout = layout
        self.seed = int(seed)
        self.environment = environment_for(layout)
        self.lighting = layout.environment.lighting
        self.lamps = lamp_lights(layout)  # [K, 7], empty in daylight
        self.albedo_fn = albedo_fn if albedo_fn is not None else _default_albedo()
        self.shadows = bool(shadows)
        self.ao_samples = int(ao_samples)
        self.edge_samples = int(np.clip(edge_samples, 0, len(_SUBPIXEL)))
        self.layer_names: list[str] = [g.name for g in geometry]
        if len(set(self.layer_names)) != len(self.layer_names):
            raise InputError("`geometry` has duplicate layer names; each SceneGeometry needs a unique `name`")

        self.scene = o3d.t.geometry.RaycastingScene()
        face_offset = [0]
        vert_offset = 0
        faces_all, vnormals_all, part_all, verts_all = [], [], [], []
        self._parts: list[tuple[str, tuple, int]] = []  # global part id -> (material, colour, seed)
        for gi, g in enumerate(geometry):
            mesh = g.mesh
            T = np.asarray(g.T_world_object, dtype=np.float64)
            if T.shape != (4, 4) or not np.isfinite(T).all():
                raise InputError(f"geometry {g.name!r}: `T_world_object` must be a finite 4x4 matrix")
            V = np.asarray(mesh.vertices, dtype=np.float64) @ T[:3, :3].T + T[:3, 3]
            F = np.asarray(mesh.faces, dtype=np.int64)
            face_part = np.asarray(g.face_part, dtype=np.int64).reshape(-1)
            if face_part.shape[0] != F.shape[0]:
                raise InputError(
                    f"geometry {g.name!r}: `face_part` has {face_part.shape[0]} entries for {F.shape[0]} faces"
                )
            if len(F) and (face_part.min() < 0 or face_part.max() >= len(g.parts)):
                raise InputError(f"geometry {g.name!r}: `face_part` indexes outside its {len(g.parts)} parts")
            gid = self.scene.add_triangles(
                o3d.core.Tensor(V.astype(np.float32)), o3d.core.Tensor(F.astype(np.uint32))
            )
            if gid != gi:  # open3d numbers geometries in insertion order
                raise RuntimeError(f"unexpected open3d geometry id {gid} for index {gi}")
            vn = _vertex_normals(V, F)
            oseed = _object_seed(self.seed, g.name)
            part_base = len(self._parts)
            for p in g.parts:
                self._parts.append((p.material, tuple(float(c) for c in p.color), oseed))
            faces_all.append(F + vert_offset)
            verts_all.append(V)
            vnormals_all.append(vn)
            part_all.append(face_part + part_base)
            vert_offset += len(V)
            face_offset.append(face_offset[-1] + len(F))
        self._face_offset = np.asarray(face_offset, dtype=np.int64)
        self._faces = np.concatenate(faces_all) if faces_all else np.zeros((0, 3), np.int64)
        self._vnormals = np.concatenate(vnormals_all).astype(np.float32)
        self._verts = np.concatenate(verts_all)  # [V, 3] float64 world
        self._face_part = np.concatenate(part_all)

    # ------------------------------------------------------------------ surfaces
    @property
    def num_faces(self) -> int:
        """Faces over all layers (global face index ``face_offset[layer] + face``)."""
        return int(self._face_offset[-1])

    def world_triangles(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """``(vertices [V, 3] float64 world, faces [F, 3] int64 global vertex ids)`` of one layer."""
        a, b = self._face_offset[layer], self._face_offset[layer + 1]
        return self._verts, self._faces[a:b]

    def face_offset(self, layer: int) -> int:
        """Global index of the first face of ``layer``."""
        return int(self._face_offset[layer])

    def cast(self, origins: np.ndarray, dirs: np.ndarray) -> dict[str, np.ndarray]:
        """Cast rays ``origins [N, 3]`` (or one ``[3]``) along unit ``dirs [N, 3]``; open3d's hit arrays
        (``t_hit``, ``geometry_ids``, ``primitive_ids``, ``primitive_normals``...)."""
        return self._cast(origins, dirs)

    def shade_surface(self, gface: np.ndarray, uv: np.ndarray, points: np.ndarray, outward: np.ndarray,
                      distances: np.ndarray, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Colour surface points as a view seeing them from outside their face would.

        Args:
            gface: ``[N]`` global face index of each point.
            uv: ``[N, 2]`` barycentric weights of the face's 2nd and 3rd vertex.
            points: ``[N, 3]`` world positions.
            outward: ``[N, 3]`` unit face normals on the side a viewer sees.
            distances: ``[N]`` metres to the viewer (for fog).
            offsets: ``[K, N, 3]`` world offsets: the albedo is averaged over ``points + offsets[k]``
                (a prefilter over the patch a splat covers, so patterns finer than it average out
                instead of aliasing).
        Returns:
            ``rgb [N, 3]`` float32 and the shading normals ``[N, 3]`` (smooth where the mesh is).
        """
        outward = np.asarray(outward, np.float32)
        nrm = self._normals(gface, outward, uv.astype(np.float32), -outward)
        gpart = self._face_part[gface]
        if offsets is None or not len(offsets):
            alb = self._albedo(gpart, points, nrm)
        else:
            alb = np.zeros((len(points), 3), np.float32)
            for off in offsets:
                alb += self._albedo(gpart, points + off, nrm)
            alb /= np.float32(len(offsets))
        vis = self._sun_visibility(points, nrm) if self.shadows else None
        rgb = shade(alb, nrm, distances, lighting=self.lighting, sun_visible=vis,
                    ground_color=self.environment.ground_color, points=points, lamps=self.lamps)
        return rgb, nrm

    # ------------------------------------------------------------------ rendering
    def render(self, camera: Camera) -> View:
        """Render one view.

        Args:
            camera: where to look from (OpenCV convention).
        Returns:
            ``View`` with ``rgb [H, W, 3]`` shaded colour, ``depth [H, W]`` z-depth (``inf`` for sky),
            ``normals [H, W, 3]`` world normals (zero for sky), ``object_ids [H, W]`` (index into
            ``layer_names``, ``-1`` for sky) and ``confidence [H, W]`` (1 on geometry, 0 on sky).
        """
        camera.validate()
        h, w = camera.height, camera.width
        dirs = camera.ray_directions_flat()  # [HW, 3] world, unit
        origin = camera.position.numpy().astype(np.float32)
        forward = camera.T_world_camera[:3, 2].numpy().astype(np.float32)
        rgb, t, gid, nrm = self._trace(origin, dirs)
        hit = np.isfinite(t)
        depth = np.where(hit, t * (dirs @ forward), np.inf).astype(np.float32)
        ids = np.where(hit, gid, -1).astype(np.int32)
        if self.edge_samples:
            rgb = self._antialias_edges(camera, origin, rgb, depth.reshape(h, w), ids.reshape(h, w))
        return View(
            camera=camera,
            rgb=rgb.reshape(h, w, 3),
            depth=depth.reshape(h, w),
            object_ids=ids.reshape(h, w),
            layer_names=list(self.layer_names),
            normals=nrm.reshape(h, w, 3),
            confidence=hit.astype(np.float32).reshape(h, w),
            source="procedural",
        )

    def _trace(self, origin: np.ndarray, dirs: np.ndarray):
        """Cast and shade rays ``dirs [M, 3]`` from ``origin [3]``.

        Returns:
            ``rgb [M, 3]``, ``t [M]`` ray distance (``inf`` on a miss), ``gid [M]`` geometry index
            (-1 on a miss), ``normals [M, 3]`` (zero on a miss).
        """
        hits = self._cast(origin, dirs)
        t = hits["t_hit"].astype(np.float32)
        hit = np.isfinite(t)
        n = len(dirs)
        rgb = np.empty((n, 3), np.float32)
        gid_all = np.full(n, -1, np.int64)
        normals = np.zeros((n, 3), np.float32)
        rgb[~hit] = sky_pixels(self.environment, dirs[~hit])
        if hit.any():
            idx = np.nonzero(hit)[0]
            d = dirs[idx]
            th = t[idx]
            gid = hits["geometry_ids"][idx].astype(np.int64)
            prim = hits["primitive_ids"][idx].astype(np.int64)
            gface = self._face_offset[gid] + prim
            points = origin + d * th[:, None]
            nrm = self._normals(gface, hits["primitive_normals"][idx], hits["primitive_uvs"][idx], d)
            alb = self._albedo(self._face_part[gface], points, nrm)
            vis = self._sun_visibility(points, nrm) if self.shadows else None
            occ = self._occlusion(points, nrm) if self.ao_samples > 0 else None
            rgb[idx] = shade(
                alb, nrm, th, lighting=self.lighting, sun_visible=vis, occlusion=occ,
                ground_color=self.environment.ground_color, points=points, lamps=self.lamps,
            )
            gid_all[idx] = gid
            normals[idx] = nrm
        return rgb, t, gid_all, normals

    def _antialias_edges(self, camera: Camera, origin: np.ndarray, rgb: np.ndarray, depth: np.ndarray,
                         ids: np.ndarray) -> np.ndarray:
        """Average ``edge_samples`` sub-pixel rays on silhouette pixels (layer change, sky, depth jump)."""
        edge = silhouette_pixels(depth, ids).reshape(-1)
        if not edge.any():
            return rgb
        idx = np.flatnonzero(edge)
        w = camera.width
        row, col = idx // w, idx % w
        R = camera.T_world_camera[:3, :3].numpy().astype(np.float32)
        k = self.edge_samples
        offsets = np.asarray(_SUBPIXEL[:k], np.float32)  # [k, 2]
        x = ((col[None, :] + 0.5 + offsets[:, :1] - camera.cx) / camera.fx).reshape(-1, 1).astype(np.float32)
        y = ((row[None, :] + 0.5 + offsets[:, 1:] - camera.cy) / camera.fy).reshape(-1, 1).astype(np.float32)
        d = x * R[:, 0] + y * R[:, 1] + R[:, 2]  # [k * E, 3], all sub-pixel rays in one batch
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        sub = self._trace(origin, d)[0].reshape(k, len(idx), 3)
        out = rgb.copy()
        out[idx] = (rgb[idx] + sub.sum(axis=0)) / (1 + k)  # the centre ray counts as one sample
        return out

    # ------------------------------------------------------------------ internals
    def _cast(self, origins: np.ndarray, dirs: np.ndarray) -> dict[str, np.ndarray]:
        rays = np.empty((dirs.shape[0], 6), np.float32)
        rays[:, :3] = origins
        rays[:, 3:] = dirs
        out = self.scene.cast_rays(self._o3d.core.Tensor(rays))
        return {k: v.numpy() for k, v in out.items()}

    def _normals(self, gface, face_n, uv, dirs) -> np.ndarray:
        """Smooth normals where the mesh is smooth, flat ones at creases; flipped to face the ray."""
        face_n = face_n.astype(np.float32)
        tri = self._faces[gface]  # [N, 3]
        u, v = uv[:, 0:1], uv[:, 1:2]
        vn = self._vnormals
        interp = (1 - u - v) * vn[tri[:, 0]] + u * vn[tri[:, 1]] + v * vn[tri[:, 2]]
        interp /= np.maximum(np.linalg.norm(interp, axis=1, keepdims=True), 1e-8)
        use = (np.sum(interp * face_n, axis=1) > SMOOTH_NORMAL_COS)[:, None]
        n = np.where(use, interp, face_n)
        flip = np.sum(n * dirs, axis=1) > 0  # two-sided: face the viewer
        n[flip] = -n[flip]
        return n.astype(np.float32)

    def _albedo(self, gpart: np.ndarray, points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        out = np.empty((len(gpart), 3), np.float32)
        order = np.argsort(gpart, kind="stable")
        sorted_parts = gpart[order]
        starts = np.flatnonzero(np.r_[True, sorted_parts[1:] != sorted_parts[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for a, b in zip(starts, ends):
            sel = order[a:b]
            material, color, oseed = self._parts[int(sorted_parts[a])]
            col = self.albedo_fn(material, color, points[sel], normals[sel], seed=oseed)
            out[sel] = np.clip(np.asarray(col, np.float32).reshape(-1, 3), 0.0, 1.0)
        return out

    def _sun_visibility(self, points: np.ndarray, normals: np.ndarray) -> np.ndarray | None:
        s = sun_vector(self.lighting)
        if sun_strength(self.lighting) <= 0:
            return None
        vis = np.zeros(len(points), np.float32)
        lit = (normals @ s) > 0
        if not lit.any():
            return vis
        p = points[lit]
        eps = 1e-3 * (1.0 + np.linalg.norm(p, axis=1, keepdims=True) * 0.01)
        rays = np.empty((len(p), 6), np.float32)
        rays[:, :3] = p + normals[lit] * eps
        rays[:, 3:] = s
        occluded = self.scene.test_occlusions(self._o3d.core.Tensor(rays)).numpy()
        vis[lit] = (~occluded).astype(np.float32)
        return vis

    def _occlusion(self, points: np.ndarray, normals: np.ndarray, radius: float = 0.6) -> np.ndarray:
        """Fraction of ``ao_samples`` short cosine-ish rays that escape within ``radius`` metres."""
        k = self.ao_samples
        rng = np.random.default_rng(self.seed)
        base = rng.normal(size=(k, 3)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        open_frac = np.zeros(len(points), np.float32)
        for j in range(k):
            d = base[j] + normals  # hemisphere around the normal
            d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-8)
            rays = np.empty((len(points), 6), np.float32)
            rays[:, :3] = points + normals * 1e-3
            rays[:, 3:] = d
            occ = self.scene.test_occlusions(self._o3d.core.Tensor(rays), tfar=radius).numpy()
            open_frac += (~occ).astype(np.float32)
        return 0.35 + 0.65 * open_frac / k


def _vertex_normals(V: np.ndarray, F: np.ndarray) -> np.ndarray:
    """``[V, 3]`` area-weighted vertex normals (zero for unused vertices)."""
    vn = np.zeros_like(V)
    if len(F):
        fn = np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]])  # length = 2 * area
        idx = F.reshape(-1)
        for c in range(3):
            vn[:, c] = np.bincount(idx, weights=np.repeat(fn[:, c], 3), minlength=len(V))
    vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
    return vn


def render_views(
    layout: Layout,
    geometry: Sequence,
    cameras: Sequence[Camera],
    *,
    seed: int,
    progress: ProgressFn | None = None,
    albedo_fn: AlbedoFn | None = None,
) -> list[View]:
    """Render ``cameras`` of a layout's geometry with the procedural painter.

    Args:
        layout: the layout (lighting).
        geometry: ``SceneGeometry`` list from ``pipelines.procedural.build_scene_geometry``.
        cameras: the rig (see :func:`pipelines.views.camera_rig`).
        seed: material seed.
        progress: ``(stage, fraction, message)`` callback, stage ``"views"``.
        albedo_fn: override of ``pipelines.procedural.albedo`` (tests).
    Returns:
        One ``View`` per camera, in order.
    """
    if not cameras:
        raise InputError("`cameras` is empty: pass at least one Camera (see pipelines.views.camera_rig)")
    renderer = LayoutRenderer(geometry, layout, seed=seed, albedo_fn=albedo_fn)
    views = []
    report(progress, "views", 0.0)
    for i, cam in enumerate(cameras):
        views.append(renderer.render(cam))
        report(progress, "views", (i + 1) / len(cameras), f"{i + 1}/{len(cameras)}")
    return views
