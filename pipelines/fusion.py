"""Fuse views (camera + colour + depth + layer ids) into per-layer Gaussian splats.

Every pixel with a finite depth is lifted to a world point with a normal and a footprint (the
patch of surface it covers: ``depth / focal`` across, ``/ cos(angle)`` along the slant). Points are
merged on a multi-level voxel grid: level 0 is ``preset.voxel_size``; a point goes to the finest
level whose cell is at least its footprint, so near surfaces merge to the voxel size and far ones
merge the pixels different views saw of the same patch. Each cell becomes one FLAT splat lying in
the surface (two wide axes in the tangent plane sized to the cell / footprint, a thin one along the
normal), coloured by the confidence-weighted mean of its pixels. Splats keep the layer of their
pixels (cells never mix layers). Above ``preset.max_splats`` the least important (fewest pixels
covered) are dropped. Rays that hit nothing paint a far dome of splats: the sky layer.

``fusion_psnr`` re-renders the splats at the source cameras with :func:`marble.render.render`,
composites the same sky behind them and reports PSNR against the source views.
``tsdf_meshes`` integrates the depth views into a TSDF per layer and extracts coloured meshes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from marble.errors import InputError
from marble.gaussians import Gaussians, rgb_to_sh0
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.view import View
from marble.world import Environment, World
from pipelines.views.edges import silhouette_pixels
from pipelines.views.shading import sky_pixels

SKY_LAYER = "sky"
"""Name of the layer holding the sky dome."""

UNLABELLED_LAYER = "scene"
"""Layer for pixels with depth but no object id (e.g. lifted from a single image)."""

LEVEL_RATIO = math.sqrt(2.0)
"""Cell size ratio between consecutive merge levels (finer steps = less blur, more splats)."""

SPLAT_SIGMA = 0.5
"""Tangent standard deviation of a splat as a fraction of its footprint (one source pixel).

0.36 scored best at the source views (draft forest 29.1 dB) but relied on the renderer's 0.3 px^2
low-pass to close gaps, so the splats fell apart into dots when viewed at a higher resolution than
they were fused at (previews, SuperSplat full screen). 0.5 overlaps on its own (28.4 dB)."""

SPLAT_SIGMA_MERGED = 0.22
"""Extra fraction for cells much larger than a pixel (several merged pixels, no low-pass help)."""

EDGE_SHRINK = 0.4
"""Splats made only from silhouette pixels are this much smaller, so they bleed less past the edge."""

EDGE_WEIGHT = 0.25
"""Merge weight of silhouette pixels (their colour mixes in what lies behind)."""

MAX_STRETCH = 1.5
"""Longest a splat may be along the slant, in footprints (longer ones streak in other views)."""

SPLAT_THICKNESS = 0.08
"""Standard deviation along the normal as a fraction of the smaller tangent one."""

SPLAT_OPACITY = 0.97

MIN_COS = 0.2
"""Grazing-angle clamp: a pixel's footprint stretches at most ``1 / MIN_COS`` along the slant."""

SKY_RADIUS_FACTOR = 10.0
"""Sky dome radius as a multiple of the scene's extent around the cameras."""

SKY_SAMPLE_STRIDE = 3
"""Every n-th sky pixel (per axis) colours the dome; the sky is smooth."""

SKY_MIN_Y = -0.3
"""Lowest direction ``y`` the dome covers (a little below the horizon)."""

_COORD_BITS = 16
_LAYER_BITS = 11
_LEVEL_BITS = 5


