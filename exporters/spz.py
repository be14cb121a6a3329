"""``.spz``: Niantic's compressed splat format, written from its published layout.

Version 4 (the default, as in Niantic's reference library) stores each attribute plane as its own
zstd frame behind a plain 32-byte header; version 3 (``spz_version=3``: what Spark 2.2 and other
gzip-only readers need) holds the 16-byte header and the planes in one gzip stream. The containers,
their extension records and the other versions read are in ``spz_container.py``. The planes:
positions (24-bit signed fixed point, ``fractionalBits`` fractional bits), alphas
(``uint8`` sigmoid), colours (DC coefficients as ``c * 0.15 * 255 + 127.5``), scales
(``(log_scale + 10) * 16``), rotations (version 3: smallest-three, 2-bit index + 3 x 10 bits;
version 2: ``xyz * 127.5 + 127.5`` with ``w >= 0``) and SH bands (``128 + 128 x``; 5 bits for
degree 1, 4 bits above, coefficient-major with RGB inner). SPZ is RUB, the world frame, so
coordinates are written as they are (files whose ``SPZ_ADOBE_coordinate_system`` record names
another frame are turned into it on reading). Files with SH degree 4 are read keeping bands 0-3. Splats are stored in Morton (Z-curve) order, which makes
neighbouring records alike and the gzip stream several times smaller.

Every reader decodes what is written here; the writer only chooses values the layout can hold:

* ``fractionalBits`` from the splats (:func:`choose_fractional_bits`), and each splat's position
  rounded to a grid of at most 1/16 of its own size (:func:`position_snap_bits`);
* each rotation as the equivalent one nearest the identity (:func:`canonical_rotations`), its
  components rounded as far as its shape allows (:func:`rotation_drop_bits`).

Where the bytes go (generated worlds, SH degree 0, bytes per splat after gzip): positions 5.5-5.7
(of 9), colours 0.9-1.25 (of 3), rotations 0.8-1.1 (of 4), scales 0.5 (of 3), alphas ~0 (of 1):
7.8-8.4 in all, 8.1-8.7x smaller than the 68-byte ``.ply`` record. Deflate has no delta coding and
its shortest match is 3 bytes, so a 24-bit coordinate whose low byte is noise costs about 8 bits
for that byte whatever the splats' order; the low bytes of x, y and z alone are ~2.9 bytes a
splat. Content with i.i.d. noise in every field (``exporters.samples.surface_gaussians``) stays
near 7x for that reason.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import torch

from exporters.binary import read_input_bytes
from exporters.spz_container import (  # noqa: F401  (HEADER, MAGIC: the layout, for callers and tests)
    FLAG_ANTIALIASED,
    HEADER,
    HEADER_V4,
    MAGIC,
    SpzHeader,
    pack_gzip,
    pack_v4,
    sh_dim,
    stored_frame,
    unpack,
)
from exporters.scene import (
    ExportOptions,
    ExportScene,
    gaussians_from_numpy,
    limit_sh,
    to_numpy,
)
from marble.gaussians import Gaussians
from marble.geometry import quat_multiply, rotmat_to_quat
from marble.io import atomic_write

VERSION = 4  # written by default (Niantic's reference default); 3 is the gzip container
WRITE_VERSIONS = (3, 4)
GZIP_LEVEL = 6  # version 3: 2% smaller than 4 and well inside the 3 s budget for 1M splats; 9 takes 2.5x as long for <1% more
ZSTD_LEVEL = 12  # version 4: the reference library's level
COLOR_SCALE = 0.15
SH1_BITS, SHREST_BITS = 5, 4
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
def _signed_permutations() -> tuple[np.ndarray, np.ndarray]:
    """The 24 proper rotations that permute the coordinate axes (signed permutation matrices,
    determinant +1): ``(wxyz quaternions [24, 4], source axis of each new axis [24, 3])``."""
    mats, perms = [], []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            P = np.zeros((3, 3))
            P[list(perm), [0, 1, 2]] = signs  # P e_j = sign_j e_perm[j]
            if np.linalg.det(P) > 0:
                mats.append(P)
                perms.append(perm)
    return rotmat_to_quat(np.stack(mats)), np.array(perms)


def _rotmat_column(q: np.ndarray, k: int) -> np.ndarray:  # [N, 4] unit wxyz -> [N, 3]
    """Column ``k`` of the rotation matrices of ``q``: where the local axis ``k`` points."""
    w, x, y, z = q.T
    if k == 0:
        cols = (1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y))
    elif k == 1:
        cols = (2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x))
    else:
        cols = (2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y))
    return np.stack(cols, axis=1)


_AXIS_PERM_QUATS, _AXIS_PERM_SOURCES = _signed_permutations()
_AXIS_PERM_CONJ = (_AXIS_PERM_QUATS * (1.0, -1.0, -1.0, -1.0)).astype(np.float32)


def canonical_rotations(quats_wxyz: np.ndarray, scale_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pick, among the rotations and scale orders that give each splat the same covariance, the one
    nearest the identity (which gzip compresses far better).

    Two freedoms leave a Gaussian's covariance ``R S^2 R^T`` unchanged:

    * relabelling its axes: ``R P`` with the scales permuted alike, for any of the 24 rotations
      ``P`` that permute the coordinate axes (exact: the scale bytes are only reordered);
    * where two quantised scales are equal, any turn about the third axis (and where all three are
      equal, any rotation at all).

    Splats with three different scales get the relabelling of largest ``w`` (a turn of at most
    62.8 degrees). Where two scales are equal, the distinct axis is put on the world axis nearest
    its direction and the rotation becomes the shortest turn taking that axis there (at most 54.7
    degrees, and one vector component exactly zero); where all three are equal, the identity. The
    decoded splats render the same up to the format's quantisation.

    Args:
        quats_wxyz: ``[N, 4]`` quaternions.
        scale_codes: ``[N, 3]`` quantised log-scale bytes.
    Returns:
        ``(quats [N, 4] unit wxyz with w >= 0, scale_codes [N, 3])``, the codes reordered to match.
    """
    q = quats_wxyz.astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    codes = np.array(scale_codes, dtype=np.uint8, copy=True)
    c = codes.astype(np.int16)
    eq01, eq02, eq12 = c[:, 0] == c[:, 1], c[:, 0] == c[:, 2], c[:, 1] == c[:, 2]
    allq = eq01 & eq02
    # three different scales: relabel the axes; the w of q * p is q . conj(p), largest |w| nearest the identity
    idx = np.nonzero(~(eq01 | eq02 | eq12))[0]
    if len(idx):
        best = np.abs(np.einsum("ni,pi->np", q[idx], _AXIS_PERM_CONJ)).argmax(axis=1)
        q[idx] = quat_multiply(torch.from_numpy(q[idx]), torch.from_numpy(_AXIS_PERM_QUATS[best])).numpy()
        codes[idx] = np.take_along_axis(codes[idx], _AXIS_PERM_SOURCES[best], axis=1)
    # two equal scales: the shortest turn taking a world axis to the distinct one; three: the identity
    q[allq] = (1.0, 0.0, 0.0, 0.0)
    for k, sel in ((2, eq01 & ~allq), (1, eq02 & ~allq), (0, eq12 & ~allq)):
        idx = np.nonzero(sel)[0]
        if not len(idx):
            continue
        rows = np.arange(len(idx))
        a = _rotmat_column(q[idx], k)  # the distinct axis in world coordinates
        kk = np.abs(a).argmax(axis=1)  # the world axis nearest to it, which it is now assigned to
        a *= np.where(a[rows, kk] < 0, -1.0, 1.0).astype(np.float32)[:, None]  # either direction: the near one
        e = np.zeros_like(a)
        e[rows, kk] = 1.0
        qq = np.concatenate([(1.0 + a[rows, kk])[:, None], np.cross(e, a)], axis=1)
        q[idx] = qq / np.linalg.norm(qq, axis=1, keepdims=True)
        distinct, equal = codes[idx, k], codes[idx, (k + 1) % 3]
        codes[idx] = equal[:, None]
        codes[idx, kk] = distinct
    q[q[:, 0] < 0] *= -1.0
    return q, codes


