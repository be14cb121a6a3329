"""``.compressed.ply``: the PlayCanvas / SuperSplat chunked, quantised PLY.

Splats are sorted in Morton order and cut into chunks of 256. Each ``chunk`` row stores 18
floats: position min/max, log-scale min/max and colour min/max of its splats. Each ``vertex``
row stores 4 ``uint``: position and log-scale as 11-10-11 bit fractions of the chunk's range,
the rotation as smallest-three (2-bit index of the largest ``wxyz`` component + 3 x 10 bits of
``v / sqrt(2) + 0.5``) and colour as 8-8-8-8 (chunk-relative RGB, sigmoid opacity). An optional
``sh`` element stores SH rest coefficients as ``uchar`` of ``v / 8 + 0.5``. RDF frame, like
``.ply``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exporters.axes import convert
from exporters.binary import read_input_bytes, require_finite
from exporters.plyfile import ply_header, read_ply
from exporters.scene import (
    ExportOptions,
    ExportScene,
    gaussians_from_numpy,
    limit_sh,
    to_numpy,
)
from exporters.spz import morton_order
from marble.errors import FormatError
from marble.gaussians import SH_C0, Gaussians
from marble.io import atomic_write

CHUNK = 256
DEFAULT_AXES = "rdf"
CHUNK_PROPS = ["min_x", "min_y", "min_z", "max_x", "max_y", "max_z",
               "min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z",
               "min_r", "min_g", "min_b", "max_r", "max_g", "max_b"]
VERTEX_PROPS = ["packed_position", "packed_rotation", "packed_scale", "packed_color"]
_NORM = np.sqrt(2.0) * 0.5


def _unorm(v: np.ndarray, bits: int) -> np.ndarray:
    t = (1 << bits) - 1
    return np.clip(np.floor(v * t + 0.5), 0, t).astype(np.uint32)


def _chunk_minmax(x: np.ndarray, n_chunks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-chunk min and max of ``x [N, C]`` (the last chunk may be short) -> ``[M, C]`` each."""
    n = len(x)
    pad = n_chunks * CHUNK - n
    xp = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) if pad else x
    xr = xp.reshape(n_chunks, CHUNK, -1)
    return xr.min(axis=1), xr.max(axis=1)


