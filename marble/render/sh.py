"""Real spherical harmonics up to degree 3, as used by 3D Gaussian splatting.

The basis and its sign conventions are the ones 3DGS and gsplat use, so coefficients move between
Marble, gsplat and PLY/SPZ files unchanged. Colour is ``max(sum_k c_k * Y_k(dir) + 0.5, 0)``.
"""

from __future__ import annotations

import torch
from torch import Tensor

C0 = 0.28209479177387814
C1 = 0.4886025119029199
C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
C3 = (
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
)


def num_sh_bases(degree: int) -> int:
    """Number of coefficients for ``degree``: 1, 4, 9 or 16."""
    if degree not in (0, 1, 2, 3):
        raise ValueError(f"`sh_degree` must be 0, 1, 2 or 3, got {degree}")
    return (degree + 1) ** 2


def sh_bases(degree: int, dirs: Tensor) -> Tensor:
    """Evaluate the real SH basis at unit directions.

    Args:
        degree: highest band, 0..3.
        dirs: ``[..., 3]`` unit vectors.
    Returns:
        ``[..., (degree + 1) ** 2]`` basis values.
    """
    n = num_sh_bases(degree)
    out = [torch.full_like(dirs[..., 0], C0)]
    if degree >= 1:
        x, y, z = dirs.unbind(-1)
        out += [-C1 * y, C1 * z, -C1 * x]
        if degree >= 2:
            xx, yy, zz = x * x, y * y, z * z
            xy, yz, xz = x * y, y * z, x * z
            out += [
                C2[0] * xy,
                C2[1] * yz,
                C2[2] * (2.0 * zz - xx - yy),
                C2[3] * xz,
                C2[4] * (xx - yy),
            ]
            if degree >= 3:
                out += [
                    C3[0] * y * (3 * xx - yy),
                    C3[1] * xy * z,
                    C3[2] * y * (4 * zz - xx - yy),
                    C3[3] * z * (2 * zz - 3 * xx - 3 * yy),
                    C3[4] * x * (4 * zz - xx - yy),
                    C3[5] * z * (xx - yy),
                    C3[6] * x * (xx - 3 * yy),
                ]
    assert len(out) == n
    return torch.stack(out, dim=-1)


def eval_sh(degree: int, coeffs: Tensor, dirs: Tensor) -> Tensor:
    """Colour from SH coefficients seen along ``dirs``.

    Args:
        degree: bands to use (``(degree + 1) ** 2 <= K``).
        coeffs: ``[..., K, 3]`` coefficients, DC first.
        dirs: ``[..., 3]`` view directions (camera to splat), normalised here.
    Returns:
        ``[..., 3]`` RGB, ``max(sh + 0.5, 0)`` (not clamped above, as in gsplat).
    """
    n = num_sh_bases(degree)
    if coeffs.shape[-2] < n:
        raise ValueError(f"`sh_degree` {degree} needs {n} coefficients per splat, got {coeffs.shape[-2]}")
    if degree == 0:
        return torch.clamp_min(C0 * coeffs[..., 0, :] + 0.5, 0.0)
    d = dirs / dirs.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    basis = sh_bases(degree, d)  # [..., n]
    rgb = (basis[..., None] * coeffs[..., :n, :]).sum(dim=-2)
    return torch.clamp_min(rgb + 0.5, 0.0)
