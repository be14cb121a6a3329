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

import functools
import math
import os

import torch
from torch import Tensor

from marble.render.projection import (
    ALPHA_MIN,
    EXTENT_SIGMA,
    Projected,
    camera_centers,
    project,
)
from marble.limits import check_memory
from marble.render.sh import eval_sh

ALPHA_MAX = 0.999
TRANSMITTANCE_MIN = 1e-4
DEFAULT_TILE_SIZE = 4
DEFAULT_CHUNK = 16
BYTES_PER_PAIR = 160
"""Peak bytes per (splat, tile) pair of the binning and compositing (measured: 110-155)."""
PIXEL_BYTES = 256
"""Peak bytes per output pixel (measured: 240-260 on 512-1024 px renders; see ``marble.render.core``)."""
EXACT_MIN_TILES = 9  # splats touching more tiles than this get the exact ellipse-tile test


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
def bin_tiles(
    proj: Projected,
    width: int,
    height: int,
    tile_size: int,
    *,
    opacities: Tensor | None = None,  # [C, N]
    sigma_cut: float = 0.5 * EXTENT_SIGMA**2,
) -> tuple[Tensor, Tensor]:
    """List visible splats per tile, front to back.

    Args:
        proj: projection of ``N`` splats into ``C`` cameras.
        width, height: image size.
        tile_size: tile side in pixels.
        opacities: ``[C, N]`` opacities; faint splats reach less far (optional, tighter lists).
        sigma_cut: the reach in ``sigma`` units (``0.5 * 3**2``).
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
    opacities_flat = None if opacities is None else opacities.detach().reshape(-1)
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
    V = vis.numel()
    pairs = int(cnt.sum())
    check_memory(pairs * BYTES_PER_PAIR + C * th * tw * tile_size * tile_size * PIXEL_BYTES,
                 f"rendering {V:,} visible splats at {width}x{height} ({pairs:,} splat-tile pairs: large splats "
                 "cover many tiles)")
    con = proj.conics.detach().reshape(-1, 3)[vis]
    smax_splat = torch.full((V,), sigma_cut, dtype=con.dtype, device=dev)
    if opacities_flat is not None:
        smax_splat = torch.minimum(smax_splat, torch.log(opacities_flat[vis].clamp_min(1e-30) / ALPHA_MIN))
    smax_splat = smax_splat * (1 + 1e-4) + 1e-4
    tile_keys = []
    # Splats touching one tile need no expansion; those touching up to 2x2 tiles are listed in all of
    # them; larger ones drop the (splat, tile) pairs whose ellipse misses the tile's pixel centres
    # (thin tilted splats have bounding boxes far larger than themselves).
    one = (cnt == 1).nonzero()[:, 0]
    tile_keys.append(_tile_key(cam, one, x0[one], y0[one], tw, th, V, C))
    for sel, exact in (((cnt > 1) & (cnt <= EXACT_MIN_TILES)).nonzero()[:, 0], False), ((cnt > EXACT_MIN_TILES).nonzero()[:, 0], True):
        if sel.numel() == 0:
            continue
        c_sel = cnt[sel]
        total = int(c_sel.sum())
        rep_local = torch.repeat_interleave(torch.arange(sel.numel(), device=dev), c_sel, output_size=total)
        start = torch.cumsum(c_sel, 0) - c_sel
        local = torch.arange(total, device=dev) - start[rep_local]
        rep = sel[rep_local]
        nxr = nx[rep]
        ttx = x0[rep] + local % nxr
        tty = y0[rep] + local // nxr
        if exact:
            hit = _min_sigma_over_tiles(m[rep], con[rep], ttx, tty, tile_size) <= smax_splat[rep]
            rep, ttx, tty = rep[hit], ttx[hit], tty[hit]
        tile_keys.append(_tile_key(cam, rep, ttx, tty, tw, th, V, C))
    keys = torch.sort(torch.cat(tile_keys)).values  # unique keys: (tile, depth rank)
    tile = keys // V
    flat_ids = vis[keys % V]
    counts = torch.bincount(tile, minlength=C * th * tw)
    offsets = torch.zeros(C * th * tw + 1, dtype=torch.long, device=dev)
    offsets[1:] = torch.cumsum(counts, 0)
    return flat_ids, offsets


def _tile_key(cam: Tensor, rep: Tensor, ttx: Tensor, tty: Tensor, tw: int, th: int, V: int, C: int) -> Tensor:
    """Sort key ``tile * V + depth_rank`` for (splat, tile) pairs; ``rep`` is the splat's depth rank."""
    tile = tty * tw + ttx
    if C > 1:
        tile = tile + cam[rep] * (th * tw)
    return tile * V + rep


