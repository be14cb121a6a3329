"""Refinement: optimise a world's splats against its views (3DGS-style photometric fitting).

Loss ``(1 - w) * L1 + w * (1 - SSIM)`` with ``w = 0.2``; Adam with one learning rate per
parameter group (the 3DGS values: means 1.6e-4 x scene extent decaying 100x, log-scales 5e-3,
quats 1e-3, opacity logits 5e-2, sh0 2.5e-3, shN 2.5e-3 / 20). On CUDA it renders with gsplat
and densifies with gsplat's ``DefaultStrategy`` or ``MCMCStrategy``; on CPU it renders with
Marble's tile rasterizer, does not densify, and prunes splats that became transparent at the end.

    out = refine_world(world, views, steps=200)
    print(out.psnr_before, "->", out.psnr_after)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from marble.camera import Camera, stack_cameras
from marble.color import psnr
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.options import check_steps

REPORT_MAX_DB = 99.0
"""Cap of the PSNR figures refinement reports (identical images would be infinite, which JSON cannot hold)."""
from marble.progress import ProgressFn, report
from marble.view import View

STRATEGIES = ("auto", "none", "default", "mcmc")
PRUNE_OPACITY = 0.005
WARMUP_STEPS = 20
"""Learning rates ramp up linearly over the first steps. Adam's first updates move every parameter
by about its full learning rate whatever its gradient, which made short runs worse than none
(a draft lake: 29.9 -> 28.8 dB after 12 steps without the ramp)."""


@dataclass
class RefineOutput:
    """What refinement did.

    Attributes:
        gaussians: the refined splats (world coordinates).
        psnr_before, psnr_after: mean PSNR (dB) of the re-rendered views before and after.
        losses: training loss per step.
        steps: optimisation steps run.
        strategy: densification used (``"none"`` on CPU).
        num_before, num_after: splat counts.
        seconds: wall time.
        layer_ids: ``[N]`` index of each refined splat's source (layer) when given, else ``None``.
    """

    gaussians: Gaussians
    psnr_before: float
    psnr_after: float
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    strategy: str = "none"
    num_before: int = 0
    num_after: int = 0
    seconds: float = 0.0
    layer_ids: Tensor | None = None


# ---------------------------------------------------------------------- image metrics
def _gauss_window(size: int = 11, sigma: float = 1.5, *, device=None, dtype=torch.float32) -> Tensor:
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]  # [1, 1, S, S]


def ssim(img: Tensor, ref: Tensor) -> Tensor:
    """Mean structural similarity of ``[H, W, 3]`` (or ``[B, H, W, 3]``) images in [0, 1] (11x11 Gaussian window)."""
    if img.ndim == 3:
        img, ref = img[None], ref[None]
    x = img.permute(0, 3, 1, 2)
    y = ref.permute(0, 3, 1, 2)
    ch = x.shape[1]
    win = _gauss_window(device=x.device, dtype=x.dtype).expand(ch, 1, -1, -1)
    pad = win.shape[-1] // 2
    mu_x = F.conv2d(x, win, padding=pad, groups=ch)
    mu_y = F.conv2d(y, win, padding=pad, groups=ch)
    sxx = F.conv2d(x * x, win, padding=pad, groups=ch) - mu_x**2
    syy = F.conv2d(y * y, win, padding=pad, groups=ch) - mu_y**2
    sxy = F.conv2d(x * y, win, padding=pad, groups=ch) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return s.mean()


# ---------------------------------------------------------------------- helpers
def _prepare_views(views: list[View], max_side: int | None, device) -> tuple[list[Camera], list[Tensor]]:
    cams, targets = [], []
    for i, v in enumerate(views):
        if not isinstance(v, View):
            raise InputError(f"`views[{i}]` must be a marble.view.View, got {type(v).__name__}")
        rgb = torch.as_tensor(np.asarray(v.rgb, dtype=np.float32))
        if not torch.isfinite(rgb).all():
            raise InputError(f"`views[{i}].rgb` contains NaN or Inf")
        cam = v.camera
        if max_side and max(cam.width, cam.height) > max_side:
            s = max_side / max(cam.width, cam.height)
            w, h = max(1, round(cam.width * s)), max(1, round(cam.height * s))
            rgb = F.interpolate(rgb.permute(2, 0, 1)[None], size=(h, w), mode="area")[0].permute(1, 2, 0)
            cam = cam.resized(w, h)
        cams.append(cam)
        targets.append(rgb.clamp(0, 1).to(device))
    return cams, targets


def _lr_means(step: int, steps: int, base: float) -> float:
    t = min(step / max(steps, 1), 1.0)
    return base * (0.01**t)  # exponential decay to 1% (3DGS: 1.6e-4 -> 1.6e-6)


class _Renderer:
    """Renders the parameter dict from one camera with the right backend."""

    def __init__(self, device: torch.device, sh_degree: int, fog=None):
        self.device = device
        self.sh_degree = sh_degree
        self.fog = fog

    def __call__(self, params: dict, cam: Camera, background: Tensor | None):
        vm, K = stack_cameras([cam], self.device)
        colors = torch.cat([params["sh0"][:, None, :], params["shN"]], dim=1) if "shN" in params else params["sh0"][:, None, :]
        if self.fog is not None:  # live-fog splats: veiled by their distance, as the viewer draws them
            from marble.render.fog import fogged_sh

            mask = params["fog_live"] > 0.5 if "fog_live" in params else None
            colors = fogged_sh(colors, params["means"], cam.position.to(self.device, torch.float32), self.fog, mask)
        args = (params["means"], params["quats"], params["scales"].exp(), torch.sigmoid(params["opacities"]), colors,
                vm, K, cam.width, cam.height)
        from marble.render.core import ANTIALIASED, low_pass  # fit the splats as they will be drawn

        if self.device.type == "cuda":
            from marble.render.gsplat_backend import rasterize as gs_rasterize

            rgb, alpha, _depth, meta = gs_rasterize(*args, sh_degree=self.sh_degree, antialiased=ANTIALIASED,
                                                    eps2d=low_pass(ANTIALIASED),
                                                    return_meta=True)
        else:
            from marble.render.cpu import rasterize

            rgb, alpha, _depth = rasterize(*args, sh_degree=self.sh_degree, antialiased=ANTIALIASED,
                                          eps2d=low_pass(ANTIALIASED))
            meta = {}
        rgb = rgb[0]
        if background is not None:
            rgb = rgb + (1.0 - alpha[0]) * background
        return rgb, meta


def _to_gaussians(params: dict) -> Gaussians:
    return Gaussians(
        means=params["means"].detach().clone(),
        quats=params["quats"].detach().clone(),
        log_scales=params["scales"].detach().clone(),
        opacity_logits=params["opacities"].detach().clone(),
        sh0=params["sh0"].detach().clone(),
        shN=params["shN"].detach().clone() if "shN" in params else None,
    )


def _mean_psnr(render_fn, params, cams, targets, backgrounds) -> float:
    vals = []
    with torch.no_grad():
        for cam, tgt, bg in zip(cams, targets, backgrounds):
            rgb, _ = render_fn(params, cam, bg)
            vals.append(psnr(rgb.clamp(0, 1), tgt, max_db=REPORT_MAX_DB))
    return float(np.mean(vals))


# ---------------------------------------------------------------------- main entry points
def refine(
    gaussians: Gaussians,
    views: list[View],
    *,
    steps: int = 200,
    backgrounds: list[Tensor] | None = None,
    ssim_weight: float = 0.2,
    lr_scale: float = 1.0,
    strategy: str = "auto",
    max_side: int | None = 256,
    seed: int = 0,
    layer_ids: Tensor | None = None,
    fog=None,
    fog_mask: Tensor | None = None,
    device: str | torch.device | None = None,
    progress: ProgressFn | None = None,
) -> RefineOutput:
    """Optimise splats so that their renders match ``views``.

    Args:
        gaussians: ``N`` splats in world coordinates (not modified).
        views: target views (camera + ``rgb [H, W, 3]``).
        steps: optimisation steps (one view per step, in a seeded shuffled order).
        backgrounds: per view ``[H, W, 3]`` image composited behind the splats (e.g. the sky), at the
            view's size before ``max_side`` downscaling; ``None`` = black.
        ssim_weight: ``w`` in ``(1 - w) L1 + w (1 - SSIM)``.
        lr_scale: multiplies every learning rate (a few hundred CPU steps may want 2-5).
        strategy: ``"auto"`` (``"default"`` on CUDA, ``"none"`` on CPU), ``"none"``, ``"default"`` or
            ``"mcmc"`` (gsplat densification; CUDA only).
        max_side: views larger than this are downscaled for fitting (``None`` keeps them).
        seed: order of the views.
        layer_ids: ``[N]`` integer source of each splat, carried through densification and pruning.
        fog: a :class:`marble.render.fog.Fog` the renders add by each splat's distance (the views
            show it), on the splats of ``fog_mask`` (``[N]`` bool; default all), as viewers draw them.
        device: where to optimise (default: the splats' device).
        progress: ``(stage, fraction, message)`` callback.
    Returns:
        :class:`RefineOutput`.

    Raises:
        InputError: empty splats or views, a bad ``strategy``/``steps``, densification asked for without CUDA.
    """
    t0 = time.perf_counter()
    if not isinstance(gaussians, Gaussians) or gaussians.num_splats == 0:
        raise InputError("`gaussians` is empty: nothing to refine")
    gaussians.validate()
    if not views:
        raise InputError("`views` is empty: refinement needs at least one target view")
    check_steps(steps)
    if strategy not in STRATEGIES:
        raise InputError(f"`strategy` must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if not (0.0 <= ssim_weight <= 1.0):
        raise InputError(f"`ssim_weight` must be in [0, 1], got {ssim_weight}")
    if not (lr_scale > 0 and math.isfinite(lr_scale)):
        raise InputError(f"`lr_scale` must be a positive number, got {lr_scale}")
    dev = torch.device(device) if device is not None else gaussians.device
    if strategy == "auto":
        strategy = "default" if dev.type == "cuda" else "none"
    if strategy != "none" and dev.type != "cuda":
        raise InputError(f"`strategy` {strategy!r} (gsplat densification) needs CUDA; use strategy='none' on CPU")
    cams, targets = _prepare_views(views, max_side, dev)
    if backgrounds is not None:
        if len(backgrounds) != len(views):
            raise InputError(f"`backgrounds` must hold one image per view ({len(views)}), got {len(backgrounds)}")
        bgs = []
        for bg, cam in zip(backgrounds, cams):
            b = torch.as_tensor(np.asarray(bg, dtype=np.float32))
            if b.shape[:2] != (cam.height, cam.width):
                b = F.interpolate(b.permute(2, 0, 1)[None], size=(cam.height, cam.width), mode="area")[0].permute(1, 2, 0)
            bgs.append(b.to(dev))
    else:
        bgs = [None] * len(cams)

    g = gaussians.to(dev)
    params = {
        "means": g.means.detach().clone(),
        "scales": g.log_scales.detach().clone(),
        "quats": g.quats.detach().clone(),
        "opacities": g.opacity_logits.detach().clone(),
        "sh0": g.sh0.detach().clone(),
    }
    if g.shN is not None:
        params["shN"] = g.shN.detach().clone()
    params = torch.nn.ParameterDict({k: torch.nn.Parameter(v) for k, v in params.items()})
    if layer_ids is not None:
        ids = torch.as_tensor(layer_ids).to(dev)
        if ids.shape != (g.num_splats,):
            raise InputError(f"`layer_ids` must have shape [{g.num_splats}], got {list(ids.shape)}")
        params["layer_ids"] = torch.nn.Parameter(ids.float(), requires_grad=False)
    if fog is not None and fog_mask is not None:
        fm = torch.as_tensor(fog_mask).to(dev)
        if fm.shape != (g.num_splats,):
            raise InputError(f"`fog_mask` must have shape [{g.num_splats}], got {list(fm.shape)}")
        params["fog_live"] = torch.nn.Parameter(fm.float(), requires_grad=False)

    lo, hi = g.means.min(0).values, g.means.max(0).values
    extent = float((hi - lo).norm()) / 2 or 1.0
    base_lrs = {
        "means": 1.6e-4 * extent, "scales": 5e-3, "quats": 1e-3, "opacities": 5e-2, "sh0": 2.5e-3, "shN": 2.5e-3 / 20,
    }
    optimizers = {
        k: torch.optim.Adam([params[k]], lr=base_lrs[k] * lr_scale, eps=1e-15)
        for k in base_lrs if k in params
    }
    render_fn = _Renderer(dev, g.sh_degree, fog)
    psnr_before = _mean_psnr(render_fn, params, cams, targets, bgs)

    strat, state = None, None
    if strategy != "none":
        from gsplat.strategy import DefaultStrategy, MCMCStrategy

        if strategy == "default":
            strat = DefaultStrategy(
                refine_start_iter=max(steps // 5, 1), refine_stop_iter=max(int(steps * 0.8), 2),
                refine_every=max(steps // 10, 10), reset_every=max(steps * 10, 3000),
            )
            strat.check_sanity(params, optimizers)
            state = strat.initialize_state(scene_scale=extent)
        else:
            strat = MCMCStrategy(
                cap_max=max(g.num_splats * 2, 1000), refine_start_iter=max(steps // 5, 1),
                refine_stop_iter=max(int(steps * 0.8), 2), refine_every=max(steps // 10, 10),
            )
            strat.check_sanity(params, optimizers)
            state = strat.initialize_state()

    rng = np.random.default_rng(seed)
    order: list[int] = []
    losses: list[float] = []
    for step in range(int(steps)):
        if not order:
            order = list(rng.permutation(len(cams)))
        i = order.pop()
        rgb, meta = render_fn(params, cams[i], bgs[i])
        l1 = (rgb - targets[i]).abs().mean()
        loss = (1 - ssim_weight) * l1 + ssim_weight * (1 - ssim(rgb.clamp(0, 1), targets[i])) if ssim_weight else l1
        if strat is not None and strategy == "default":
            strat.step_pre_backward(params, optimizers, state, step, meta)
        loss.backward()
        warm = min(1.0, (step + 1) / WARMUP_STEPS)
        for k, opt in optimizers.items():
            lr = _lr_means(step, steps, base_lrs["means"] * lr_scale) if k == "means" else base_lrs[k] * lr_scale
            for group in opt.param_groups:
                group["lr"] = lr * warm
            opt.step()
            opt.zero_grad(set_to_none=True)
        if strat is not None:
            if strategy == "default":
                strat.step_post_backward(params, optimizers, state, step, meta)
            else:
                strat.step_post_backward(params, optimizers, state, step, meta,
                                         lr=_lr_means(step, steps, base_lrs["means"] * lr_scale))
        losses.append(float(loss.detach()))
        report(progress, "refine", (step + 1) / max(steps, 1), f"loss {losses[-1]:.4f}")

    with torch.no_grad():  # simple prune: splats that became transparent
        keep = torch.sigmoid(params["opacities"]) >= PRUNE_OPACITY
        if not keep.all() and keep.any():
            for k in list(params.keys()):
                params[k] = torch.nn.Parameter(params[k].detach()[keep], requires_grad=params[k].requires_grad)
    psnr_after = _mean_psnr(render_fn, params, cams, targets, bgs)
    out_ids = params["layer_ids"].detach().round().long() if "layer_ids" in params else None
    result = _to_gaussians(params)
    return RefineOutput(
        gaussians=result, psnr_before=psnr_before, psnr_after=psnr_after, losses=losses, steps=int(steps),
        strategy=strategy, num_before=g.num_splats, num_after=result.num_splats,
        seconds=time.perf_counter() - t0, layer_ids=out_ids,
    )


def refine_world(world, views: list[View], *, steps: int = 200, **options) -> RefineOutput:
    """Refine a world's visible splat layers against ``views`` and write them back (in place).

    The sky (``Environment.sky_color``) is composited behind the splats so that it is not fitted by
    splats. Each layer gets its refined splats back in its own frame; the world's provenance records
    ``refine_psnr_before_db``/``refine_psnr_after_db`` and the strategy.

    Args:
        world: a :class:`marble.world.World`.
        views: target views.
        steps: optimisation steps.
        **options: passed to :func:`refine` (``lr_scale``, ``strategy``, ``max_side``, ``seed``, ``progress``...).
    Returns:
        :class:`RefineOutput` (``gaussians`` are in world coordinates).
    """
    from marble.render.fog import layers_fog
    from marble.render.world_render import sky_images

    layers = [layer for layer in world.layers if layer.visible and layer.num_splats]
    if not layers:
        raise InputError("`world` has no visible splats to refine")
    parts = [layer.world_gaussians() for layer in layers]
    ids = torch.cat([torch.full((p.num_splats,), i, dtype=torch.long) for i, p in enumerate(parts)])
    g = Gaussians.concat(parts)
    bgs = [sky_images(world, [v.camera])[0] for v in views]
    fog, fog_mask = layers_fog(world, [layer.name for layer in layers])
    out = refine(g, views, steps=steps, backgrounds=bgs, layer_ids=ids, fog=fog, fog_mask=fog_mask, **options)
    refined = out.gaussians.to(parts[0].device)
    lid = out.layer_ids.to(refined.device)
    for i, layer in enumerate(layers):
        mine = refined.select(lid == i)
        T_layer_world = torch.linalg.inv(layer.transform)
        local = mine if torch.equal(layer.transform, torch.eye(4, dtype=torch.float64)) else mine.transform(T_layer_world)
        if layer.gaussians.shN is None and local.shN is not None:
            local.shN = None
        layer.gaussians = local
    world.provenance.metrics["refine_psnr_before_db"] = round(out.psnr_before, 3)
    world.provenance.metrics["refine_psnr_after_db"] = round(out.psnr_after, 3)
    world.provenance.stages["refine"] = f"adam-{out.strategy}-{out.steps}"
    return out
