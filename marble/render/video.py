"""Frames and videos along camera paths, and still images, each written atomically.

Every writer goes through :func:`marble.io.atomic_path`, so a failed or interrupted render leaves
no partial file. Videos are H.264 MP4 (or WebM/MOV/GIF by extension) through imageio-ffmpeg.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch

from marble.camera import Camera
from marble.errors import InputError
from marble.io import atomic_path
from marble.progress import ProgressFn, report
from marble.render.paths import camera_path

VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".gif")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def render_frames(
    world, cameras: list[Camera], *, sky: bool = True, layers=None, progress: ProgressFn | None = None
) -> Iterator[np.ndarray]:
    """Yield ``[H, W, 3]`` uint8 frames of ``world`` seen from each camera in turn."""
    from marble.render.world_render import render_world

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
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
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
    walk_points: np.ndarray | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Render a short video along a fitted camera path (what ``marble generate`` writes when asked).

    ``walk_points`` is the ground path of a ``"walk"`` (see :func:`marble.render.paths.camera_path`).
    """
    width, height = even_size(width, "width"), even_size(height, "height")
    cams = camera_path(world, kind, frames=frames, width=width, height=height, walk_points=walk_points)
    return write_video(render_frames(world, cams, progress=progress), path, fps=fps)




def even_size(v: int, name: str) -> int:
    """``v`` checked to be a side of 2..8192 pixels and rounded up to even (video codecs need it)."""
    if int(v) != v or not (2 <= v <= 8192):
        raise InputError(f"`{name}` must be an integer in 2..8192, got {v}")
    return int(v) + (int(v) % 2)

