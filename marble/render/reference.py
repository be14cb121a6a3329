"""Slow, obviously-correct renderers kept as references for the tile rasterizer.

* :func:`render_dense`: every pixel meets every splat, splats visited one at a time front to back,
  vectorised over the pixels. The tests hold :func:`marble.render.cpu.rasterize` to it (1e-4).
* :func:`render_per_gaussian`: the straightforward loop a first implementation would write: one
  Python iteration per splat, updating only the pixels of its bounding box. The benchmark reports
  the tile rasterizer's speed-up over both.

Both use the same projection and compositing rules as the tile rasterizer (alpha ``min(0.999,
o * exp(-sigma))``, skipped below ``1/255`` or outside the 3-sigma ellipse; a pixel stops before the
splat that would take its transmittance to ``1e-4`` or below).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from marble.render.cpu import ALPHA_MAX, TRANSMITTANCE_MIN, splat_colors
from marble.render.projection import ALPHA_MIN, EXTENT_SIGMA, project


def _prepare(means, quats, scales, opacities, colors, viewmats, Ks, width, height, sh_degree, near, far, eps2d,
             antialiased=False):
    proj = project(means, quats, scales, opacities, viewmats, Ks, width, height, eps2d=eps2d, near=near, far=far,
                   antialiased=antialiased)
    rgb = splat_colors(colors, means, viewmats, sh_degree)
    feats = torch.cat([rgb, proj.depths[..., None]], dim=-1)  # [C, N, 4]
    return proj, feats, proj.opacities(opacities)  # the last [C, N]: what each camera rasterizes


def render_dense(
    means: Tensor,  # [N, 3]
    quats: Tensor,  # [N, 4]
    scales: Tensor,  # [N, 3]
    opacities: Tensor,  # [N]
    colors: Tensor,  # [N, 3] or [N, K, 3]
    viewmats: Tensor,  # [C, 4, 4]
    Ks: Tensor,  # [C, 3, 3]
    width: int,
    height: int,
    *,
    sh_degree: int | None = None,
    near: float = 0.01,
    far: float = 1e4,
    background: Tensor | None = None,  # [C, 3]
    eps2d: float = 0.3,
    antialiased: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-pixel reference: same arguments and outputs as :func:`marble.render.cpu.rasterize`.

    Returns:
        ``colors [C, H, W, 3]``, ``alphas [C, H, W, 1]``, ``depths [C, H, W, 1]``.
    """
    proj, feats, op_c = _prepare(means, quats, scales, opacities, colors, viewmats, Ks, width, height, sh_degree, near,
                                 far, eps2d, antialiased)
    dt, dev = means.dtype, means.device
    sigma_cut = 0.5 * EXTENT_SIGMA**2
    ys, xs = torch.meshgrid(torch.arange(height, device=dev), torch.arange(width, device=dev), indexing="ij")
    px, py = xs.reshape(-1).to(dt) + 0.5, ys.reshape(-1).to(dt) + 0.5  # [HW]
    outs_f, outs_T = [], []
    for c in range(viewmats.shape[0]):
        z = proj.depths[c].detach()
        in_range = (z > near) & (z < far)
        order = torch.sort(z, stable=True).indices
        T = torch.ones(height * width, dtype=dt, device=dev)
        done = torch.zeros(height * width, dtype=torch.bool, device=dev)
        acc = torch.zeros(height * width, feats.shape[-1], dtype=dt, device=dev)
        for i in order.tolist():
            if not bool(in_range[i]):
                continue
            mx, my = proj.means2d[c, i, 0], proj.means2d[c, i, 1]
            a, b, cc = proj.conics[c, i].unbind(-1)
            dx, dy = px - mx, py - my
            sigma = 0.5 * (a * dx * dx + cc * dy * dy) + b * dx * dy
            alpha = torch.clamp_max(op_c[c, i] * torch.exp(-sigma), ALPHA_MAX)
            keep = (sigma >= 0) & (sigma <= sigma_cut) & (alpha >= ALPHA_MIN) & ~done
            next_T = T * (1.0 - alpha)
            stop = keep & (next_T <= TRANSMITTANCE_MIN)
            add = keep & ~stop
            done = done | stop
            acc = acc + torch.where(add, alpha * T, torch.zeros_like(T))[:, None] * feats[c, i][None, :]
            T = torch.where(add, next_T, T)
        outs_f.append(acc.reshape(height, width, -1))
        outs_T.append(T.reshape(height, width, 1))
    f = torch.stack(outs_f)
    T = torch.stack(outs_T)
    rgb = f[..., :3]
    if background is not None:
        rgb = rgb + T * background[:, None, None, :]
    return rgb, 1.0 - T, f[..., 3:4]