@dataclass
class FusionResult:
    """Output of :func:`fuse_views`.

    Attributes:
        gaussians: layer name -> splats in WORLD coordinates.
        sky: the far dome of sky splats (world coordinates), or ``None`` when disabled.
        stats: counts (pixels, splats per layer, merged, pruned), settings and timings in seconds.
    """

    gaussians: dict[str, Gaussians]
    sky: Gaussians | None
    stats: dict = field(default_factory=dict)

    @property
    def num_splats(self) -> int:
        """Splats over all layers, sky included."""
        n = sum(g.num_splats for g in self.gaussians.values())
        return n + (self.sky.num_splats if self.sky is not None else 0)

    def all_gaussians(self, *, include_sky: bool = True) -> Gaussians:
        """Every layer concatenated (in name order), plus the sky when asked."""
        parts = [self.gaussians[k] for k in self.gaussians]
        if include_sky and self.sky is not None:
            parts.append(self.sky)
        return Gaussians.concat(parts)


# ---------------------------------------------------------------------- per-view lifting
@dataclass
class _Samples:
    points: np.ndarray  # [M, 3] float64 world
    normals: np.ndarray  # [M, 3] float32, facing the camera
    tangents: np.ndarray  # [M, 3] float32, the slant direction in the tangent plane
    colors: np.ndarray  # [M, 3] float32
    footprint: np.ndarray  # [M] float32 metres across (fronto-parallel pixel size)
    stretch: np.ndarray  # [M] float32 1 / cos(angle) >= 1
    weight: np.ndarray  # [M] float32 merge weight
    conf: np.ndarray  # [M] float32
    layer: np.ndarray  # [M] int64 global layer index
    edge: np.ndarray  # [M] float32 1 on silhouettes (depth or layer changes next to the pixel)


def _check_views(views) -> list[View]:
    if isinstance(views, View):
        raise InputError("`views` must be a list of View, got a single View: wrap it in a list")
    views = list(views) if views is not None else []
    if not views:
        raise InputError("`views` is empty: render or paint at least one View before fusion")
    for i, v in enumerate(views):
        if not isinstance(v, View):
            raise InputError(f"`views[{i}]` must be a marble.view.View, got {type(v).__name__}")
    return views


def _pixel_grid(view: View) -> tuple[np.ndarray, np.ndarray]:
    cam = view.camera
    v, u = np.meshgrid(np.arange(cam.height, dtype=np.float64) + 0.5,
                       np.arange(cam.width, dtype=np.float64) + 0.5, indexing="ij")
    return u, v


def unproject(view: View) -> np.ndarray:
    """World points of every pixel of a view.

    Args:
        view: a ``View`` with z-depth.
    Returns:
        ``[H, W, 3]`` float64 world points (``inf``/``nan`` where depth is not finite).
    """
    cam = view.camera
    u, v = _pixel_grid(view)
    z = view.depth.astype(np.float64)
    T = cam.T_world_camera.numpy()
    R = T[:3, :3]
    with np.errstate(invalid="ignore"):
        x = ((u - cam.cx) / cam.fx * z)[..., None]
        y = ((v - cam.cy) / cam.fy * z)[..., None]
        return x * R[:, 0] + y * R[:, 1] + z[..., None] * R[:, 2] + T[:3, 3]


