"""Forward warping of views into new cameras, by ray casting the surfaces they saw.

Each view added to a :class:`SurfaceCache` becomes a triangle mesh over its pixel centres (the
depth map lifted to world space), with triangles that straddle a depth discontinuity removed, so
the mesh covers exactly the surface that view saw. Rendering a new camera casts one ray per pixel
(open3d's Embree ray caster, CPU) and interpolates colour and depth barycentrically at the hit:
warped pixels land where the geometry says with sub-pixel accuracy, and the rays that hit nothing
are exactly the pixels the earlier views did not see (disocclusions and pixels outside their
frustum). Sky pixels (depth ``inf``) are kept on a far sphere so they warp like directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marble.camera import Camera
from marble.errors import InputError

SKY_RADIUS = 1000.0
"""Distance (metres) at which sky pixels are placed on the far sphere; hits beyond 0.5x this are sky."""

DEFAULT_DISCONTINUITY = 0.08
"""Relative disparity jump, not explained by the surface's own slope, above which an edge is cut."""


@dataclass
class WarpResult:
    """What a camera sees of the known surfaces.

    Attributes:
        rgb: ``[H, W, 3]`` float32 colours (0 in holes).
        depth: ``[H, W]`` float32 z-depth in metres; ``inf`` for sky and in holes.
        hole: ``[H, W]`` bool, True where no known surface (nor known sky) was hit.
        sky: ``[H, W]`` bool, True where known sky was hit.
        object_ids: ``[H, W]`` int32 index into ``layer_names``; ``-1`` in holes and sky.
        layer_names: names the ids refer to.
        coverage: fraction of pixels that are not holes.
    """

    rgb: np.ndarray
    depth: np.ndarray
    hole: np.ndarray
    sky: np.ndarray
    object_ids: np.ndarray
    layer_names: list[str]

    @property
    def coverage(self) -> float:
        return float(1.0 - self.hole.mean())