def _min_sigma_over_tiles(m: Tensor, con: Tensor, tx: Tensor, ty: Tensor, tile_size: int) -> Tensor:
    """Minimum of ``sigma = 0.5 (a dx^2 + 2 b dx dy + c dy^2)`` over each tile's pixel centres' rectangle.

    Args:
        m: ``[M, 2]`` splat means; con: ``[M, 3]`` conics; tx, ty: ``[M]`` tile indices.
    Returns:
        ``[M]`` (0 when the mean lies inside the rectangle).
    """
    a, b, c = con.unbind(-1)
    x_lo = tx * tile_size + 0.5 - m[:, 0]
    x_hi = x_lo + (tile_size - 1)
    y_lo = ty * tile_size + 0.5 - m[:, 1]
    y_hi = y_lo + (tile_size - 1)
    inside = (x_lo <= 0) & (x_hi >= 0) & (y_lo <= 0) & (y_hi >= 0)
    best = torch.full_like(a, math.inf)
    for X in (x_lo, x_hi):  # vertical edges: minimise over dy
        dy = torch.clamp(-b * X / c, y_lo, y_hi)
        best = torch.minimum(best, 0.5 * (a * X * X + c * dy * dy) + b * X * dy)
    for Y in (y_lo, y_hi):  # horizontal edges: minimise over dx
        dx = torch.clamp(-b * Y / a, x_lo, x_hi)
        best = torch.minimum(best, 0.5 * (a * dx * dx + c * Y * Y) + b * dx * Y)
    return torch.where(inside, torch.zeros_like(best), best)


def composite_round(
    g: Tensor,  # [B, K, F]
    origin: Tensor,  # [B, 2]
    lx: Tensor,  # [P]
    ly: Tensor,  # [P]
    T_in: Tensor,  # [B, P]
) -> tuple[Tensor, Tensor]:
    """One compositing round: ``B`` tiles of ``P`` pixels meet their next ``K`` splats.

    Args:
        g: packed splat rows (see :func:`composite_tiles`): mean ``[0:2]``, ``-a/2, -b, -c/2`` ``[2:5]``,
            ``log o`` ``[5]``, lowest kept log-alpha ``[6]``, features and a trailing 1 ``[7:]``.
        origin: tile origins in pixels.
        lx, ly: tile-local pixel centres.
        T_in: transmittance entering the round (0 for pixels that have stopped).
    Returns:
        ``contrib [B, P, D + 1]`` (the last channel is the opacity added) and ``T_last [B, P]``, the
        transmittance after all ``K`` splats (``<= 1e-4`` means the pixel stopped in this round).
    """
    mloc = g[..., 0:2] - origin[:, None, :]  # [B, K, 2] means in tile-local pixels
    dx = lx[None, :, None] - mloc[:, None, :, 0]  # [B, P, K]
    dy = ly[None, :, None] - mloc[:, None, :, 1]
    # log alpha (before the 0.999 clamp) = log o - sigma, sigma = 0.5 a dx^2 + b dx dy + 0.5 c dy^2
    la = torch.addcmul(g[:, None, :, 5], dx, torch.addcmul(g[:, None, :, 3] * dy, g[:, None, :, 2], dx))
    la = torch.addcmul(la, g[:, None, :, 4] * dy, dy)
    alpha = torch.where(la >= g[:, None, :, 6], torch.clamp_max(torch.exp(la), ALPHA_MAX), 0.0)
    T_incl = T_in[..., None] * torch.cumprod(1.0 - alpha, dim=-1)  # [B, P, K]
    T_excl = torch.cat([T_in[..., None], T_incl[..., :-1]], dim=-1)
    w = torch.where(T_incl > TRANSMITTANCE_MIN, T_excl - T_incl, 0.0)
    return torch.bmm(w, g[:, :, 7:]), T_incl[..., -1]