def _normals_from_depth(points: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` normals from neighbouring world points (zero where unknown).

    Along each image axis the one-sided difference with the smaller step is used, so normals stay
    right at image borders and next to depth jumps (where a central difference would straddle two
    surfaces).
    """
    p = np.where(valid[..., None], points, 0.0)

    def diff(axis: int) -> tuple[np.ndarray, np.ndarray]:
        fwd = np.zeros_like(p)
        bwd = np.zeros_like(p)
        okf = np.zeros(valid.shape, bool)
        okb = np.zeros(valid.shape, bool)
        if axis == 1:
            fwd[:, :-1] = p[:, 1:] - p[:, :-1]
            okf[:, :-1] = valid[:, 1:] & valid[:, :-1]
            bwd[:, 1:] = p[:, 1:] - p[:, :-1]
            okb[:, 1:] = okf[:, :-1]
        else:
            fwd[:-1] = p[1:] - p[:-1]
            okf[:-1] = valid[1:] & valid[:-1]
            bwd[1:] = p[1:] - p[:-1]
            okb[1:] = okf[:-1]
        nf = np.where(okf, np.linalg.norm(fwd, axis=-1), np.inf)
        nb = np.where(okb, np.linalg.norm(bwd, axis=-1), np.inf)
        use_f = nf <= nb
        return np.where(use_f[..., None], fwd, bwd), np.isfinite(np.minimum(nf, nb))

    dx, okx = diff(1)
    dy, oky = diff(0)
    n = np.cross(dx, dy)
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    ok = okx & oky & valid & (norm[..., 0] > 1e-12)
    n = np.where(ok[..., None], n / np.maximum(norm, 1e-12), 0.0)
    return n.astype(np.float32)


def _lift(view: View, layer_map: np.ndarray) -> _Samples | None:
    cam = view.camera
    conf = view.confidence if view.confidence is not None else np.ones_like(view.depth)
    depth = view.depth
    valid = np.isfinite(depth) & (depth > 0) & (conf > 1e-3)
    if not valid.any():
        return None
    idx = np.flatnonzero(valid.reshape(-1))  # [M]
    T = cam.T_world_camera.numpy()
    R = T[:3, :3]
    x = (((idx % cam.width) + 0.5 - cam.cx) / cam.fx)[:, None]  # [M, 1] camera-frame ray (x, y, 1)
    y = (((idx // cam.width) + 0.5 - cam.cy) / cam.fy)[:, None]
    ray = x * R[:, 0] + y * R[:, 1] + R[:, 2]  # [M, 3] world ray with unit camera z (broadcast, not matmul)
    P = ray * depth.reshape(-1)[idx].astype(np.float64)[:, None] + T[:3, 3]  # [M, 3] world points
    d = ray.astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    if view.normals is not None:
        N = view.normals.reshape(-1, 3)[idx].astype(np.float32)
    else:
        N = _normals_from_depth(unproject(view), valid).reshape(-1, 3)[idx]
    forward = R[:, 2].astype(np.float32)
    missing = np.einsum("ij,ij->i", N, N) < 0.25
    if missing.any():  # unknown normal: face the camera
        N[missing] = -d[missing]
    N /= np.maximum(np.linalg.norm(N, axis=1, keepdims=True), 1e-12)
    dn = np.einsum("ij,ij->i", N, d)
    N[dn > 0] *= -1.0
    cos = np.clip(np.abs(dn), MIN_COS, 1.0).astype(np.float32)
    # slant direction: the view ray projected into the tangent plane
    t = d + np.abs(dn)[:, None] * N  # d - (d.N) N with N facing the camera
    tl = np.linalg.norm(t, axis=1)
    degenerate = tl <= 1e-4  # looking straight at the surface: any tangent will do
    t /= np.maximum(tl, 1e-12)[:, None]
    if degenerate.any():
        nd = N[degenerate]
        alt = np.cross(nd, forward[None, :])
        alt_len = np.linalg.norm(alt, axis=1, keepdims=True)
        alt = np.where(alt_len > 1e-6, alt, np.cross(nd, np.array([[1.0, 0.0, 0.0]], np.float32)))
        t[degenerate] = alt / np.maximum(np.linalg.norm(alt, axis=1, keepdims=True), 1e-12)
    focal = math.sqrt(cam.fx * cam.fy)
    z = depth.reshape(-1)[idx].astype(np.float32)
    foot = (z / focal).astype(np.float32)
    c = conf.reshape(-1)[idx].astype(np.float32)
    ids = view.object_ids.reshape(-1)[idx].astype(np.int64)
    if len(ids) and ids.max() >= len(layer_map) - 1:
        raise InputError(
            f"view {cam.name!r}: `object_ids` go up to {int(ids.max())} but `layer_names` has {len(layer_map) - 1} names"
        )
    layer = np.where(ids >= 0, layer_map[np.clip(ids, 0, None)], layer_map[-1])
    edge = silhouette_pixels(depth, view.object_ids).reshape(-1)[idx]
    return _Samples(
        points=P,
        normals=N,
        tangents=t.astype(np.float32),
        colors=np.clip(view.rgb.reshape(-1, 3)[idx].astype(np.float32), 0.0, 1.0),
        footprint=foot,
        stretch=(1.0 / cos).astype(np.float32),
        weight=(c * cos / np.maximum(foot, 1e-6) * np.where(edge, EDGE_WEIGHT, 1.0)).astype(np.float32),
        conf=c,
        layer=layer,
        edge=edge.astype(np.float32),
    )


def _concat_samples(items: list[_Samples]) -> _Samples:
    return _Samples(**{k: np.concatenate([getattr(s, k) for s in items]) for k in _Samples.__dataclass_fields__})


# ---------------------------------------------------------------------- merging
def _levels(footprint: np.ndarray, offsets: np.ndarray, voxel: float) -> np.ndarray:
    """Merge level per point: the finest cell >= footprint, coarser when coordinates would overflow."""
    ratio = math.log(LEVEL_RATIO)
    lv = np.ceil(np.log(np.maximum(footprint, 1e-9) / voxel) / ratio - 1e-6)
    lim = 2 ** (_COORD_BITS - 1) - 2
    reach = np.max(np.abs(offsets), axis=1)
    lv_range = np.ceil(np.log(np.maximum(reach / (voxel * lim), 1e-12)) / ratio)
    lv = np.maximum(np.maximum(lv, lv_range), 0)
    return np.minimum(lv, 2**_LEVEL_BITS - 1).astype(np.int64)


def _keys_at(offsets: np.ndarray, layer: np.ndarray, level: np.ndarray | int, voxel: float) -> np.ndarray:
    """``[M]`` int64 cell keys packing (level, layer, i, j, k)."""
    level = np.broadcast_to(np.asarray(level, np.int64), layer.shape)
    cell = voxel * LEVEL_RATIO ** level.astype(np.float64)
    ijk = np.floor(offsets / cell[:, None]).astype(np.int64) + 2 ** (_COORD_BITS - 1)
    ijk = np.clip(ijk, 0, 2**_COORD_BITS - 1)
    key = (level << _LAYER_BITS) | layer
    for a in range(3):
        key = (key << _COORD_BITS) | ijk[:, a]
    return key


def _cell_keys(s: _Samples, voxel: float, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell key and cell size per sample.

    A sample whose own level is coarse (a far view) but whose position already lies in a cell that
    finer samples (a near view) occupy joins that finer cell instead of making a coarse splat: the
    near views' detail is not veiled by blurry splats from far ones, and the far pixel still adds
    its (low) weight to the colour.
    """
    offsets = s.points - origin
    level = _levels(s.footprint, offsets, voxel)
    max_level = int(level.max()) if len(level) else 0
    for lv in range(max_level):
        own = level == lv
        if not own.any():
            continue
        coarse = np.flatnonzero(level > lv)
        if not len(coarse):
            break
        occupied = np.sort(_keys_at(offsets[own], s.layer[own], lv, voxel))  # duplicates are harmless
        q = _keys_at(offsets[coarse], s.layer[coarse], lv, voxel)
        pos = np.minimum(np.searchsorted(occupied, q), len(occupied) - 1)
        hit = occupied[pos] == q
        level[coarse[hit]] = lv
    cell = voxel * LEVEL_RATIO ** level.astype(np.float64)
    return _keys_at(offsets, s.layer, level, voxel), cell.astype(np.float32)


def _merge(s: _Samples, voxel: float, origin: np.ndarray) -> dict[str, np.ndarray]:
    key, cell = _cell_keys(s, voxel, origin)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    w = s.weight[order].astype(np.float64)
    wsum = np.add.reduceat(w, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))

    def wmean(a: np.ndarray, dtype=np.float64) -> np.ndarray:
        a = a[order].astype(dtype, copy=False)
        return np.add.reduceat(a * w[:, None].astype(dtype), starts, axis=0) / wsum[:, None].astype(dtype)

    # the best (highest-weight) pixel of each cell gives the normal, slant and footprint
    wmax = np.maximum.reduceat(w, starts)
    is_best = w >= wmax[group]
    first_best = np.flatnonzero(is_best)
    # keep the first best per group
    gb = group[first_best]
    keep = np.r_[True, gb[1:] != gb[:-1]]
    best = order[first_best[keep]]
    return {
        "means": wmean(s.points),
        "colors": np.clip(wmean(s.colors, np.float32), 0.0, 1.0),
        "normals": s.normals[best],
        "tangents": s.tangents[best],
        "footprint": s.footprint[best],
        "stretch": s.stretch[best],
        "cell": cell[order][starts],
        "pixels": np.add.reduceat(s.conf[order].astype(np.float64), starts),
        "layer": s.layer[order][starts],
        "edge": np.minimum.reduceat(s.edge[order], starts),
    }


def _frame_to_quat(t: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``wxyz`` quaternions ``[N, 4]`` of the rotations whose columns are ``t``, ``b``, ``n`` (each ``[N, 3]``)."""
    m00, m10, m20 = t[:, 0], t[:, 1], t[:, 2]
    m01, m11, m21 = b[:, 0], b[:, 1], b[:, 2]
    m02, m12, m22 = n[:, 0], n[:, 1], n[:, 2]
    tr = m00 + m11 + m22
    cands = np.stack([1 + tr, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], axis=1)
    best = np.argmax(cands, axis=1)
    s = 2.0 * np.sqrt(np.maximum(np.take_along_axis(cands, best[:, None], axis=1)[:, 0], 1e-12))  # 4|q_best|
    q = np.empty((len(t), 4), np.float64)
    # one row per case: (w, x, y, z) with the largest component computed from s
    cases = [
        (s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s),
        ((m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s),
        ((m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s),
        ((m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4),
    ]
    for k in range(4):
        q[:, k] = np.select([best == i for i in range(4)], [c[k] for c in cases])
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q.astype(np.float32)


def _flat_splats(means, normals, tangents, sig_t, sig_b, colors, *, opacity: float = SPLAT_OPACITY) -> Gaussians:
    """Flat splats: axes (tangent, bitangent, normal) with std ``sig_t``, ``sig_b``, thin along the normal.

    Args:
        means: ``[N, 3]`` centres; normals, tangents: ``[N, 3]`` (tangents re-orthogonalised here);
        sig_t, sig_b: ``[N]`` standard deviations along the tangent and bitangent; colors: ``[N, 3]``.
    """
    n = np.asarray(normals, np.float64)
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    t = np.asarray(tangents, np.float64)
    t = t - np.sum(t * n, axis=1, keepdims=True) * n
    t = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    b = np.cross(n, t)
    quats = _frame_to_quat(t, b, n)
    sig_t = np.asarray(sig_t, np.float32)
    sig_b = np.asarray(sig_b, np.float32)
    sig_n = np.maximum(SPLAT_THICKNESS * np.minimum(sig_t, sig_b), 1e-5)
    log_scales = np.log(np.maximum(np.stack([sig_t, sig_b, sig_n], axis=1), 1e-8)).astype(np.float32)
    col = torch.from_numpy(np.ascontiguousarray(colors, np.float32))
    m = len(n)
    return Gaussians(
        means=torch.from_numpy(np.ascontiguousarray(means, np.float32)),
        quats=torch.from_numpy(quats),
        log_scales=torch.from_numpy(log_scales),
        opacity_logits=torch.full((m,), float(math.log(opacity / (1 - opacity))), dtype=torch.float32),
        sh0=rgb_to_sh0(col).contiguous(),
    )


# ---------------------------------------------------------------------- sky dome
def _fibonacci_cap(n: int, *, min_y: float, phase: float) -> np.ndarray:
    """``[n, 3]`` near-uniform unit directions with ``y >= min_y``."""
    i = np.arange(n, dtype=np.float64) + 0.5
    y = 1.0 - (1.0 - min_y) * i / n
    r = np.sqrt(np.clip(1 - y * y, 0, 1))
    a = phase + i * math.pi * (3.0 - math.sqrt(5.0))
    return np.stack([r * np.sin(a), y, r * np.cos(a)], axis=1)


def _sky_samples(view: View, *, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """World directions ``[M, 3]`` and colours ``[M, 3]`` of every ``stride``-th sky pixel of a view."""
    cam = view.camera
    depth = view.depth[::stride, ::stride]
    sky = ~np.isfinite(depth)
    if not sky.any():
        return np.zeros((0, 3)), np.zeros((0, 3))
    v, u = np.nonzero(sky)
    u = u * stride + 0.5
    v = v * stride + 0.5
    d = np.stack([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, np.ones_like(u)], axis=1) @ cam.T_world_camera[:3, :3].numpy().T
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return d, view.rgb[::stride, ::stride][sky].astype(np.float64)


def _sky_dome(views: list[View], *, count: int, centre: np.ndarray, radius: float, environment: Environment | None,
              seed: int) -> Gaussians | None:
    if count <= 0:
        return None
    from scipy.spatial import cKDTree

    phase = float(np.random.default_rng(seed).uniform(0, 2 * math.pi))
    dirs = _fibonacci_cap(count, min_y=SKY_MIN_Y, phase=phase)
    tree = cKDTree(dirs)
    acc = np.zeros((count, 3), np.float64)
    cnt = np.zeros(count, np.float64)
    for v in views:
        rd, rgb = _sky_samples(v, stride=SKY_SAMPLE_STRIDE)
        if not len(rd):
            continue
        _, nn = tree.query(rd)
        cnt += np.bincount(nn, minlength=count)
        for c in range(3):
            acc[:, c] += np.bincount(nn, weights=rgb[:, c], minlength=count)
    seen = cnt > 0
    colors = np.zeros((count, 3), np.float64)
    colors[seen] = acc[seen] / cnt[seen, None]
    if not seen.all():
        if environment is not None:
            colors[~seen] = sky_pixels(environment, dirs[~seen])
        elif seen.any():
            _, nn = cKDTree(dirs[seen]).query(dirs[~seen])
            colors[~seen] = colors[seen][nn]
        else:
            colors[~seen] = sky_pixels(Environment(), dirs[~seen])
    spacing = radius * math.sqrt(2 * math.pi * (1 - SKY_MIN_Y) / count)
    sig = np.full(count, 0.6 * spacing, np.float32)
    normals = -dirs.astype(np.float32)
    tang = np.cross(normals, np.array([[0.0, 1.0, 0.0]], np.float32))
    bad = np.linalg.norm(tang, axis=1) < 1e-6
    tang[bad] = np.array([1.0, 0.0, 0.0], np.float32)
    return _flat_splats(centre + dirs * radius, normals, tang, sig, sig, colors, opacity=0.99)


# ---------------------------------------------------------------------- public API
def fuse_views(
    views: list[View],
    *,
    preset: Preset | str,
    seed: int,
    environment: Environment | None = None,
    progress: ProgressFn | None = None,
    sky: bool = True,
) -> FusionResult:
    """Fuse views into flat, surface-aligned splats per layer plus a sky dome.

    Args:
        views: ``View`` objects (any source); pixels with finite depth and ``confidence > 0`` are
            fused, merges are weighted by confidence, view angle and resolution.
        preset: ``voxel_size`` (finest merge cell, metres), ``max_splats`` (cap over all layers,
            sky excluded), ``sky_splats`` (dome size).
        seed: seeds the dome's azimuth phase and the tie-break of the splat cap; same views,
            preset and seed give the same splats bit for bit.
        environment: fills sky directions no view saw; ``None`` uses the nearest seen sky colour.
        progress: ``(stage, fraction, message)`` callback, stage ``"fusion"``.
        sky: build the sky dome.
    Returns:
        :class:`FusionResult` with world-frame ``gaussians`` per layer name, ``sky`` and ``stats``.

    Raises:
        InputError: no views, a non-View item, or views without a single finite depth.
    """
    t_start = time.perf_counter()
    views = _check_views(views)
    preset = get_preset(preset)
    voxel = float(preset.voxel_size)
    if not (math.isfinite(voxel) and voxel > 0):
        raise InputError(f"`preset.voxel_size` must be a positive number of metres, got {voxel}")
    report(progress, "fusion", 0.0)

    names: list[str] = []
    index: dict[str, int] = {}

    def layer_id(name: str) -> int:
        if name not in index:
            index[name] = len(names)
            names.append(name)
        return index[name]

    lifted: list[_Samples] = []
    pixels_total = 0
    for i, v in enumerate(views):
        layer_map = np.array([layer_id(n) for n in v.layer_names] + [layer_id(UNLABELLED_LAYER)], np.int64)
        s = _lift(v, layer_map)
        pixels_total += v.depth.size
        if s is not None:
            lifted.append(s)
        report(progress, "fusion", 0.5 * (i + 1) / len(views), "lifting pixels")
    if not lifted:
        raise InputError("`views` have no pixel with a finite depth and positive confidence: nothing to fuse")
    if len(names) >= 2**_LAYER_BITS:
        raise InputError(f"`views` name {len(names)} layers; fusion supports at most {2**_LAYER_BITS - 1}")
    t_lift = time.perf_counter()
    samples = _concat_samples(lifted)
    del lifted
    cam_pos = np.stack([v.camera.position.numpy() for v in views])
    origin = np.floor(cam_pos.mean(axis=0) / voxel) * voxel  # grid anchored on a voxel corner
    merged = _merge(samples, voxel, origin)
    n_points = len(samples.points)
    del samples
    t_merge = time.perf_counter()
    report(progress, "fusion", 0.75, "merging")

    n_cells = len(merged["pixels"])
    keep = np.arange(n_cells)
    if n_cells > preset.max_splats:
        # importance: pixels covered across all views; ties broken by a seeded shuffle, so pruning
        # thins evenly instead of favouring one corner of the grid
        tie = np.random.default_rng(seed).random(n_cells)
        order = np.lexsort((tie, -merged["pixels"]))
        keep = np.sort(order[: preset.max_splats])
    size = np.maximum(merged["cell"], merged["footprint"])
    edge = merged["edge"] > 0
    shrink = np.where(edge, EDGE_SHRINK, 1.0)  # cells seen only on silhouettes
    stretch = np.where(edge, 1.0, np.minimum(merged["stretch"], MAX_STRETCH))
    # splats about one source pixel wide lean on the renderer's 0.3 px^2 low-pass to close gaps;
    # cells holding several pixels (near surfaces) need wider ones to overlap their neighbours
    frac = SPLAT_SIGMA + SPLAT_SIGMA_MERGED * (1.0 - np.clip(merged["footprint"] / size, 0.0, 1.0))
    sig_t = frac * shrink * np.maximum(merged["cell"], merged["footprint"] * stretch)
    sig_b = frac * shrink * size
    layer_of = merged["layer"][keep]
    gaussians: dict[str, Gaussians] = {}
    counts: dict[str, int] = {}
    for li in np.unique(layer_of):
        sel = keep[layer_of == li]
        g = _flat_splats(merged["means"][sel], merged["normals"][sel], merged["tangents"][sel], sig_t[sel],
                         sig_b[sel], merged["colors"][sel])
        gaussians[names[int(li)]] = g
        counts[names[int(li)]] = g.num_splats
    gaussians = {k: gaussians[k] for k in sorted(gaussians)}
    t_splat = time.perf_counter()

    dome = None
    radius = 0.0
    if sky:
        centre = cam_pos.mean(axis=0)
        dist = np.linalg.norm(merged["means"] - centre, axis=1)
        extent = float(np.percentile(dist, 98)) if len(dist) else 10.0
        radius = max(SKY_RADIUS_FACTOR * extent, 50.0)
        dome = _sky_dome(views, count=int(preset.sky_splats), centre=centre, radius=radius,
                         environment=environment, seed=seed)
    t_end = time.perf_counter()
    report(progress, "fusion", 1.0, f"{len(keep):,} splats")
    stats = {
        "views": len(views),
        "pixels": int(pixels_total),
        "surface_pixels": int(n_points),
        "cells": int(n_cells),
        "merged": int(n_points - n_cells),
        "pruned": int(n_cells - len(keep)),
        "splats": int(len(keep)),
        "splats_per_layer": counts,
        "sky_splats": 0 if dome is None else dome.num_splats,
        "sky_radius": radius,
        "voxel_size": voxel,
        "timings": {
            "lift": t_lift - t_start,
            "merge": t_merge - t_lift,
            "splats": t_splat - t_merge,
            "sky": t_end - t_splat,
            "total": t_end - t_start,
        },
    }
    return FusionResult(gaussians=gaussians, sky=dome, stats=stats)


def _gaussians_of(source, include_sky: bool) -> tuple[Gaussians, Environment | None]:
    if isinstance(source, World):
        names = [n for n in source.layer_names if include_sky or n != SKY_LAYER]
        return source.gaussians(layers=names), source.environment
    if isinstance(source, FusionResult):
        return source.all_gaussians(include_sky=include_sky), None
    if isinstance(source, dict):
        return Gaussians.concat([g for k, g in source.items() if include_sky or k != SKY_LAYER]), None
    if isinstance(source, Gaussians):
        return source, None
    raise InputError(
        f"`world_or_gaussians` must be a World, FusionResult, dict of Gaussians or Gaussians, got {type(source).__name__}"
    )


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two images in [0, 1] (``inf`` when identical)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


def rerender(gaussians: Gaussians, view: View, *, environment: Environment | None) -> np.ndarray:
    """Render splats at a view's camera and composite its sky behind them.

    Returns:
        ``[H, W, 3]`` float32 RGB. Behind the splats: ``sky_pixels(environment)`` when given, else
        the source view's own sky pixels (black where it had geometry).
    """
    from marble.render import render

    out = render(gaussians, [view.camera])
    rgb = out.colors[0].numpy()
    alpha = out.alphas[0].numpy()
    if environment is not None:
        bg = sky_pixels(environment, view.camera.ray_directions().numpy())
    else:
        bg = np.where(np.isfinite(view.depth)[..., None], 0.0, view.rgb).astype(np.float32)
    return np.clip(rgb + (1.0 - alpha) * bg, 0.0, 1.0).astype(np.float32)


def fusion_psnr(world_or_gaussians, views: list[View], *, environment: Environment | None = None,
                include_sky: bool = False) -> dict:
    """How faithfully the splats reproduce the views they were fused from.

    Args:
        world_or_gaussians: a ``World`` (its visible layers; the ``sky`` layer is left out unless
            ``include_sky``), a ``FusionResult``, a dict of ``Gaussians`` or one ``Gaussians``.
        views: the source views; each is re-rendered at its camera with ``marble.render.render``.
        environment: sky composited behind the splats (defaults to the World's environment; without
            one the source views' own sky pixels are used).
        include_sky: render the sky dome splats too.
    Returns:
        ``{"per_view": [dB...], "names": [...], "mean": dB, "min": dB}``.
    """
    views = _check_views(views)
    g, env = _gaussians_of(world_or_gaussians, include_sky)
    if environment is None:
        environment = env
    if g.num_splats == 0:
        raise InputError("`world_or_gaussians` holds no splats to render")
    per_view = [psnr(rerender(g, v, environment=environment), v.rgb) for v in views]
    finite = [p for p in per_view if math.isfinite(p)] or [99.0]
    return {
        "per_view": per_view,
        "names": [v.camera.name for v in views],
        "mean": float(np.mean(finite)),
        "min": float(min(per_view)),
    }


# ---------------------------------------------------------------------- TSDF meshes
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

    views = _check_views(views)
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
