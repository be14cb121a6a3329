"""Checks and calls the front ends share for capture inputs: photos, a video, a 360 panorama.

The CLI, the batch runner and the editor session (``EditorSession.generate(photos=..., video=...,
panorama=...)``) check these inputs before any work, so bad input leaves nothing behind.
"""

from __future__ import annotations

import math
from pathlib import Path

from marble.errors import InputError

PANORAMA_RATIO_TOLERANCE = 0.01
"""How far from exactly 2:1 an equirectangular panorama's width/height may be (1%)."""


def check_panorama_file(path) -> tuple[int, int]:
    """``(width, height)`` of a 2:1 equirectangular panorama at ``path``, from its header.

    Raises:
        InputError: missing, empty, not an image, or not 2:1 (width twice the height).
    """
    from marble.images import check_image_file

    w, h = check_image_file(path)
    if abs(w / h - 2.0) > 2.0 * PANORAMA_RATIO_TOLERANCE:
        raise InputError(f"panorama {Path(path).name!r} is {w}x{h}, not 2:1: pass an equirectangular 360 panorama "
                         "(width twice the height); an ordinary photo goes in as the image (--image, or the editor's Image field)")
    return w, h


def check_capture_inputs(*, images=None, video=None, panorama=None, image=None, layout=None,
                         camera_height: float | None = None, max_frames: int | None = None) -> str | None:
    """Check the capture inputs of one generation before any work; return a name for its output folder.

    Args:
        images: photo paths or one folder, or ``None``.
        video: a video path, or ``None``.
        panorama: a panorama path, or ``None``.
        image, layout: the other inputs (only one input may be given).
        camera_height: metres, or ``None``.
        max_frames: frames to sample from ``video``, or ``None``.
    Returns:
        The stem to name the output after (``"photos"``, ``"walk"``), or ``None`` without capture input.

    Raises:
        InputError: two inputs at once, missing or empty files, too few or too many photos, a photo
            given twice, a panorama that is not 2:1, a bad height or frame count, ``max_frames``
            without a video.
    """
    given = [k for k, v in (("--image", image), ("--images", images), ("--video", video), ("--panorama", panorama),
                            ("--layout", layout)) if v]
    if len(given) > 1 and any(k in given for k in ("--images", "--video", "--panorama")):
        raise InputError(f"give one input, got {' and '.join(given)}: a world is made from one of them")
    if camera_height is not None and not (math.isfinite(camera_height) and 0.01 <= camera_height <= 1000):
        raise InputError(f"--camera-height must be in 0.01..1000 metres, got {camera_height}")
    if max_frames is not None:
        if not video:
            raise InputError("--max-frames applies to --video only")
        from pipelines.capture.video import check_max_frames

        check_max_frames(max_frames, "--max-frames")
    if images:
        from pipelines.capture.photos import list_photo_files

        files = list_photo_files(images)
        first = Path(images[0]) if isinstance(images, (list, tuple)) else Path(images)
        return first.name if first.is_dir() else f"{files[0].stem}-{len(files)}-photos"
    if video:
        p = Path(video)
        if not p.is_file():
            raise InputError(f"video {str(p)!r} does not exist: check the path given to --video")
        if p.stat().st_size == 0:
            raise InputError(f"video {p.name!r} is empty (0 bytes): pass a video file with frames")
        return p.stem
    if panorama:
        check_panorama_file(panorama)
        return Path(panorama).stem
    return None
