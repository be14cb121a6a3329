"""Preview media: videos along camera paths and 360-degree equirectangular panoramas.

Every writer goes through :func:`marble.io.atomic_path`, so a failed or interrupted render leaves
no partial file. Videos are H.264 MP4 (or WebM/MOV/GIF by extension) through imageio-ffmpeg.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from marble.camera import Camera, look_at_pose, orbit, ring, walk
from marble.errors import InputError
from marble.io import atomic_path
from marble.progress import ProgressFn, report

VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".gif")
CAMERA_PATHS = ("orbit", "ring", "walk")
MAX_FRAMES = 10_000
EYE_HEIGHT = 1.6


# ---------------------------------------------------------------------- camera paths
def scene_bounds(world) -> tuple[np.ndarray, np.ndarray]:
    """``(lo [3], hi [3])`` of the visible layers, leaving out the sky dome (it would swamp the scene).

    A world that holds nothing but environment layers falls back to all of them.
    """
    if any(layer.visible and not layer.is_environment and (layer.num_splats or layer.num_triangles)
           for layer in world.layers):
        lo, hi = world.bounds(include_environment=False)
    else:
        lo, hi = world.bounds()
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def camera_path(
    world,
    kind: str = "orbit",
    *,
    frames: int = 48,
    width: int = 480,
    height: int = 320,
    fov_y_deg: float = 60.0,
    eye=None,
) -> list[Camera]:
    """Cameras along a path fitted to the world's bounds.

    Args:
        world: the World to frame.
        kind: ``"orbit"`` (circle outside, looking at the centre), ``"ring"`` (turn on the spot at eye
            height, a person looking around) or ``"walk"`` (eye-height walk: along the layout's clear path for generated worlds, else three
            quarters of a circle around the centre).
        frames: number of cameras.
        width, height: image size.
        fov_y_deg: vertical field of view.
        eye: ``[3]`` eye point for ``"ring"`` (default: centre of the ground at 1.6 m).
    Returns:
        ``frames`` cameras.
    """
    if kind not in CAMERA_PATHS:
        raise InputError(f"`camera` path must be one of {', '.join(CAMERA_PATHS)}, got {kind!r}")
    if int(frames) != frames or not (1 <= frames <= MAX_FRAMES):
        raise InputError(f"`frames` must be an integer in 1..{MAX_FRAMES}, got {frames}")
    lo, hi = scene_bounds(world)
    center = (lo + hi) / 2
    size = hi - lo
    r_xz = max(float(max(size[0], size[2])) / 2, 0.5)
    ground = float(lo[1])
    if kind == "orbit":
        radius = 1.6 * r_xz + 0.5
        look_y = ground + 0.35 * float(size[1])
        c = np.array([center[0], look_y, center[2]])
        return orbit(c, radius=radius, height=0.45 * radius, n=frames, fov_y_deg=fov_y_deg, width=width,
                     height_px=height)
    if kind == "ring":
        e = np.array([center[0], ground + min(EYE_HEIGHT, max(float(size[1]) * 0.5, 0.2)), center[2]])
        if eye is not None:
            e = np.asarray(eye, np.float64)
            if e.shape != (3,) or not np.isfinite(e).all():
                raise InputError(f"`eye` must be three finite numbers x,y,z, got {eye}")
        return ring(e, n=frames, fov_y_deg=max(fov_y_deg, 70.0), width=width, height_px=height)
    path = _layout_walk(world)
    if path is not None:  # the walk-through the layout keeps clear of objects, over the terrain
        return walk(path, n=frames, eye_height=EYE_HEIGHT, fov_y_deg=max(fov_y_deg, 70.0), width=width,
                    height_px=height, look_ahead=1.0)
    # no layout (imported splats): three quarters of a circle around the centre at 40% of the extent
    rr = 0.4 * r_xz
    angles = np.linspace(0.0, 1.5 * math.pi, 24)
    pts = np.stack([center[0] + rr * np.sin(angles), np.full_like(angles, ground), center[2] + rr * np.cos(angles)], -1)
    eye_h = min(EYE_HEIGHT, max(float(size[1]) * 0.5, 0.2))
    return walk(pts, n=frames, eye_height=eye_h, fov_y_deg=max(fov_y_deg, 70.0), width=width, height_px=height,
                look_ahead=max(rr * 0.3, 0.2))


def _layout_walk(world) -> np.ndarray | None:
    """``[P, 3]`` ground points of the generated layout's clear walk-through, or ``None``.

    Generated worlds keep their layout, whose walk path no object stands on; the walk keeps to the
    stretch of it where the generation's walk cameras stood, densified and lifted onto the terrain.
    Worlds without a layout (imports, compositions) get ``None``.
    """
    layout = getattr(world, "layout", None)
    if layout is None:
        return None
    try:
        from pipelines.layout import terrain_height, walk_path  # lazy: marble does not need pipelines

        pts = np.asarray(walk_path(layout.environment), np.float64)
    except Exception:  # noqa: BLE001 - an odd layout falls back to the generic walk
        return None
    if len(pts) < 2 or not np.isfinite(pts).all():
        return None
    pts = _clip_to_cameras(pts, [c for c in world.cameras if c.name.startswith("walk")])
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    if seg.sum() <= 0:
        return None
    dense = np.concatenate([np.linspace(a, b, max(2, int(np.ceil(d / 0.5)) + 1))[:-1]
                            for a, b, d in zip(pts[:-1], pts[1:], seg)] + [pts[-1:]])
    if not layout.environment.indoor:
        dense[:, 1] = terrain_height(layout, dense[:, 0], dense[:, 2])
    return dense


def _clip_to_cameras(path: np.ndarray, cameras: list[Camera]) -> np.ndarray:
    """The stretch of polyline ``path [P, 3]`` between the outermost of ``cameras`` along it.

    The world was fused from views taken there; beyond them it is seen only from afar and thins
    out, so a walk stays where the world is complete. Fewer than two cameras: the whole path.
    """
    if len(cameras) < 2:
        return path
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    cum = np.r_[0.0, np.cumsum(seg)]
    ss = []
    for cam in cameras:  # arc length of the closest point of the path (on the ground plane)
        p = cam.position.numpy()[[0, 2]]
        best, best_s = np.inf, 0.0
        for a, b, s0, d in zip(path[:-1, [0, 2]], path[1:, [0, 2]], cum[:-1], seg):
            t = float(np.clip(np.dot(p - a, b - a) / max(d * d, 1e-12), 0.0, 1.0))
            dist = float(np.linalg.norm(a + t * (b - a) - p))
            if dist < best:
                best, best_s = dist, s0 + t * d
        ss.append(best_s)
    lo, hi = min(ss), max(ss)
    if hi - lo < 1e-6:
        return path

    def at(s: float) -> np.ndarray:
        i = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1))
        return path[i] + (s - cum[i]) / max(seg[i], 1e-12) * (path[i + 1] - path[i])

    inner = [path[i] for i in range(len(path)) if lo < cum[i] < hi]
    return np.stack([at(lo), *inner, at(hi)])


# ---------------------------------------------------------------------- frames and video
def render_frames(
    world, cameras: list[Camera], *, sky: bool = True, layers=None, progress: ProgressFn | None = None
) -> Iterator[np.ndarray]:
    """Yield ``[H, W, 3]`` uint8 frames of ``world`` seen from each camera in turn."""
    from marble.render import render_world

    n = len(cameras)
    report(progress, "render", 0.0, f"0/{n} frames")
    for i, cam in enumerate(cameras):
        with torch.inference_mode():
            out = render_world(world, [cam], sky=sky, layers=layers)
        yield out.images_uint8()[0]
        report(progress, "render", (i + 1) / n, f"{i + 1}/{n} frames")


def write_video(frames: Iterable[np.ndarray], path: str | Path, *, fps: int = 24, quality: int = 8) -> Path:
    """Write ``[H, W, 3]`` uint8 frames to a video file, atomically.

    Args:
        frames: frames of one size (even width and height for MP4).
        path: ``.mp4``, ``.mov``, ``.webm``, ``.mkv`` or ``.gif``.
        fps: frames per second (1..240).
        quality: ffmpeg quality 0..10 (higher is better).
    Raises:
        InputError: unknown extension, bad ``fps``, no frames, or frames of different sizes.
    """
    import imageio.v2 as imageio

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in VIDEO_EXTENSIONS:
        raise InputError(f"video `out` must end in one of {', '.join(VIDEO_EXTENSIONS)}, got {path.name!r}")
    if int(fps) != fps or not (1 <= fps <= 240):
        raise InputError(f"`fps` must be an integer in 1..240, got {fps}")
    count = 0
    with atomic_path(path) as tmp:
        if ext == ".gif":
            writer = imageio.get_writer(tmp, mode="I", duration=1000.0 / fps, loop=0)
        else:
            writer = imageio.get_writer(tmp, fps=fps, quality=quality, macro_block_size=1,
                                        format="FFMPEG", codec="libvpx-vp9" if ext == ".webm" else None)
        try:
            size = None
            for frame in frames:
                frame = np.asarray(frame)
                if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                    raise InputError(f"video frames must be [H, W, 3] uint8, got {frame.dtype} {list(frame.shape)}")
                if size is None:
                    size = frame.shape
                elif frame.shape != size:
                    raise InputError(f"video frames must share one size: {list(size)} then {list(frame.shape)}")
                writer.append_data(frame)
                count += 1
        finally:
            writer.close()
        if count == 0:
            raise InputError("no frames to write")
    return path


def write_image(image: np.ndarray, path: str | Path) -> Path:
    """Write an ``[H, W, 3]`` image (uint8, or float in [0, 1]) as PNG/JPEG atomically."""
    from PIL import Image

    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise InputError(f"image path must end in .png or .jpg, got {path.name!r}")
    with atomic_path(path) as tmp:
        Image.fromarray(img).save(tmp, format="PNG" if path.suffix.lower() == ".png" else "JPEG")
    return path


def write_orbit_video(
    world,
    path: str | Path,
    *,
    kind: str = "orbit",
    frames: int = 48,
    width: int = 480,
    height: int = 320,
    fps: int = 24,
    progress: ProgressFn | None = None,
) -> Path:
    """Render a short video along a fitted camera path (what ``marble generate`` writes when asked)."""
    width, height = _even(width, "width"), _even(height, "height")
    cams = camera_path(world, kind, frames=frames, width=width, height=height)
    return write_video(render_frames(world, cams, progress=progress), path, fps=fps)


def _even(v: int, name: str) -> int:
    if int(v) != v or not (2 <= v <= 8192):
        raise InputError(f"`{name}` must be an integer in 2..8192, got {v}")
    return int(v) + (int(v) % 2)


# ---------------------------------------------------------------------- panoramas
def equirect_directions(height: int) -> np.ndarray:
    """``[H, 2H, 3]`` float32 unit world directions of an equirectangular image's pixel centres.

    Longitude ``atan2(x, z)`` runs left to right from -pi to pi, latitude from +pi/2 (top, +Y) to
    -pi/2, matching ``Environment.sky_color``'s panorama lookup.
    """
    w = 2 * height
    lon = ((np.arange(w) + 0.5) / w - 0.5) * 2 * np.pi
    lat = (0.5 - (np.arange(height) + 0.5) / height) * np.pi
    lon, lat = np.meshgrid(lon, lat)
    return np.stack([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)], -1).astype(np.float32)


def cube_cameras(eye, face_size: int) -> list[Camera]:
    """Six 90-degree cameras at ``eye`` looking along +X, -X, +Y, -Y, +Z, -Z."""
    e = np.asarray(eye, np.float64)
    dirs = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    ups = [(0, 1, 0)] * 2 + [(0, 0, -1), (0, 0, 1)] + [(0, 1, 0)] * 2
    f = face_size / 2.0
    return [
        Camera(f, f, f, f, face_size, face_size, look_at_pose(e, e + np.asarray(d, np.float64), up), f"cube_{i}")
        for i, (d, up) in enumerate(zip(dirs, ups))
    ]


def render_panorama(
    world,
    eye,
    *,
    height: int = 512,
    sky: bool = True,
    layers=None,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """An equirectangular 360-degree render from ``eye``: ``[height, 2 * height, 3]`` float32 in [0, 1].

    The splats are rendered into a cube map (six 90-degree faces), resampled bilinearly per
    panorama pixel, and composited over the sky evaluated along each panorama pixel's own ray.

    Raises:
        InputError: a bad ``eye`` or ``height``, or a world without splats.
    """
    from marble.render import render_world

    e = np.asarray(eye, np.float64)
    if e.shape != (3,) or not np.isfinite(e).all():
        raise InputError(f"`eye` must be three finite numbers x,y,z, got {eye}")
    if int(height) != height or not (8 <= height <= 4096):
        raise InputError(f"panorama `height` must be an integer in 8..4096 (width is 2x), got {height}")
    height = int(height)
    face = int(math.ceil(height * 0.6))
    cams = cube_cameras(e, face)
    report(progress, "panorama", 0.0, "cube faces")
    faces = []
    for i, cam in enumerate(cams):
        with torch.inference_mode():
            out = render_world(world, [cam], sky=False, layers=layers)
        faces.append(torch.cat([out.colors[0], out.alphas[0]], -1))  # [F, F, 4]
        report(progress, "panorama", (i + 1) / 7, f"face {i + 1}/6")
    faces_t = torch.stack(faces).permute(0, 3, 1, 2).float()  # [6, 4, F, F]
    dirs = equirect_directions(height).reshape(-1, 3)  # [M, 3]
    d = torch.from_numpy(dirs).double()
    # pick the cube face with the largest |component|, then project into that camera
    comp = d.abs().argmax(-1)
    sign = torch.gather(d, 1, comp[:, None])[:, 0] >= 0
    face_idx = comp * 2 + (~sign).long()
    out = torch.zeros(d.shape[0], 4, dtype=torch.float32)
    for i, cam in enumerate(cams):
        sel = face_idx == i
        if not sel.any():
            continue
        R = torch.linalg.inv(cam.T_world_camera)[:3, :3]
        dc = d[sel] @ R.T
        u = cam.fx * dc[:, 0] / dc[:, 2] + cam.cx
        v = cam.fy * dc[:, 1] / dc[:, 2] + cam.cy
        grid = torch.stack([u / face * 2 - 1, v / face * 2 - 1], -1).float()[None, :, None, :]  # [1, M, 1, 2]
        s = F.grid_sample(faces_t[i : i + 1], grid, mode="bilinear", padding_mode="border", align_corners=False)
        out[sel] = s[0, :, :, 0].T
    rgb, alpha = out[:, :3], out[:, 3:4].clamp(0, 1)
    if sky:
        rgb = rgb + (1 - alpha) * torch.from_numpy(world.environment.sky_color(dirs))
    report(progress, "panorama", 1.0, "done")
    return rgb.clamp(0, 1).reshape(height, 2 * height, 3).numpy()


def write_panorama(world, path: str | Path, eye=None, *, height: int = 512, progress: ProgressFn | None = None) -> Path:
    """Render :func:`render_panorama` (eye default: centre of the ground at 1.6 m) and write it as PNG/JPEG."""
    if eye is None:
        lo, hi = scene_bounds(world)
        c = (lo + hi) / 2
        eye = (c[0], lo[1] + min(EYE_HEIGHT, max(float(hi[1] - lo[1]) * 0.5, 0.2)), c[2])
    pano = render_panorama(world, eye, height=height, progress=progress)
    return write_image(pano, path)