# ---------------------------------------------------------------------- precision
# How far a splat may move for the file's sake: a fraction of its size, the geometric mean of its
# three standard deviations (cube root of the volume; for the flat disks of fused worlds about 0.4
# of the disk radius). A position error d changes a render by about (d / footprint)^2 of the splat's
# own energy; averaged over view directions the footprint of a flat disk behaves like a size between
# its radius and its geometric mean, so 1/16 of the geometric mean (rms error 1.8% of it, ~35 dB
# below the splat's contrast even seen edge-on) is invisible. Rotations get the same budget: the
# rim of the 1-sigma ellipsoid moves at most TOLERANCE x size.
TOLERANCE = 1.0 / 16.0
MIN_FRACTIONAL_BITS = 10  # positions never on a grid coarser than 1 mm (2^-10 m) when the range allows
_ROT_STEP = _SQRT1_2 / 511  # one step of a smallest-three component


def splat_sizes(log_scales: np.ndarray) -> np.ndarray:  # [N, 3] -> [N]
    """Geometric-mean standard deviation of each splat (metres)."""
    return np.exp(log_scales.astype(np.float64).mean(axis=1))


def _fit_bits(means: np.ndarray) -> int:
    """Most fractional bits with which every coordinate still fits in 24 signed bits."""
    reach = float(np.abs(means).max()) if len(means) else 0.0
    if reach <= 0.0:
        return 23
    return int(np.floor(np.log2(((1 << 23) - 1) / reach)))


