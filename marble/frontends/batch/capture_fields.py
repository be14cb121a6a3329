"""The capture fields of a batch job: ``images``, ``video``, ``panorama``, ``camera_height``, ``max_frames``.

``images`` is a folder or a list of photo paths (in a CSV: paths separated by ``;``); ``video`` and
``panorama`` are one file each. Relative paths start at the job file's folder. Everything is
checked when the job file is read (like ``image``), so a bad capture stops the batch before any
work, and the content hash of every input file goes into the job's fingerprint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

CAPTURE_FIELDS = ("images", "video", "panorama", "camera_height", "max_frames")


def _resolve(value: str, base: Path) -> Path:
    p = Path(value.strip()).expanduser()
    return (p if p.is_absolute() else base / p).resolve()


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0")
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def parse_capture_fields(row: dict, base: Path, errors: list[str]) -> dict[str, Any]:
    """The job's capture fields, checked: ``{"images": (paths...) | None, "video": str | None, "panorama": ...,
    "camera_height": float | None, "max_frames": int | None, "capture_sha256": str | None}``; each problem
    is appended to ``errors`` as one line naming the field."""
    from marble.errors import MarbleError
    from marble.frontends.capture_inputs import check_capture_inputs

    out: dict[str, Any] = {"images": None, "video": None, "panorama": None, "camera_height": None,
                           "max_frames": None, "capture_sha256": None}
    if not any(k in row for k in CAPTURE_FIELDS):
        return out
    images = row.get("images")
    if images is not None:
        items = images.split(";") if isinstance(images, str) else images
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) and i.strip() for i in items):
            errors.append(f"`images` must be a folder or a list of photo paths, got {images!r}")
        else:
            out["images"] = tuple(str(_resolve(i, base)) for i in items)
    for key in ("video", "panorama"):
        value = row.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            errors.append(f"`{key}` must be a file path, got {value!r}")
        else:
            out[key] = str(_resolve(value, base))
    for key, kind in (("camera_height", float), ("max_frames", int)):
        value = row.get(key)
        if value is None:
            continue
        try:
            num = None if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            num = None
        if num is None or (kind is int and not num.is_integer()):
            errors.append(f"`{key}` must be a {'whole ' if kind is int else ''}number, got {value!r}")
            continue
        out[key] = kind(num)
    if errors:
        return out
    try:
        check_capture_inputs(images=list(out["images"]) if out["images"] else None, video=out["video"],
                             panorama=out["panorama"], image=row.get("image"), camera_height=out["camera_height"],
                             max_frames=out["max_frames"])
    except MarbleError as exc:
        errors.append(str(exc).replace("--camera-height", "`camera_height`").replace("--max-frames", "`max_frames`")
                      .replace("--images", "`images`").replace("--video", "`video`").replace("--panorama", "`panorama`")
                      .replace("--image", "`image`"))
        return out
    files: list[Path] = []
    if out["images"]:
        from pipelines.capture.photos import list_photo_files

        files = list_photo_files(list(out["images"]))
        out["images"] = tuple(str(f) for f in files)
    for key in ("video", "panorama"):
        if out[key]:
            files.append(Path(out[key]))
    if files:
        out["capture_sha256"] = _hash_files(files)
    return out
