"""Collect, check and downscale the photos of a capture.

A capture is a folder of photos or a list of files. Bad input is refused before any work, each
with a one-line message naming the problem and the fix: too few or too many photos, a file given
twice (or two files with the same pixels), unreadable files. Photos of different sizes are
accepted with a warning (each size gets its own camera intrinsics).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from marble.errors import InputError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
MIN_PHOTOS = 2
DEFAULT_MAX_PHOTOS = 300
MAX_PHOTOS_ENV = "MARBLE_MAX_CAPTURE_PHOTOS"
"""Environment variable that changes the most photos (or video frames) one capture may hold."""


def max_photos() -> int:
    """The most photos or frames one capture may hold (``MARBLE_MAX_CAPTURE_PHOTOS``, default 300)."""
    raw = os.environ.get(MAX_PHOTOS_ENV)
    if not raw:
        return DEFAULT_MAX_PHOTOS
    try:
        return max(MIN_PHOTOS, int(float(raw)))
    except ValueError:
        raise InputError(f"environment variable {MAX_PHOTOS_ENV} must be a number, got {raw!r}") from None


@dataclass
class CapturePhoto:
    """One photo (or video frame) of a capture.

    Attributes:
        name: unique file name it is known by (``IMG_0001.jpg``, ``frame_00042.png``).
        rgb: ``[H, W, 3]`` float32 in [0, 1], already downscaled for structure from motion.
        source_size: ``(width, height)`` before downscaling.
    """

    name: str
    rgb: np.ndarray
    source_size: tuple[int, int] = (0, 0)


@dataclass
class PhotoSet:
    """Checked photos plus what the user should be told about them."""

    photos: list[CapturePhoto]
    warnings: list[str] = field(default_factory=list)


def list_photo_files(images) -> list[Path]:
    """The photo files of ``images``: a folder (its photo files, sorted by name), one path or a list.

    Raises:
        InputError: a missing path, a folder with no photos, fewer than 2 or more than
            :func:`max_photos` photos, a file given twice.
    """
    if isinstance(images, (str, os.PathLike)):
        images = [images]
    items = [Path(p) for p in images]
    files: list[Path] = []
    for p in items:
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in PHOTO_SUFFIXES)
            if not found:
                raise InputError(f"folder {str(p)!r} holds no photos ({', '.join(PHOTO_SUFFIXES)}): "
                                 "pass a folder of photos to --images")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"photo {str(p)!r} does not exist: check the path given to --images")
    seen: dict[str, Path] = {}
    for f in files:
        key = str(f.resolve())
        if key in seen:
            raise InputError(f"photo {str(f)!r} is given more than once: pass each photo once")
        seen[key] = f
    if len(files) < MIN_PHOTOS:
        raise InputError(f"a capture needs at least {MIN_PHOTOS} overlapping photos, got {len(files)}: "
                         "use --image for a single photo")
    cap = max_photos()
    if len(files) > cap:
        raise InputError(f"{len(files)} photos is more than the {cap} one capture may hold: pass fewer "
                         f"(or set {MAX_PHOTOS_ENV})")
    return files


def downscale(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """``rgb [H, W, 3]`` with its long side at most ``max_side`` (area-averaged), float32."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return np.ascontiguousarray(rgb, dtype=np.float32)
    from PIL import Image

    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    img = Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(img.resize(size, Image.LANCZOS), dtype=np.float32) / 255.0


def check_photo_set(photos: list[CapturePhoto], *, what: str = "photos") -> PhotoSet:
    """Refuse duplicates (the same pixels twice), warn about mixed sizes.

    Raises:
        InputError: two photos with identical pixels (one photo given as several), fewer than 2 distinct.
    """
    warnings: list[str] = []
    hashes: dict[str, str] = {}
    for ph in photos:
        digest = hashlib.sha256(np.ascontiguousarray(ph.rgb).tobytes()).hexdigest()
        if digest in hashes:
            raise InputError(f"{what} {hashes[digest]!r} and {ph.name!r} are the same image: a capture needs "
                             "photos taken from different places; pass each photo once")
        hashes[digest] = ph.name
    sizes = Counter(ph.source_size for ph in photos)
    if len(sizes) > 1:
        common = ", ".join(f"{w}x{h} ({n})" for (w, h), n in sizes.most_common(4))
        warnings.append(f"the {what} have {len(sizes)} different sizes ({common}): each size gets its own "
                        "camera intrinsics, which registers less reliably than one camera")
    return PhotoSet(photos=photos, warnings=warnings)


def load_photos(images, *, max_side: int, progress=None) -> PhotoSet:
    """Load and check the photos of ``images`` (folder, path or list), downscaled to ``max_side``.

    Args:
        images: a folder, a photo path or a list of photo paths.
        max_side: longest side in pixels the photos are reduced to for matching and fitting.
        progress: ``(stage, fraction, message)`` callback (stage ``"photos"``).
    Returns:
        :class:`PhotoSet`.

    Raises:
        InputError: see :func:`list_photo_files`, :func:`check_photo_set`; an unreadable photo.
    """
    from marble.images import load_image
    from marble.progress import report

    files = list_photo_files(images)
    names = Counter(f.name for f in files)
    photos = []
    for i, f in enumerate(files):
        rgb = load_image(f)
        # Same file name in two folders: keep both, under names that stay unique.
        name = f.name if names[f.name] == 1 else f"{i:04d}_{f.name}"
        photos.append(CapturePhoto(name=name, rgb=downscale(rgb, max_side), source_size=(rgb.shape[1], rgb.shape[0])))
        report(progress, "photos", (i + 1) / len(files), f.name)
    return check_photo_set(photos)
