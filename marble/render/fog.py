"""Distance fog: drawn live by Marble's renderer, baked for viewers that draw no fog of their own.

Fog depends on how far the viewer is from a surface; a splat's stored colour cannot. Layers whose
splats hold the surface's colour *without* fog carry ``layer.meta["fog"] = {"live": True,
"view_box": [x0, x1, z0, z1]}`` (the walkable footprint they were made for, world frame). For
them:

- :func:`marble.render.render` (given a :class:`Fog` and a mask) mixes each splat towards the fog
  colour by its own distance to each camera, ``c' = c T + f (1 - T)``, ``T = exp(-density d)``,
  so walking up to a tree takes the fog off it, as in the procedural ground truth;
- exports and the editor's viewport (viewers without fog) get :func:`baked_gaussians`: the fog a
  viewer spread over the walkable footprint sees on average, baked into the colour.

Layers without the flag (worlds fused from views or photos, older bundles) hold their fog baked in
already and are drawn as stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from marble.gaussians import SH_C0, Gaussians

META_KEY = "fog"
"""``layer.meta`` key of a layer whose splat colours hold no fog."""
MIN_VIEW_DISTANCE = 1.5
"""Closest a viewer typically sees a surface from, metres (for the baked fog)."""
FOG_SAMPLES = 8
"""Viewer distances (log-spaced) over which a baked splat's fog is averaged."""


@dataclass(frozen=True)
class Fog:
    """Exponential distance fog: ``density`` per metre, ``color`` RGB in [0, 1]."""

    density: float
    color: tuple[float, float, float]

    @classmethod
    def of(cls, environment) -> "Fog | None":
        """The fog of a ``marble.world.Environment`` (its lighting), ``None`` when it has none."""
        lt = getattr(environment, "lighting", None)
        d = float(getattr(lt, "fog_density", 0.0) or 0.0)
        if not (d > 0 and math.isfinite(d)):
            return None
        return cls(d, tuple(float(c) for c in lt.fog_color))

    def transmittance(self, distance: Tensor) -> Tensor:
        """``exp(-density d)`` for distances ``[...]`` in metres."""
        return torch.exp(-self.density * distance)


def live_flag(view_box, top: float = 0.0) -> dict:
    """The ``layer.meta[META_KEY]`` value of a layer made without fog for the footprint ``view_box``
    ``(x0, x1, z0, z1)``, viewers' eyes up to ``top`` metres above y = 0."""
    return {"live": True, "view_box": [float(v) for v in view_box], "top": float(top)}


def is_live(layer) -> bool:
    """Whether a layer's splat colours hold no fog (the renderer adds it by distance)."""
    m = layer.meta.get(META_KEY) if isinstance(layer.meta, dict) else None
    return isinstance(m, dict) and bool(m.get("live"))


def fogged_sh(sh: Tensor, means: Tensor, eye: Tensor, fog: Fog, mask: Tensor | None = None) -> Tensor:
    """SH coefficients whose colour, seen from ``eye``, is the stored colour veiled by ``fog``.

    The mix ``c T + f (1 - T)`` is linear in the colour, so it acts on the coefficients: the DC band
    takes the fog colour's share, the higher bands scale by ``T``. Differentiable.

    Args:
        sh: ``[N, K, 3]`` coefficients (DC first).
        means: ``[N, 3]`` splat centres.
        eye: ``[3]`` camera centre.
        fog: the fog.
        mask: ``[N]`` bool, the splats to veil (default: all).
    Returns:
        ``[N, K, 3]``.
    """
    t = fog.transmittance((means - eye.to(means)).norm(dim=-1))  # [N]
    if mask is not None:
        t = torch.where(mask.to(t.device), t, torch.ones_like(t))
    dc, rest = _veil(sh[:, 0], sh[:, 1:], t, fog)
    return torch.cat([dc[:, None], rest], dim=1)


def _veil(sh0: Tensor, rest: Tensor | None, t: Tensor, fog: Fog) -> tuple[Tensor, Tensor | None]:
    """``(sh0 [N, 3], rest [N, K, 3] | None)`` whose colour is ``c t + fog.color (1 - t)``, ``t [N]``."""
    f = torch.tensor(fog.color, dtype=sh0.dtype, device=sh0.device)
    dc = ((sh0 * SH_C0 + 0.5) * t[:, None] + f * (1.0 - t[:, None]) - 0.5) / SH_C0
    return dc, None if rest is None else rest * t[:, None, None]


