"""Rotations and rigid/similarity transforms: the one home for quaternion and matrix conversions.

Quaternions are ``wxyz`` (the Gaussians' convention) and normalised on use; matrices act on
column vectors. Every function here takes ``float64`` or ``float32`` tensors.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from marble.errors import InputError


def quat_to_rotmat(quats: Tensor) -> Tensor:
    """Rotation matrices from ``wxyz`` quaternions (normalised here).

    Args:
        quats: ``[..., 4]``.
    Returns:
        ``[..., 3, 3]``.
    """
    q = quats / quats.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    w, x, y, z = q.unbind(-1)
    return torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    ).reshape(*q.shape[:-1], 3, 3)


def rotmat_to_quat(R: Tensor | np.ndarray) -> Tensor | np.ndarray:
    """``wxyz`` unit quaternions (w >= 0) from rotation matrices ``[..., 3, 3]`` -> ``[..., 4]``.

    Takes a tensor or a numpy array and returns the same kind, in its dtype. The largest of
    ``w, x, y, z`` is computed from the trace-like candidates and the rest from it (Shepperd's
    method), so half turns are exact too.
    """
    if isinstance(R, np.ndarray):
        return rotmat_to_quat(torch.from_numpy(R)).numpy()
    m = R.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = torch.stack(
        [
            1 + tr,
            1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2],
            1 - m[:, 0, 0] + m[:, 1, 1] - m[:, 2, 2],
            1 - m[:, 0, 0] - m[:, 1, 1] + m[:, 2, 2],
        ],
        dim=-1,
    )
    best = cand.argmax(dim=-1)
    out = torch.empty(m.shape[0], 4, dtype=m.dtype, device=m.device)
    s = torch.sqrt(cand.gather(1, best[:, None]).clamp_min(1e-12))[:, 0] * 2  # 4*|component|
    # w largest
    i = best == 0
    out[i] = torch.stack([s[i] / 4, (m[i, 2, 1] - m[i, 1, 2]) / s[i], (m[i, 0, 2] - m[i, 2, 0]) / s[i], (m[i, 1, 0] - m[i, 0, 1]) / s[i]], -1)
    i = best == 1
    out[i] = torch.stack([(m[i, 2, 1] - m[i, 1, 2]) / s[i], s[i] / 4, (m[i, 0, 1] + m[i, 1, 0]) / s[i], (m[i, 0, 2] + m[i, 2, 0]) / s[i]], -1)
    i = best == 2
    out[i] = torch.stack([(m[i, 0, 2] - m[i, 2, 0]) / s[i], (m[i, 0, 1] + m[i, 1, 0]) / s[i], s[i] / 4, (m[i, 1, 2] + m[i, 2, 1]) / s[i]], -1)
    i = best == 3
    out[i] = torch.stack([(m[i, 1, 0] - m[i, 0, 1]) / s[i], (m[i, 0, 2] + m[i, 2, 0]) / s[i], (m[i, 1, 2] + m[i, 2, 1]) / s[i], s[i] / 4], -1)
    out = out * torch.where(out[:, :1] < 0, -1.0, 1.0).to(out.dtype)
    out = out / out.norm(dim=-1, keepdim=True)
    return out.reshape(*R.shape[:-2], 4)


def quat_multiply(a: Tensor, b: Tensor) -> Tensor:
    """Hamilton product of ``wxyz`` quaternions ``[..., 4] x [..., 4] -> [..., 4]`` (a then b applied as a*b)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        dim=-1,
    )


def axis_angle_matrix(axis, angle_deg: float) -> Tensor:
    """``[3, 3]`` float64 rotation by ``angle_deg`` degrees about ``axis`` (``"x"|"y"|"z"`` or ``[3]``)."""
    if isinstance(axis, str):
        key = axis.lower()
        if key not in ("x", "y", "z"):
            raise InputError(f"`axis` must be x, y, z or a 3-vector, got {axis!r}")
        axis = {"x": (1.0, 0, 0), "y": (0, 1.0, 0), "z": (0, 0, 1.0)}[key]
    a = torch.as_tensor(axis, dtype=torch.float64).reshape(-1)
    ang = float(angle_deg)
    if a.numel() != 3 or not torch.isfinite(a).all() or a.norm() < 1e-12:
        raise InputError(f"`axis` must be a finite non-zero 3-vector, got {a.tolist()}")
    if not math.isfinite(ang):
        raise InputError(f"`angle_deg` must be finite, got {angle_deg}")
    a = a / a.norm()
    th = math.radians(ang)
    K = torch.tensor([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]], dtype=torch.float64)
    return torch.eye(3, dtype=torch.float64) + math.sin(th) * K + (1 - math.cos(th)) * (K @ K)


def decompose_similarity(T: Tensor) -> tuple[Tensor, float, Tensor]:
    """Split a 4x4 similarity transform into rotation ``[3,3]``, uniform scale and translation ``[3]``.

    Raises:
        InputError: ``T`` is not finite, or not a rotation times a uniform scale.
    """
    T = torch.as_tensor(T, dtype=torch.float64)
    if T.shape != (4, 4):
        raise InputError(f"`T` must be a 4x4 matrix, got shape {tuple(T.shape)}")
    if not torch.isfinite(T).all():
        raise InputError("`T` contains NaN or Inf")
    A = T[:3, :3]
    col_norms = A.norm(dim=0)
    scale = float(col_norms.mean())
    if scale <= 0 or (col_norms - scale).abs().max() > 1e-4 * max(scale, 1e-12):
        raise InputError(
            f"`T` must be a rotation with a uniform scale; column norms are {col_norms.tolist()}"
        )
    R = A / scale
    if torch.linalg.det(R) < 0:
        raise InputError("`T` contains a reflection (negative determinant); only rotations are supported")
    return R, scale, T[:3, 3]
