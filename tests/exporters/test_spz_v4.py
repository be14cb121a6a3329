"""SPZ version 4 (Niantic's current layout) and what the reference reads that Marble must too:
extension records skipped by their length, SH degree 4, the coordinate-system record."""

from __future__ import annotations

import gzip
import struct
import warnings

import numpy as np
import pytest
import zstandard

from exporters import export, import_file
from exporters.axes import change_frame, flip_x180, frame_to_world
from exporters.samples import random_gaussians
from exporters.spz import decode_spz, encode_spz, spz_planes
from exporters.spz_container import (
    EXT_COORDINATE_SYSTEM,
    EXT_SAFE_ORBIT_CAMERA,
    HEADER_V4,
    MAGIC,
    TOC_ENTRY,
    pack_gzip,
    pack_v4,
)
from exporters.scene import gaussians_from_numpy, to_numpy
from marble.errors import FormatError, InputError
from marble.world import Layer, World


def _cov(g) -> np.ndarray:  # [N, 3, 3]
    from marble.geometry import quat_to_rotmat

    R = quat_to_rotmat(g.quats.double()).numpy()
    return R @ (np.exp(2 * g.log_scales.double().numpy())[:, :, None] * R.transpose(0, 2, 1))


def _planes_of_v4(data: bytes) -> tuple[tuple, list[bytes]]:
    head = HEADER_V4.unpack_from(data, 0)
    toc, streams = head[7], head[6]
    planes, off = [], toc + TOC_ENTRY.size * streams
    for i in range(streams):
        csize, usize = TOC_ENTRY.unpack_from(data, toc + TOC_ENTRY.size * i)
        planes.append(zstandard.ZstdDecompressor().decompress(data[off : off + csize]))
        assert len(planes[-1]) == usize
        off += csize
    assert off == len(data)  # nothing after the last frame
    return head, planes


@pytest.mark.parametrize("degree,streams", [(0, 5), (2, 6)])
def test_v4_layout_follows_the_reference(degree, streams):
    """32-byte plain header (magic, version 4, count, degree, fractional bits, flags, numStreams,
    tocByteOffset = 32, 12 zero bytes), the table of (compressed, uncompressed) u64 pairs, one zstd
    frame per non-empty plane; the planes are byte for byte those of version 3."""
    g = random_gaussians(400, sh_degree=degree, seed=2)
    v4, order4 = encode_spz(g, fractional_bits=12)
    v3, order3 = encode_spz(g, fractional_bits=12, version=3)
    assert np.array_equal(order3, order4)
    (magic, version, n, deg, frac, flags, nstreams, toc), planes = _planes_of_v4(v4)
    assert (magic, version, n, deg, frac, flags, nstreams, toc) == (MAGIC, 4, 400, degree, 12, 0, streams, 32)
    assert v4[20:32] == bytes(12) and v4[:4] == b"NGSP"
    raw3 = gzip.decompress(v3)
    assert b"".join(planes) == raw3[16:]
    assert [len(p) for p in planes][:5] == [9 * 400, 400, 3 * 400, 3 * 400, 4 * 400]
    back4, back3 = decode_spz("a.spz", v4), decode_spz("b.spz", v3)
    for k in ("means", "quats", "log_scales", "opacity_logits", "sh0"):
        assert np.array_equal(getattr(back4, k).numpy(), getattr(back3, k).numpy()), k


def test_export_writes_v4_by_default_and_v3_on_request(tmp_path):
    w = World([Layer("s", gaussians=random_gaussians(100, seed=1))])
    assert export(w, tmp_path / "a.spz")[0].read_bytes()[:8] == b"NGSP\x04\x00\x00\x00"
    assert export(w, tmp_path / "b.spz", spz_version=3)[0].read_bytes()[:2] == b"\x1f\x8b"
    with pytest.raises(InputError, match="`spz_version` must be 3 or 4, got 5"):
        export(w, tmp_path / "c.spz", spz_version=5)
    assert not (tmp_path / "c.spz").exists()
    assert import_file(tmp_path / "a.spz").num_splats == import_file(tmp_path / "b.spz").num_splats == 100


