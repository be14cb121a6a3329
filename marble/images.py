"""Safe image loading for every entry point (CLI, app, batch, image-to-world).

:func:`load_image` turns a file, bytes, a PIL image or an array into one well-defined thing:
``[H, W, 3]`` float32 RGB in [0, 1], upright (EXIF orientation applied). It refuses what it cannot
use with an :class:`~marble.errors.InputError` naming the file and the fix, and checks the pixel
count from the header *before* decoding so a decompression bomb never gets allocated.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from marble.errors import BudgetError, FormatError, InputError
from marble.limits import env_var, limits

MIN_IMAGE_SIDE = 2
"""Images smaller than this on either side (e.g. 1x1) carry no usable content and are rejected."""

_ALPHA_MODES = ("white", "black", "drop")


def load_image(
    path_or_pil,
    *,
    max_pixels: int | None = None,
    alpha: str = "white",
    name: str | None = None,
) -> np.ndarray:
    """Load an image as ``[H, W, 3]`` float32 RGB in [0, 1].

    Handles EXIF rotation, CMYK, 16-bit and 32-bit greyscale, float images, palette images (with
    or without transparency), alpha (composited on white or black, or dropped) and animated images
    (first frame).

    Args:
        path_or_pil: a path (``str``/``PathLike``), raw file ``bytes``, a ``PIL.Image.Image`` or an
            array ``[H, W]``, ``[H, W, 3]`` or ``[H, W, 4]`` (uint8, uint16 or float in [0, 1]).
        max_pixels: largest accepted ``width * height``; default ``limits().max_image_pixels``.
        alpha: what to do with transparency: ``"white"`` or ``"black"`` composite on that colour,
            ``"drop"`` ignores the alpha channel.
        name: how to call the image in messages (defaults to the file name).

    Returns:
        ``[H, W, 3]`` float32 array in [0, 1], C-contiguous.

    Raises:
        InputError: missing, empty, corrupt or truncated file; too small (1x1); not finite.
        BudgetError: more than ``max_pixels`` pixels (checked from the header before decoding).
    """
    if alpha not in _ALPHA_MODES:
        raise InputError(f"`alpha` must be one of {', '.join(_ALPHA_MODES)}, got {alpha!r}")
    cap = limits().max_image_pixels if max_pixels is None else int(max_pixels)
    if isinstance(path_or_pil, np.ndarray):
        return _from_array(path_or_pil, name=name or "image array", max_pixels=cap)
    if isinstance(path_or_pil, Image.Image):
        label = name or (getattr(path_or_pil, "filename", "") or "image")
        _check_size(path_or_pil.size, label, cap)
        return _to_rgb_float(path_or_pil, label, alpha)
    if isinstance(path_or_pil, (bytes, bytearray, memoryview)):
        data = bytes(path_or_pil)
        label = name or "image bytes"
        if not data:
            raise InputError(f"{label}: the image is empty (0 bytes): pass a PNG, JPEG or WebP file")
        return _decode(io.BytesIO(data), label, cap, alpha)
    if isinstance(path_or_pil, (str, os.PathLike)):
        path = Path(path_or_pil)
        label = name or path.name or str(path)
        if not path.exists():
            raise InputError(f"image {str(path)!r} does not exist: check the path given to --image")
        if path.is_dir():
            raise InputError(f"image {str(path)!r} is a folder, not an image file")
        size = path.stat().st_size
        if size == 0:
            raise InputError(f"image {label!r} is empty (0 bytes): pass a PNG, JPEG or WebP file")
        max_bytes = limits().max_file_bytes
        if size > max_bytes:
            raise BudgetError(
                f"image {label!r} is {size} bytes, over the {max_bytes}-byte limit ({env_var('max_file_bytes')})"
            )
        with open(path, "rb") as fh:
            return _decode(fh, label, cap, alpha)
    raise InputError(
        f"`image` must be a path, bytes, a PIL image or a numpy array, got {type(path_or_pil).__name__}"
    )


def check_image_file(path: str | os.PathLike, *, max_pixels: int | None = None) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path``, read from its header without decoding it.

    Raises:
        InputError: missing, empty or not an image; too small.
        BudgetError: over the file-size or pixel limit (a decompression bomb is refused here).
    """
    path = Path(path)
    label = path.name or str(path)
    if not path.is_file():
        raise InputError(f"image {str(path)!r} does not exist or is not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"image {label!r} is empty (0 bytes): pass a PNG, JPEG or WebP file")
    if size > limits().max_file_bytes:
        raise BudgetError(f"image {label!r} is {size} bytes, over the {limits().max_file_bytes}-byte limit "
                          f"({env_var('max_file_bytes')})")
    cap = limits().max_image_pixels if max_pixels is None else int(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                _check_size(img.size, label, cap)
                img.verify()
                return int(img.size[0]), int(img.size[1])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BudgetError(f"image {label!r} is too large to decode safely ({exc}); resize it first") from exc
    except UnidentifiedImageError as exc:
        raise FormatError(f"image {label!r} is not an image Pillow can read: pass a PNG, JPEG or WebP file") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, InputError):
            raise
        raise FormatError(f"image {label!r} is corrupt or truncated ({exc}): re-export or re-download it") from exc


def _decode(fh, label: str, cap: int, alpha: str) -> np.ndarray:
    """Open (header only), check the size, then decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(fh)
            _check_size(img.size, label, cap)
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)  # animated GIF/WebP/APNG: first frame
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BudgetError(f"image {label!r} is too large to decode safely ({exc}); resize it first") from exc
    except UnidentifiedImageError as exc:
        raise FormatError(f"image {label!r} is not a readable image (corrupt or unsupported format): "
                          "pass a PNG, JPEG or WebP file") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, InputError):
            raise
        raise FormatError(f"image {label!r} is corrupt or truncated ({exc}): re-export or re-download it") from exc
    return _to_rgb_float(img, label, alpha)


def _check_size(size: tuple[int, int], label: str, cap: int) -> None:
    w, h = int(size[0]), int(size[1])
    if w < MIN_IMAGE_SIDE or h < MIN_IMAGE_SIDE:
        raise InputError(f"image {label!r} is {w}x{h} pixels: it must be at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}")
    if w * h > cap:
        raise BudgetError(
            f"image {label!r} is {w}x{h} = {w * h} pixels, over the {cap}-pixel limit "
            f"({env_var('max_image_pixels')}): resize it first"
        )


def _to_rgb_float(img: Image.Image, label: str, alpha: str) -> np.ndarray:
    """Decoded PIL image -> ``[H, W, 3]`` float32 in [0, 1]."""
    try:
        img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, KeyError, TypeError, SyntaxError):
        pass  # a broken EXIF block is no reason to refuse the pixels
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(img).astype(np.float64)
        if mode == "F":
            if not np.isfinite(arr).all():
                raise InputError(f"image {label!r} holds NaN or infinite values")
            hi = float(arr.max()) if arr.size else 1.0
            arr = arr / hi if hi > 1.0 else arr
        elif mode.startswith("I;16") or float(arr.max(initial=0)) > 255:
            arr = arr / 65535.0
        else:
            arr = arr / 255.0
        grey = np.clip(arr, 0.0, 1.0).astype(np.float32)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=-1))
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("LA", "La", "PA", "RGBa"):
        img = img.convert("RGBA")
    elif mode == "RGBA" or mode == "RGB":
        pass
    else:  # L, 1, CMYK, YCbCr, LAB, HSV...
        if mode == "L" and "transparency" in img.info:
            img = img.convert("RGBA")
        else:
            img = img.convert("RGB")
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return _apply_alpha(arr, alpha)


def _apply_alpha(arr: np.ndarray, alpha: str) -> np.ndarray:
    if arr.shape[-1] == 4:
        rgb, a = arr[..., :3], arr[..., 3:4]
        if alpha == "drop":
            arr = rgb
        else:
            bg = 1.0 if alpha == "white" else 0.0
            arr = rgb * a + bg * (1.0 - a)
    return np.ascontiguousarray(np.clip(arr, 0.0, 1.0).astype(np.float32))


def _from_array(a: np.ndarray, *, name: str, max_pixels: int) -> np.ndarray:
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
        raise InputError(f"{name} must have shape [H, W], [H, W, 3] or [H, W, 4], got {list(a.shape)}")
    _check_size((a.shape[1], a.shape[0]), name, max_pixels)
    if a.dtype == np.uint8:
        f = a.astype(np.float32) / 255.0
    elif a.dtype == np.uint16:
        f = a.astype(np.float32) / 65535.0
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise InputError(f"{name} holds NaN or infinite values")
        f = a.astype(np.float32)
    elif a.dtype == np.bool_:
        f = a.astype(np.float32)
    else:
        raise InputError(f"{name} has dtype {a.dtype}: use uint8, uint16 or float in [0, 1]")
    if f.shape[-1] == 1:
        f = np.repeat(f, 3, axis=-1)
    return _apply_alpha(f, "white")


def save_image(path: str | os.PathLike, rgb: np.ndarray) -> Path:
    """Write ``rgb`` (``[H, W, 3]`` float in [0, 1] or uint8) to a PNG/JPEG atomically."""
    from marble.io import atomic_path

    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    with atomic_path(path) as tmp:
        Image.fromarray(arr).save(tmp, format=Image.registered_extensions().get(Path(path).suffix.lower(), "PNG"))
    return Path(path)