def _normalize(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    rng = hi - lo
    out = np.where(rng < 1e-5, 0.0, (x - lo) / np.where(rng < 1e-5, 1.0, rng))
    return np.clip(out, 0.0, 1.0)


def encode_compressed_ply(g: Gaussians, *, sh_degree: int | None = None, axes: str = DEFAULT_AXES) -> tuple[bytes, np.ndarray]:
    """``(file bytes, order [N])``: the compressed PLY of ``g`` and the Morton permutation used."""
    a = to_numpy(g)
    rest = limit_sh(g, sh_degree)
    means, quats, rest = convert(a["means"], a["quats"], rest, src="rub", dst=axes)
    n = g.num_splats
    order = morton_order(means)
    means, quats = means[order].astype(np.float64), quats[order].astype(np.float64)
    scales = np.clip(a["log_scales"][order].astype(np.float64), -20, 20)
    rgb = a["sh0"][order].astype(np.float64) * SH_C0 + 0.5
    alpha = 1.0 / (1.0 + np.exp(-a["opacity_logits"][order].astype(np.float64)))
    m = (n + CHUNK - 1) // CHUNK
    chunk_of = np.arange(n) // CHUNK
    pmin, pmax = _chunk_minmax(means, m)
    smin, smax = _chunk_minmax(scales, m)
    cmin, cmax = _chunk_minmax(rgb, m)
    p = _normalize(means, pmin[chunk_of], pmax[chunk_of])
    s = _normalize(scales, smin[chunk_of], smax[chunk_of])
    c = _normalize(rgb, cmin[chunk_of], cmax[chunk_of])
    packed = np.empty((n, 4), dtype="<u4")
    packed[:, 0] = (_unorm(p[:, 0], 11) << 21) | (_unorm(p[:, 1], 10) << 11) | _unorm(p[:, 2], 11)
    packed[:, 2] = (_unorm(s[:, 0], 11) << 21) | (_unorm(s[:, 1], 10) << 11) | _unorm(s[:, 2], 11)
    packed[:, 3] = ((_unorm(c[:, 0], 8) << 24) | (_unorm(c[:, 1], 8) << 16) | (_unorm(c[:, 2], 8) << 8)
                    | _unorm(alpha, 8))
    q = quats / np.linalg.norm(quats, axis=1, keepdims=True)
    largest = np.abs(q).argmax(axis=1)
    q = np.where(q[np.arange(n), largest][:, None] < 0, -q, q)
    rot = largest.astype(np.uint32)
    for i in range(4):
        rot = np.where(largest != i, (rot << np.uint32(10)) | _unorm(q[:, i] * _NORM + 0.5, 10), rot)
    packed[:, 1] = rot
    chunks = np.concatenate([pmin, pmax, smin, smax, cmin, cmax], axis=1).astype("<f4")
    elements = [("chunk", m, [(pn, "f4") for pn in CHUNK_PROPS]), ("vertex", n, [(vn, "u4") for vn in VERTEX_PROPS])]
    body = [chunks.tobytes(), packed.tobytes()]
    if rest is not None:
        k = rest.shape[1]
        flat = rest[order].transpose(0, 2, 1).reshape(n, 3 * k)  # channel-major like .ply
        sh = np.clip(np.trunc((flat / 8.0 + 0.5) * 256.0), 0, 255).astype(np.uint8)
        elements.append(("sh", n, [(f"f_rest_{i}", "u1") for i in range(3 * k)]))
        body.append(sh.tobytes())
    header = ply_header(elements, comments=[f"marble axes={axes}"])
    return header + b"".join(body), order


def write_compressed_ply(scene: ExportScene, path: Path, options: ExportOptions) -> list[Path]:
    """Write every splat of ``scene`` as a compressed PLY (atomically)."""
    data, _ = encode_compressed_ply(scene.require_splats(path), sh_degree=options.sh_degree,
                                    axes=options.axes or DEFAULT_AXES)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return [Path(path)]


def _unpack_unorm(v: np.ndarray, bits: int) -> np.ndarray:
    t = (1 << bits) - 1
    return (v & np.uint32(t)).astype(np.float64) / t


def decode_compressed_ply(path: str | Path, data: bytes, *, axes: str | None = None) -> Gaussians:
    """Splats (world frame) from compressed-PLY bytes."""
    name = Path(path).name
    el = read_ply(path, data)
    if "chunk" not in el or "vertex" not in el:
        raise FormatError(f"{name}: not a compressed PLY (needs 'chunk' and 'vertex' elements)")
    ch, vx = el["chunk"], el["vertex"]
    for prop in CHUNK_PROPS[:12]:
        if prop not in (ch.dtype.names or ()):
            raise FormatError(f"{name}: chunk element has no {prop!r} property")
    for prop in VERTEX_PROPS:
        if prop not in (vx.dtype.names or ()):
            raise FormatError(f"{name}: vertex element has no {prop!r} property")
    n, m = len(vx), len(ch)
    if (n + CHUNK - 1) // CHUNK != m:
        raise FormatError(f"{name}: {m} chunks do not match {n} splats (need {(n + CHUNK - 1) // CHUNK})")
    if axes is None:
        axes = "rub" if b"comment marble axes=rub" in data[:4096] else DEFAULT_AXES
    cf = lambda k: np.asarray(ch[k], np.float64)  # noqa: E731
    require_finite(path, chunk=np.stack([cf(k) for k in CHUNK_PROPS[:12]], axis=1))
    ci = np.arange(n) // CHUNK
    lerp = lambda lo, hi, t: lo[ci] * (1 - t) + hi[ci] * t  # noqa: E731
    pp = np.asarray(vx["packed_position"], np.uint32)
    ps = np.asarray(vx["packed_scale"], np.uint32)
    pc = np.asarray(vx["packed_color"], np.uint32)
    pr = np.asarray(vx["packed_rotation"], np.uint32)
    means = np.stack([
        lerp(cf("min_x"), cf("max_x"), _unpack_unorm(pp >> np.uint32(21), 11)),
        lerp(cf("min_y"), cf("max_y"), _unpack_unorm(pp >> np.uint32(11), 10)),
        lerp(cf("min_z"), cf("max_z"), _unpack_unorm(pp, 11)),
    ], axis=1)
    log_scales = np.stack([
        lerp(cf("min_scale_x"), cf("max_scale_x"), _unpack_unorm(ps >> np.uint32(21), 11)),
        lerp(cf("min_scale_y"), cf("max_scale_y"), _unpack_unorm(ps >> np.uint32(11), 10)),
        lerp(cf("min_scale_z"), cf("max_scale_z"), _unpack_unorm(ps, 11)),
    ], axis=1)
    cols = [_unpack_unorm(pc >> np.uint32(s), 8) for s in (24, 16, 8, 0)]
    colour_props = [f"{b}_{c}" for b in ("min", "max") for c in "rgb"]
    present = [k for k in colour_props if k in (ch.dtype.names or ())]
    if present and len(present) != len(colour_props):  # colour ranges come as a set of six or not at all
        missing = sorted(set(colour_props) - set(present))
        raise FormatError(f"{name}: chunk element has {present[0]!r} but no {missing[0]!r} property")
    if present:
        require_finite(path, chunk_colour=np.stack([cf(k) for k in colour_props], axis=1))
        rgb = np.stack([lerp(cf(f"min_{c}"), cf(f"max_{c}"), cols[i]) for i, c in enumerate("rgb")], axis=1)
    else:
        rgb = np.stack(cols[:3], axis=1)
    alpha = np.clip(cols[3], 0.5 / 255, 1 - 0.5 / 255)
    abc = np.stack([(_unpack_unorm(pr >> np.uint32(s), 10) - 0.5) / _NORM for s in (20, 10, 0)], axis=1)
    mlarge = np.sqrt(np.clip(1.0 - (abc * abc).sum(axis=1), 0, 1))
    which = (pr >> np.uint32(30)).astype(np.int64)
    q = np.zeros((n, 4))
    for w in range(4):
        sel = which == w
        others = [i for i in range(4) if i != w]
        q[sel, w] = mlarge[sel]
        q[np.ix_(sel, others)] = abc[sel]
    rest = None
    if "sh" in el:
        sh = el["sh"]
        names = sh.dtype.names or ()
        k3 = len(names)
        if k3 not in (9, 24, 45) or len(sh) != n:
            raise FormatError(f"{name}: sh element has {k3} properties and {len(sh)} rows (need 9/24/45 and {n})")
        raw = np.stack([np.asarray(sh[f"f_rest_{i}"], np.float64) for i in range(k3)], axis=1)
        nv = np.where(raw == 0, 0.0, np.where(raw == 255, 1.0, (raw + 0.5) / 256.0))
        rest = ((nv - 0.5) * 8.0).reshape(n, 3, k3 // 3).transpose(0, 2, 1)
    means, q, rest = convert(means, q, rest, src=axes, dst="rub")
    return gaussians_from_numpy(means, q, log_scales, np.log(alpha / (1 - alpha)), (rgb - 0.5) / SH_C0, rest)


def read_compressed_ply_file(path: str | Path, **options):
    """Import a ``.compressed.ply`` as a one-layer World."""
    from exporters.importers import world_from_gaussians

    return world_from_gaussians(decode_compressed_ply(path, read_input_bytes(path), axes=options.get("axes")), path)
