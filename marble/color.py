"""Colour transfer functions and image comparison: the one home for sRGB conversions and PSNR."""

from __future__ import annotations

import math

import numpy as np
import torch


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (clipped to [0, 1]) -> linear light (IEC 61966-2-1), same shape."""
    c = np.clip(np.asarray(c), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: np.ndarray) -> np.ndarray:
    """Linear light (clipped to [0, 1]) -> sRGB-encoded values, same shape (inverse of :func:`srgb_to_linear`)."""
    c = np.clip(np.asarray(c), 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def psnr(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor, *, max_db: float = math.inf) -> float:
    """Peak signal-to-noise ratio in dB of two images with values in [0, 1] (arrays or tensors, same shape).

    The error is averaged in float64. Identical images give ``max_db`` (``inf`` unless capped; reports that
    go into JSON cap it at 99 dB), and no value above ``max_db`` is returned.
    """
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        mse = float(((torch.as_tensor(a).double() - torch.as_tensor(b).double()) ** 2).mean())
    else:
        mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    if mse <= 0:
        return max_db
    return min(max_db, 10.0 * math.log10(1.0 / mse))
