"""Per-view lifting: every pixel with depth becomes a world point with a normal, a footprint and a colour."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from marble.errors import InputError
from marble.view import View
from pipelines.fusion.params import EDGE_WEIGHT, MIN_COS
from pipelines.views.edges import silhouette_pixels


@dataclass
class Samples:
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


def check_views(views) -> list[View]:
    if isinstance(views, View):
        raise InputError("`views` must be a list of View, got a single View: wrap it in a list")
    views = list(views) if views is not None else []
    if not views:
        raise InputError("`views` is empty: render or paint at least one View before fusion")
    for i, v in enumerate(views):
        if not isinstance(v, View):
            raise InputError(f"`views[{i}]` must be a marble.view.View, got {type(v).__name__}")
    return views


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


def lift_view(view: View, layer_map: np.ndarray) -> Samples | None:
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
        N = _normals_from_depth(cam.unproject(np.where(valid, depth, np.inf)), valid).reshape(-1, 3)[idx]
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
    return Samples(
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


def concat_samples(items: list[Samples]) -> Samples:
    return Samples(**{k: np.concatenate([getattr(s, k) for s in items]) for k in Samples.__dataclass_fields__})
