"""EWA projection of 3D Gaussians to screen space (pinhole cameras, OpenCV axes).

Follows the 3DGS / gsplat formulation: world -> camera, the Jacobian of the perspective map at
the (frustum-clamped) mean, a low-pass dilation of the 2D covariance (``eps2d``: 0.3 px^2 classic, 0.1
with the filter below, ``marble.render.core.low_pass``), and its inverse
(the conic). With ``antialiased=True`` each splat's opacity is also scaled by
``sqrt(det(cov2d) / det(cov2d + eps2d I))`` (Mip-Splatting's 2D filter, gsplat's
``rasterize_mode="antialiased"``): the dilation then blurs a splat smaller than a pixel without
making it bigger, so thin and distant surfaces keep their true footprint. Tests compare it with
``gsplat.cuda._torch_impl._fully_fused_projection``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from marble.geometry import quat_to_rotmat

ALPHA_MIN = 1.0 / 255.0
"""Splat-pixel contributions with a smaller alpha are skipped (as in 3DGS and gsplat)."""
EXTENT_SIGMA = 3.0
"""Splats reach this many standard deviations (Mahalanobis distance in screen space)."""


@dataclass
class Projected:
    """Screen-space splats for ``C`` cameras and ``N`` Gaussians.

    Attributes:
        means2d: ``[C, N, 2]`` pixel coordinates of the centres (pixel centres at ``i + 0.5``).
        conics: ``[C, N, 3]`` inverse 2D covariance ``(a, b, c)``: ``sigma = 0.5 (a dx^2 + c dy^2) + b dx dy``.
        depths: ``[C, N]`` camera-space z.
        covars2d: ``[C, N, 3]`` dilated 2D covariance ``(xx, xy, yy)``.
        radii: ``[C, N, 2]`` float half-extents in pixels of the visible ellipse (0 when culled).
        visible: ``[C, N]`` bool, in front of the camera, inside ``near..far`` and overlapping the image.
        compensation: ``[C, N]`` factor the opacities are multiplied by when rasterizing (ones
            unless projected with ``antialiased=True``).
    """

    means2d: Tensor
    conics: Tensor
    depths: Tensor
    covars2d: Tensor
    radii: Tensor
    visible: Tensor
    compensation: Tensor

    def opacities(self, opacities: Tensor) -> Tensor:
        """``[C, N]`` the opacities ``[N]`` each camera rasterizes (times :attr:`compensation`)."""
        return opacities[None] * self.compensation


def covariance_3d(quats: Tensor, scales: Tensor) -> Tensor:
    """World-space covariances ``R S S^T R^T``.

    Args:
        quats: ``[N, 4]`` wxyz (normalised here).
        scales: ``[N, 3]`` standard deviations.
    Returns:
        ``[N, 3, 3]``.
    """
    M = quat_to_rotmat(quats) * scales[..., None, :]  # [N, 3, 3]
    return M @ M.transpose(-1, -2)


def project(
    means: Tensor,  # [N, 3]
    quats: Tensor,  # [N, 4]
    scales: Tensor,  # [N, 3]
    opacities: Tensor,  # [N]
    viewmats: Tensor,  # [C, 4, 4]
    Ks: Tensor,  # [C, 3, 3]
    width: int,
    height: int,
    *,
    eps2d: float = 0.3,
    near: float = 0.01,
    far: float = 1e4,
    extent_sigma: float = EXTENT_SIGMA,
    antialiased: bool = False,
) -> Projected:
    """Project Gaussians into ``C`` pinhole cameras (differentiable).

    Args:
        means: ``[N, 3]`` world centres.
        quats: ``[N, 4]`` wxyz rotations.
        scales: ``[N, 3]`` standard deviations (not logs).
        opacities: ``[N]`` in (0, 1); used only to shrink the extent of faint splats.
        viewmats: ``[C, 4, 4]`` world -> camera.
        Ks: ``[C, 3, 3]`` intrinsics.
        width, height: image size in pixels.
        eps2d: low-pass dilation added to the 2D covariance diagonal (pixels^2).
        near, far: z range kept.
        extent_sigma: how many sigmas a splat reaches.
        antialiased: compensate the opacities for the dilation (see the module docstring).
    Returns:
        :class:`Projected`.
    """
    M = quat_to_rotmat(quats) * scales[..., None, :]  # [N, 3, 3], covariance = M M^T
    R = viewmats[:, :3, :3]  # [C, 3, 3]
    t = viewmats[:, :3, 3]  # [C, 3]
    means_c = means[None] @ R.transpose(-1, -2) + t[:, None, :]  # [C, N, 3]

    tx, ty, tz = means_c.unbind(-1)  # [C, N]
    fx, fy = Ks[:, 0, 0, None], Ks[:, 1, 1, None]  # [C, 1]
    cx, cy = Ks[:, 0, 2, None], Ks[:, 1, 2, None]
    tan_fovx, tan_fovy = 0.5 * width / fx, 0.5 * height / fy
    lim_x_pos = (width - cx) / fx + 0.3 * tan_fovx
    lim_x_neg = cx / fx + 0.3 * tan_fovx
    lim_y_pos = (height - cy) / fy + 0.3 * tan_fovy
    lim_y_neg = cy / fy + 0.3 * tan_fovy
    # Clamp the point where the Jacobian is taken to a bit beyond the frustum (3DGS).
    txc = tz * torch.clamp(tx / tz, min=-lim_x_neg, max=lim_x_pos)
    tyc = tz * torch.clamp(ty / tz, min=-lim_y_neg, max=lim_y_pos)
    # EWA: cov2d = J R_cw M M^T R_cw^T J^T with J = [[fx/z, 0, -fx x/z^2], [0, fy/z, -fy y/z^2]].
    # Written as A = (J R_cw) M ([C, N, 2, 3]) and cov2d = A A^T, with elementwise products only.
    j00, j02 = fx / tz, -fx * txc / (tz * tz)
    j11, j12 = fy / tz, -fy * tyc / (tz * tz)
    W0 = j00[..., None] * R[:, None, 0, :] + j02[..., None] * R[:, None, 2, :]  # [C, N, 3]
    W1 = j11[..., None] * R[:, None, 1, :] + j12[..., None] * R[:, None, 2, :]
    A0 = (W0[..., :, None] * M[None]).sum(-2)  # [C, N, 3] row 0 of J R_cw M
    A1 = (W1[..., :, None] * M[None]).sum(-2)
    c00 = (A0 * A0).sum(-1)
    c01 = (A0 * A1).sum(-1)
    c11 = (A1 * A1).sum(-1)
    means2d = torch.stack([fx * tx / tz + cx, fy * ty / tz + cy], dim=-1)  # [C, N, 2]

    cxx = c00 + eps2d
    cyy = c11 + eps2d
    cxy = c01
    det = (cxx * cyy - cxy * cxy).clamp(min=1e-10)
    conics = torch.stack([cyy / det, -cxy / det, cxx / det], dim=-1)  # [C, N, 3]
    covars2d = torch.stack([cxx, cxy, cyy], dim=-1)
    if antialiased:
        det0 = (c00 * c11 - c01 * c01).clamp(min=0.0)
        compensation = torch.sqrt(det0 / det + 1e-12)
    else:
        compensation = torch.ones_like(tz)

    with torch.no_grad():
        op = (opacities.detach().reshape(1, -1) * compensation.detach()).expand_as(tz)
        # alpha = op * exp(-sigma) >= ALPHA_MIN  <=>  sigma <= log(op / ALPHA_MIN); reach = sqrt(2 * sigma_max)
        sig_max = torch.clamp(torch.log(op.clamp_min(1e-30) / ALPHA_MIN), min=0.0)
        k = torch.minimum(torch.sqrt(2.0 * sig_max + 1e-4), torch.full_like(sig_max, extent_sigma))
        rx = k * torch.sqrt(cxx.detach().clamp_min(0)) * (1 + 1e-4) + 1e-3
        ry = k * torch.sqrt(cyy.detach().clamp_min(0)) * (1 + 1e-4) + 1e-3
        mx, my = means2d.detach().unbind(-1)
        visible = (
            (tz.detach() > near)
            & (tz.detach() < far)
            & (op >= ALPHA_MIN)
            & (mx + rx > 0)
            & (mx - rx < width)
            & (my + ry > 0)
            & (my - ry < height)
            & torch.isfinite(mx)
            & torch.isfinite(my)
        )
        radii = torch.stack([rx, ry], dim=-1) * visible[..., None]
    return Projected(means2d, conics, tz, covars2d, radii, visible, compensation)


def camera_centers(viewmats: Tensor) -> Tensor:
    """``[C, 3]`` world positions of cameras from ``[C, 4, 4]`` world -> camera matrices."""
    R = viewmats[:, :3, :3]
    t = viewmats[:, :3, 3]
    return -(R.transpose(-1, -2) @ t[..., None])[..., 0]


def alpha_cutoff_sigma() -> float:
    """Largest ``sigma`` (half squared Mahalanobis distance) a splat reaches: ``0.5 * EXTENT_SIGMA**2``."""
    return 0.5 * EXTENT_SIGMA * EXTENT_SIGMA