def _bits_for_step(step: np.ndarray) -> np.ndarray:
    """Fractional bits k with 2^-k <= step (``step`` > 0)."""
    return np.ceil(-np.log2(np.maximum(step, 1e-30))).astype(np.int64)


def choose_fractional_bits(means: np.ndarray, log_scales: np.ndarray, *, tolerance: float = TOLERANCE) -> int:
    """Fractional bits of the positions of a world: a grid step at most ``tolerance`` x the size of
    its 5th-percentile splat (the smallest 5% may get up to a few times their own share; they are
    the least visible), at least ``MIN_FRACTIONAL_BITS`` (1 mm) and at most what the 24-bit range
    allows for the world's extent (and at most 20). Larger splats are then rounded further, each
    to its own size (:func:`position_snap_bits`).

    Args:
        means: ``[N, 3]`` positions (metres).
        log_scales: ``[N, 3]`` natural-log standard deviations.
    """
    fit = min(_fit_bits(means), 20)
    if len(means) == 0 or tolerance <= 0:
        return min(12, fit)
    need = int(_bits_for_step(tolerance * np.percentile(splat_sizes(log_scales), 5)))
    return max(min(need, fit), min(MIN_FRACTIONAL_BITS, fit))


def position_snap_bits(log_scales: np.ndarray, fractional_bits: int, *, tolerance: float = TOLERANCE) -> np.ndarray:
    """Per splat, how many low bits of its fixed-point coordinates can be zero: its grid step
    ``2^(s - fractional_bits)`` stays at most ``tolerance`` x its size (``[N]`` int, 0..16)."""
    if tolerance <= 0:
        return np.zeros(len(log_scales), np.int64)
    k = _bits_for_step(tolerance * splat_sizes(log_scales))
    return np.clip(fractional_bits - k, 0, 16)


def rotation_drop_bits(scale_codes: np.ndarray, *, tolerance: float = TOLERANCE) -> np.ndarray:
    """Per splat, how many low bits of its 9-bit rotation magnitudes can be zero (``[N]``, 0..5).

    Rounding each of three components by half a step of ``2^b`` x ``sqrt(1/2) / 511`` turns the
    splat by at most ``sqrt(3)`` steps (radians), moving its rim by that times its largest standard
    deviation; this stays under ``tolerance`` x its size. Round splats can turn freely, needles
    hardly at all.
    """
    if tolerance <= 0:
        return np.zeros(len(scale_codes), np.int64)
    log_s = scale_codes.astype(np.float64) / 16.0 - 10.0
    allowed = tolerance * np.exp(log_s.mean(axis=1) - log_s.max(axis=1))  # radians
    b = np.floor(np.log2(allowed / (np.sqrt(3.0) * _ROT_STEP)))
    return np.clip(b, 0, 5).astype(np.int64)