def layers_fog(world, names: list[str] | None = None, *, visible_only: bool = True) -> tuple[Fog | None, Tensor | None]:
    """``(fog, mask [N])`` for ``world.gaussians(layers=names, visible_only=...)``, or ``(None, None)``.

    The mask marks the splats of live-fog layers, in the order ``World.gaussians`` concatenates
    them; ``(None, None)`` when the world has no fog or none of those layers is live.
    """
    fog = Fog.of(world.environment)
    if fog is None:
        return None, None
    chosen = [layer for layer in world._choose(names, visible_only) if layer.gaussians is not None]
    if not any(is_live(layer) and layer.num_splats for layer in chosen):
        return None, None
    return fog, torch.cat([torch.full((layer.num_splats,), is_live(layer), dtype=torch.bool) for layer in chosen])


def baked_fog_distance(view_box, points: np.ndarray, normals: np.ndarray, density: float, *,
                       top: float = 0.0) -> np.ndarray:
    """``[N]`` the distance whose fog equals the fog viewers of ``points`` see on average.

    It bakes the mean transmittance ``exp(-density D)`` over viewers spread across the footprint
    ``view_box = (x0, x1, z0, z1)`` (distances ``D`` from the nearest point of it, at least
    :data:`MIN_VIEW_DISTANCE`, to that plus its width), each weighted by the pixels the surface
    covers in their view: ``1 / D`` for a surface facing them, ``1 / D^2`` for one seen at a grazing
    angle (the ground, foreshortened), in between by the normal's ``y``. ``points``/``normals``:
    ``[N, 3]``; ``top``: the highest eye level above y = 0 (points above it are that much farther).
    """
    x0, x1, z0, z1 = (float(v) for v in view_box)
    p = np.asarray(points, np.float64).reshape(-1, 3)
    dx = np.maximum(np.maximum(x0 - p[:, 0], p[:, 0] - x1), 0.0)
    dz = np.maximum(np.maximum(z0 - p[:, 2], p[:, 2] - z1), 0.0)
    dy = np.maximum(p[:, 1] - top, 0.0)
    half = 0.5 * max(x1 - x0, z1 - z0)
    d_min = np.maximum(np.sqrt(dx * dx + dz * dz + dy * dy), MIN_VIEW_DISTANCE)
    d_max = d_min + 2.0 * half
    if density <= 0:
        return (d_max - d_min) / np.log(d_max / d_min)
    s = ((np.arange(FOG_SAMPLES) + 0.5) / FOG_SAMPLES).astype(np.float32)
    log_d = (np.log(d_min)[:, None] + np.log(d_max / d_min)[:, None] * s[None, :]).astype(np.float32)  # [N, S]
    q = (1.0 + np.abs(np.asarray(normals, np.float32)[:, 1:2])).astype(np.float32)
    w = np.exp((1.0 - q) * log_d)  # D^-q times the log-spacing's Jacobian D
    t = np.sum(w * np.exp(-np.float32(density) * np.exp(log_d)), axis=1) / np.sum(w, axis=1)
    return -np.log(np.maximum(t, 1e-30)) / density


def _normals(g: Gaussians) -> np.ndarray:
    """``[N, 3]`` each splat's shortest axis (the surface normal of a flat splat)."""
    from marble.geometry import quat_to_rotmat

    R = quat_to_rotmat(g.quats.detach().cpu().double())  # [N, 3, 3], columns = local axes
    k = g.log_scales.detach().cpu().argmin(dim=1)
    return R[torch.arange(len(k)), :, k].numpy()


def baked_gaussians(layer, g: Gaussians, environment) -> Gaussians:
    """``g`` (the layer's splats in world coordinates) with the environment's fog baked in.

    Unchanged when the layer is not live-fog or the environment has no fog.
    """
    fog = Fog.of(environment)
    if fog is None or not is_live(layer) or g.num_splats == 0:
        return g
    box = layer.meta[META_KEY].get("view_box") or [0.0, 0.0, 0.0, 0.0]
    pts = g.means.detach().cpu().numpy()
    d = baked_fog_distance(box, pts, _normals(g), fog.density, top=float(layer.meta[META_KEY].get("top", 0.0)))
    t = fog.transmittance(torch.from_numpy(d.astype(np.float32))).to(g.sh0.device)
    out = g.clone()
    out.sh0, out.shN = _veil(g.sh0, g.shN, t, fog)
    return out
