"""SPZ specifics: the packing of each field, size against .ply, image quality after decoding."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from exporters.ply import encode_ply
from exporters.samples import random_gaussians, surface_gaussians
from exporters.spz import (
    HEADER, MAGIC, _pack_rotations_v3, _unpack_rotations_v3, canonical_rotations, decode_spz, encode_spz, morton_order,
)
from marble.camera import Camera
from marble.gaussians import Gaussians, quat_to_rotmat


def test_header_and_layout_follow_the_published_format():
    g = random_gaussians(300, sh_degree=2, seed=1)
    data, order = encode_spz(g, sort=False)
    raw = gzip.decompress(data)
    magic, version, n, deg, frac, flags, _ = HEADER.unpack(raw[:16])
    assert (magic, version, n, deg, frac, flags) == (MAGIC, 3, 300, 2, 12, 0)
    assert raw[:4] == b"NGSP"
    assert len(raw) == 16 + 300 * (9 + 1 + 3 + 3 + 4 + 8 * 3)
    assert np.array_equal(order, np.arange(300))
    # first position, decoded by hand: 24-bit little-endian signed, 12 fractional bits
    b = raw[16:19]
    v = int.from_bytes(b, "little", signed=False)
    v = v - (1 << 24) if v & 0x800000 else v
    assert abs(v / 4096 - float(g.means[0, 0])) <= 0.5 / 4096 + 1e-7
    # alpha plane follows the 9N position bytes
    alpha0 = raw[16 + 9 * 300]
    assert abs(alpha0 / 255 - float(g.opacities[0])) <= 0.5 / 255 + 1e-6


def test_smallest_three_rotations_round_trip():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5000, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    back = _unpack_rotations_v3(_pack_rotations_v3(q.astype(np.float32)))
    dots = np.abs((q * back).sum(1))
    assert dots.min() > 1 - 2e-5
    # exactly representable axis-aligned quaternions survive exactly
    eye = np.tile([0, 0, 0, 1.0], (4, 1)).astype(np.float32)
    assert np.allclose(_unpack_rotations_v3(_pack_rotations_v3(eye)), eye)


def test_reads_version_2_files():
    """Version 2 stores rotations as 3 bytes (xyz, w >= 0); build one by hand and read it."""
    g = random_gaussians(50, seed=2)
    raw = bytearray(gzip.decompress(encode_spz(g, sort=False, canonicalize=False)[0]))
    n = 50
    start = 16 + n * (9 + 1 + 3 + 3)
    q = g.quats.numpy() / np.linalg.norm(g.quats.numpy(), axis=1, keepdims=True)
    q = np.where(q[:, :1] < 0, -q, q)  # w >= 0
    xyz = np.clip(np.round(q[:, 1:] * 127.5 + 127.5), 0, 255).astype(np.uint8)
    v2 = bytes(raw[:4]) + struct.pack("<I", 2) + bytes(raw[8:start]) + xyz.tobytes()
    got = decode_spz("v2.spz", gzip.compress(v2))
    d = (got.quats.numpy() * q).sum(1)
    assert np.abs(d).min() > 0.99  # 8-bit components
    assert np.median(np.abs(d)) > 0.9999


def test_canonical_rotations_keep_the_covariance():
    g = random_gaussians(2000, seed=4)
    codes = np.clip(np.round((g.log_scales.numpy() + 10) * 16), 0, 255).astype(np.uint8)
    codes[:700, 1] = codes[:700, 0]  # two equal axes
    codes[700:900] = codes[700:900, :1]  # three equal axes
    codes[900:] = (100, 110, 120)  # all different: rotation matters
    s = torch.from_numpy(np.exp(codes / 16.0 - 10).astype(np.float32))
    q2 = torch.from_numpy(canonical_rotations(g.quats.numpy(), codes))

    def cov(q):
        R = quat_to_rotmat(q)
        return R @ torch.diag_embed(s * s) @ R.transpose(1, 2)

    assert torch.allclose(cov(g.quats), cov(q2), atol=1e-9, rtol=1e-4)
    assert not torch.allclose(g.quats[:900].abs(), q2[:900].abs(), atol=1e-3)  # they did change
    assert torch.allclose(q2[900:], g.quats[900:] / g.quats[900:].norm(dim=1, keepdim=True), atol=1e-6)  # untouched


def test_morton_order_is_a_permutation_that_groups_neighbours():
    pts = np.random.default_rng(0).uniform(0, 1, (4096, 3))
    o = morton_order(pts)
    assert np.array_equal(np.sort(o), np.arange(4096))
    step = np.linalg.norm(np.diff(pts[o], axis=0), axis=1).mean()
    rand = np.linalg.norm(np.diff(pts, axis=0), axis=1).mean()
    assert step < rand / 4


def _sh3_world(n: int) -> Gaussians:
    """Surface splats with SH degree 3 at the magnitudes trained 3DGS scenes have (std ~0.05)."""
    g = surface_gaussians(n, seed=7)
    rng = np.random.default_rng(7)
    g.shN = torch.from_numpy(rng.normal(0, 0.05, (n, 15, 3)).astype(np.float32))
    return g.validate()


def test_spz_is_at_least_8x_smaller_than_ply_for_3dgs_content():
    g = _sh3_world(20000)
    ply, spz = len(encode_ply(g)), len(encode_spz(g)[0])
    assert ply / spz >= 8.0, ply / spz


def test_spz_size_on_degree0_surface_worlds():
    """Degree-0 worlds have a 68-byte .ply record; SPZ still shrinks them over 5x."""
    g = surface_gaussians(20000, seed=3)
    ply, spz = len(encode_ply(g)), len(encode_spz(g)[0])
    assert ply / spz >= 5.0, ply / spz


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(((a - b) ** 2).mean())
    return 10 * np.log10(1.0 / max(mse, 1e-12))


def test_decoded_spz_rerenders_within_35_db():
    from marble.render import render

    g = _sh3_world(6000)
    back = decode_spz("t.spz", encode_spz(g)[0])
    cams = [
        Camera.look_at((0.0, 2.5, 5.0), (0.0, 0.0, 0.0), width=96, height=72, fov_y_deg=60),
        Camera.look_at((4.0, 1.5, -2.0), (0.0, 0.0, 0.0), width=96, height=72, fov_y_deg=60),
    ]
    bg = torch.tensor([0.2, 0.3, 0.4])
    a = render(g, cams, background=bg).colors
    b = render(back, cams, background=bg).colors
    assert a.std() > 0.02  # the splats are in view
    assert _psnr(a, b) >= 35.0, _psnr(a, b)


def test_positions_beyond_the_fixed_point_range_are_refused():
    from marble.errors import InputError

    g = random_gaussians(10, seed=0)
    g.means[0, 0] = 5000.0
    with pytest.raises(InputError, match="position_bits"):
        encode_spz(g)
    data, _ = encode_spz(g, fractional_bits=8)  # 8 fractional bits reach +-32 km
    assert abs(float(decode_spz("x.spz", data).means[:, 0].max()) - 5000.0) < 0.01
