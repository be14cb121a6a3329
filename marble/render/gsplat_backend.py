"""CUDA backend: ``gsplat.rasterization``, imported lazily so CPU-only machines never load its kernels."""

from __future__ import annotations

from torch import Tensor


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
    return_meta: bool = False,
):
    """Render with gsplat on CUDA; same arguments and outputs as :func:`marble.render.cpu.rasterize`.

    Returns:
        ``colors [C, H, W, 3]``, ``alphas [C, H, W, 1]``, ``depths [C, H, W, 1]`` (alpha-weighted z),
        plus gsplat's ``meta`` dict when ``return_meta`` (densification strategies need it).
    """
    from gsplat import rasterization  # lazy: loads the CUDA extension

    if colors.ndim == 3 and sh_degree is None:
        sh_degree = int(round(colors.shape[1] ** 0.5)) - 1
    if colors.ndim == 2:
        sh_degree = None
    out, alphas, meta = rasterization(
        means, quats, scales, opacities, colors, viewmats, Ks, width, height,
        near_plane=near, far_plane=far, sh_degree=sh_degree, backgrounds=background,
        render_mode="RGB+D", eps2d=eps2d, packed=False, rasterize_mode="antialiased" if antialiased else "classic",
    )
    rgb, depth = out[..., :3], out[..., 3:4]
    if return_meta:
        return rgb, alphas, depth, meta
    return rgb, alphas, depth
