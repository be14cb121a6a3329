"""marble.images.load_image: every odd image a user may upload, and the ones it must refuse."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from marble.errors import BudgetError, InputError
from marble.images import load_image, save_image


def _gradient(w=32, h=24) -> np.ndarray:
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    return np.stack([x, y, 255 - x], -1).astype(np.uint8)


def test_png_round_trip(tmp_path):
    p = tmp_path / "a.png"
    Image.fromarray(_gradient()).save(p)
    img = load_image(p)
    assert img.shape == (24, 32, 3) and img.dtype == np.float32
    assert np.allclose(img * 255, _gradient(), atol=0.51)


def test_exif_rotation_applied(tmp_path):
    p = tmp_path / "rot.jpg"
    im = Image.fromarray(_gradient(40, 20))
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    im.save(p, exif=exif.tobytes(), quality=95)
    img = load_image(p)
    assert img.shape == (40, 20, 3)


def test_cmyk_converted(tmp_path):
    p = tmp_path / "c.jpg"
    Image.fromarray(_gradient()).convert("CMYK").save(p, quality=95)
    img = load_image(p)
    assert img.shape == (24, 32, 3)
    assert abs(float(img[..., 0].mean()) - _gradient()[..., 0].mean() / 255) < 0.08


def test_16bit_greyscale(tmp_path):
    p = tmp_path / "g16.png"
    a = np.linspace(0, 65535, 16 * 8).reshape(8, 16).astype(np.uint16)
    Image.fromarray(a).save(p)
    img = load_image(p)
    assert img.shape == (8, 16, 3)
    assert img.max() == pytest.approx(1.0, abs=1e-4) and img.min() == 0.0
    assert np.allclose(img[..., 0], a / 65535.0, atol=1e-4)


def test_alpha_white_black_drop(tmp_path):
    p = tmp_path / "a.png"
    a = np.zeros((4, 4, 4), np.uint8)
    a[..., 0] = 255  # red, fully transparent
    Image.fromarray(a, "RGBA").save(p)
    assert np.allclose(load_image(p), 1.0)
    assert np.allclose(load_image(p, alpha="black"), 0.0)
    assert np.allclose(load_image(p, alpha="drop")[..., 0], 1.0)
    with pytest.raises(InputError, match="`alpha`"):
        load_image(p, alpha="pink")


def test_palette_with_transparency(tmp_path):
    p = tmp_path / "p.png"
    im = Image.fromarray(_gradient()).convert("P")
    im.info["transparency"] = 0
    im.save(p, transparency=0)
    img = load_image(p)
    assert img.shape == (24, 32, 3) and np.isfinite(img).all()


def test_animated_gif_first_frame(tmp_path):
    p = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    img = load_image(p)
    assert img[..., 0].mean() > 0.9 and img[..., 2].mean() < 0.1


@pytest.mark.parametrize("payload", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30])
def test_corrupt_and_empty_rejected(tmp_path, payload):
    p = tmp_path / "bad.png"
    p.write_bytes(payload)
    with pytest.raises(InputError, match="bad.png"):
        load_image(p)


def test_truncated_rejected(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(_gradient(64, 64)).save(buf, format="PNG")
    p = tmp_path / "trunc.png"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(InputError, match="trunc.png"):
        load_image(p)


def test_one_pixel_rejected(tmp_path):
    p = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(p)
    with pytest.raises(InputError, match="1x1"):
        load_image(p)


def test_missing_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="folder"):
        load_image(tmp_path)


def test_decompression_bomb_checked_from_header(tmp_path, monkeypatch):
    # A real 50k x 50k 1-bit PNG is tiny on disk; the size check must fire before decoding.
    p = tmp_path / "bomb.png"
    Image.new("1", (8000, 8000)).save(p)
    assert p.stat().st_size < 100_000
    with pytest.raises(BudgetError, match="64000000 pixels"):
        load_image(p, max_pixels=50_000_000)
    monkeypatch.setenv("MARBLE_MAX_IMAGE_PIXELS", "100")
    with pytest.raises(BudgetError, match="MARBLE_MAX_IMAGE_PIXELS"):
        load_image(p)


def test_arrays_and_pil_and_bytes(tmp_path):
    g = _gradient()
    assert np.allclose(load_image(g) * 255, g, atol=0.51)
    assert load_image(Image.fromarray(g)).shape == (24, 32, 3)
    buf = io.BytesIO()
    Image.fromarray(g).save(buf, format="PNG")
    assert load_image(buf.getvalue()).shape == (24, 32, 3)
    with pytest.raises(InputError, match="NaN"):
        load_image(np.full((4, 4, 3), np.nan, np.float32))
    with pytest.raises(InputError, match="shape"):
        load_image(np.zeros((4, 4, 2), np.float32))


def test_save_image(tmp_path):
    p = save_image(tmp_path / "o.png", np.full((4, 5, 3), 0.5, np.float32))
    assert load_image(p).shape == (4, 5, 3)
