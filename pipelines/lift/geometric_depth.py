"""Geometric single-image depth: the embedded fallback when no depth model is available.

In the spirit of classic photo pop-up: the image is cut into segments (Felzenszwalb graph
segmentation from scikit-image), the sky is found (bright, smooth segments touching the top),
the horizon is where the open sky meets the ground, which fixes the camera pitch; ground pixels
get the metric depth of the plane ``y = 0`` seen from a camera ``camera_height`` above it, and every
other segment stands upright on the ground where its bottom touches it (a vertical plane facing
the camera). Sky is infinitely far. The result is in metres because the camera height is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from marble.camera import Camera, look_at_pose
from marble.errors import InputError

GROUND, UPRIGHT, SKY = 0, 1, 2


@dataclass
class GeometricDepthResult:
    """Output of :func:`estimate_geometric_depth`.

    Attributes:
        depth: ``[H, W]`` float32 z-depth in metres, ``inf`` for sky.
        region: ``[H, W]`` int8: 0 ground, 1 upright segment, 2 sky.
        segments: ``[H, W]`` int32 raw segment labels.
        object_ids: ``[H, W]`` int32 index into ``layer_names``; ``-1`` for sky.
        layer_names: ``"ground"``, ``"segment_<k>"`` for large upright segments, ``"scenery"`` for the rest.
        confidence: ``[H, W]`` float32 (0.6 ground, 0.35 upright, 0 sky).
        horizon_row: estimated horizon (pixel row, may lie outside the image).
        camera: the camera implied by the horizon and ``camera_height`` (ground is ``y = 0``).
    """

    depth: np.ndarray
    region: np.ndarray
    segments: np.ndarray
    object_ids: np.ndarray
    layer_names: list[str]
    confidence: np.ndarray
    horizon_row: float
    camera: Camera


def camera_from_horizon(
    *, width: int, height: int, horizon_row: float, camera_height: float = 1.6, fov_y_deg: float = 55.0
) -> Camera:
    """A level-roll camera ``camera_height`` above the ground looking along +Z, pitched so the
    horizon falls on ``horizon_row``."""
    cam = Camera.from_fov(fov_y_deg=fov_y_deg, width=width, height=height)
    pitch = math.atan2(cam.cy - horizon_row, cam.fy)  # > 0: looking down
    eye = torch.tensor([0.0, camera_height, 0.0], dtype=torch.float64)
    fwd = torch.tensor([0.0, -math.sin(pitch), math.cos(pitch)], dtype=torch.float64)
    cam.T_world_camera = look_at_pose(eye, eye + fwd)
    return cam


def horizon_from_camera(camera: Camera) -> float:
    """Pixel row of the horizon for a camera with no roll (may lie outside the image)."""
    R = camera.T_world_camera[:3, :3].numpy()
    fwd = R[:, 2]
    pitch = math.asin(max(-1.0, min(1.0, -fwd[1])))
    return camera.cy - camera.fy * math.tan(pitch)


def _segment(rgb: np.ndarray, min_fraction: float) -> np.ndarray:
    from skimage.segmentation import felzenszwalb

    h, w = rgb.shape[:2]
    return felzenszwalb(rgb.astype(np.float64), scale=max(h, w) * 0.6, sigma=0.6,
                        min_size=max(4, int(min_fraction * h * w))).astype(np.int32)


def _gradient(rgb: np.ndarray) -> np.ndarray:
    g = rgb.mean(-1)
    gy, gx = np.gradient(g)
    return np.hypot(gx, gy)


def _find_sky(rgb: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """``[H, W]`` bool sky mask: smooth, bright or bluish pixels connected to the top edge,
    snapped to segments (a segment that is mostly sky becomes all sky)."""
    from scipy import ndimage

    h, w = seg.shape
    grad = ndimage.uniform_filter(_gradient(rgb), size=3)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    bright = rgb.mean(-1)
    blueish = (b >= r - 0.02) & (b >= g - 0.08)
    cand = (grad < 0.03) & ((bright > 0.6) | (blueish & (bright > 0.3)))
    lab, _ = ndimage.label(cand)
    top_labels = np.unique(lab[0][lab[0] > 0])
    pix = np.isin(lab, top_labels) & (lab > 0)
    n = int(seg.max()) + 1
    frac = np.bincount(seg.ravel(), pix.ravel().astype(np.float64), n) / np.maximum(np.bincount(seg.ravel(), minlength=n), 1)
    # a segment reaching the bottom edge is ground (snow, sand, water), never sky
    frac[np.unique(seg[-max(1, h // 20):])] = 0.0
    return frac[seg] > 0.5


def _estimate_horizon(sky: np.ndarray, default: float) -> float:
    h, w = sky.shape
    cols = sky.any(0)
    if cols.sum() < max(2, w // 10):
        return default
    # Lowest row of the sky run that starts at the top, per column.
    not_sky = ~sky
    first_non_sky = np.where(not_sky.any(0), not_sky.argmax(0), h)
    bottoms = first_non_sky[cols & sky[0]]
    if len(bottoms) == 0:
        return default
    return float(np.percentile(bottoms, 90))


def estimate_geometric_depth(
    rgb: np.ndarray,  # [H, W, 3]
    *,
    camera: Camera | None = None,
    fov_y_deg: float = 55.0,
    camera_height: float = 1.6,
    horizon_row: float | None = None,
    max_depth: float = 100.0,
    min_segment_fraction: float = 0.002,
    max_layers: int = 12,
    ground_color_tol: float = 0.1,
) -> GeometricDepthResult:
    """Estimate metric depth for one image with the photo pop-up model.

    Args:
        rgb: ``[H, W, 3]`` float colours in [0, 1].
        camera: a known camera (intrinsics and pose; the ground is ``y = 0``); when given, the
            horizon and camera height come from it.
        fov_y_deg: vertical field of view assumed when ``camera`` is ``None``.
        camera_height: eye height above the ground in metres (sets the metric scale).
        horizon_row: force the horizon row instead of estimating it from the sky.
        max_depth: depth cap in metres for ground near the horizon and for far segments.
        min_segment_fraction: smallest segment as a fraction of the image.
        max_layers: largest upright segments kept as their own layers; the rest go to ``scenery``.
        ground_color_tol: segments below the horizon whose mean colour is this close (max channel
            difference) to a segment on the bottom edge are ground too.
    Returns:
        :class:`GeometricDepthResult`.
    """
    img = np.asarray(rgb, np.float32)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise InputError(f"`rgb` must have shape [H, W, 3], got {list(img.shape)}")
    if not np.isfinite(img).all():
        raise InputError("`rgb` contains NaN or infinite values")
    h, w = img.shape[:2]
    if h < 8 or w < 8:
        raise InputError(f"image is {w}x{h}: geometric depth needs at least 8x8 pixels")
    if camera_height <= 0 or not math.isfinite(camera_height):
        raise InputError(f"`camera_height` must be a positive number of metres, got {camera_height}")
    seg = _segment(img, min_segment_fraction)
    sky = _find_sky(img, seg)
    if camera is not None:
        if (camera.width, camera.height) != (w, h):
            raise InputError(f"`camera` is {camera.width}x{camera.height} but the image is {w}x{h}")
        hz = horizon_from_camera(camera)
        cam_h = float(camera.T_world_camera[1, 3])
        if cam_h <= 0:
            raise InputError("`camera` must be above the ground plane y = 0")
        cam = camera
    else:
        default = Camera.from_fov(fov_y_deg=fov_y_deg, width=w, height=h).cy
        hz = float(horizon_row) if horizon_row is not None else _estimate_horizon(sky, default)
        cam_h = float(camera_height)
        cam = camera_from_horizon(width=w, height=h, horizon_row=hz, camera_height=cam_h, fov_y_deg=fov_y_deg)

    C, dirs = cam.pixel_rays()  # [3], [H, W, 3] with z_cam = 1
    dy = dirs[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ground = np.where(dy < -1e-9, (0.0 - C[1]) / dy, np.inf)
    ground_depth = np.minimum(t_ground, max_depth)

    T = cam.T_world_camera.numpy()
    f_h = T[:3, 2].copy()
    f_h[1] = 0.0
    f_h = f_h / max(np.linalg.norm(f_h), 1e-9)

    region = np.full((h, w), UPRIGHT, np.int8)
    region[sky] = SKY
    depth = np.full((h, w), np.inf, np.float64)
    rows = np.arange(h)[:, None].repeat(w, 1)
    labels = np.unique(seg[~sky])
    n = int(seg.max()) + 1
    counts = np.maximum(np.bincount(seg.ravel(), minlength=n), 1).astype(np.float64)
    mean_rgb = np.stack([np.bincount(seg.ravel(), img[..., c].ravel(), n) for c in range(3)], -1) / counts[:, None]
    # Colour of the ground: the segments along the bottom edge that lie below the horizon.
    bottom = seg[-max(1, h // 20):][~sky[-max(1, h // 20):]]
    ground_ref = mean_rgb[np.unique(bottom)] if bottom.size and hz < h - 1 else np.zeros((0, 3))
    uprights: list[tuple[int, int]] = []  # (pixel count, segment id)
    for s in labels:
        m = (seg == s) & ~sky
        cnt = int(m.sum())
        if cnt == 0:
            continue
        rr = rows[m]
        below = float((rr > hz).mean())
        cols = np.nonzero(m.any(0))[0]
        touches_bottom = bool(m[-max(1, h // 50):].any())
        wide = (cols.max() - cols.min() + 1) >= 0.3 * w
        like_ground = bool(len(ground_ref)) and float(np.abs(ground_ref - mean_rgb[s]).max(1).min()) < ground_color_tol
        if (below > 0.95 and rr.min() > hz and (touches_bottom or wide or like_ground)) or (below > 0.8 and touches_bottom and wide):
            region[m] = GROUND
            depth[m] = ground_depth[m]
            continue
        # Upright: stand on the ground where the segment's bottom edge is.
        bottom_per_col = np.array([np.nonzero(m[:, c])[0].max() for c in cols])
        r_c = float(np.percentile(bottom_per_col, 90))
        c_c = int(cols[np.argmin(np.abs(bottom_per_col - r_c))])
        row = int(min(h - 1, max(0, round(r_c))))
        t_c = ground_depth[row, c_c] if np.isfinite(ground_depth[row, c_c]) else max_depth
        P = C + dirs[row, c_c] * t_c
        denom = dirs[m] @ f_h
        with np.errstate(divide="ignore", invalid="ignore"):
            t = ((P - C) @ f_h) / denom
        t = np.where(np.isfinite(t) & (t > 0), t, max_depth)
        depth[m] = np.clip(t, 0.05, max_depth)
        uprights.append((cnt, int(s)))

    uprights.sort(key=lambda x: (-x[0], x[1]))
    names = ["ground"]
    ids = np.full((h, w), -1, np.int32)
    ids[region == GROUND] = 0
    min_pixels = 0.005 * h * w
    rest = False
    for cnt, s in uprights:
        m = (seg == s) & (region == UPRIGHT)
        if len(names) - 1 < max_layers and cnt >= min_pixels:
            ids[m] = len(names)
            names.append(f"segment_{len(names) - 1}")
        else:
            rest = True
    if rest:
        ids[(region == UPRIGHT) & (ids < 0)] = len(names)
        names.append("scenery")
    conf = np.where(region == GROUND, 0.6, np.where(region == UPRIGHT, 0.35, 0.0)).astype(np.float32)
    depth = np.where(region == SKY, np.inf, depth).astype(np.float32)
    return GeometricDepthResult(
        depth=depth, region=region, segments=seg, object_ids=ids, layer_names=names,
        confidence=conf, horizon_row=hz, camera=cam,
    )
