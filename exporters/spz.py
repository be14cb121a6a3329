"""``.spz``: Niantic's compressed splat format, written from its published layout.

A gzip stream holding a 16-byte header (``magic "NGSP"``, ``version``, ``numPoints``,
``shDegree``, ``fractionalBits``, ``flags``, reserved) followed by attribute planes:
positions (24-bit signed fixed point, ``fractionalBits`` fractional bits), alphas
(``uint8`` sigmoid), colours (DC coefficients as ``c * 0.15 * 255 + 127.5``), scales
(``(log_scale + 10) * 16``), rotations (version 3: smallest-three, 2-bit index + 3 x 10 bits;
version 2: ``xyz * 127.5 + 127.5`` with ``w >= 0``) and SH bands (``128 + 128 x``; 5 bits for
degree 1, 4 bits above, coefficient-major with RGB inner). SPZ is RUB, the world frame, so
coordinates are written as they are. Splats are stored in Morton (Z-curve) order, which makes
neighbouring records alike and the gzip stream several times smaller.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from exporters.binary import check_count, read_input_bytes, require_bytes
from exporters.scene import ExportOptions, ExportScene, gaussians_from_numpy, limit_sh, to_numpy
from marble.errors import FormatError
from marble.gaussians import Gaussians
from marble.io import atomic_write

MAGIC = 0x5053474E  # "NGSP" little-endian
VERSION = 3
HEADER = struct.Struct("<IIIBBBB")
COLOR_SCALE = 0.15
SH1_BITS, SHREST_BITS = 5, 4
FLAG_ANTIALIASED = 0x1
_SQRT1_2 = float(np.sqrt(0.5))


# ---------------------------------------------------------------------- ordering
def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Insert two zero bits between each of the low 21 bits of ``v`` (uint64)."""
    v = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    v = (v | (v << np.uint64(32))) & np.uint64(0x1F00000000FFFF)
    v = (v | (v << np.uint64(16))) & np.uint64(0x1F0000FF0000FF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x100F00F00F00F00F)
    v = (v | (v << np.uint64(4))) & np.uint64(0x10C30C30C30C30C3)
    v = (v | (v << np.uint64(2))) & np.uint64(0x1249249249249249)
    return v


def morton_order(means: np.ndarray) -> np.ndarray:  # [N, 3] -> [N]
    """A stable permutation sorting points along a 3D Z-order curve (21 bits per axis)."""
    if len(means) == 0:
        return np.zeros(0, np.int64)
    lo, hi = means.min(axis=0), means.max(axis=0)
    q = ((means - lo) / np.maximum(hi - lo, 1e-12) * ((1 << 21) - 1)).astype(np.uint64)
    code = _spread_bits(q[:, 0]) | (_spread_bits(q[:, 1]) << np.uint64(1)) | (_spread_bits(q[:, 2]) << np.uint64(2))
    return np.argsort(code, kind="stable")


# ---------------------------------------------------------------------- rotation canonicalisation
def canonical_rotations(quats_wxyz: np.ndarray, scale_codes: np.ndarray) -> np.ndarray:
    """Replace rotations that do not matter after scale quantisation by canonical ones.

    A Gaussian's covariance ``R S^2 R^T`` does not change when it turns about an axis whose two
    perpendicular scales are equal. Where two quantised scales are equal, the rotation about the
    third axis is therefore free: the rotation is replaced by the shortest turn taking that axis
    to its direction (which gzip compresses far better); where all three are equal the identity
    is used. The decoded splats render the same up to the format's quantisation.

    Args:
        quats_wxyz: ``[N, 4]`` unit quaternions.
        scale_codes: ``[N, 3]`` quantised log-scale bytes.
    Returns:
        ``[N, 4]`` unit quaternions (``wxyz``).
    """
    q = quats_wxyz.astype(np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    c = scale_codes.astype(np.int16)
    eq01, eq02, eq12 = c[:, 0] == c[:, 1], c[:, 0] == c[:, 2], c[:, 1] == c[:, 2]
    allq = eq01 & eq02
    if not (eq01 | eq02 | eq12).any():
        return quats_wxyz.astype(np.float32)
    q[allq] = (1.0, 0.0, 0.0, 0.0)
    for k, sel in ((2, eq01 & ~allq), (1, eq02 & ~allq), (0, eq12 & ~allq)):
        idx = np.nonzero(sel)[0]
        if not len(idx):
            continue
        w, x, y, z = q[idx].T
        # column k of the rotation matrix: the distinguished axis in world coordinates
        a = {
            0: np.stack([1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)], axis=1),
            1: np.stack([2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)], axis=1),
            2: np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1),
        }[k]
        a = np.where(a[:, k : k + 1] < 0, -a, a)  # either direction of the axis: take the near one
        e = np.zeros(3)
        e[k] = 1.0
        qq = np.concatenate([(1.0 + a[:, k])[:, None], np.cross(np.broadcast_to(e, a.shape), a)], axis=1)
        q[idx] = qq / np.linalg.norm(qq, axis=1, keepdims=True)
    return q.astype(np.float32)


