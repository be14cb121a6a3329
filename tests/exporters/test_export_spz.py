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
    HEADER,
    MAGIC,
    TOLERANCE,
    _pack_rotations_v3,
    _unpack_rotations_v3,
    canonical_rotations,
    choose_fractional_bits,
    decode_spz,
    encode_spz,
    morton_order,
    rotation_drop_bits,
)
from marble.camera import Camera
from marble.gaussians import Gaussians
from marble.geometry import quat_to_rotmat


def _header_bytes(data: bytes) -> bytes:
    """The first 16 header bytes of a v4 (plain) or v1-3 (gzip) file: the fields up to ``flags``
    sit at the same offsets in both."""
    return data[:16] if data[:4] == b"NGSP" else gzip.decompress(data)[:16]


def test_header_and_layout_follow_the_published_format():
    g = random_gaussians(300, sh_degree=2, seed=1)
    data, order = encode_spz(g, sort=False, fractional_bits=12, tolerance=0, version=3)  # full precision
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
    raw = bytearray(gzip.decompress(encode_spz(g, sort=False, canonicalize=False, version=3)[0]))
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
    codes[900:] = (100, 110, 120)  # all different: only the axes can be relabelled
    q2, codes2 = canonical_rotations(g.quats.numpy(), codes)

    def cov(q, c):
        s = torch.from_numpy(np.exp(c / 16.0 - 10).astype(np.float64))
        R = quat_to_rotmat(torch.from_numpy(np.asarray(q, np.float64)))
        return R @ torch.diag_embed(s * s) @ R.transpose(1, 2)

    assert torch.allclose(cov(g.quats.numpy(), codes), cov(q2, codes2), atol=1e-9, rtol=1e-4)
    assert np.array_equal(np.sort(codes2, axis=1), np.sort(codes, axis=1))  # the same scales, reordered
    # every rotation is the equivalent one nearest the identity: w is the largest component (so the
    # smallest-three index never changes) and the turn is at most 62.8 degrees
    assert (q2[:, 0] >= np.cos(np.radians(62.8 / 2)) - 1e-6).all()
    # two equal scales: the shortest turn from a world axis, with one vector component exactly zero
    assert (np.abs(q2[:700, 1:]).min(axis=1) == 0).all()
    assert np.allclose(q2[700:900], (1, 0, 0, 0))
    # relabelling alone: splats turned by under 45 degrees are already nearest the identity: kept
    q = g.quats.numpy()[900:] / np.linalg.norm(g.quats.numpy()[900:], axis=1, keepdims=True)
    near = np.abs(q[:, 0]) > np.cos(np.radians(45 / 2))
    assert near.sum() > 5
    assert np.allclose(np.abs((q2[900:][near] * q[near]).sum(1)), 1.0, atol=1e-6)


