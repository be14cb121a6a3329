"""Classical inpainting, the embedded fallback when no inpainting model is configured."""

from __future__ import annotations

import numpy as np

from marble.errors import InputError

METHODS = ("telea", "ns", "biharmonic", "rows", "auto")
LARGE_HOLE = 0.15
"""``"auto"`` fills holes larger than this fraction of the image with ``"rows"``, smaller ones with Telea."""


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
        method: ``"telea"`` (OpenCV fast marching), ``"ns"`` (OpenCV Navier-Stokes),
            ``"biharmonic"`` (scikit-image; slower, smoother), ``"rows"`` (repeat the known pixels
            of each row across its holes, then Telea on the seams: keeps sky above ground when a
            camera turns into the unknown) or ``"auto"`` (``"rows"`` for large holes, else Telea).
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
    if method == "auto":
        method = "rows" if m.mean() > LARGE_HOLE else "telea"
    if method == "rows":
        filled = _fill_rows(img, m)
        # smooth the seams: re-inpaint a thin band around the hole boundary with Telea
        from scipy import ndimage

        band = m & ~ndimage.binary_erosion(m, iterations=2)
        out = inpaint_classical(filled, band, method="telea", radius=radius) if band.any() and not band.all() else filled
        return np.where(m[..., None], out, img).astype(np.float32)
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


def _fill_rows(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Fill each row's holes by repeating that row's known pixels (nearest known row if none)."""
    h, w = m.shape
    out = img.copy()
    has = (~m).any(1)
    rows_known = np.nonzero(has)[0]
    for r in range(h):
        src = r if has[r] else rows_known[np.argmin(np.abs(rows_known - r))]
        known_cols = np.nonzero(~m[src])[0]
        holes = np.nonzero(m[r])[0]
        if len(holes) == 0:
            continue
        # mirror-repeat the known run so that texture continues away from the seam
        k = len(known_cols)
        period = 2 * k
        j = np.arange(len(holes)) % period
        idx = np.where(j < k, k - 1 - j, j - k)
        if holes[0] > known_cols[0]:  # holes to the right of the known part continue leftwards-mirrored
            pass
        out[r, holes] = img[src, known_cols[idx]]
    return out


class ClassicalInpainter:
    """Inpainter with the same interface as the diffusion one: ``inpaint(rgb, mask, *, prompt, seed)``."""

    def __init__(self, method: str = "auto", radius: int = 5) -> None:
        if method not in METHODS:
            raise InputError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}")
        self.method = method
        self.radius = radius

    @property
    def name(self) -> str:
        return "telea+rows" if self.method == "auto" else self.method

    def inpaint(self, rgb: np.ndarray, mask: np.ndarray, *, prompt: str | None = None, seed: int = 0) -> np.ndarray:
        """``[H, W, 3]`` filled image (``prompt`` and ``seed`` are ignored: the result is deterministic)."""
        return inpaint_classical(rgb, mask, method=self.method, radius=self.radius)
