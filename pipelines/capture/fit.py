"""Fit a capture's splats to its photos with Marble's differentiable renderer (:mod:`pipelines.refine`).

On CUDA one run of :func:`pipelines.refine.refine_world` does it all: gsplat renders, and gsplat's
default strategy densifies (clones and splits where the view-space gradient is large) and prunes.
On the CPU, where :mod:`pipelines.refine` does not densify, the steps run in rounds; between rounds
the splats that grew largest are split in two (3DGS's split: two samples of the splat, each 1/1.6 its
size) while the count is under the budget, and transparent ones are pruned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from marble.gaussians import Gaussians
from marble.progress import ProgressFn, report
from marble.view import View

SPLIT_FACTOR = 1.6
SPLIT_QUANTILE = 0.9
"""Between CPU rounds the splats larger than this quantile of sizes are split."""
STEPS_PER_ROUND = 200
"""CPU steps per round (each round also renders every photo twice to measure PSNR)."""


@dataclass
class FitOutput:
    """What fitting did: PSNR at the photos (fitting resolution) before and after, splat counts, rounds."""

    psnr_before: float
    psnr_after: float
    steps: int
    rounds: int
    num_before: int
    num_after: int
    strategy: str
    seconds: float


def photo_views(cameras, photos: dict) -> list[View]:
    """One :class:`View` per registered camera: the photo as ``rgb [H, W, 3]``, no depth."""
    out = []
    for cam in cameras:
        rgb = photos[cam.name].rgb
        h, w = rgb.shape[:2]
        out.append(View(camera=cam, rgb=rgb, depth=np.full((h, w), np.inf, np.float32),
                        object_ids=np.full((h, w), -1, np.int32), source="photo"))
    return out


def split_large(g: Gaussians, *, budget: int, seed: int) -> Gaussians:
    """Split the largest splats in two (at most up to ``budget`` splats in all).

    Args:
        g: ``N`` splats.
        budget: most splats after splitting.
        seed: where the two halves are sampled.
    Returns:
        The splats, the largest ``min(N - quantile, budget - N)`` replaced by two each.
    """
    room = int(budget) - g.num_splats
    if room <= 0 or g.num_splats < 2:
        return g
    size = g.log_scales.max(1).values
    thresh = torch.quantile(size, SPLIT_QUANTILE)
    big = torch.nonzero(size > thresh).flatten()
    big = big[torch.argsort(size[big], descending=True)][:room]
    if big.numel() == 0:
        return g
    gen = torch.Generator().manual_seed(int(seed))
    keep = torch.ones(g.num_splats, dtype=torch.bool)
    keep[big] = False
    parent = g.select(big)
    from marble.geometry import quat_to_rotmat

    R = quat_to_rotmat(parent.quats / parent.quats.norm(dim=1, keepdim=True))  # [M, 3, 3]
    halves = []
    for _ in range(2):
        noise = torch.randn(parent.num_splats, 3, generator=gen) * parent.log_scales.exp()
        h = parent.clone()
        h.means = parent.means + torch.einsum("mij,mj->mi", R, noise)
        h.log_scales = parent.log_scales - float(np.log(SPLIT_FACTOR))
        halves.append(h)
    return Gaussians.concat([g.select(keep), *halves])


def fit_world(world, views: list[View], *, steps: int, budget: int, seed: int = 0, max_side: int | None = 320,
              device: str = "auto", progress: ProgressFn | None = None) -> FitOutput:
    """Fit the world's splat layer to the photos (in place).

    Args:
        world: a capture world (one splat layer, the sky in its environment).
        views: :func:`photo_views` of the registered photos.
        steps: optimisation steps in all.
        budget: most splats densification may reach (the preset's ``max_splats``).
        seed: view order and split samples.
        max_side: photos are fitted at this long side at most.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda[:N]"``.
        progress: ``(stage, fraction, message)``, stage ``"fitting"``.
    """
    from pipelines.refine import refine_world

    t0 = time.perf_counter()
    layer = next(layer for layer in world.layers if layer.num_splats)
    n0 = layer.num_splats
    from marble.device import resolve_device

    dev = resolve_device(device)
    cuda = dev.type == "cuda"
    rounds = 1 if cuda else max(1, min(4, steps // STEPS_PER_ROUND))
    per = [steps // rounds + (1 if r < steps % rounds else 0) for r in range(rounds)]
    first = last = None
    done = 0
    for r, n in enumerate(per):
        if r:
            layer.gaussians = split_large(layer.gaussians, budget=budget, seed=seed + r)

        def _sub(stage, frac, msg="", _done=done, _n=n):
            report(progress, "fitting", (_done + frac * _n) / max(steps, 1), msg)

        out = refine_world(world, views, steps=n, seed=seed + r, max_side=max_side, progress=_sub,
                           strategy="auto", device=dev)
        first = out.psnr_before if first is None else first
        last = out.psnr_after
        done += n
    report(progress, "fitting", 1.0, f"{last:.1f} dB")
    return FitOutput(psnr_before=float(first), psnr_after=float(last), steps=int(steps), rounds=rounds, num_before=n0,
                     num_after=layer.num_splats, strategy=out.strategy if rounds == 1 else f"cpu-split-{rounds}-rounds",
                     seconds=time.perf_counter() - t0)
