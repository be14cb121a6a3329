"""Aligning relative depth (learned or geometric) to known metric depth.

Monocular estimators give depth (or disparity) up to an unknown scale and shift. Given pixels
where the metric depth is known (warped from earlier views, or the ground plane), a robust
least-squares fit of ``scale * x + shift`` brings the estimate into metres.
"""

from __future__ import annotations

import numpy as np

from marble.errors import InputError

SPACES = ("depth", "disparity", "scale")


def align_depth(
    estimate: np.ndarray,  # [H, W]
    reference: np.ndarray,  # [H, W]
    mask: np.ndarray | None = None,  # [H, W] bool
    *,
    space: str = "depth",
    iterations: int = 3,
    min_pixels: int = 16,
    max_depth: float = 1e3,
) -> tuple[np.ndarray, dict]:
    """Fit ``estimate`` to ``reference`` on ``mask`` and return the aligned metric depth.

    Args:
        estimate: ``[H, W]`` relative depth (``space="depth"`` or ``"scale"``) or relative
            disparity / inverse depth (``space="disparity"``, larger is nearer).
        reference: ``[H, W]`` metric z-depth; non-finite pixels are ignored.
        mask: ``[H, W]`` bool of pixels to fit on (default: every finite reference pixel).
        space: ``"depth"`` fits scale and shift on depth, ``"disparity"`` on inverse depth,
            ``"scale"`` fits a scale only (keeps the estimate's zero).
        iterations: after a seeded RANSAC start, robust re-weighting rounds (pixels beyond 2.5 median residuals are dropped).
        min_pixels: fewer usable pixels than this raises.
        max_depth: aligned depth is clipped to ``(0, max_depth]``.
    Returns:
        ``(depth [H, W] float32 metres, info)`` where ``info`` has ``scale``, ``shift``,
        ``pixels`` and ``rel_error`` (median relative depth error on the fitted pixels).
    Raises:
        InputError: shapes differ, the estimate holds NaN, or too few pixels to fit.
    """
    if space not in SPACES:
        raise InputError(f"`space` must be one of {', '.join(SPACES)}, got {space!r}")
    est = np.asarray(estimate, np.float64)
    ref = np.asarray(reference, np.float64)
    if est.shape != ref.shape or est.ndim != 2:
        raise InputError(f"`estimate` {list(est.shape)} and `reference` {list(ref.shape)} must be the same [H, W] shape")
    if np.isnan(est).any():
        raise InputError("`estimate` depth map contains NaN: the depth model failed on this image")
    valid = np.isfinite(ref) & (ref > 0) & np.isfinite(est)
    if mask is not None:
        valid &= np.asarray(mask, bool)
    if valid.sum() < min_pixels:
        raise InputError(f"only {int(valid.sum())} pixels of known depth to align to (need {min_pixels})")
    target = 1.0 / ref if space == "disparity" else ref
    x, y = est[valid], target[valid]
    keep = _ransac_inliers(x, y, scale_only=space == "scale")
    if keep.sum() < min_pixels:
        keep = np.ones(len(x), bool)
    scale, shift = 1.0, 0.0
    for _ in range(max(1, iterations)):
        if space == "scale":
            denom = float((x[keep] ** 2).sum())
            scale, shift = (float((x[keep] * y[keep]).sum()) / denom if denom > 0 else 1.0), 0.0
        else:
            A = np.stack([x[keep], np.ones(keep.sum())], 1)
            (scale, shift), *_ = np.linalg.lstsq(A, y[keep], rcond=None)
        res = np.abs(scale * x + shift - y)
        mad = float(np.median(res[keep])) + 1e-12
        new_keep = res <= 2.5 * mad * 1.4826 + 1e-9
        if new_keep.sum() < min_pixels or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    fitted = scale * est + shift
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = 1.0 / fitted if space == "disparity" else fitted
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, max_depth)
    depth = np.clip(depth, 1e-3, max_depth)
    rel = np.abs(depth[valid] - ref[valid]) / ref[valid]
    info = {"scale": float(scale), "shift": float(shift), "pixels": int(valid.sum()),
            "rel_error": float(np.median(rel)), "space": space}
    return depth.astype(np.float32), info


def depth_on_popup(est, geo) -> tuple[np.ndarray, np.ndarray, dict]:
    """A depth estimate in metres on the geometric photo pop-up's scale, with the sky at infinity.

    Args:
        est: a :class:`pipelines.lift.estimators.DepthEstimate` of the image.
        geo: the image's :class:`pipelines.lift.geometric_depth.GeometricDepthResult` (its ground plane
            gives the scale).
    Returns:
        ``(depth [H, W] float32, inf on sky; sky [H, W] bool; alignment info)``: metric estimates as
        they come, relative ones fitted to the pop-up's ground (its non-sky pixels when under 64 of
        them are ground); the sky is the estimator's own mask when it has one.
    """
    from pipelines.lift.geometric_depth import GROUND, SKY

    info: dict = {}
    if est.space == "metric":
        depth = np.asarray(est.values, np.float32)
    else:
        ground = geo.region == GROUND
        mask = ground if ground.sum() >= 64 else geo.region != SKY
        depth, info = align_depth(est.values, geo.depth, mask, space=est.space)
    sky = est.sky if est.sky is not None else geo.region == SKY
    return np.where(sky, np.inf, depth).astype(np.float32), sky, info


def _ransac_inliers(x: np.ndarray, y: np.ndarray, *, scale_only: bool, trials: int = 64, tol: float = 0.05) -> np.ndarray:
    """Inliers of the best ``y = a x + b`` line through random pairs (seeded: deterministic)."""
    rng = np.random.default_rng(0)
    n = len(x)
    best, best_count = np.ones(n, bool), -1
    thr = tol * np.abs(y) + 1e-9
    for _ in range(trials):
        i, j = rng.integers(0, n, 2)
        if scale_only:
            if abs(x[i]) < 1e-12:
                continue
            a, b = y[i] / x[i], 0.0
        else:
            if abs(x[i] - x[j]) < 1e-12:
                continue
            a = (y[i] - y[j]) / (x[i] - x[j])
            b = y[i] - a * x[i]
        inl = np.abs(a * x + b - y) <= thr
        c = int(inl.sum())
        if c > best_count:
            best, best_count = inl, c
    return best
