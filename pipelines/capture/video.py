"""Frames of a video for structure from motion, sampled by sharpness and spacing.

The video is decoded once, streaming (memory holds one candidate per window, not the video). Its
length is cut into ``max_frames`` equal windows, so the frames are evenly spaced in time, and in each
window the sharpest frame is kept: sharpness is the variance of the Laplacian of the frame's grey
image at 320 px, which motion blur lowers. A zero-length, unreadable or truncated-to-nothing file,
or one longer than :func:`max_video_seconds`, is refused with a one-line message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from marble.errors import InputError
from marble.progress import ProgressFn, report
from pipelines.capture.photos import MAX_PHOTOS_ENV, CapturePhoto, downscale, max_photos

DEFAULT_FRAMES = {"draft": 24, "standard": 40, "high": 80}
"""Frames sampled from a video when the user gives no ``max_frames``."""
DEFAULT_MAX_VIDEO_SECONDS = 120.0
MAX_VIDEO_SECONDS_ENV = "MARBLE_MAX_VIDEO_SECONDS"
SHARPNESS_SIDE = 320


def max_video_seconds() -> float:
    """Longest video accepted, seconds (``MARBLE_MAX_VIDEO_SECONDS``, default 120)."""
    raw = os.environ.get(MAX_VIDEO_SECONDS_ENV)
    if not raw:
        return DEFAULT_MAX_VIDEO_SECONDS
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"environment variable {MAX_VIDEO_SECONDS_ENV} must be a number, got {raw!r}") from None


@dataclass
class SampledFrames:
    """Frames chosen from a video.

    Attributes:
        photos: the frames (``name`` = ``frame_<index>.png``), in time order.
        indices: frame index of each.
        sharpness: Laplacian variance of each chosen frame.
        fps, duration, frames_read: what the video held.
        warnings: one-line messages (blurry frames kept, fewer frames than asked).
    """

    photos: list[CapturePhoto]
    indices: list[int]
    sharpness: list[float]
    fps: float
    duration: float
    frames_read: int
    warnings: list[str] = field(default_factory=list)


def sharpness(rgb: np.ndarray) -> float:
    """Variance of the Laplacian of ``rgb [H, W, 3]``'s grey image (higher = sharper)."""
    grey = rgb.astype(np.float32).mean(-1)
    lap = (-4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:])
    return float(lap.var())


def check_max_frames(max_frames: int | None, name: str = "max_frames") -> int | None:
    """``max_frames`` if it is ``None`` or an integer in ``2..max_photos()``; else raise ``InputError``."""
    if max_frames is None:
        return None
    cap = max_photos()
    if isinstance(max_frames, bool) or int(max_frames) != max_frames or not 2 <= max_frames <= cap:
        raise InputError(f"`{name}` must be an integer in 2..{cap} (the most frames one capture may hold, "
                         f"{MAX_PHOTOS_ENV}), got {max_frames!r}")
    return int(max_frames)


def _open(path: Path):
    import imageio.v2 as imageio

    try:
        reader = imageio.get_reader(str(path), format="FFMPEG")
        meta = reader.get_meta_data()
    except Exception as exc:  # noqa: BLE001 - ffmpeg's many failures all mean "not a video we can read"
        first = str(exc).strip().splitlines()[-1][:160] if str(exc).strip() else type(exc).__name__
        raise InputError(f"video {path.name!r} cannot be read ({first}): pass an MP4, MOV, MKV or WebM file") from None
    return reader, meta


def sample_video_frames(path, *, max_frames: int, max_side: int, progress: ProgressFn | None = None) -> SampledFrames:
    """Choose up to ``max_frames`` sharp, evenly spaced frames of the video at ``path``.

    Args:
        path: a video file ffmpeg reads.
        max_frames: frames to keep (2..:func:`~pipelines.capture.photos.max_photos`).
        max_side: long side the kept frames are reduced to.
        progress: ``(stage, fraction, message)``, stage ``"frames"``.
    Returns:
        :class:`SampledFrames`.

    Raises:
        InputError: a missing, empty, unreadable or too long video, fewer than 2 decodable frames,
            a bad ``max_frames``.
    """
    check_max_frames(max_frames)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video {str(path)!r} does not exist: check the path given to --video")
    if path.stat().st_size == 0:
        raise InputError(f"video {path.name!r} is empty (0 bytes): pass a video file with frames")
    reader, meta = _open(path)
    try:
        fps = float(meta.get("fps") or 0) or 25.0
        duration = float(meta.get("duration") or 0)
        cap_s = max_video_seconds()
        if duration > cap_s:
            raise InputError(f"video {path.name!r} is {duration:.0f} s long, more than the {cap_s:.0f} s accepted: "
                             f"trim it (or set {MAX_VIDEO_SECONDS_ENV})")
        expected = max(round(duration * fps), 1)
        windows = max_frames
        best: dict[int, tuple[float, int, np.ndarray]] = {}
        n = 0
        try:
            for n, frame in enumerate(reader):
                w = min(int(n * windows / expected), windows - 1)
                small = downscale(np.asarray(frame, np.float32)[..., :3] / 255.0, SHARPNESS_SIDE)
                s = sharpness(small)
                if w not in best or s > best[w][0]:
                    best[w] = (s, n, np.asarray(frame)[..., :3].copy())
                if n % 10 == 0:
                    report(progress, "frames", min(n / expected, 1.0), f"frame {n}")
            n += 1 if best else 0
        except Exception as exc:  # noqa: BLE001 - a truncated file fails mid-stream
            if len(best) < 2:
                raise InputError(f"video {path.name!r} is corrupt: ffmpeg stopped after {n} frames "
                                 f"({str(exc).strip()[:120] or type(exc).__name__}); re-encode or re-record it") from None
    finally:
        reader.close()
    if len(best) < 2:
        raise InputError(f"video {path.name!r} has {len(best)} readable frame(s): a capture needs a video that moves "
                         "through the place (at least 2 frames)")
    warnings = []
    chosen = [best[k] for k in sorted(best)]
    photos, idx, sharp = [], [], []
    for s, i, frame in chosen:
        rgb = downscale(frame.astype(np.float32) / 255.0, max_side)
        photos.append(CapturePhoto(name=f"frame_{i:06d}.png", rgb=rgb, source_size=(frame.shape[1], frame.shape[0])))
        idx.append(i)
        sharp.append(s)
    if len(photos) < max_frames:
        warnings.append(f"video {path.name!r} gave {len(photos)} frames, fewer than the {max_frames} asked for")
    med = float(np.median(sharp))
    blurry = [i for i, s in zip(idx, sharp) if s < 0.25 * med]
    if blurry:
        warnings.append(f"{len(blurry)} of the sampled frames are blurred (motion?) even at their sharpest: "
                        "a slower, steadier video registers better")
    report(progress, "frames", 1.0, f"{len(photos)} frames of {n}")
    return SampledFrames(photos=photos, indices=idx, sharpness=sharp, fps=fps, duration=duration or n / fps,
                         frames_read=n, warnings=warnings)
