"""The containers around SPZ's attribute planes (Niantic's published layout), versions 1-4.

* Versions 1-3: one gzip stream holding a 16-byte header (``magic "NGSP"``, ``version``,
  ``numPoints``, ``shDegree``, ``fractionalBits``, ``flags``, reserved), the planes, and, when
  ``flags & 0x2``, extension records after the planes.
* Version 4: a plain 32-byte header (the same first 15 bytes, then ``numStreams`` (u8),
  ``tocByteOffset`` (u32) and 12 reserved bytes), extension records (when ``flags & 0x2``) up to
  ``tocByteOffset``, a table of ``numStreams`` ``(compressedSize, uncompressedSize)`` u64 pairs,
  and each non-empty plane as its own zstd frame, in plane order.

Extension records are ``[u32 type][u32 byteLength][payload]``, back to back; a reader skips the
types it does not know by their length. ``flags & 0x1`` marks splats trained with antialiasing.
The planes themselves (positions, alphas, colours, scales, rotations, SH) are coded in ``spz.py``.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from exporters.binary import check_count, require_bytes, splat_bytes
from marble.errors import FormatError

MAGIC = 0x5053474E  # "NGSP" little-endian
HEADER = struct.Struct("<IIIBBBB")  # versions 1-3, inside the gzip stream
HEADER_V4 = struct.Struct("<IIIBBBBI12x")  # version 4, plain
TOC_ENTRY = struct.Struct("<QQ")  # compressed size, uncompressed size
RECORD = struct.Struct("<II")  # extension type, payload length
FLAG_ANTIALIASED, FLAG_EXTENSIONS = 0x1, 0x2
VERSIONS = (2, 3, 4)
MAX_SH_DEGREE = 4  # the format's limit; Marble keeps bands 0-3
EXT_SAFE_ORBIT_CAMERA = 0xADBE0002  # SPZ_ADOBE_safe_orbit_camera: view limits, not needed to read the splats
EXT_COORDINATE_SYSTEM = 0xADBE0003  # SPZ_ADOBE_coordinate_system: u32 frame the data is stored in
# SPZ_ADOBE_coordinate_system values (0 = unspecified: RUB)
COORDINATE_SYSTEMS = ("rub", "ldb", "rdb", "lub", "rub", "ldf", "rdf", "luf", "ruf",
                      "lfd", "rfd", "lfu", "rfu", "lbd", "rbd", "lbu", "rbu")
MAX_RECORD_BYTES = 1 << 20  # extension records read from a gzip stream's tail, at most
# zlib memLevel 6: Huffman tables renewed every 4096 symbols follow the splats' locality (Morton order):
# generated worlds 1% smaller than with the default 8, for 30% more gzip time (1M splats: 1.4 s, not 1.05 s).
MEM_LEVEL = 6


@dataclass
class SpzHeader:
    """What a header says (both container kinds)."""

    version: int
    num_points: int
    sh_degree: int
    fractional_bits: int
    flags: int = 0
    records: list[tuple[int, bytes]] = field(default_factory=list)  # extension records (type, payload)


def sh_dim(degree: int) -> int:
    """SH rest coefficients per colour channel for ``degree`` (0, 3, 8, 15, 24)."""
    return (degree + 1) ** 2 - 1


def plane_sizes(n: int, degree: int, version: int) -> list[int]:
    """Byte sizes of the positions, alphas, colours, scales, rotations and SH planes."""
    rot = 3 if version < 3 else 4
    return [9 * n, n, 3 * n, 3 * n, rot * n, 3 * sh_dim(degree) * n]


# ---------------------------------------------------------------------- writing
def pack_records(records: list[tuple[int, bytes]]) -> bytes:
    """Extension records as stored: ``[u32 type][u32 byteLength][payload]`` each."""
    return b"".join(RECORD.pack(kind, len(payload)) + payload for kind, payload in records)


def _flags(header: SpzHeader) -> int:
    return (header.flags | FLAG_EXTENSIONS) if header.records else (header.flags & ~FLAG_EXTENSIONS)


def pack_gzip(header: SpzHeader, planes: list[bytes], *, level: int = 6) -> bytes:
    """Version 2/3 bytes: header, planes and ``header.records`` (if any) in one gzip stream."""
    head = HEADER.pack(MAGIC, header.version, header.num_points, header.sh_degree, header.fractional_bits,
                       _flags(header), 0)
    comp = zlib.compressobj(level, zlib.DEFLATED, 31, MEM_LEVEL)  # 31: gzip container
    return b"".join(comp.compress(p) for p in (head, *planes, pack_records(header.records))) + comp.flush()


def pack_v4(header: SpzHeader, planes: list[bytes], *, level: int = 12) -> bytes:
    """Version 4 bytes: plain header, ``header.records``, table of contents, one zstd frame per non-empty plane
    (compressed in parallel threads; each frame depends only on its plane, so the bytes do not
    depend on the number of threads)."""
    import zstandard

    planes = [p for p in planes if len(p)]

    def one(p: bytes) -> bytes:
        return zstandard.ZstdCompressor(level=level, write_content_size=True).compress(p)

    with ThreadPoolExecutor(max_workers=min(6, max(1, len(planes)))) as pool:
        frames = list(pool.map(one, planes))
    records = pack_records(header.records)
    head = HEADER_V4.pack(MAGIC, 4, header.num_points, header.sh_degree, header.fractional_bits, _flags(header),
                          len(frames), HEADER_V4.size + len(records))
    toc = b"".join(TOC_ENTRY.pack(len(f), len(p)) for f, p in zip(frames, planes))
    return head + records + toc + b"".join(frames)


# ---------------------------------------------------------------------- reading
def parse_records(path, blob: bytes) -> list[tuple[int, bytes]]:
    """Extension records ``(type, payload)`` from ``blob``, each read by its length.

    Raises:
        FormatError: a record runs past the end of its block.
    """
    out, off = [], 0
    while off < len(blob):
        if len(blob) - off < RECORD.size:
            raise FormatError(f"{Path(path).name}: SPZ extension block ends inside a record header")
        kind, length = RECORD.unpack_from(blob, off)
        off += RECORD.size
        if length > len(blob) - off:
            raise FormatError(f"{Path(path).name}: SPZ extension record 0x{kind:08x} claims {length} bytes, "
                              f"only {len(blob) - off} are left")
        out.append((kind, bytes(blob[off : off + length])))
        off += length
    return out


def _check_header(path, magic: int, version: int, n: int, degree: int, versions) -> None:
    name = Path(path).name
    if magic != MAGIC:
        raise FormatError(f"{name}: bad magic 0x{magic:08x} (expected NGSP)")
    if version not in versions:
        raise FormatError(f"{name}: SPZ version {version} is not supported (2, 3 or 4)")
    if degree > MAX_SH_DEGREE:
        raise FormatError(f"{name}: SH degree {degree} is invalid (0..{MAX_SH_DEGREE})")
    check_count(path, n, bytes_each=splat_bytes(sh_dim(degree)))


def _read_gzip(path, data: bytes) -> tuple[SpzHeader, bytes]:
    name = Path(path).name
    d = zlib.decompressobj(47)  # 47: gzip or zlib header, auto-detected
    try:
        head = d.decompress(data, HEADER.size)
    except zlib.error as exc:
        raise FormatError(f"{name}: not an SPZ file: no NGSP magic (version 4) and not a gzip stream "
                          f"(versions 1-3: {exc})") from exc
    require_bytes(path, len(head), HEADER.size, "SPZ header")
    magic, version, n, degree, frac, flags, _ = HEADER.unpack(head)
    _check_header(path, magic, version, n, degree, (2, 3))
    need = sum(plane_sizes(n, degree, version))
    # A deflate stream expands at most ~1032x: refuse counts the input cannot possibly hold.
    if need > 1100 * len(data) + 1024:
        raise FormatError(f"{name}: header claims {n} splats but the file is only {len(data)} bytes")
    try:
        body = d.decompress(d.unconsumed_tail, need) if d.unconsumed_tail else d.decompress(b"", need)
        while len(body) < need and d.unconsumed_tail:
            body += d.decompress(d.unconsumed_tail, need - len(body))
        tail = b""
        if flags & FLAG_EXTENSIONS:  # records follow the planes, up to the end of the stream
            tail = d.decompress(d.unconsumed_tail, MAX_RECORD_BYTES + 1)
    except zlib.error as exc:
        raise FormatError(f"{name}: corrupt gzip data ({exc})") from exc
    require_bytes(path, len(body), need, f"{n} splats")
    if len(tail) > MAX_RECORD_BYTES:
        raise FormatError(f"{name}: SPZ extension records over {MAX_RECORD_BYTES} bytes")
    return SpzHeader(version, n, degree, frac, flags, parse_records(path, tail)), body


def _read_v4(path, data: bytes) -> tuple[SpzHeader, bytes]:
    name = Path(path).name
    require_bytes(path, len(data), HEADER_V4.size, "SPZ v4 header")
    magic, version, n, degree, frac, flags, streams, toc = HEADER_V4.unpack_from(data, 0)
    _check_header(path, magic, version, n, degree, (4,))
    if toc < HEADER_V4.size or toc > len(data):
        raise FormatError(f"{name}: SPZ v4 table offset {toc} lies outside the file ({len(data)} bytes)")
    records = parse_records(path, data[HEADER_V4.size : toc]) if flags & FLAG_EXTENSIONS else []
    sizes = [s for s in plane_sizes(n, degree, 4) if s]  # empty planes are not stored
    if streams != len(sizes):
        raise FormatError(f"{name}: {streams} data planes, expected {len(sizes)} for SH degree {degree}")
    require_bytes(path, len(data) - toc, TOC_ENTRY.size * streams, "SPZ v4 plane table")
    try:
        import zstandard
    except ImportError as exc:
        raise FormatError(f"{name}: SPZ version 4 needs the `zstandard` package (pip install zstandard)") from exc
    offset = toc + TOC_ENTRY.size * streams
    out = []
    dctx = zstandard.ZstdDecompressor()
    for i, expected in enumerate(sizes):
        csize, usize = TOC_ENTRY.unpack_from(data, toc + TOC_ENTRY.size * i)
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
    return SpzHeader(version, n, degree, frac, flags, records), b"".join(out)


def unpack(path, data: bytes) -> tuple[SpzHeader, bytes]:
    """Header and concatenated planes of an SPZ file (any container version).

    Raises:
        FormatError: not gzip, bad magic/version/degree, counts that do not match the data,
            extension records that do not fit.
    """
    header, body = _read_v4(path, data) if data[:4] == b"NGSP" else _read_gzip(path, data)
    for kind, payload in header.records:
        if kind not in (EXT_SAFE_ORBIT_CAMERA, EXT_COORDINATE_SYSTEM):
            warnings.warn(f"{Path(path).name}: skipped unknown SPZ extension record 0x{kind:08x} "
                          f"({len(payload)} bytes)", RuntimeWarning, stacklevel=3)
    return header, body


def stored_frame(path, header: SpzHeader) -> str:
    """The frame the splats are stored in: ``"rub"`` unless an ``SPZ_ADOBE_coordinate_system``
    record names another (see ``exporters.axes``)."""
    frame = "rub"
    for kind, payload in header.records:
        if kind == EXT_COORDINATE_SYSTEM:
            if len(payload) != 4:
                raise FormatError(f"{Path(path).name}: SPZ coordinate-system record has {len(payload)} bytes, not 4")
            value = struct.unpack("<I", payload)[0]
            if value >= len(COORDINATE_SYSTEMS):
                raise FormatError(f"{Path(path).name}: SPZ coordinate-system value {value} is unknown (0..16)")
            frame = COORDINATE_SYSTEMS[value]
    return frame