# ---------------------------------------------------------------------- quantisers
def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _quantize_sh(x: np.ndarray, bits: int) -> np.ndarray:
    bucket = 1 << (8 - bits)
    q = np.round(x * 128.0).astype(np.int32) + 128
    q = (q + bucket // 2) // bucket * bucket
    return np.clip(q, 0, 255).astype(np.uint8)


def _pack_rotations_v3(xyzw: np.ndarray, drop_bits: np.ndarray | None = None) -> np.ndarray:  # [N, 4] -> [N, 4] u8
    """Smallest-three packing; ``drop_bits [N]`` rounds splat ``i``'s 9-bit magnitudes to multiples
    of ``2**drop_bits[i]`` (coarser rotations where they do not matter, see :func:`rotation_drop_bits`)."""
    n = len(xyzw)
    largest = np.abs(xyzw).argmax(axis=1)
    negate = xyzw[np.arange(n), largest] < 0
    comp = largest.astype(np.uint32)
    mask = (1 << 9) - 1
    step = np.ones(n) if drop_bits is None else np.exp2(drop_bits)
    for i in range(4):
        use = largest != i
        v = xyzw[:, i]
        negbit = ((v < 0) ^ negate).astype(np.uint32)
        mag = np.floor(mask * (np.abs(v) / _SQRT1_2) / step + 0.5) * step
        mag = np.minimum(mag, mask).astype(np.uint32)
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
    g: Gaussians, *, sh_degree: int | None = None, fractional_bits: int | None = None, sort: bool = True,
    level: int | None = None, canonicalize: bool = True, tolerance: float = TOLERANCE, version: int = VERSION,
) -> tuple[bytes, np.ndarray]:
    """Compress ``g`` (``N`` splats, world frame = RUB) to SPZ.

    Args:
        version: 4 (zstd planes, the default) or 3 (one gzip stream).
        fractional_bits: fixed-point precision of positions; ``None`` chooses it from the splats'
            sizes and the world's extent (:func:`choose_fractional_bits`).
        sort: store splats in Morton order (smaller files).
        level: compression level; ``None``: ``ZSTD_LEVEL`` for version 4, ``GZIP_LEVEL`` for 3.
        canonicalize: store each splat's rotation as the equivalent one nearest the identity (see
            :func:`canonical_rotations`; smaller files, same covariances).
        tolerance: how far, as a fraction of its size (geometric-mean sigma), a splat's position and
            rotation may be rounded beyond the format's own precision (:func:`position_snap_bits`,
            :func:`rotation_drop_bits`); ``0`` keeps the full precision of the format.
    Returns:
        ``(file bytes, order [N])``: ``order`` is the permutation applied (Morton order, or identity).
    Raises:
        InputError: an unknown ``version``, or positions beyond the fixed-point range.
    """
    if version not in WRITE_VERSIONS:
        from marble.errors import InputError

        raise InputError(f"`spz_version` must be 3 or 4, got {version!r}")
    header, planes, order = spz_planes(g, sh_degree=sh_degree, fractional_bits=fractional_bits, sort=sort,
                                       canonicalize=canonicalize, tolerance=tolerance)
    header.version = version
    if version == 4:
        return pack_v4(header, planes, level=ZSTD_LEVEL if level is None else level), order
    return pack_gzip(header, planes, level=GZIP_LEVEL if level is None else level), order


