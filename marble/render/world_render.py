"""Render a World: its visible layers' splats composited over the environment's sky."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from marble.camera import Camera
from marble.errors import InputError
from marble.gaussians import Gaussians, rgb_to_sh0
from marble.render.core import RenderOutput, render

HIGHLIGHT_COLOR = (1.0, 0.55, 0.1)
"""Tint used for a selection given as a mask or as layer names."""
HIGHLIGHT_MIX = 0.55
"""How far a highlighted splat's colour moves towards the tint."""


def _highlight_mask(world, names: list[str], highlight, n: int, device) -> tuple[Tensor, Tensor] | None:
    """Per-splat ``(mix [N], tint [N, 3])`` for the splats of the chosen layers, or ``None``."""
    if highlight is None:
        return None
    counts = {name: world.layer(name).num_splats for name in names}
    tint = torch.zeros(n, 3, device=device)
    mix = torch.zeros(n, device=device)
    if isinstance(highlight, Tensor) or hasattr(highlight, "__array__") and not isinstance(highlight, (str, Mapping)):
        mask = torch.as_tensor(highlight, device=device)
        if mask.dtype != torch.bool or mask.shape != (n,):
            raise InputError(
                f"`highlight` mask must be a boolean tensor of shape [{n}] (one per rendered splat), "
                f"got {mask.dtype} {list(mask.shape)}"
            )
        mix[mask] = HIGHLIGHT_MIX
        tint[mask] = torch.tensor(HIGHLIGHT_COLOR, device=device)
        return mix, tint
    if isinstance(highlight, str):
        highlight = [highlight]
    if isinstance(highlight, Mapping):
        per_layer = {str(k): tuple(float(x) for x in v) for k, v in highlight.items()}
    elif isinstance(highlight, Sequence):
        per_layer = {str(k): HIGHLIGHT_COLOR for k in highlight}
    else:
        raise InputError(
            "`highlight` must be a boolean splat mask, a layer name, a list of layer names or a {layer: (r, g, b)} dict"
        )
    for name, rgb in per_layer.items():
        world.layer(name)  # raises with the list of names
        if len(rgb) != 3:
            raise InputError(f"`highlight[{name!r}]` must be an (r, g, b) colour, got {rgb}")
    start = 0
    for name in names:
        k = counts[name]
        if name in per_layer:
            mix[start : start + k] = HIGHLIGHT_MIX
            tint[start : start + k] = torch.tensor(per_layer[name], device=device)
        start += k
    return mix, tint


def _tinted(g: Gaussians, mix: Tensor, tint: Tensor) -> Gaussians:
    out = g.clone()
    out.sh0 = g.sh0 * (1 - mix[:, None]) + rgb_to_sh0(tint) * mix[:, None]
    if g.shN is not None:
        out.shN = g.shN * (1 - mix[:, None, None])
    return out


def sky_images(world, cameras: list[Camera], device=None) -> Tensor:
    """``[C, H, W, 3]`` the sky along each pixel's ray (:func:`marble.sky.sky_pixels`: the environment's
    sky, veiled by its fog, a haze below the horizon)."""
    from marble.sky import sky_pixels

    skies = [torch.from_numpy(sky_pixels(world.environment, c.ray_directions().numpy())) for c in cameras]
    return torch.stack(skies).to(device or "cpu")


def render_world(
    world,
    cameras: list[Camera],
    *,
    sky: bool = True,
    layers: list[str] | None = None,
    highlight=None,
    width: int | None = None,
    height: int | None = None,
    sh_degree: int | None = None,
    backend: str = "auto",
) -> RenderOutput:
    """Render a world's visible layers from ``C`` cameras, the sky behind them.

    Layers made without fog (``marble.render.fog``) get the environment's fog by each splat's
    distance to each camera.

    Args:
        world: a :class:`marble.world.World`.
        cameras: cameras sharing one image size.
        sky: composite the sky of each pixel's ray (:func:`sky_images`) behind the splats (else black).
            A sky dome made from the environment alone (:func:`marble.sky.is_environment_sky`) is then
            left out: this sky is what its splats approximate, without their blur.
        layers: names of layers to draw (default: all visible layers).
        highlight: a selection to tint: a boolean mask ``[N]`` over the visible layers' splats (in layer
            order, a sky dome left out for ``sky`` counted too),
            a layer name or list of names (tinted orange), or ``{layer: (r, g, b)}``.
        width, height: image size (default: the cameras').
        sh_degree, backend: as in :func:`marble.render.render`.
    Returns:
        :class:`RenderOutput`; ``alphas`` and ``depths`` cover the splats only (the sky has alpha 0).

    Raises:
        InputError: the world has no splats, an unknown layer, a bad ``highlight``.
    """
    from marble.world import World

    if not isinstance(world, World):
        raise InputError(f"`world` must be a marble.world.World, got {type(world).__name__}")
    if world.num_splats == 0:
        raise InputError("`world` has no splats to render: generate or import a world first")
    if not cameras or isinstance(cameras, Camera):
        raise InputError("`cameras` must be a non-empty list of Camera")
    width = cameras[0].width if width is None else width
    height = cameras[0].height if height is None else height
    from marble.sky import is_environment_sky

    shown = [layer for layer in world._choose(layers, True) if layer.gaussians is not None and layer.num_splats]
    names = [layer.name for layer in shown if not (sky and is_environment_sky(layer))]
    g = world.gaussians(layers=names) if names else None
    if g is None or g.num_splats == 0:
        if highlight is not None and isinstance(highlight, Tensor) and highlight.numel() and not shown:
            raise InputError(f"`highlight` mask has {highlight.numel()} entries but no splats are visible")
        cams = [c if (c.width, c.height) == (width, height) else c.resized(width, height) for c in cameras]
        C = len(cams)
        zeros = torch.zeros(C, height, width, 1)
        colors = sky_images(world, cams) if sky else torch.zeros(C, height, width, 3)
        return RenderOutput(colors=colors, alphas=zeros, depths=zeros.clone())
    # a highlight indexes every shown layer's splats, the sky dome left out above included
    hl = _highlight_mask(world, [x.name for x in shown], highlight, sum(x.num_splats for x in shown), g.device)
    if hl is not None:
        if len(names) < len(shown):
            drawn = set(names)
            keep = torch.cat([torch.full((x.num_splats,), x.name in drawn, dtype=torch.bool) for x in shown])
            hl = (hl[0][keep.to(g.device)], hl[1][keep.to(g.device)])
        g = _tinted(g, *hl)
    from marble.render.fog import layers_fog

    fog, fog_mask = layers_fog(world, names)
    out = render(g, cameras, width=width, height=height, sh_degree=sh_degree, backend=backend, fog=fog,
                 fog_mask=None if fog_mask is None else fog_mask.to(g.device))
    if sky:
        cams = [c if (c.width, c.height) == (width, height) else c.resized(width, height) for c in cameras]
        skyimg = sky_images(world, cams, out.colors.device)
        out = RenderOutput(colors=out.colors + (1.0 - out.alphas) * skyimg, alphas=out.alphas, depths=out.depths)
    return out
