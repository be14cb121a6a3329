"""Marble's own differentiable tile rasterizer for Gaussian splats, in PyTorch (CPU or any device).

Algorithm (the 3DGS recipe, vectorised for a CPU):

1. EWA projection (:mod:`marble.render.projection`): 2D means, conics, depths, a 3-sigma
   (opacity-aware) screen extent per splat.
2. Tile binning: each visible splat is listed in every ``tile_size x tile_size`` tile its extent
   touches; lists are sorted front to back by depth (one stable depth sort, one stable tile sort).
3. Compositing in *rounds*: every tile still open takes its next ``chunk`` splats at once, so one
   round is a handful of batched tensor ops over ``[tiles, pixels, chunk]``. Within a round the
   transmittance is an exclusive cumulative product; a pixel stops at the first splat that would
   take its transmittance to ``1e-4`` or below (that splat is not added), and a tile leaves the
   loop when all its pixels have stopped (early termination).

Per splat and pixel centre ``p`` the contribution is ``alpha = min(0.999, o * exp(-sigma))`` with
``sigma = 0.5 d^T conic d``, ``d = p - mean2d``; it is skipped when ``alpha < 1/255`` or when ``p``
lies outside the 3-sigma ellipse (``sigma > 4.5``). :mod:`marble.render.reference` computes the
same image pixel by pixel; the tests hold the two within ``1e-4``.

Everything is built from differentiable torch ops, so gradients reach means, quats, scales,
opacities and colours (SH coefficients) through autograd.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from marble.render.projection import ALPHA_MIN, EXTENT_SIGMA, Projected, camera_centers, project
from marble.render.sh import eval_sh

ALPHA_MAX = 0.999
TRANSMITTANCE_MIN = 1e-4
DEFAULT_TILE_SIZE = 8
DEFAULT_CHUNK = 32


def splat_colors(colors: Tensor, means: Tensor, viewmats: Tensor, sh_degree: int | None) -> Tensor:
    """Per-camera RGB of each splat.

    Args:
        colors: ``[N, 3]`` RGB, or ``[N, K, 3]`` SH coefficients (DC first).
        means: ``[N, 3]`` world centres (for view directions).
        viewmats: ``[C, 4, 4]``.
        sh_degree: bands to use with SH input (``None``: all that ``K`` holds).
    Returns:
        ``[C, N, 3]``.
    """
    C = viewmats.shape[0]
    if colors.ndim == 2:
        return colors[None].expand(C, -1, -1)
    K = colors.shape[1]
    deg = int(round(math.sqrt(K))) - 1 if sh_degree is None else int(sh_degree)
    if deg == 0:
        return eval_sh(0, colors, means)[None].expand(C, -1, -1)
    dirs = means[None] - camera_centers(viewmats)[:, None, :]  # [C, N, 3]
    return eval_sh(deg, colors[None].expand(C, -1, -1, -1), dirs)


@torch.no_grad()
def bin_tiles(proj: Projected, width: int, height: int, tile_size: int) -> tuple[Tensor, Tensor]:
    """List visible splats per tile, front to back.

    Args:
        proj: projection of ``N`` splats into ``C`` cameras.
        width, height: image size.
        tile_size: tile side in pixels.
    Returns:
        ``flat_ids [M]`` indices into the flattened ``[C * N]`` splats, sorted by (camera, tile, depth),
        and ``offsets [C * TH * TW + 1]`` where tile ``t`` owns ``flat_ids[offsets[t]:offsets[t+1]]``.
    """
    C, N = proj.depths.shape
    tw, th = -(-width // tile_size), -(-height // tile_size)
    dev = proj.depths.device
    vis = proj.visible.reshape(-1).nonzero()[:, 0]  # [V] flat index c * N + n
    if vis.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=dev), torch.zeros(C * th * tw + 1, dtype=torch.long, device=dev)
    m = proj.means2d.detach().reshape(-1, 2)[vis]
    r = proj.radii.reshape(-1, 2)[vis]
    d = proj.depths.detach().reshape(-1)[vis]
    order = torch.sort(d, stable=True).indices  # front to back; ties keep splat order
    vis, m, r = vis[order], m[order], r[order]
    cam = vis // N
    x0 = torch.floor((m[:, 0] - r[:, 0]) / tile_size).clamp(0, tw - 1).long()
    x1 = torch.floor((m[:, 0] + r[:, 0]) / tile_size).clamp(0, tw - 1).long()
    y0 = torch.floor((m[:, 1] - r[:, 1]) / tile_size).clamp(0, th - 1).long()
    y1 = torch.floor((m[:, 1] + r[:, 1]) / tile_size).clamp(0, th - 1).long()
    nx = x1 - x0 + 1
    cnt = nx * (y1 - y0 + 1)
    total = int(cnt.sum())
    rep = torch.repeat_interleave(torch.arange(vis.numel(), device=dev), cnt, output_size=total)
    start = torch.cumsum(cnt, 0) - cnt
    local = torch.arange(total, device=dev) - start[rep]
    nxr = nx[rep]
    tile = cam[rep] * (th * tw) + (y0[rep] + local // nxr) * tw + (x0[rep] + local % nxr)
    perm = torch.sort(tile, stable=True).indices
    flat_ids = vis[rep[perm]]
    counts = torch.bincount(tile, minlength=C * th * tw)
    offsets = torch.zeros(C * th * tw + 1, dtype=torch.long, device=dev)
    offsets[1:] = torch.cumsum(counts, 0)
    return flat_ids, offsets


def composite_tiles(
    means2d: Tensor,  # [C, N, 2]
    conics: Tensor,  # [C, N, 3]
    opacities: Tensor,  # [C, N]
    features: Tensor,  # [C, N, D]
    flat_ids: Tensor,  # [M]
    offsets: Tensor,  # [C * TH * TW + 1]
    width: int,
    height: int,
    *,
    tile_size: int = DEFAULT_TILE_SIZE,
    chunk: int = DEFAULT_CHUNK,
    sigma_cut: float = 0.5 * EXTENT_SIGMA**2,
) -> tuple[Tensor, Tensor]:
    """Front-to-back alpha compositing of binned splats.

    Args:
        means2d, conics, opacities, features: per camera and splat (``features`` are composited, e.g. RGB+depth).
        flat_ids, offsets: from :func:`bin_tiles`.
        width, height: image size.
        tile_size: must match :func:`bin_tiles`.
        chunk: splats per tile taken in one round.
        sigma_cut: splats reach pixels with ``sigma <= sigma_cut``.
    Returns:
        ``features [C, H, W, D]`` (premultiplied, no background) and ``transmittance [C, H, W, 1]``.
    """
    C, N, D = features.shape
    dev, dt = features.device, features.dtype
    tw, th = -(-width // tile_size), -(-height // tile_size)
    P = tile_size * tile_size
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (means2d, conics, opacities, features))

    counts_all = offsets[1:] - offsets[:-1]
    tiles = (counts_all > 0).nonzero()[:, 0]  # [NT] tile ids with work
    NT = tiles.numel()
    out_feat = torch.zeros(C * th * tw, P, D, dtype=dt, device=dev)
    out_T = torch.ones(C * th * tw, P, dtype=dt, device=dev)
    if NT:
        # one packed table so each round needs a single gather: [C*N, 2 + 3 + 1 + D]
        table = torch.cat([means2d, conics, opacities[..., None], features], dim=-1).reshape(C * N, -1)
        starts = offsets[:-1][tiles]
        counts = counts_all[tiles]
        t_in_cam = tiles % (th * tw)
        lx = torch.arange(P, device=dev) % tile_size
        ly = torch.arange(P, device=dev) // tile_size
        pix_x = (t_in_cam % tw)[:, None] * tile_size + lx[None]  # [NT, P] int
        pix_y = (t_in_cam // tw)[:, None] * tile_size + ly[None]
        done = (pix_x >= width) | (pix_y >= height)  # padding pixels never count
        pix_x, pix_y = pix_x.to(dt) + 0.5, pix_y.to(dt) + 0.5
        T = torch.ones(NT, P, dtype=dt, device=dev)
        open_tiles = torch.arange(NT, device=dev)
        sels, contribs = [], []
        consumed = 0
        kk = torch.arange(chunk, device=dev)
        while open_tiles.numel():
            sel = open_tiles
            pos = starts[sel, None] + consumed + kk  # [B, K]
            valid = (consumed + kk)[None] < counts[sel, None]
            gid = flat_ids[torch.where(valid, pos, torch.zeros_like(pos))]
            g = table[gid]  # [B, K, F]
            dx = pix_x[sel][:, :, None] - g[:, None, :, 0]  # [B, P, K]
            dy = pix_y[sel][:, :, None] - g[:, None, :, 1]
            sigma = 0.5 * (g[:, None, :, 2] * dx * dx + g[:, None, :, 4] * dy * dy) + g[:, None, :, 3] * dx * dy
            alpha = torch.clamp_max(g[:, None, :, 5] * torch.exp(-sigma), ALPHA_MAX)
            keep = valid[:, None, :] & (sigma >= 0) & (sigma <= sigma_cut) & (alpha >= ALPHA_MIN)
            alpha = torch.where(keep, alpha, torch.zeros_like(alpha))
            T_in = T[sel]  # [B, P]
            T_incl = T_in[..., None] * torch.cumprod(1.0 - alpha, dim=-1)  # [B, P, K]
            T_excl = torch.cat([T_in[..., None], T_incl[..., :-1]], dim=-1)
            live = (T_incl > TRANSMITTANCE_MIN) & ~done[sel][..., None]
            w = torch.where(live, alpha * T_excl, torch.zeros_like(alpha))
            sels.append(sel)
            contribs.append(torch.bmm(w, g[:, :, 6:]))  # [B, P, D]
            T_new = torch.where(live, T_incl, T_in[..., None]).amin(dim=-1)
            done_new = done[sel] | (T_incl[..., -1] <= TRANSMITTANCE_MIN)
            if grad:
                T = T.index_copy(0, sel, T_new)
            else:
                T[sel] = T_new
            done[sel] = done_new
            consumed += chunk
            still = (counts[sel] > consumed) & ~done_new.all(dim=-1)
            open_tiles = sel[still]
        acc = torch.zeros(NT, P, D, dtype=dt, device=dev).index_add(0, torch.cat(sels), torch.cat(contribs))
        out_feat = out_feat.index_copy(0, tiles, acc)
        out_T = out_T.index_copy(0, tiles, T)
    img = out_feat.reshape(C, th, tw, tile_size, tile_size, D).permute(0, 1, 3, 2, 4, 5)
    img = img.reshape(C, th * tile_size, tw * tile_size, D)[:, :height, :width]
    Tm = out_T.reshape(C, th, tw, tile_size, tile_size).permute(0, 1, 3, 2, 4)
    Tm = Tm.reshape(C, th * tile_size, tw * tile_size)[:, :height, :width, None]
    return img, Tm


def rasterize(
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
    tile_size: int = DEFAULT_TILE_SIZE,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[Tensor, Tensor, Tensor]:
    """Render splats with the tile rasterizer (differentiable; any dtype, any device).

    Args:
        means: ``[N, 3]`` world centres.
        quats: ``[N, 4]`` wxyz rotations.
        scales: ``[N, 3]`` standard deviations.
        opacities: ``[N]`` in (0, 1).
        colors: ``[N, 3]`` RGB or ``[N, K, 3]`` SH coefficients.
        viewmats: ``[C, 4, 4]`` world -> camera (OpenCV axes).
        Ks: ``[C, 3, 3]`` intrinsics.
        width, height: image size.
        sh_degree: SH bands to use (SH input only).
        near, far: z range rendered.
        background: ``[C, 3]`` colour behind the splats, or ``None`` (black).
        eps2d: screen-space low-pass dilation (pixels^2).
        tile_size: tile side in pixels.
        chunk: splats per tile per compositing round.
    Returns:
        ``colors [C, H, W, 3]``, ``alphas [C, H, W, 1]``, ``depths [C, H, W, 1]`` (alpha-weighted z).
    """
    proj = project(means, quats, scales, opacities, viewmats, Ks, width, height, eps2d=eps2d, near=near, far=far)
    rgb = splat_colors(colors, means, viewmats, sh_degree)  # [C, N, 3]
    feats = torch.cat([rgb, proj.depths[..., None]], dim=-1)  # [C, N, 4]
    op = opacities[None].expand(viewmats.shape[0], -1)
    flat_ids, offsets = bin_tiles(proj, width, height, tile_size)
    img, T = composite_tiles(
        proj.means2d, proj.conics, op, feats, flat_ids, offsets, width, height, tile_size=tile_size, chunk=chunk
    )
    out_rgb = img[..., :3]
    if background is not None:
        out_rgb = out_rgb + T * background[:, None, None, :]
    return out_rgb, 1.0 - T, img[..., 3:4]