def spz_planes(
    g: Gaussians, *, sh_degree: int | None = None, fractional_bits: int | None = None, sort: bool = True,
    canonicalize: bool = True, tolerance: float = TOLERANCE,
) -> tuple[SpzHeader, list[bytes], np.ndarray]:
    """The attribute planes of ``g`` (arguments as in :func:`encode_spz`), before any container:
    ``(header, [positions, alphas, colours, scales, rotations(, SH)], order [N])``."""
    a = to_numpy(g)
    rest = limit_sh(g, sh_degree)
    n = g.num_splats
    order = morton_order(a["means"]) if sort else np.arange(n)
    means = a["means"][order].astype(np.float64)
    log_scales = a["log_scales"][order]
    if fractional_bits is None:
        fractional_bits = choose_fractional_bits(means, log_scales, tolerance=tolerance)
    limit = (1 << 23) - 1
    if n and (fractional_bits < 0 or np.abs(np.round(means * (2.0**fractional_bits))).max() > limit):
        from marble.errors import InputError

        raise InputError(
            f"splat positions reach {np.abs(means).max():.1f} m, beyond SPZ's range with {fractional_bits} "
            "fractional bits; pass a smaller `position_bits`"
        )
    snap = np.exp2(position_snap_bits(log_scales, fractional_bits, tolerance=tolerance))[:, None]
    # a coarse step may round a coordinate just past the edge of the range
    fixed = np.clip(np.round(means * (2.0**fractional_bits) / snap) * snap, -limit, limit)
    fixed = fixed.astype(np.int32).astype("<u4").view(np.uint8).reshape(n, 3, 4)[:, :, :3]
    alpha = 1.0 / (1.0 + np.exp(-a["opacity_logits"][order].astype(np.float64)))
    colors = _to_u8(a["sh0"][order] * (COLOR_SCALE * 255.0) + 0.5 * 255.0)
    scales = _to_u8((log_scales + 10.0) * 16.0)
    quats = a["quats"][order]
    if canonicalize:
        quats, scales = canonical_rotations(quats, scales)
    rot = _pack_rotations_v3(quats[:, [1, 2, 3, 0]], rotation_drop_bits(scales, tolerance=tolerance))
    degree = 0 if rest is None else {3: 1, 8: 2, 15: 3}[rest.shape[1]]
    planes = [fixed.tobytes(), _to_u8(alpha * 255.0).tobytes(), colors.tobytes(), scales.tobytes(), rot.tobytes()]
    if rest is not None:
        r = rest[order]
        sh = np.empty(r.shape, np.uint8)
        sh[:, :3] = _quantize_sh(r[:, :3], SH1_BITS)
        if r.shape[1] > 3:
            sh[:, 3:] = _quantize_sh(r[:, 3:], SHREST_BITS)
        planes.append(sh.tobytes())
    return SpzHeader(VERSION, n, degree, fractional_bits), planes, order


def write_spz(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write every splat of ``scene`` to ``.spz`` (atomically; version ``options.spz_version``)."""
    if options.axes not in (None, "rub"):
        from marble.errors import InputError

        raise InputError("`axes` for .spz must be 'rub' (the format's fixed convention)")
    version = options.spz_version
    if version is None and options.profile is not None:
        from exporters.budgets import get_profile

        version = get_profile(options.profile).spz_version  # the web profile: v3, what web viewers read
    version = VERSION if version is None else version
    data, _ = encode_spz(scene.require_splats(path), sh_degree=options.sh_degree, fractional_bits=options.position_bits,
                         version=version)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def decode_spz(path: str | Path, data: bytes) -> Gaussians:
    """Splats (world frame) from SPZ bytes (versions 2, 3 and 4).

    SH degree 4 is read keeping bands 0-3 (a ``RuntimeWarning`` says so); a coordinate-system
    extension record naming a frame other than RUB is undone (``exporters.axes.change_frame``).

    Raises:
        FormatError: not gzip, bad magic/version, counts that do not match the data, NaN.
    """
    header, body = unpack(path, data)
    n, degree, frac = header.num_points, header.sh_degree, header.fractional_bits
    rot_bytes = 4 if header.version >= 3 else 3
    k = sh_dim(degree)
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
        if degree > 3:
            warnings.warn(f"{Path(path).name}: SH degree {degree} read as degree 3 (bands 0-3 kept; "
                          "Marble renders up to degree 3)", RuntimeWarning, stacklevel=2)
            rest = np.ascontiguousarray(rest[:, : sh_dim(3)])
    quats = xyzw[:, [3, 0, 1, 2]]
    norms = np.linalg.norm(quats, axis=1, keepdims=True)
    quats = quats / np.maximum(norms, 1e-12)
    frame = stored_frame(path, header)
    if frame != "rub":
        from exporters.axes import change_frame, frame_to_world

        means, quats, rest = change_frame(means, quats, rest, frame_to_world(frame))
    alpha = np.clip(alpha, 0.5 / 255, 1 - 0.5 / 255)
    return gaussians_from_numpy(means, quats, log_scales, np.log(alpha / (1 - alpha)), colors, rest)


def read_spz_file(path: str | Path, **_options):
    """Import an ``.spz`` file as a one-layer World."""
    from exporters.importers import world_from_gaussians

    return world_from_gaussians(decode_spz(path, read_input_bytes(path)), path)
