"""Conversions between Marble's numpy images and what diffusers pipelines take and return."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def pipeline_size(height: int, width: int, *, multiple: int = 8, min_side: int = 64) -> tuple[int, int]:
    """The nearest ``(height, width)`` a diffusion pipeline accepts (multiples of ``multiple``)."""
    def fit(x: int) -> int:
        return max(min_side, int(round(x / multiple)) * multiple)

    return fit(height), fit(width)


def to_tensor(rgb: np.ndarray, size: tuple[int, int] | None = None) -> torch.Tensor:
    """``[H, W, C]`` float in [0, 1] -> ``[1, C, h, w]`` float32 (resized to ``size`` when given)."""
    t = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32))
    if t.ndim == 2:
        t = t[..., None]
    t = t.permute(2, 0, 1)[None]
    if size is not None and tuple(t.shape[-2:]) != tuple(size):
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=True)
    return t.clamp(0, 1)


def to_numpy(images, size: tuple[int, int] | None = None) -> np.ndarray:
    """A pipeline's ``output_type="np"`` images ``[1, h, w, C]`` -> ``[H, W, C]`` float32 (resized to ``size``)."""
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 4:
        arr = arr[0]
    if size is not None and arr.shape[:2] != tuple(size):
        t = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None]
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=True)
        arr = t[0].permute(1, 2, 0).numpy()
    return np.clip(np.nan_to_num(arr, nan=0.5), 0, 1).astype(np.float32)


def depth_to_control(depth: np.ndarray) -> np.ndarray:
    """Depth ``[H, W]`` (``inf`` for sky) -> a ControlNet depth image ``[H, W, 3]`` in [0, 1].

    Like the MiDaS maps depth ControlNets were trained on: normalised inverse depth, near is
    white, sky is black.
    """
    d = np.asarray(depth, np.float64)
    finite = np.isfinite(d) & (d > 0)
    disp = np.zeros_like(d)
    disp[finite] = 1.0 / d[finite]
    if finite.any():
        lo, hi = np.percentile(disp[finite], 1), np.percentile(disp[finite], 99)
        disp = np.where(finite, np.clip((disp - lo) / max(hi - lo, 1e-9), 0, 1) * 0.9 + 0.1, 0.0)
    return np.repeat(disp[..., None], 3, axis=-1).astype(np.float32)