def test_rotation_rounding_follows_the_shape():
    """Round splats may turn more than needles; the turn moves a splat's rim by <= TOLERANCE x size."""
    rng = np.random.default_rng(5)
    log_s = np.log(np.stack([
        np.full(3, 0.01),  # a ball
        [0.02, 0.02, 0.002],  # a disk like fused worlds have
        [0.05, 0.002, 0.002],  # a needle
    ]))
    codes = np.clip(np.round((log_s + 10) * 16), 0, 255).astype(np.uint8)
    b = rotation_drop_bits(codes)
    assert b[0] > b[1] > b[2]
    q = rng.normal(size=(3000, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q[:, 0] = np.abs(q[:, 0]) + 2.0  # w largest, like canonical rotations
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    for i in range(3):
        drop = np.full(len(q), b[i])
        back = _unpack_rotations_v3(_pack_rotations_v3(q[:, [1, 2, 3, 0]].astype(np.float32), drop))[:, [3, 0, 1, 2]]
        angle = 2 * np.arccos(np.clip(np.abs((back * q).sum(1)), 0, 1))
        s = np.exp(codes[i] / 16.0 - 10)
        rim = angle.max() * s.max()
        assert rim <= TOLERANCE * np.exp(np.log(s).mean()), (i, rim)


def test_fractional_bits_follow_the_splat_sizes_and_the_extent():
    rng = np.random.default_rng(0)
    means = rng.uniform(-5, 5, (1000, 3))
    # 1 mm splats: a step of 1/16 mm needs 14 bits; the floor is 1 mm (10 bits) for big splats
    assert choose_fractional_bits(means, np.full((1000, 3), np.log(0.001))) == 14
    assert choose_fractional_bits(means, np.full((1000, 3), np.log(0.5))) == 10
    # a world 3 km across cannot have 14 bits (24-bit range): it gets what fits
    far = means.copy()
    far[0] = (3000.0, 0.0, 0.0)
    assert choose_fractional_bits(far, np.full((1000, 3), np.log(0.001))) == 11
    g = random_gaussians(200, seed=3)
    g.means[0] = torch.tensor([3000.0, 0.0, 0.0])
    raw = _header_bytes(encode_spz(g)[0])
    assert raw[13] == 11
    assert abs(float(decode_spz("x.spz", encode_spz(g)[0]).means[:, 0].max()) - 3000.0) < 1e-3


def test_positions_round_to_each_splats_size():
    g = surface_gaussians(5000, seed=2)
    g.log_scales[:2500] += np.log(8.0)  # half the splats 8x larger: rounded on a 8x coarser grid
    back = decode_spz("x.spz", encode_spz(g, sort=False)[0])
    err = (back.means - g.means).abs().amax(dim=1).double()
    size = g.log_scales.double().mean(dim=1).exp()
    frac = _header_bytes(encode_spz(g)[0])[13]
    assert (err <= torch.maximum(TOLERANCE * size, torch.full_like(size, 2.0**-frac)) / 2 + 1e-6).all()
    assert err[:2500].mean() > 4 * err[2500:].mean()
    exact = decode_spz("x.spz", encode_spz(g, sort=False, fractional_bits=frac, tolerance=0)[0])
    assert ((exact.means - g.means).abs().max()) <= 2.0 ** -(frac + 1) + 1e-6


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


def test_spz_is_at_least_8x_smaller_than_ply_for_a_generated_world():
    """The issue's target on what Marble makes (SH degree 0, fused flat splats): measured 8.4x for
    this prompt, 8.1-10.7x for others (6.9-8.9x before size-relative rounding and canonical axes)."""
    import marble

    g = marble.generate("a cabin in a snowy pine forest at sunset", seed=0, preset="draft").gaussians()
    ply, spz = len(encode_ply(g)), len(encode_spz(g)[0])
    assert ply / spz >= 8.0, ply / spz


def test_spz_size_on_degree0_surface_worlds():
    """Synthetic surface splats with i.i.d. noise in every field (5 mm positions, 1% colours, random
    opacities) stay under 8x: gzip cannot predict the noise (see the bench note); they reach 6.5x."""
    g = surface_gaussians(20000, seed=3)
    ply, spz = len(encode_ply(g)), len(encode_spz(g)[0])
    assert ply / spz >= 6.5, ply / spz


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


def test_size_relative_rounding_is_invisible_but_the_check_can_see_geometry():
    """Close-ups of flat surface splats (SH 0, so geometry dominates the error): the default rounding
    stays above 50 dB and within 1.5 dB of the format's full precision (drawn with Marble's sharp
    0.1 px^2 filter, which shows geometry more than the classic 0.3), and a coarse one is caught."""
    from marble.render import render

    g = surface_gaussians(20000, seed=3)
    cams = [
        Camera.look_at((0.3, 0.6, 0.8), (0.0, 0.0, 0.0), width=128, height=96, fov_y_deg=50),
        Camera.look_at((-1.5, 0.25, 0.0), (0.5, 0.0, 0.2), width=128, height=96, fov_y_deg=50),
    ]
    bg = torch.tensor([0.2, 0.3, 0.4])
    ref = render(g, cams, background=bg).colors
    assert ref.std() > 0.05

    def psnr(**kw):
        return _psnr(ref, render(decode_spz("t.spz", encode_spz(g, **kw)[0]), cams, background=bg).colors)

    full, default, coarse = psnr(fractional_bits=12, tolerance=0), psnr(), psnr(tolerance=1.0)
    assert default >= 50.0 and default >= full - 1.5, (full, default)
    assert coarse < full - 5.0, (full, coarse)


def test_positions_beyond_the_fixed_point_range_are_refused():
    from marble.errors import InputError

    g = random_gaussians(10, seed=0)
    g.means[0, 0] = 5000.0
    with pytest.raises(InputError, match="position_bits"):
        encode_spz(g, fractional_bits=12)
    data, _ = encode_spz(g, fractional_bits=8)  # 8 fractional bits reach +-32 km
    assert abs(float(decode_spz("x.spz", data).means[:, 0].max()) - 5000.0) < 0.01
    data, _ = encode_spz(g)  # chosen: the most bits that reach 5 km (10)
    assert _header_bytes(data)[13] == 10
    assert abs(float(decode_spz("x.spz", data).means[:, 0].max()) - 5000.0) < 1e-3