@torch.no_grad()
def render_per_gaussian(
    means: Tensor,
    quats: Tensor,
    scales: Tensor,
    opacities: Tensor,
    colors: Tensor,
    viewmats: Tensor,
    Ks: Tensor,
    width: int,
    height: int,
    *,
    sh_degree: int | None = None,
    near: float = 0.01,
    far: float = 1e4,
    background: Tensor | None = None,
    eps2d: float = 0.3,
    antialiased: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """Baseline: one loop iteration per splat over its bounding box (no autograd).

    Same arguments and outputs as :func:`marble.render.cpu.rasterize`.
    """
    proj, feats, op_c = _prepare(means, quats, scales, opacities, colors, viewmats, Ks, width, height, sh_degree, near,
                                 far, eps2d, antialiased)
    dt, dev = means.dtype, means.device
    sigma_cut = 0.5 * EXTENT_SIGMA**2
    C = viewmats.shape[0]
    out_f = torch.zeros(C, height, width, feats.shape[-1], dtype=dt, device=dev)
    out_T = torch.ones(C, height, width, dtype=dt, device=dev)
    done = torch.zeros(C, height, width, dtype=torch.bool, device=dev)
    m2d, con, rad = proj.means2d.cpu(), proj.conics.cpu(), proj.radii.cpu()
    for c in range(C):
        vis = proj.visible[c].nonzero()[:, 0]
        order = vis[torch.sort(proj.depths[c, vis], stable=True).indices]
        for i in order.tolist():
            mx, my = float(m2d[c, i, 0]), float(m2d[c, i, 1])
            rx, ry = float(rad[c, i, 0]), float(rad[c, i, 1])
            x0, x1 = max(0, math.floor(mx - rx)), min(width, math.ceil(mx + rx) + 1)
            y0, y1 = max(0, math.floor(my - ry)), min(height, math.ceil(my + ry) + 1)
            if x0 >= x1 or y0 >= y1:
                continue
            xs = torch.arange(x0, x1, dtype=dt, device=dev) + 0.5
            ys = torch.arange(y0, y1, dtype=dt, device=dev) + 0.5
            dx, dy = xs[None, :] - mx, ys[:, None] - my
            a, b, cc = (float(v) for v in con[c, i])
            sigma = 0.5 * (a * dx * dx + cc * dy * dy) + b * dx * dy
            alpha = torch.clamp_max(op_c[c, i] * torch.exp(-sigma), ALPHA_MAX)
            T = out_T[c, y0:y1, x0:x1]
            dn = done[c, y0:y1, x0:x1]
            keep = (sigma >= 0) & (sigma <= sigma_cut) & (alpha >= ALPHA_MIN) & ~dn
            next_T = T * (1.0 - alpha)
            stop = keep & (next_T <= TRANSMITTANCE_MIN)
            add = keep & ~stop
            dn |= stop
            out_f[c, y0:y1, x0:x1] += torch.where(add, alpha * T, 0.0)[..., None] * feats[c, i]
            out_T[c, y0:y1, x0:x1] = torch.where(add, next_T, T)
    rgb = out_f[..., :3]
    T = out_T[..., None]
    if background is not None:
        rgb = rgb + T * background[:, None, None, :]
    return rgb, 1.0 - T, out_f[..., 3:4]