@functools.lru_cache(maxsize=1)
def _compiled_round():
    return torch.compile(composite_round, dynamic=True)


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
    use_compile: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """Front-to-back alpha compositing of binned splats.

    Args:
        means2d, conics, opacities, features: per camera and splat (``features`` are composited, e.g. RGB+depth).
        flat_ids, offsets: from :func:`bin_tiles`.
        width, height: image size.
        tile_size: must match :func:`bin_tiles`.
        chunk: splats per tile taken in one round.
        sigma_cut: splats reach pixels with ``sigma <= sigma_cut``.
        use_compile: run each round through a ``torch.compile``-d kernel (no-grad only; the first call
            compiles for a minute or more, later calls and processes reuse the on-disk cache). ``None``
            reads the ``MARBLE_RENDER_COMPILE`` environment variable (``1`` to enable).
    Returns:
        ``features [C, H, W, D]`` (premultiplied, no background) and ``transmittance [C, H, W, 1]``.
    """
    C, N, D = features.shape
    dev, dt = features.device, features.dtype
    tw, th = -(-width // tile_size), -(-height // tile_size)
    P = tile_size * tile_size
    if use_compile is None:
        use_compile = os.environ.get("MARBLE_RENDER_COMPILE", "0") not in ("", "0", "false", "no")
    grad = torch.is_grad_enabled() and any(t.requires_grad for t in (means2d, conics, opacities, features))

    counts_all = offsets[1:] - offsets[:-1]
    tiles = (counts_all > 0).nonzero()[:, 0]  # [NT] tile ids with work
    NT = tiles.numel()
    out_feat = torch.zeros(C * th * tw, P, D, dtype=dt, device=dev)
    out_T = torch.ones(C * th * tw, P, dtype=dt, device=dev)
    if NT:
        # Per splat: mean, -0.5 a, -b, -0.5 c, log(opacity), the lowest log-alpha kept
        # (max(log o - sigma_cut, log ALPHA_MIN)), then the features and a 1 (its weight sums to 1 - T).
        a, b, c = conics.unbind(-1)
        log_op = torch.log(opacities.clamp_min(1e-30))
        thr = torch.clamp_min(log_op - sigma_cut, math.log(ALPHA_MIN))
        ones = torch.ones_like(opacities)
        table = torch.cat(
            [means2d, torch.stack([-0.5 * a, -b, -0.5 * c, log_op, thr], -1), features, ones[..., None]], dim=-1
        ).reshape(C * N, -1)
        no_splat = torch.zeros(1, table.shape[1], dtype=dt, device=dev)
        no_splat[0, 6] = math.inf  # padding entries: threshold +inf, never kept
        table = torch.cat([table, no_splat])
        pad_id = C * N
        starts = offsets[:-1][tiles]
        counts = counts_all[tiles]
        t_in_cam = tiles % (th * tw)
        origin = torch.stack([(t_in_cam % tw) * tile_size, (t_in_cam // tw) * tile_size], -1).to(dt)  # [NT, 2]
        lx = (torch.arange(P, device=dev) % tile_size).to(dt) + 0.5  # [P] local pixel centres
        ly = (torch.arange(P, device=dev) // tile_size).to(dt) + 0.5
        gx = (t_in_cam % tw)[:, None] * tile_size + (torch.arange(P, device=dev) % tile_size)[None]
        gy = (t_in_cam // tw)[:, None] * tile_size + (torch.arange(P, device=dev) // tile_size)[None]
        done = (gx >= width) | (gy >= height)  # [NT, P] padding pixels never count
        T = torch.ones(NT, P, dtype=dt, device=dev)
        open_tiles = torch.arange(NT, device=dev)
        sels, contribs = [], []
        consumed = 0
        kernel = _compiled_round() if (use_compile and not grad) else composite_round
        rnd = 0
        while open_tiles.numel():
            sel = open_tiles
            k = chunk * (1 if rnd < 2 else 2 if rnd < 6 else 4)  # later rounds: fewer tiles, longer lists
            kk = torch.arange(k, device=dev)
            pos = starts[sel, None] + consumed + kk  # [B, K]
            valid = (consumed + kk)[None] < counts[sel, None]
            gid = torch.where(valid, flat_ids[torch.where(valid, pos, torch.zeros_like(pos))], pad_id)
            g = table[gid]  # [B, K, F]
            T_in = torch.where(done[sel], torch.zeros_like(T[sel]), T[sel])  # [B, P]; stopped pixels take nothing
            contrib, T_last = kernel(g, origin[sel], lx, ly, T_in)
            sels.append(sel)
            contribs.append(contrib[..., :D])
            T_new = torch.where(done[sel], T[sel], T_in - contrib[..., D])
            done_new = done[sel] | (T_last <= TRANSMITTANCE_MIN)
            if grad:
                T = T.index_copy(0, sel, T_new)
            else:
                T[sel] = T_new
            done[sel] = done_new
            consumed += k
            rnd += 1
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
    antialiased: bool = False,
    tile_size: int = DEFAULT_TILE_SIZE,
    chunk: int = DEFAULT_CHUNK,
    use_compile: bool | None = None,
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
        antialiased: scale opacities so the dilation does not enlarge sub-pixel splats
            (:mod:`marble.render.projection`; gsplat's ``rasterize_mode="antialiased"``).
        tile_size: tile side in pixels.
        chunk: splats per tile per compositing round (later rounds take 2x and 4x).
        use_compile: see :func:`composite_tiles` (``MARBLE_RENDER_COMPILE=1``).
    Returns:
        ``colors [C, H, W, 3]``, ``alphas [C, H, W, 1]``, ``depths [C, H, W, 1]`` (alpha-weighted z).
    """
    proj = project(means, quats, scales, opacities, viewmats, Ks, width, height, eps2d=eps2d, near=near, far=far,
                   antialiased=antialiased)
    rgb = splat_colors(colors, means, viewmats, sh_degree)  # [C, N, 3]
    feats = torch.cat([rgb, proj.depths[..., None]], dim=-1)  # [C, N, 4]
    op = proj.opacities(opacities)
    flat_ids, offsets = bin_tiles(proj, width, height, tile_size, opacities=op)
    img, T = composite_tiles(
        proj.means2d, proj.conics, op, feats, flat_ids, offsets, width, height, tile_size=tile_size, chunk=chunk,
        use_compile=use_compile,
    )
    out_rgb = img[..., :3]
    if background is not None:
        out_rgb = out_rgb + T * background[:, None, None, :]
    return out_rgb, 1.0 - T, img[..., 3:4]
