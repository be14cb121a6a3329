"""fuse_views: views -> per-layer Gaussian splats, pruned to the preset budget, plus the sky dome."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.view import View
from marble.world import Environment
from pipelines.fusion.merge import merge_samples
from pipelines.fusion.params import (
    EDGE_SHRINK,
    LAYER_BITS,
    MAX_STRETCH,
    SKY_RADIUS_FACTOR,
    SPLAT_SIGMA,
    SPLAT_SIGMA_MERGED,
    UNLABELLED_LAYER,
)
from pipelines.fusion.samples import Samples, check_views, concat_samples, lift_view
from pipelines.fusion.sky import sky_dome
from pipelines.fusion.splats import flat_splats


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
    views = check_views(views)
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

    lifted: list[Samples] = []
    pixels_total = 0
    for i, v in enumerate(views):
        layer_map = np.array([layer_id(n) for n in v.layer_names] + [layer_id(UNLABELLED_LAYER)], np.int64)
        s = lift_view(v, layer_map)
        pixels_total += v.depth.size
        if s is not None:
            lifted.append(s)
        report(progress, "fusion", 0.5 * (i + 1) / len(views), "lifting pixels")
    if not lifted:
        raise InputError("`views` have no pixel with a finite depth and positive confidence: nothing to fuse")
    if len(names) >= 2**LAYER_BITS:
        raise InputError(f"`views` name {len(names)} layers; fusion supports at most {2**LAYER_BITS - 1}")
    t_lift = time.perf_counter()
    samples = concat_samples(lifted)
    del lifted
    cam_pos = np.stack([v.camera.position.numpy() for v in views])
    origin = np.floor(cam_pos.mean(axis=0) / voxel) * voxel  # grid anchored on a voxel corner
    merged = merge_samples(samples, voxel, origin)
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
        g = flat_splats(merged["means"][sel], merged["normals"][sel], merged["tangents"][sel], sig_t[sel],
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
        dome = sky_dome(views, count=int(preset.sky_splats), centre=centre, radius=radius,
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
