"""The warp-and-inpaint loop: grow one view into many consistent views along a camera path.

For each new camera: ray cast what is known (:class:`~pipelines.lift.warp.SurfaceCache`), inpaint
the holes (diffusion or classical), estimate depth on the completed image and align it to the known
depth, keep the known depth where it exists and the aligned estimate in the holes, then add only the
new surface to the cache. Consistency is measured twice: the aligned depth of each new view
against what earlier views saw (``align_rel_error``), and after fusion every view against the
fused splats (:func:`reprojection_error`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from marble.camera import Camera
from marble.color import psnr
from marble.errors import InputError
from marble.progress import ProgressFn, report
from marble.view import View
from pipelines.lift.align import align_depth
from pipelines.lift.estimators import (
    DepthEstimate,
    DepthEstimator,
    GeometricDepthEstimator,
)
from pipelines.lift.warp import SurfaceCache


@dataclass
class LoopResult:
    """Views made by :func:`warp_and_inpaint` (the first one included) and per-view measurements.

    Attributes:
        views: one :class:`View` per camera, ``views[0]`` being the input.
        coverage: per view, fraction of pixels known before inpainting (1.0 for the input).
        alignment: per new view, the depth-alignment info (scale, shift, rel_error).
        reprojection: per view, filled in by the caller after fusion with
            :func:`reprojection_error` (the view against the fused world).
    """

    views: list[View]
    coverage: list[float] = field(default_factory=list)
    alignment: list[dict] = field(default_factory=list)
    reprojection: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """Mean coverage, depth-alignment error and (when measured) reprojection error of the new views."""
        out = {
            "views": len(self.views),
            "mean_coverage": float(np.mean(self.coverage[1:])) if len(self.coverage) > 1 else 1.0,
            "align_rel_error": float(np.mean([a.get("rel_error", 0.0) for a in self.alignment])) if self.alignment else 0.0,
        }
        if self.reprojection:
            new = self.reprojection[1:] or self.reprojection
            out["reprojection_rel_depth"] = float(np.mean([r["rel_depth"] for r in new]))
            out["reprojection_psnr_db"] = float(np.mean([r["psnr_db"] for r in new]))
        return out


def _nearest_fill(ids: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill pixels outside ``known`` with the id of the nearest known pixel."""
    if known.all() or not known.any():
        return ids
    _, (ri, ci) = ndimage.distance_transform_edt(~known, return_indices=True)
    return ids[ri, ci]


