"""Classical inpainting, the embedded fallback when no inpainting model is configured."""

from __future__ import annotations

import numpy as np

from marble.errors import InputError

METHODS = ("telea", "ns", "biharmonic")


def inpaint_classical(
    rgb: np.ndarray,  # [H, W, 3]
    mask: np.ndarray,  # [H, W] bool
    *,
    method: str = "telea",
    radius: int = 5,
) -> np.ndarray:
    """Fill the ``mask`` pixels of ``rgb`` from their surroundings.

    Args:
        rgb: ``[H, W, 3]`` float colours in [0, 1].
        mask: ``[H, W]`` bool, True where pixels must be filled.
        method: ``"telea"`` (OpenCV fast marching), ``"ns"`` (OpenCV Navier-Stokes) or
            ``"biharmonic"`` (scikit-image; slower, smoother).
        radius: neighbourhood radius in pixels for the OpenCV methods.
    Returns:
        ``[H, W, 3]`` float32 in [0, 1]; pixels outside ``mask`` are unchanged.
    """
    if method not in METHODS:
        raise InputError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}")
    img = np.asarray(rgb, np.float32)
    m = np.asarray(mask, bool)
    if img.ndim != 3 or img.shape[-1] != 3 or m.shape != img.shape[:2]:
        raise InputError(f"`rgb` [H, W, 3] and `mask` [H, W] must agree, got {list(img.shape)} and {list(m.shape)}")
    if not m.any():
        return img.copy()
    if m.all():  # nothing to propagate from: mid grey
        return np.full_like(img, 0.5)
    if method == "biharmonic":
        from skimage.restoration import inpaint_biharmonic

        out = inpaint_biharmonic(np.where(m[..., None], 0, img).astype(np.float64), m, channel_axis=-1)
    else:
        import cv2

        u8 = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
        flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
        out = cv2.inpaint(u8, m.astype(np.uint8) * 255, int(radius), flag).astype(np.float32) / 255.0
    out = np.where(m[..., None], out, img)
    return np.clip(out, 0, 1).astype(np.float32)


class ClassicalInpainter:
    """Inpainter with the same interface as the diffusion one: ``inpaint(rgb, mask, *, prompt, seed)``."""

    def __init__(self, method: str = "telea", radius: int = 5) -> None:
        if method not in METHODS:
            raise InputError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}")
        self.method = method
        self.radius = radius

    @property
    def name(self) -> str:
        return self.method

    def inpaint(self, rgb: np.ndarray, mask: np.ndarray, *, prompt: str | None = None, seed: int = 0) -> np.ndarray:
        """``[H, W, 3]`` filled image (``prompt`` and ``seed`` are ignored: the result is deterministic)."""
        return inpaint_classical(rgb, mask, method=self.method, radius=self.radius)
