"""How faithfully fused splats reproduce their source views: re-render at the source cameras, PSNR."""

from __future__ import annotations

import math

import numpy as np

from marble.color import psnr
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.view import View
from marble.world import Environment, World
from pipelines.fusion.fuse import FusionResult
from pipelines.fusion.params import SKY_LAYER
from pipelines.fusion.samples import check_views
from pipelines.views.shading import sky_pixels


def _gaussians_of(source, include_sky: bool) -> tuple[Gaussians, Environment | None, tuple]:
    """``(splats, environment, (fog, fog_mask))`` of what ``fusion_psnr`` was given."""
    if isinstance(source, World):
        from marble.render.fog import layers_fog

        names = [n for n in source.layer_names if include_sky or n != SKY_LAYER]
        return source.gaussians(layers=names), source.environment, layers_fog(source, names)
    if isinstance(source, FusionResult):
        return source.all_gaussians(include_sky=include_sky), None, (None, None)
    if isinstance(source, dict):
        return Gaussians.concat([g for k, g in source.items() if include_sky or k != SKY_LAYER]), None, (None, None)
    if isinstance(source, Gaussians):
        return source, None, (None, None)
    raise InputError(
        f"`world_or_gaussians` must be a World, FusionResult, dict of Gaussians or Gaussians, got {type(source).__name__}"
    )


def rerender(gaussians: Gaussians, view: View, *, environment: Environment | None, fog=None,
             fog_mask=None) -> np.ndarray:
    """Render splats at a view's camera and composite its sky behind them (``fog``: as :func:`marble.render.render`).

    Returns:
        ``[H, W, 3]`` float32 RGB. Behind the splats: ``sky_pixels(environment)`` when given, else
        the source view's own sky pixels (black where it had geometry).
    """
    from marble.render import render

    out = render(gaussians, [view.camera], fog=fog, fog_mask=fog_mask)
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
    views = check_views(views)
    g, env, (fog, fog_mask) = _gaussians_of(world_or_gaussians, include_sky)
    if environment is None:
        environment = env
    if g.num_splats == 0:
        raise InputError("`world_or_gaussians` holds no splats to render")
    per_view = [psnr(rerender(g, v, environment=environment, fog=fog, fog_mask=fog_mask), v.rgb) for v in views]
    finite = [p for p in per_view if math.isfinite(p)] or [99.0]
    return {
        "per_view": per_view,
        "names": [v.camera.name for v in views],
        "mean": float(np.mean(finite)),
        "min": float(min(per_view)),
    }