def project(points: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Project world points ``[..., 3]`` -> pixel coordinates ``[..., 2]`` (x, y; pixel centres at +0.5)
    and z-depth ``[...]``."""
    V = np.linalg.inv(camera.T_world_camera.numpy())
    p = points @ V[:3, :3].T + V[:3, 3]
    z = p[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = camera.fx * p[..., 0] / z + camera.cx
        y = camera.fy * p[..., 1] / z + camera.cy
    return np.stack([x, y], -1), z


def _grid_triangles(h: int, w: int) -> np.ndarray:
    """``[2 (H-1)(W-1), 3]`` int64 vertex indices of the two triangles of every pixel-centre quad."""
    idx = np.arange(h * w).reshape(h, w)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
    t1 = np.stack([a, c, b], -1).reshape(-1, 3)
    t2 = np.stack([b, c, d], -1).reshape(-1, 3)
    return np.concatenate([t1, t2], 0)


def _broken(disp: np.ndarray, sky: np.ndarray, ratio_tol: float, axis: int) -> np.ndarray:
    """Which edges between neighbours along ``axis`` cross an occlusion boundary.

    A plane has inverse depth affine in pixel coordinates, so along a surface the disparity of the
    next pixel is predicted by extrapolating the two before it (from either side). An edge is
    broken when the depth ratio across it exceeds ``1 + ratio_tol / 4`` and neither side's
    extrapolation explains the jump to within ``ratio_tol / 4`` (relative): grazing planes (the
    ground near the horizon) stay connected, and so do creases, whose jump is no larger than the
    slope of the faces beside them; occlusion edges are cut.
    """
    a = np.moveaxis(disp, axis, 0)
    s = np.moveaxis(sky, axis, 0)
    d0, d1 = a[:-1], a[1:]
    jump = np.abs(d1 - d0)
    big = np.maximum(d0, d1)
    tol = 0.25 * ratio_tol
    res = np.full(d0.shape, np.inf)
    if a.shape[0] >= 3:
        fwd = np.abs(a[2:] - (2 * a[1:-1] - a[:-2]))  # predicts d1 of edges 1.. from the left
        bwd = np.abs(a[:-2] - (2 * a[1:-1] - a[2:]))  # predicts d0 of edges ..-2 from the right
        res[1:] = np.minimum(res[1:], fwd)
        res[:-1] = np.minimum(res[:-1], bwd)
    slope = np.zeros(d0.shape)
    if a.shape[0] >= 3:
        step = np.abs(a[1:] - a[:-1])  # same as jump; the neighbours' slopes on either side
        slope[1:] = np.maximum(slope[1:], step[:-1])
        slope[:-1] = np.maximum(slope[:-1], step[1:])
    # creases (a box's corner) jump by no more than the faces' own slopes; occlusions jump much more
    broken = (jump > tol * big) & (res > tol * big) & (jump > 2.0 * slope)
    broken |= s[:-1] != s[1:]
    return np.moveaxis(broken, 0, axis)


def _continuous_triangles(depth: np.ndarray, sky: np.ndarray, ratio_tol: float) -> np.ndarray:
    """``[2 (H-1)(W-1)]`` bool: triangles of :func:`_grid_triangles` that do not span an occlusion edge."""
    with np.errstate(divide="ignore"):
        disp = np.where(sky, 0.0, 1.0 / depth)
    bh = _broken(disp, sky, ratio_tol, axis=1)  # [H, W-1]: (i, j)-(i, j+1)
    bv = _broken(disp, sky, ratio_tol, axis=0)  # [H-1, W]: (i, j)-(i+1, j)
    # triangle 1 (a, c, b): edges a-c (vertical at j) and a-b (horizontal at row i)
    t1 = ~(bv[:, :-1] | bh[:-1, :])
    # triangle 2 (b, c, d): edges b-d (vertical at j+1) and c-d (horizontal at row i+1)
    t2 = ~(bv[:, 1:] | bh[1:, :])
    return np.concatenate([t1.reshape(-1), t2.reshape(-1)])


class SurfaceCache:
    """The surfaces seen so far, as meshes a new camera can be ray cast against."""

    def __init__(self, *, discontinuity: float = DEFAULT_DISCONTINUITY) -> None:
        import open3d as o3d  # lazy: heavy import

        self._o3d = o3d
        self._scene = o3d.t.geometry.RaycastingScene()
        self.discontinuity = float(discontinuity)
        self.layer_names: list[str] = []
        self._colors: list[np.ndarray] = []  # per geometry: [V, 3] float32
        self._ids: list[np.ndarray] = []  # per geometry: [V] int32 (global layer index, -2 for sky)
        self._tris: list[np.ndarray] = []  # per geometry: [T, 3]
        self.num_triangles = 0

    def _layer_index(self, name: str) -> int:
        if name not in self.layer_names:
            self.layer_names.append(name)
        return self.layer_names.index(name)

    def add(
        self,
        rgb: np.ndarray,  # [H, W, 3]
        depth: np.ndarray,  # [H, W]
        camera: Camera,
        *,
        object_ids: np.ndarray | None = None,  # [H, W]
        layer_names: list[str] | None = None,
        include: np.ndarray | None = None,  # [H, W] bool
    ) -> int:
        """Add the surface one view saw; returns the number of triangles added.

        Args:
            rgb: ``[H, W, 3]`` colours in [0, 1].
            depth: ``[H, W]`` z-depth in metres, ``inf`` for sky.
            camera: the view's camera.
            object_ids: ``[H, W]`` ids into ``layer_names`` (``-1``: none); default all ``-1``.
            layer_names: names for ``object_ids``.
            include: ``[H, W]`` bool; only triangles whose three corners are included are added.
        """
        d = camera.check_depth(depth)
        h, w = d.shape
        rgb = np.asarray(rgb, dtype=np.float32)
        if rgb.shape != (h, w, 3):
            raise InputError(f"`rgb` must have shape [{h}, {w}, 3], got {list(rgb.shape)}")
        if h < 2 or w < 2:
            raise InputError("views must be at least 2x2 pixels to be warped")
        o, dirs = camera.pixel_rays()
        sky = ~np.isfinite(d)
        unit = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
        pts = np.where(sky[..., None], o + unit * SKY_RADIUS, o + dirs * np.where(sky, 0.0, d)[..., None])
        ids = np.full((h, w), -1, np.int32) if object_ids is None else np.asarray(object_ids, np.int32)
        names = list(layer_names or [])
        lut = np.array([self._layer_index(n) for n in names] + [-1], np.int32)
        gid = lut[np.where((ids >= 0) & (ids < len(names)), ids, len(names))]
        gid = np.where(sky, -2, gid).astype(np.int32)

        tris = _grid_triangles(h, w)
        keep = _continuous_triangles(d, sky, self.discontinuity)
        if include is not None:
            inc = np.asarray(include, bool).reshape(-1)
            keep &= inc[tris].all(1)
        tris = tris[keep]
        if len(tris) == 0:
            return 0
        used, inverse = np.unique(tris, return_inverse=True)
        tris_local = inverse.reshape(-1, 3).astype(np.uint32)
        verts = pts.reshape(-1, 3)[used].astype(np.float32)
        o3c = self._o3d.core
        self._scene.add_triangles(o3c.Tensor(verts), o3c.Tensor(tris_local))
        self._colors.append(rgb.reshape(-1, 3)[used])
        self._ids.append(gid.reshape(-1)[used])
        self._tris.append(tris_local.astype(np.int64))
        self.num_triangles += len(tris_local)
        return len(tris_local)

    def render(self, camera: Camera) -> WarpResult:
        """Ray cast ``camera`` against every surface added so far."""
        h, w = camera.height, camera.width
        o, dirs = camera.pixel_rays()
        rays = np.concatenate([np.broadcast_to(o, dirs.shape), dirs], -1).reshape(-1, 6).astype(np.float32)
        hit = self._scene.cast_rays(self._o3d.core.Tensor(rays))
        t = hit["t_hit"].numpy().astype(np.float64)
        geom = hit["geometry_ids"].numpy().astype(np.int64)
        prim = hit["primitive_ids"].numpy().astype(np.int64)
        bary_uv = hit["primitive_uvs"].numpy().astype(np.float64)
        found = np.isfinite(t)
        rgb = np.zeros((h * w, 3), np.float32)
        ids = np.full(h * w, -1, np.int32)
        for g in np.unique(geom[found]):
            sel = found & (geom == g)
            corners = self._tris[g][prim[sel]]  # [S, 3]
            u, v = bary_uv[sel, 0], bary_uv[sel, 1]
            wts = np.stack([1.0 - u - v, u, v], -1)  # [S, 3]
            rgb[sel] = (self._colors[g][corners] * wts[..., None]).sum(1)
            ids[sel] = self._ids[g][corners[np.arange(len(corners)), wts.argmax(1)]]
        sky = found & ((ids == -2) | (t > 0.5 * SKY_RADIUS))
        depth = np.where(found & ~sky, t, np.inf).astype(np.float32)
        ids = np.where(ids < 0, -1, ids)
        return WarpResult(
            rgb=np.clip(rgb, 0, 1).reshape(h, w, 3),
            depth=depth.reshape(h, w),
            hole=~found.reshape(h, w),
            sky=sky.reshape(h, w),
            object_ids=ids.reshape(h, w).astype(np.int32),
            layer_names=list(self.layer_names),
        )


def forward_warp(
    rgb: np.ndarray,  # [H, W, 3]
    depth: np.ndarray,  # [H, W]
    src: Camera,
    dst: Camera,
    *,
    object_ids: np.ndarray | None = None,
    layer_names: list[str] | None = None,
    discontinuity: float = DEFAULT_DISCONTINUITY,
) -> WarpResult:
    """Warp one view (``rgb``, ``depth`` seen from ``src``) into camera ``dst``.

    Returns:
        :class:`WarpResult` at ``dst``'s resolution; ``hole`` marks the pixels ``src`` did not see.
    """
    cache = SurfaceCache(discontinuity=discontinuity)
    cache.add(rgb, depth, src, object_ids=object_ids, layer_names=layer_names)
    return cache.render(dst)