# ---------------------------------------------------------------------- quantisers
def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _quantize_sh(x: np.ndarray, bits: int) -> np.ndarray:
    bucket = 1 << (8 - bits)
    q = np.round(x * 128.0).astype(np.int32) + 128
    q = (q + bucket // 2) // bucket * bucket
    return np.clip(q, 0, 255).astype(np.uint8)


def _pack_rotations_v3(xyzw: np.ndarray) -> np.ndarray:  # [N, 4] unit -> [N, 4] uint8
    n = len(xyzw)
    largest = np.abs(xyzw).argmax(axis=1)
    negate = xyzw[np.arange(n), largest] < 0
    comp = largest.astype(np.uint32)
    mask = (1 << 9) - 1
    for i in range(4):
        use = largest != i
        v = xyzw[:, i]
        negbit = ((v < 0) ^ negate).astype(np.uint32)
        mag = np.minimum(np.floor(mask * (np.abs(v) / _SQRT1_2) + 0.5), mask).astype(np.uint32)
        comp = np.where(use, (comp << np.uint32(10)) | (negbit << np.uint32(9)) | mag, comp)
    return comp.astype("<u4").view(np.uint8).reshape(n, 4)


def _unpack_rotations_v3(raw: np.ndarray) -> np.ndarray:  # [N, 4] uint8 -> [N, 4] xyzw
    comp = raw.copy().view("<u4").reshape(-1).astype(np.uint32)
    n = len(comp)
    mask = np.uint32((1 << 9) - 1)
    largest = (comp >> np.uint32(30)).astype(np.int64)
    q = np.zeros((n, 4), np.float32)
    for i in (3, 2, 1, 0):
        use = largest != i
        mag = (comp & mask).astype(np.float32)
        neg = ((comp >> np.uint32(9)) & np.uint32(1)).astype(bool)
        val = _SQRT1_2 * mag / float(mask)
        q[:, i] = np.where(use, np.where(neg, -val, val), 0.0)
        comp = np.where(use, comp >> np.uint32(10), comp)
    rest = np.clip(1.0 - (q * q).sum(axis=1), 0.0, 1.0)
    q[np.arange(n), largest] = np.sqrt(rest)
    return q


# ---------------------------------------------------------------------- encode / decode
def encode_spz(
    g: Gaussians, *, sh_degree: int | None = None, fractional_bits: int = 12, sort: bool = True, level: int = 4,
    canonicalize: bool = True,
) -> tuple[bytes, np.ndarray]:
    """Compress ``g`` (world frame = RUB) to SPZ version 3.

    Args:
        sort: store splats in Morton order (smaller files).
        level: gzip level (4: within 2% of level 6's size at a third of the time).
        canonicalize: replace rotations made irrelevant by equal quantised scales (see
            :func:`canonical_rotations`; smaller files, same rendering).
    Returns:
        ``(gzip bytes, order [N])``: ``order`` is the permutation applied (Morton order, or identity).
    """
    a = to_numpy(g)
    rest = limit_sh(g, sh_degree)
    n = g.num_splats
    order = morton_order(a["means"]) if sort else np.arange(n)
    means = a["means"][order].astype(np.float64)
    limit = (1 << 23) - 1
    fixed = np.round(means * (1 << fractional_bits))
    if n and np.abs(fixed).max() > limit:
        from marble.errors import InputError

        raise InputError(
            f"splat positions reach {np.abs(means).max():.1f} m, beyond SPZ's range with {fractional_bits} "
            "fractional bits; pass a smaller `position_bits`"
        )
    fixed = fixed.astype(np.int32).astype("<u4").view(np.uint8).reshape(n, 3, 4)[:, :, :3]
    alpha = 1.0 / (1.0 + np.exp(-a["opacity_logits"][order].astype(np.float64)))
    colors = _to_u8(a["sh0"][order] * (COLOR_SCALE * 255.0) + 0.5 * 255.0)
    scales = _to_u8((a["log_scales"][order] + 10.0) * 16.0)
    quats = canonical_rotations(a["quats"][order], scales) if canonicalize else a["quats"][order]
    q = quats[:, [1, 2, 3, 0]]  # xyzw
    rot = _pack_rotations_v3(q)
    degree = 0 if rest is None else {3: 1, 8: 2, 15: 3}[rest.shape[1]]
    parts = [
        HEADER.pack(MAGIC, VERSION, n, degree, fractional_bits, 0, 0),
        fixed.tobytes(), _to_u8(alpha * 255.0).tobytes(), colors.tobytes(), scales.tobytes(), rot.tobytes(),
    ]
    if rest is not None:
        r = rest[order]
        sh = np.empty(r.shape, np.uint8)
        sh[:, :3] = _quantize_sh(r[:, :3], SH1_BITS)
        if r.shape[1] > 3:
            sh[:, 3:] = _quantize_sh(r[:, 3:], SHREST_BITS)
        parts.append(sh.tobytes())
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container
    out = b"".join(comp.compress(p) for p in parts) + comp.flush()
    return out, order


def write_spz(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write every splat of ``scene`` to ``.spz`` (atomically)."""
    if options.axes not in (None, "rub"):
        from marble.errors import InputError

        raise InputError("`axes` for .spz must be 'rub' (the format's fixed convention)")
    data, _ = encode_spz(scene.require_splats(path), sh_degree=options.sh_degree, fractional_bits=options.position_bits)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def _sh_dim(degree: int) -> int:
    return (degree + 1) ** 2 - 1


def _check_header(path, magic: int, version: int, n: int, degree: int, versions) -> None:
    name = Path(path).name
    if magic != MAGIC:
        raise FormatError(f"{name}: bad magic 0x{magic:08x} (expected NGSP)")
    if version not in versions:
        raise FormatError(f"{name}: SPZ version {version} is not supported (2, 3 or 4)")
    if degree > 3:
        raise FormatError(f"{name}: SH degree {degree} is invalid (0..3)")
    check_count(path, n)


def _plane_sizes(n: int, degree: int, rot_bytes: int) -> list[int]:
    """Byte sizes of the positions, alphas, colours, scales, rotations (and SH) planes."""
    sizes = [9 * n, n, 3 * n, 3 * n, rot_bytes * n]
    if degree:
        sizes.append(3 * _sh_dim(degree) * n)
    return sizes


def _read_gzip(path, data: bytes) -> tuple[int, int, int, int, bytes]:
    """Versions 1-3: one gzip stream holding header and planes."""
    name = Path(path).name
    d = zlib.decompressobj(47)  # 47: gzip or zlib header, auto-detected
    try:
        head = d.decompress(data, HEADER.size)
    except zlib.error as exc:
        raise FormatError(f"{name}: not a gzip stream ({exc}); is this an .spz file?") from exc
    require_bytes(path, len(head), HEADER.size, "SPZ header")
    magic, version, n, degree, frac, _flags, _ = HEADER.unpack(head)
    _check_header(path, magic, version, n, degree, (2, 3))
    rot_bytes = 4 if version == 3 else 3
    need = sum(_plane_sizes(n, degree, rot_bytes))
    # A deflate stream expands at most ~1032x: refuse counts the input cannot possibly hold.
    if need > 1100 * len(data) + 1024:
        raise FormatError(f"{name}: header claims {n} splats but the file is only {len(data)} bytes")
    try:
        body = d.decompress(d.unconsumed_tail, need) if d.unconsumed_tail else d.decompress(b"", need)
        while len(body) < need and d.unconsumed_tail:
            body += d.decompress(d.unconsumed_tail, need - len(body))
    except zlib.error as exc:
        raise FormatError(f"{name}: corrupt gzip data ({exc})") from exc
    require_bytes(path, len(body), need, f"{n} splats")
    return n, degree, frac, rot_bytes, body


V4_TOC_ENTRY = struct.Struct("<QQ")  # compressed size, uncompressed size


def _read_v4(path, data: bytes) -> tuple[int, int, int, int, bytes]:
    """Version 4: a plain 16-byte header (byte 15: number of planes), a u32 table offset, then one
    ``(compressed, uncompressed)`` u64 pair per plane and the zstd-compressed planes in order."""
    name = Path(path).name
    require_bytes(path, len(data), HEADER.size + 4, "SPZ v4 header")
    magic, version, n, degree, frac, flags, planes = HEADER.unpack(data[: HEADER.size])
    _check_header(path, magic, version, n, degree, (4,))
    if flags & ~0x1:
        raise FormatError(f"{name}: SPZ v4 flags 0x{flags:02x} (extensions) are not supported")
    sizes = _plane_sizes(n, degree, 4)
    if planes != len(sizes):
        raise FormatError(f"{name}: {planes} data planes, expected {len(sizes)} for SH degree {degree}")
    toc = int.from_bytes(data[HEADER.size : HEADER.size + 4], "little")
    require_bytes(path, len(data) - toc, V4_TOC_ENTRY.size * planes, "SPZ v4 plane table")
    try:
        import zstandard
    except ImportError as exc:
        raise FormatError(f"{name}: SPZ version 4 needs the `zstandard` package (pip install zstandard)") from exc
    offset = toc + V4_TOC_ENTRY.size * planes
    out = []
    dctx = zstandard.ZstdDecompressor()
    for i, expected in enumerate(sizes):
        csize, usize = V4_TOC_ENTRY.unpack_from(data, toc + V4_TOC_ENTRY.size * i)
        if usize != expected:
            raise FormatError(f"{name}: plane {i} holds {usize} bytes but {n} splats need {expected}")
        require_bytes(path, len(data) - offset, csize, f"plane {i}")
        try:
            plane = dctx.decompress(data[offset : offset + csize], max_output_size=expected)
        except zstandard.ZstdError as exc:
            raise FormatError(f"{name}: plane {i} is not valid zstd data ({exc})") from exc
        require_bytes(path, len(plane), expected, f"plane {i}")
        out.append(plane[:expected])
        offset += csize
    return n, degree, frac, 4, b"".join(out)


def decode_spz(path: str | Path, data: bytes) -> Gaussians:
    """Splats (world frame) from SPZ bytes (versions 2, 3 and 4).

    Raises:
        FormatError: not gzip, bad magic/version, counts that do not match the data, NaN.
    """
    if data[:4] == b"NGSP":  # version 4+: plain header, zstd-compressed planes
        n, degree, frac, rot_bytes, body = _read_v4(path, data)
    else:
        n, degree, frac, rot_bytes, body = _read_gzip(path, data)
    k = _sh_dim(degree)
    buf = np.frombuffer(body, dtype=np.uint8)
    o = 0
    pos = buf[o : o + 9 * n].reshape(n, 3, 3).astype(np.int32)
    o += 9 * n
    fixed = pos[..., 0] | (pos[..., 1] << 8) | (pos[..., 2] << 16)
    fixed = np.where(fixed & 0x800000, fixed - (1 << 24), fixed)
    means = (fixed.astype(np.float64) / (1 << frac)).astype(np.float32)
    alpha = buf[o : o + n].astype(np.float32) / 255.0
    o += n
    colors = (buf[o : o + 3 * n].reshape(n, 3).astype(np.float32) / 255.0 - 0.5) / COLOR_SCALE
    o += 3 * n
    log_scales = buf[o : o + 3 * n].reshape(n, 3).astype(np.float32) / 16.0 - 10.0
    o += 3 * n
    if rot_bytes == 4:
        xyzw = _unpack_rotations_v3(buf[o : o + 4 * n].reshape(n, 4))
    else:
        xyz = buf[o : o + 3 * n].reshape(n, 3).astype(np.float32) / 127.5 - 1.0
        w = np.sqrt(np.clip(1.0 - (xyz * xyz).sum(axis=1), 0.0, 1.0))
        xyzw = np.concatenate([xyz, w[:, None]], axis=1)
    o += rot_bytes * n
    rest = None
    if k:
        rest = (buf[o : o + 3 * k * n].reshape(n, k, 3).astype(np.float32) - 128.0) / 128.0
    quats = xyzw[:, [3, 0, 1, 2]]
    norms = np.linalg.norm(quats, axis=1, keepdims=True)
    quats = quats / np.maximum(norms, 1e-12)
    alpha = np.clip(alpha, 0.5 / 255, 1 - 0.5 / 255)
    return gaussians_from_numpy(means, quats, log_scales, np.log(alpha / (1 - alpha)), colors, rest)


def read_spz_file(path: str | Path, **_options):
    """Import an ``.spz`` file as a one-layer World."""
    from exporters.importers import world_from_gaussians

    return world_from_gaussians(decode_spz(path, read_input_bytes(path)), path)
