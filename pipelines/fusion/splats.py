"""Flat splats from merged cells: two wide axes in the surface, a thin one along the normal."""

from __future__ import annotations

import math

import numpy as np
import torch

from marble.gaussians import Gaussians, rgb_to_sh0
from marble.geometry import rotmat_to_quat
from pipelines.fusion.params import SPLAT_OPACITY, SPLAT_THICKNESS


def flat_splats(means, normals, tangents, sig_t, sig_b, colors, *, opacity: float = SPLAT_OPACITY) -> Gaussians:
    """Flat splats: axes (tangent, bitangent, normal) with std ``sig_t``, ``sig_b``, thin along the normal.

    Args:
        means: ``[N, 3]`` centres; normals, tangents: ``[N, 3]`` (tangents re-orthogonalised here);
        sig_t, sig_b: ``[N]`` standard deviations along the tangent and bitangent; colors: ``[N, 3]``.
    """
    n = np.asarray(normals, np.float64)
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    t = np.asarray(tangents, np.float64)
    t = t - np.sum(t * n, axis=1, keepdims=True) * n
    t = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    b = np.cross(n, t)
    quats = rotmat_to_quat(np.stack([t, b, n], axis=-1)).astype(np.float32)  # columns t, b, n
    sig_t = np.asarray(sig_t, np.float32)
    sig_b = np.asarray(sig_b, np.float32)
    sig_n = np.maximum(SPLAT_THICKNESS * np.minimum(sig_t, sig_b), 1e-5)
    log_scales = np.log(np.maximum(np.stack([sig_t, sig_b, sig_n], axis=1), 1e-8)).astype(np.float32)
    col = torch.from_numpy(np.ascontiguousarray(colors, np.float32))
    m = len(n)
    return Gaussians(
        means=torch.from_numpy(np.ascontiguousarray(means, np.float32)),
        quats=torch.from_numpy(quats),
        log_scales=torch.from_numpy(log_scales),
        opacity_logits=torch.full((m,), float(math.log(opacity / (1 - opacity))), dtype=torch.float32),
        sh0=rgb_to_sh0(col).contiguous(),
    )