def test_cli_spz_version_option(tmp_path):
    from typer.testing import CliRunner

    from marble.frontends.cli.main import app

    src = tmp_path / "in.spz"
    export(World([Layer("s", gaussians=random_gaussians(50, seed=1))]), src)
    res = CliRunner().invoke(app, ["export", str(src), str(tmp_path / "v3.spz"), "--spz-version", "3"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "v3.spz").read_bytes()[:2] == b"\x1f\x8b"
    bad = CliRunner().invoke(app, ["export", str(src), str(tmp_path / "v9.spz"), "--spz-version", "9"])
    assert bad.exit_code == 2 and "`spz_version` must be 3 or 4" in bad.stderr
    assert not (tmp_path / "v9.spz").exists()


def _records():
    orbit = struct.pack("<fff", -0.5, 0.5, 1.0)
    return [(EXT_SAFE_ORBIT_CAMERA, orbit), (0x12340001, b"vendor data of any length")]


@pytest.mark.parametrize("version", [3, 4])
def test_extension_records_are_skipped_by_their_length(version, tmp_path):
    """flags 0x2: records sit between the v4 header and its table (tocByteOffset moves past them),
    or after the planes inside a v3 gzip stream. Known types are read, unknown ones skipped with a
    warning naming them; the splats are the same as without records."""
    g = random_gaussians(300, sh_degree=1, seed=4)
    header, planes, _ = spz_planes(g)
    header.version = version
    plain = (pack_v4 if version == 4 else pack_gzip)(header, planes)
    header.records = _records()
    data = (pack_v4 if version == 4 else pack_gzip)(header, planes)
    if version == 4:
        assert data[14] & 0x2 and HEADER_V4.unpack_from(data)[7] == 32 + 8 + 12 + 8 + 25
    with pytest.warns(RuntimeWarning, match="unknown SPZ extension record 0x12340001 \\(25 bytes\\)"):
        got = decode_spz("ext.spz", data)
    ref = decode_spz("plain.spz", plain)
    for k in ("means", "quats", "log_scales", "opacity_logits", "sh0", "shN"):
        assert np.array_equal(getattr(got, k).numpy(), getattr(ref, k).numpy()), k
    # a record that claims more bytes than its block holds: one line naming the file
    header.records = [(0x12340001, b"abc")]
    broken = bytearray((pack_v4 if version == 4 else pack_gzip)(header, planes, level=1))
    if version == 4:
        struct.pack_into("<I", broken, 36, 1000)  # the record's byteLength
    else:
        raw = bytearray(gzip.decompress(bytes(broken)))
        struct.pack_into("<I", raw, len(raw) - 3 - 4, 1000)
        broken = gzip.compress(bytes(raw))
    with pytest.raises(FormatError, match="^bad.spz: SPZ extension record 0x12340001 claims 1000 bytes"):
        decode_spz("bad.spz", bytes(broken))


def test_sh_degree_4_is_read_keeping_bands_0_to_3():
    g = random_gaussians(200, sh_degree=3, seed=6)
    header, planes, order = spz_planes(g)
    sh3 = np.frombuffer(planes[5], np.uint8).reshape(200, 15, 3)
    band4 = np.full((200, 9, 3), 200, np.uint8)  # any values: they are dropped
    planes[5] = np.concatenate([sh3, band4], axis=1).tobytes()
    header.sh_degree = 4
    data = pack_v4(header, planes)
    with pytest.warns(RuntimeWarning, match="SH degree 4 read as degree 3"):
        got = decode_spz("d4.spz", data)
    ref = decode_spz("d3.spz", encode_spz(g)[0])
    assert got.sh_degree == 3
    assert np.array_equal(got.shN.numpy(), ref.shN.numpy())
    header.sh_degree = 5
    with pytest.raises(FormatError, match="SH degree 5 is invalid \\(0..4\\)"):
        decode_spz("d5.spz", pack_v4(header, planes))


@pytest.mark.parametrize("frame,value", [("rdf", 6), ("luf", 7), ("rfu", 12), ("lub", 3)])
def test_coordinate_system_record_is_undone(frame, value):
    """``SPZ_ADOBE_coordinate_system`` names the frame the data is stored in; the reader brings it
    back to RUB. Stored here: the world turned (rdf, luf: half turns; rfu: a quarter turn about X)
    or mirrored (lub), SH bands moved along."""
    g = random_gaussians(300, sh_degree=2, seed=8)
    a = to_numpy(g)
    M = frame_to_world(frame)  # stored -> world; world -> stored is its transpose
    m, q, sh = change_frame(a["means"], a["quats"], g.shN.numpy(), M.T)
    stored = gaussians_from_numpy(m, q, a["log_scales"], a["opacity_logits"], a["sh0"], sh)
    header, planes, order = spz_planes(stored, sort=False, tolerance=0)
    header.records = [(EXT_COORDINATE_SYSTEM, struct.pack("<I", value))]
    got = decode_spz("frame.spz", pack_v4(header, planes))
    plain = decode_spz("plain.spz", encode_spz(g, sort=False, tolerance=0)[0])
    assert np.abs(got.means.numpy() - a["means"]).max() < 1e-3
    err = np.abs(got.shN.numpy() - g.shN.numpy())  # SH quantisation: steps of 1/16 (band 1) and 1/8
    assert err.mean() < 0.04 and err.max() < 0.2, (err.mean(), err.max())  # a wrong sign: mean ~0.24
    # the same covariances (the writer may relabel a splat's axes, so compare R S^2 R^T)
    c_got, c_plain = _cov(got), _cov(plain)
    assert (np.abs(c_got - c_plain).max(axis=(1, 2)) / np.abs(c_plain).max(axis=(1, 2))).max() < 0.05
    header.records = [(EXT_COORDINATE_SYSTEM, struct.pack("<I", 17))]
    with pytest.raises(FormatError, match="coordinate-system value 17 is unknown"):
        decode_spz("frame.spz", pack_v4(header, planes))


def test_frame_changes_agree_with_the_half_turn_about_x():
    """The general change of frame (least-squares SH rotation) equals the hand-derived X half turn."""
    g = random_gaussians(50, sh_degree=3, seed=9)
    a = to_numpy(g)
    m1, q1, s1 = flip_x180(a["means"], a["quats"], g.shN.numpy())
    m2, q2, s2 = change_frame(a["means"], a["quats"], g.shN.numpy(), frame_to_world("rdf"))
    assert np.allclose(m1, m2) and np.allclose(s1, s2, atol=1e-6)
    assert np.allclose(np.abs((q1 * q2).sum(1)), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="names one world axis twice"):
        frame_to_world("rur")


def test_v4_with_no_splats_and_no_streams():
    """The reference stores no stream for an empty plane: a file of 0 splats has an empty table."""
    header, planes, _ = spz_planes(random_gaussians(1, seed=1))
    header.num_points = 0
    data = pack_v4(header, [b"" for _ in planes])
    assert HEADER_V4.unpack_from(data)[6] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode_spz("empty.spz", data).num_splats == 0


def test_the_web_profile_writes_the_container_web_viewers_read(tmp_path):
    """Spark 2.2 and Babylon read SPZ v2/v3 only: the `web` profile writes v3 unless asked otherwise."""
    import gzip

    from exporters import export
    from exporters.samples import sample_world

    w = sample_world(n_splats=200, seed=4)
    web = export(w, tmp_path / "web.spz", profile="web")[0]
    assert gzip.decompress(web.read_bytes())[:4] == b"NGSP"  # v3: one gzip stream
    plain = export(w, tmp_path / "plain.spz")[0]
    assert plain.read_bytes()[:4] == b"NGSP"  # v4: plain header
    forced = export(w, tmp_path / "forced.spz", profile="web", spz_version=4)[0]
    assert forced.read_bytes()[:4] == b"NGSP"