def warp_and_inpaint(
    first: View,
    cameras: list[Camera],
    *,
    inpainter,
    depth_estimator: DepthEstimator,
    prompt: str | None = None,
    seed: int = 0,
    min_align_pixels: int = 64,
    max_depth: float = 100.0,
    progress: ProgressFn | None = None,
) -> LoopResult:
    """Walk ``cameras`` starting from ``first``, warping, inpainting and lifting each new view.

    Args:
        first: the input view (metric depth, ``inf`` for sky; ids into ``layer_names``).
        cameras: the new cameras, in order (same intrinsics family as ``first``).
        inpainter: object with ``name`` and ``inpaint(rgb [H,W,3], mask [H,W], *, prompt, seed)``.
        depth_estimator: object with ``name`` and ``estimate(rgb, *, camera) -> DepthEstimate``.
        prompt: text guiding a diffusion inpainter (ignored by classical ones).
        seed: base seed; view ``i`` inpaints with ``seed + i``.
        min_align_pixels: below this many known pixels the new depth is aligned to the ground
            plane instead of the warped depth.
        max_depth: cap in metres for estimated depth.
        progress: ``(stage, fraction, message)`` callback, stage ``"lift"``.
    Returns:
        :class:`LoopResult`.
    """
    from pipelines.lift.geometric_depth import GROUND, SKY, estimate_geometric_depth

    if not isinstance(first, View):
        raise InputError(f"`first` must be a View, got {type(first).__name__}")
    cache = SurfaceCache()
    cache.add(first.rgb, first.depth, first.camera, object_ids=first.object_ids, layer_names=first.layer_names)
    names = list(cache.layer_names)
    first_ids = np.where(first.object_ids >= 0, first.object_ids, -1)
    lut = np.array([names.index(n) for n in first.layer_names] + [-1], np.int32)
    views = [View(camera=first.camera, rgb=first.rgb, depth=first.depth,
                  object_ids=lut[np.where(first_ids >= 0, first_ids, len(first.layer_names))],
                  layer_names=list(names), confidence=first.confidence, source=first.source)]
    result = LoopResult(views=views, coverage=[1.0])
    n = len(cameras)
    report(progress, "lift", 0.0)
    for i, cam in enumerate(cameras):
        warp = cache.render(cam)
        hole = warp.hole
        rgb = inpainter.inpaint(warp.rgb, hole, prompt=prompt, seed=seed + i + 1) if hole.any() else warp.rgb
        rgb = np.where(hole[..., None], rgb, warp.rgb).astype(np.float32)
        geo = estimate_geometric_depth(rgb, camera=cam, max_depth=max_depth) if cam.T_world_camera[1, 3] > 0 else None
        if geo is not None and isinstance(depth_estimator, GeometricDepthEstimator) and depth_estimator.max_depth == max_depth:
            est = DepthEstimate(values=geo.depth, space="metric", sky=geo.region == SKY)  # same computation: reuse it
        else:
            est = depth_estimator.estimate(rgb, camera=cam)
        known = ~hole & ~warp.sky & np.isfinite(warp.depth)
        info: dict = {"pixels": int(known.sum())}
        if est.space == "metric":
            new_depth = np.asarray(est.values, np.float32)
            if known.sum() >= min_align_pixels:
                finite = known & np.isfinite(new_depth)
                if finite.sum() >= min_align_pixels:
                    aligned, info = align_depth(np.where(np.isfinite(new_depth), new_depth, max_depth), warp.depth,
                                                finite, space="scale", max_depth=max_depth)
                    new_depth = np.where(np.isfinite(new_depth), aligned, np.inf)
        else:
            if known.sum() >= min_align_pixels:
                ref, mask = warp.depth, known
            elif geo is not None and (geo.region == GROUND).sum() >= min_align_pixels:
                ref, mask = geo.depth, geo.region == GROUND
            else:
                raise InputError(f"camera {cam.name or i}: nothing known to align the estimated depth to")
            new_depth, info = align_depth(est.values, ref, mask, space=est.space, max_depth=max_depth)
        sky_est = est.sky if est.sky is not None else (geo.region == SKY if geo is not None else np.zeros_like(hole))
        hole_sky = hole & sky_est
        depth = np.where(known, warp.depth, np.where(warp.sky | hole_sky, np.inf, new_depth)).astype(np.float32)
        depth = np.where(np.isfinite(depth), np.clip(depth, 1e-3, max_depth), np.inf).astype(np.float32)
        ids = np.where(known, warp.object_ids, -1)
        has_id = known & (ids >= 0)
        if has_id.any():
            ids = _nearest_fill(ids, has_id)
        elif geo is not None:
            g_lut = np.array([cache._layer_index(nm) for nm in geo.layer_names] + [-1], np.int32)
            ids = g_lut[np.where(geo.object_ids >= 0, geo.object_ids, len(geo.layer_names))]
        ids = np.where(np.isfinite(depth), ids, -1).astype(np.int32)
        conf = np.where(known, 0.8, 0.4).astype(np.float32) * np.isfinite(depth)
        names = list(cache.layer_names)
        view = View(camera=cam, rgb=rgb, depth=depth, object_ids=ids, layer_names=names,
                    confidence=conf.astype(np.float32), source="image-lift")
        grow = ndimage.binary_dilation(hole, iterations=1)
        cache.add(rgb, depth, cam, object_ids=ids, layer_names=names, include=grow)
        result.views.append(view)
        result.coverage.append(warp.coverage)
        result.alignment.append(info)
        report(progress, "lift", (i + 1) / max(n, 1), f"view {i + 2}/{n + 1}")
    for v in result.views:  # every view names every layer, so ids agree across views
        v.layer_names = list(cache.layer_names)
    return result


def reprojection_error(means: np.ndarray, colors: np.ndarray, views: list[View]) -> list[dict]:
    """How well a fused world agrees with each view: splat centres projected into the view.

    Each view keeps, per pixel, the nearest splat centre that lands there; its depth and colour are
    compared with the view's.

    Args:
        means: ``[N, 3]`` splat centres in world space (sky excluded).
        colors: ``[N, 3]`` their colours in [0, 1].
        views: the views to check.
    Returns:
        per view ``{"rel_depth": median relative depth error, "rgb_mae": mean absolute colour
        error, "psnr_db": colour PSNR, "coverage": fraction of the view's pixels hit}``.
    """
    from pipelines.lift.warp import project

    out = []
    means = np.asarray(means, np.float64)
    colors = np.asarray(colors, np.float32)
    for v in views:
        h, w = v.depth.shape
        xy, z = project(means, v.camera)
        ok = np.isfinite(z) & (z > 1e-3) & (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        pix = (xy[ok, 1].astype(np.int64) * w + xy[ok, 0].astype(np.int64))
        zs, cs = z[ok], colors[ok]
        order = np.lexsort((zs, pix))  # by pixel, nearest first
        pix, zs, cs = pix[order], zs[order], cs[order]
        first = np.ones(len(pix), bool)
        first[1:] = pix[1:] != pix[:-1]
        pix, zs, cs = pix[first], zs[first], cs[first]
        vd = v.depth.reshape(-1)[pix]
        finite = np.isfinite(vd)
        rel = float(np.median(np.abs(zs[finite] - vd[finite]) / vd[finite])) if finite.any() else 0.0
        seen = v.rgb.reshape(-1, 3)[pix[finite]]
        diff = cs[finite] - seen
        out.append({
            "rel_depth": rel,
            "rgb_mae": float(np.abs(diff).mean()) if finite.any() else 0.0,
            "psnr_db": psnr(cs[finite], seen, max_db=99.0) if finite.any() else 99.0,
            "coverage": float(finite.sum() / max(np.isfinite(v.depth).sum(), 1)),
        })
    return out
