"""Coverage from known geometry: splats sampled on every surface a viewer can see, sized by distance.

Where the geometry is known (text and blockout worlds) the splats need not come from views, which
only see what the rig's cameras saw. Every triangle of every layer is tiled with a lattice of flat
splats in its own plane, coloured by the same painter that shades the views (procedural albedo,
sun with a shadow ray, ambient, lamps, fog), so backs of buildings, the floor under furniture,
ceilings and both sides of every object are covered. Works for any mesh the procedural stage makes.

- **Spacing** follows the distance from the walkable region (:mod:`pipelines.views.walkable`):
  ``lam`` inside it and for surfaces within ``NEAR_DISTANCE`` of it, growing in proportion beyond
  (the far field gets metre-sized splats, and no coarser: sampling it 2.5x coarser on top blurred a
  forest's tree lines into blobs, 0.9 dB of eye-level PSNR on the cabin); ``lam`` is the smallest
  spacing (at least the preset's voxel) that keeps the total within the budget.
- **Lattice**: a triangle is tiled from the vertex opposite its longest edge with
  ``ceil(|u| / s) x ceil(|v| / s)`` cells along its two other edges, so long thin triangles (a
  trunk's sides) get cells of the right shape instead of thousands of slivers. Each cell's splat
  has the cell's in-plane covariance (``SIGMA_FRACTION`` of its edge vectors, more for enclosing
  layers), so neighbours overlap with no gaps whatever the viewing distance.
- **Culling**: faces that turn their back on the whole walkable region (outer sides of a room's
  walls, the far side of distant hills), and samples that are buried (in contact with another
  surface: the ground under a house, a box's bottom on a table) or inside a closed mesh get none.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from marble.gaussians import Gaussians
from marble.layout import Layout
from marble.progress import ProgressFn, report
from marble.render.fog import baked_fog_distance
from pipelines.fusion.splats import flat_splats
from pipelines.views.walkable import WalkableRegion, walkable_region

SIGMA_FRACTION = 0.6
"""Splat standard deviation along each lattice edge, as a fraction of the cell edge, on objects: at
0.6 about 5% of what is behind shows between four splats (0.5: 15%), sharper than 0.7 by a third."""

ENCLOSING_SIGMA_FRACTION = 0.7
"""The same for the layers with nothing of the world behind them (``ENCLOSING_LAYERS``: ground, sea,
far field, a room's walls, floor and ceiling): between their splats the sky would show, so they
overlap fully (alpha ~0.99 between splats, and ``1 - exp(-2 pi 0.99 f^2)`` = 0.95 where they are
smaller than a pixel)."""

ENCLOSING_LAYERS = frozenset({"ground", "sea", "water", "far_field", "walls", "floor", "ceiling"})

OPACITY = 0.99
"""Opacity of a surface splat: with :data:`ENCLOSING_SIGMA_FRACTION` the surface reaches alpha ~0.99 between splats."""

MAX_THICKNESS = 0.01
"""Most a surface splat is thick (std along its normal), metres: surfaces are sampled on both sides
where both are seen, so thickness only ever shows edge-on (a far sea's splats at the horizon)."""

SINGLE_SIGMA_FRACTION = 0.38
"""The same for a triangle smaller than one cell (one splat at its centroid spanning it)."""

CONTACT = 0.015
"""A sample whose outward ray hits another surface within this many metres is buried."""

NEAR_DISTANCE = 3.0
"""Metres from the walkable region within which surfaces get the finest spacing; beyond, spacing
grows in proportion to the distance (a splat then covers about the same angle from the nearest viewer)."""

PREFILTER = 0.3
"""A splat's colour is the mean albedo at ``+-PREFILTER`` of its cell's edge vectors from its centre."""


SMALL_FACE = 0.5
"""A face under ``SMALL_FACE x spacing^2`` in area is one of many tiny ones (window panes, far
boxes): only that share of them keep a splat, widened to cover the ones dropped, so a mesh of more
faces than the budget still fits it."""

MAX_SPACING = 250.0
"""Coarsest spacing, metres (the far field at the horizon)."""


def _face_frames(renderer, flips: np.ndarray):
    """Per-face apex-first vertices, edges, outward normals, areas, layers and global ids."""
    V = renderer._verts
    F = renderer._faces
    n_faces = len(F)
    layer = np.repeat(np.arange(len(renderer.layer_names)), np.diff(renderer._face_offset))
    P = V[F]  # [F, 3, 3]
    edge_len = np.stack([np.linalg.norm(P[:, 1] - P[:, 2], axis=1), np.linalg.norm(P[:, 2] - P[:, 0], axis=1),
                         np.linalg.norm(P[:, 0] - P[:, 1], axis=1)], axis=1)  # opposite vertex k
    k = np.argmax(edge_len, axis=1)  # apex: opposite the longest edge
    rows = np.arange(n_faces)
    p0 = P[rows, k]
    p1 = P[rows, (k + 1) % 3]
    p2 = P[rows, (k + 2) % 3]  # cyclic roll keeps the winding
    u = p1 - p0
    v = p2 - p0
    cr = np.cross(u, v)
    area2 = np.linalg.norm(cr, axis=1)
    normal = cr / np.maximum(area2, 1e-18)[:, None]
    normal *= flips[layer][:, None]
    return {"p0": p0, "u": u, "v": v, "apex": k, "normal": normal, "area": 0.5 * area2, "layer": layer,
            "centroid": (p0 + p1 + p2) / 3.0}


def _orientation(geometry) -> np.ndarray:
    """+1 per layer whose closed meshes wind outward (or that is open), -1 where they wind inward."""
    out = np.ones(len(geometry))
    for i, g in enumerate(geometry):
        m = g.mesh
        try:
            if len(m.faces) and m.is_watertight:
                V = np.asarray(m.vertices, np.float64)
                F = np.asarray(m.faces, np.int64)
                vol = np.einsum("ij,ij->i", V[F[:, 0]], np.cross(V[F[:, 1]], V[F[:, 2]])).sum() / 6.0
                if vol < 0:
                    out[i] = -1.0
        except Exception:  # noqa: BLE001 - an odd mesh keeps its winding
            pass
    return out


def _faces_viewer(normal: np.ndarray, points: np.ndarray, region: WalkableRegion) -> np.ndarray:
    """``[N]`` bool: the plane of each face has some of the viewer volume in front of it."""
    ys = (0.0, region.top + region.eye_height + 0.5) if not region.indoor else (0.05, region.top + region.eye_height)
    front = np.zeros(len(normal), bool)
    for x in (region.x0, region.x1):
        for z in (region.z0, region.z1):
            for y in ys:
                q = np.array([x, y, z])
                front |= np.einsum("ij,ij->i", normal, q[None, :] - points) > 0
    return front


def _buried(renderer, points: np.ndarray, normals: np.ndarray, flips: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """``[N]`` bool: a ray out along the normal hits another surface within ``CONTACT`` or a back face."""
    out = np.zeros(len(points), bool)
    for a in range(0, len(points), chunk):
        p = points[a:a + chunk]
        n = normals[a:a + chunk].astype(np.float32)
        eps = 1e-3 * (1.0 + np.linalg.norm(p, axis=1, keepdims=True) * 0.01)
        hits = renderer.cast((p + n * eps).astype(np.float32), n)
        t = hits["t_hit"]
        hit = np.isfinite(t)
        gid = np.where(hit, hits["geometry_ids"], 0).astype(np.int64)
        gid = np.minimum(gid, len(flips) - 1)
        back = np.einsum("ij,ij->i", hits["primitive_normals"] * flips[gid][:, None], n) > 0
        out[a:a + chunk] = hit & ((t < CONTACT) | back)
    return out


def _cells(length: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    return np.maximum(np.ceil(length / spacing - 1e-9), 1).astype(np.int64)


def _small_share(area: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Share of the faces smaller than a cell that keep their one splat (the rest are covered by the
    widened splats of those kept): ``min(1, area / (SMALL_FACE x spacing^2))``."""
    return np.minimum(1.0, area / (SMALL_FACE * spacing * spacing))


def _estimate(fr, spacing: np.ndarray, weight: np.ndarray) -> float:
    m = _cells(np.linalg.norm(fr["u"], axis=1), spacing)
    n = _cells(np.linalg.norm(fr["v"], axis=1), spacing)
    single = (m == 1) & (n == 1)
    cells = np.where(single, _small_share(fr["area"], spacing), m * n / 2.0 + (m + n) / 2.0)
    return float(np.sum(cells * weight))


def _spacing(lam: float, dist: np.ndarray, min_spacing: float) -> np.ndarray:
    return np.clip(lam * np.maximum(1.0, dist / NEAR_DISTANCE), min_spacing, MAX_SPACING)


def fog_view(region: WalkableRegion) -> tuple[tuple[float, float, float, float], float]:
    """``((x0, x1, z0, z1), top)``: the footprint a layer's fog is baked for and the highest eye
    level above y = 0 (``marble.render.fog``: ``baked_fog_distance``, ``live_flag``)."""
    return (region.x0, region.x1, region.z0, region.z1), region.top + region.eye_height


def _solve_spacing(fr, dist, min_spacing: float, weight, budget: int) -> float:
    """The finest base spacing ``lam`` (at least ``min_spacing``) whose expected splat count fits ``budget``."""
    def count(lam: float) -> float:
        return _estimate(fr, _spacing(lam, dist, min_spacing), weight)

    if count(min_spacing) <= budget:
        return float(min_spacing)
    lo, hi = math.log(min_spacing), math.log(MAX_SPACING)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if count(math.exp(mid)) > budget:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def _lattice(fr, faces: np.ndarray, spacing: np.ndarray, rng: np.random.Generator):
    """Sample points of the chosen faces: face index, (a, b) along (u, v), cell counts, whether the
    face has one splat, and that splat's widening (``1 / sqrt(kept share)`` of small faces)."""
    lu = np.linalg.norm(fr["u"][faces], axis=1)
    lv = np.linalg.norm(fr["v"][faces], axis=1)
    m = _cells(lu, spacing)
    n = _cells(lv, spacing)
    single = (m == 1) & (n == 1)
    share = np.where(single, _small_share(fr["area"][faces], spacing), 1.0)
    kept = rng.random(len(faces)) < share
    widen_face = np.where(single, 1.0 / np.sqrt(np.maximum(share, 1e-6)), 1.0)
    per = np.where(single, kept.astype(np.int64), m * n)
    total = int(per.sum())
    fid = np.repeat(np.arange(len(faces)), per)
    start = np.repeat(np.cumsum(per) - per, per)
    local = np.arange(total) - start
    mf, nf = m[fid], n[fid]
    i = local // nf
    j = local % nf
    keep = (i / mf + j / nf < 1.0 - 1e-9) | single[fid]
    fid, i, j, mf, nf = fid[keep], i[keep], j[keep], mf[keep], nf[keep]
    a = (i + 0.5) / mf
    b = (j + 0.5) / nf
    over = np.maximum(a + b - 1.0, 0.0) / 2.0
    a = np.maximum(a - over, 0.0)
    b = np.maximum(b - over, 0.0)
    s1 = single[fid]
    a = np.where(s1, 1.0 / 3.0, a)
    b = np.where(s1, 1.0 / 3.0, b)
    return fid, a, b, mf, nf, s1, widen_face[fid]


def _covariance_axes(cu: np.ndarray, cv: np.ndarray, normal: np.ndarray, frac: np.ndarray):
    """Tangent ``[N, 3]`` and the two in-plane sigmas of ``frac^2 (cu cu^T + cv cv^T)``."""
    lu = np.maximum(np.linalg.norm(cu, axis=1), 1e-12)
    e1 = cu / lu[:, None]
    e2 = np.cross(normal, e1)
    v1 = np.einsum("ij,ij->i", cv, e1)
    v2 = np.einsum("ij,ij->i", cv, e2)
    f2 = frac * frac
    sa = f2 * (lu * lu + v1 * v1)
    sb = f2 * (v1 * v2)
    sc = f2 * (v2 * v2)
    theta = 0.5 * np.arctan2(2 * sb, sa - sc)
    mid = 0.5 * (sa + sc)
    rad = np.sqrt(np.maximum(0.25 * (sa - sc) ** 2 + sb * sb, 0.0))
    sig1 = np.sqrt(np.maximum(mid + rad, 1e-10))
    sig2 = np.sqrt(np.maximum(mid - rad, 1e-10))
    sig2 = np.maximum(sig2, 0.05 * sig1)
    tangent = np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2
    return tangent, sig1, np.maximum(sig2, 1e-4)


def surface_splats(
    geometry,
    layout: Layout,
    *,
    budget: int,
    min_spacing: float,
    seed: int,
    renderer=None,
    live_fog: bool = False,
    progress: ProgressFn | None = None,
) -> tuple[dict[str, Gaussians], dict]:
    """Flat splats on every viewer-facing, unburied surface of ``geometry``, at most ``budget`` of them.

    Args:
        geometry: ``SceneGeometry`` list (``pipelines.procedural.build_scene_geometry``).
        layout: the layout (walkable region, lighting).
        budget: most splats over all layers.
        min_spacing: finest lattice spacing, metres (the preset's ``voxel_size``).
        seed: material seed (the views' seed, so colours agree with them).
        renderer: a :class:`pipelines.views.LayoutRenderer` of the same geometry (built when ``None``).
        live_fog: colour the splats without fog (the renderer adds it by each viewer's distance,
            ``marble.render.fog``); else bake the fog viewers over the walkable region see on average.
        progress: ``(stage, fraction, message)`` callback, stage ``"coverage"``.
    Returns:
        ``({layer name: Gaussians in world coordinates}, stats)``; stats hold the spacing, the
        counts before and after culling and timings.
    """
    from pipelines.views.raycast import LayoutRenderer

    t0 = time.perf_counter()
    report(progress, "coverage", 0.0)
    if renderer is None:
        renderer = LayoutRenderer(geometry, layout, seed=seed, edge_samples=0)
    region = walkable_region(layout)
    flips = _orientation(geometry)
    fr = _face_frames(renderer, flips)
    dist = region.distance(fr["centroid"])
    front = _faces_viewer(fr["normal"], fr["centroid"], region) & (fr["area"] > 1e-12)
    # visible share of each face, from its centroid and three inner points
    cand = np.flatnonzero(front)
    probes = []
    for a, b in ((1 / 3, 1 / 3), (2 / 3, 1 / 6), (1 / 6, 2 / 3), (1 / 6, 1 / 6)):
        probes.append(fr["p0"][cand] + a * fr["u"][cand] + b * fr["v"][cand])
    pts = np.concatenate(probes)
    nrm = np.tile(fr["normal"][cand], (4, 1))
    vis = (~_buried(renderer, pts, nrm, flips)).reshape(4, -1).mean(axis=0)
    weight = np.zeros(len(dist))
    weight[cand] = vis
    # large faces are sampled even when their probes were all covered (they may peek out elsewhere)
    big = front & (weight == 0)
    t_est = time.perf_counter()
    report(progress, "coverage", 0.2, "sizing")

    faces = np.flatnonzero((weight > 0) | big)
    face_weight = np.where(big, 0.25, weight)
    for rnd in range(2):
        lam = _solve_spacing(fr, dist, min_spacing, face_weight, budget)
        fw = face_weight[faces]
        for attempt in range(4):
            spacing = _spacing(lam, dist[faces], min_spacing)
            fid, a, b, mf, nf, single, widen = _lattice(fr, faces, spacing, np.random.default_rng([int(seed), attempt]))
            expected = float(fw[fid].sum())  # the share expected to survive the burial test
            if expected <= budget * 1.05 or attempt == 3 or lam >= MAX_SPACING:
                break
            lam = min(lam * math.sqrt(expected / budget) * 1.02, MAX_SPACING)
        face = faces[fid]
        u = fr["u"][face]
        v = fr["v"][face]
        normal = fr["normal"][face]
        points = fr["p0"][face] + a[:, None] * u + b[:, None] * v
        n_lattice = len(points)
        report(progress, "coverage", 0.4 + 0.1 * rnd, f"{n_lattice:,} samples")
        keep = ~_buried(renderer, points, normal, flips)
        if rnd == 1 or keep.sum() >= 0.85 * budget or lam <= min_spacing * 1.0001:
            break
        # the probes overrated what survives (large faces mostly under another surface: the sea
        # under an island): size again with each face's measured surviving share
        total = np.bincount(fid, minlength=len(faces))
        kept = np.bincount(fid[keep], minlength=len(faces))
        seen = total > 0
        face_weight[faces[seen]] = kept[seen] / total[seen]
    if keep.sum() > budget:  # the estimate fell short: thin the farthest-spaced evenly (seeded)
        idx = np.flatnonzero(keep)
        rng = np.random.default_rng(seed)
        drop = rng.choice(idx, size=int(keep.sum() - budget), replace=False)
        keep[drop] = False
    face, a, b, mf, nf, single, widen = face[keep], a[keep], b[keep], mf[keep], nf[keep], single[keep], widen[keep]
    points, normal, u, v = points[keep], normal[keep], u[keep], v[keep]
    t_sample = time.perf_counter()
    report(progress, "coverage", 0.7, "shading")
    # barycentric weights of the face's original 2nd and 3rd vertex (the painter's normals use them)
    k = fr["apex"][face]
    w = np.zeros((len(face), 3))
    rows = np.arange(len(face))
    w[rows, k] = 1.0 - a - b
    w[rows, (k + 1) % 3] = a
    w[rows, (k + 2) % 3] = b
    if live_fog:
        fog_dist = np.zeros(len(points), np.float32)
    else:
        box, top = fog_view(region)
        fog_dist = baked_fog_distance(box, points, normal, float(renderer.lighting.fog_density), top=top)
    cu = np.where(single[:, None], u, u / mf[:, None])
    cv = np.where(single[:, None], v, v / nf[:, None])
    # the albedo is averaged over four points of the cell (its patch, not one point of it)
    r = PREFILTER * np.where(single, 0.5, 1.0)[:, None]
    offsets = np.stack([r * (su * cu + sv * cv) for su, sv in ((1, 1), (1, -1), (-1, 1), (-1, -1))])
    rgb, shading_normal = renderer.shade_surface(face, w[:, 1:].astype(np.float32), points, normal, fog_dist,
                                                 offsets=offsets)
    t_shade = time.perf_counter()
    enclosing = np.array([g.label in ENCLOSING_LAYERS for g in geometry])[fr["layer"][face]]
    frac = np.where(single, SINGLE_SIGMA_FRACTION * np.minimum(widen, 6.0),
                    np.where(enclosing, ENCLOSING_SIGMA_FRACTION, SIGMA_FRACTION))
    tangent, sig1, sig2 = _covariance_axes(cu, cv, normal, frac)
    layer = fr["layer"][face]
    out: dict[str, Gaussians] = {}
    counts: dict[str, int] = {}
    names = renderer.layer_names
    for li in np.unique(layer):
        sel = np.flatnonzero(layer == li)
        out[names[int(li)]] = flat_splats(points[sel], normal[sel], tangent[sel], sig1[sel], sig2[sel], rgb[sel],
                                          opacity=OPACITY, max_thickness=MAX_THICKNESS)
        counts[names[int(li)]] = len(sel)
    t_end = time.perf_counter()
    report(progress, "coverage", 1.0, f"{len(points):,} splats")
    stats = {
        "spacing_m": round(lam, 5),
        "faces": int(len(dist)),
        "faces_facing_viewers": int(front.sum()),
        "lattice": int(n_lattice),
        "buried": int(n_lattice - len(points)),
        "splats": int(len(points)),
        "splats_per_layer": counts,
        "timings": {"estimate": t_est - t0, "sample": t_sample - t_est, "shade": t_shade - t_sample,
                    "splats": t_end - t_shade, "total": t_end - t0},
    }
    del shading_normal
    return out, stats


def merge_unseen(fused: dict[str, Gaussians], surface: dict[str, Gaussians], *, spacing: float, budget: int,
                 seed: int) -> tuple[dict[str, Gaussians], int]:
    """Add to ``fused`` the surface splats no fused splat of the same layer lies within ``spacing`` of.

    For painted worlds: the painted views' splats keep their colours where the views saw the
    surface; the geometry fills the rest (backs, undersides, the far field). At most ``budget``
    splats are added (an even, seeded thinning when more are unseen).

    Returns:
        ``({layer: Gaussians}, number of splats added)``.
    """
    from scipy.spatial import cKDTree

    out = dict(fused)
    picks: dict[str, np.ndarray] = {}
    for name, g in surface.items():
        pts = g.means.numpy().astype(np.float64)
        have = fused.get(name)
        if have is not None and have.num_splats:
            d, _ = cKDTree(have.means.numpy().astype(np.float64)).query(pts, k=1, distance_upper_bound=spacing)
            picks[name] = np.flatnonzero(~np.isfinite(d))
        else:
            picks[name] = np.arange(len(pts))
    total = sum(len(v) for v in picks.values())
    if total > budget:
        rng = np.random.default_rng(seed)
        keep_share = budget / max(total, 1)
        picks = {k: np.sort(v[rng.random(len(v)) < keep_share]) for k, v in picks.items()}
    added = 0
    for name, idx in picks.items():
        if not len(idx):
            continue
        extra = surface[name].select(torch.from_numpy(idx))
        out[name] = Gaussians.concat([out[name], extra]) if name in out else extra
        added += len(idx)
    return {k: out[k] for k in sorted(out)}, added
