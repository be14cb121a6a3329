"""A small, defensive binary PLY container reader/writer (header + fixed-size elements).

Used by the ``.ply`` and ``.compressed.ply`` formats. List properties are refused (splat files
never use them); counts are checked against the file size before any array is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exporters.binary import check_count, require_bytes
from marble.errors import FormatError

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}
_NAMES = {"i1": "char", "u1": "uchar", "i2": "short", "u2": "ushort", "i4": "int", "u4": "uint", "f4": "float", "f8": "double"}
MAX_HEADER_BYTES = 1 << 16


@dataclass
class PlyElement:
    """An element of a PLY file: ``name``, row ``count`` and its ``(property, numpy dtype code)`` list."""

    name: str
    count: int
    properties: list[tuple[str, str]]

    def dtype(self, endian: str) -> np.dtype:
        return np.dtype([(p, endian + t) for p, t in self.properties])


def read_ply(path: str | Path, data: bytes) -> dict[str, np.ndarray]:
    """Parse a binary PLY held in ``data``.

    Returns:
        element name -> structured array ``[count]`` (fields named after the properties).
    Raises:
        FormatError: bad magic, ascii format, list properties, unknown types, truncation.
    """
    name = Path(path).name
    if not data.startswith(b"ply\n") and not data.startswith(b"ply\r\n"):
        raise FormatError(f"{name}: not a PLY file (bad magic; expected 'ply' on the first line)")
    end = data.find(b"end_header", 0, MAX_HEADER_BYTES)
    if end < 0:
        raise FormatError(f"{name}: PLY header has no end_header within {MAX_HEADER_BYTES} bytes")
    nl = data.find(b"\n", end)
    if nl < 0:
        raise FormatError(f"{name}: truncated after end_header")
    try:
        header = data[:end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: PLY header is not ASCII") from exc
    endian = None
    elements: list[PlyElement] = []
    for raw in header.splitlines()[1:]:
        parts = raw.split()
        if not parts or parts[0] in ("comment", "obj_info"):
            continue
        if parts[0] == "format":
            if len(parts) < 2 or parts[1] not in ("binary_little_endian", "binary_big_endian"):
                raise FormatError(f"{name}: PLY format {' '.join(parts[1:2])!r} is not supported (binary only)")
            endian = "<" if parts[1] == "binary_little_endian" else ">"
        elif parts[0] == "element":
            if len(parts) != 3 or not parts[2].lstrip("-").isdigit() or len(parts[2]) > 18:
                raise FormatError(f"{name}: bad element line {raw[:80]!r}")
            count = int(parts[2])
            check_count(path, count, what="splats")
            elements.append(PlyElement(parts[1], count, []))
        elif parts[0] == "property":
            if not elements:
                raise FormatError(f"{name}: property before any element")
            if len(parts) >= 2 and parts[1] == "list":
                raise FormatError(f"{name}: list properties are not supported in splat PLY files")
            if len(parts) != 3 or parts[1] not in _TYPES:
                raise FormatError(f"{name}: bad property line {raw[:80]!r}")
            if any(parts[2] == prop for prop, _ in elements[-1].properties):
                raise FormatError(f"{name}: property {parts[2][:40]!r} of element {elements[-1].name[:40]!r} is declared twice")
            elements[-1].properties.append((parts[2], _TYPES[parts[1]]))
        else:
            raise FormatError(f"{name}: unexpected PLY header line {raw[:80]!r}")
    if endian is None:
        raise FormatError(f"{name}: PLY header has no format line")
    offset = nl + 1
    out: dict[str, np.ndarray] = {}
    for el in elements:
        dt = el.dtype(endian)
        # decoding a row takes about 100 B plus 3.6x its stored size (float copies of every property)
        check_count(path, el.count, what="splats", bytes_each=100 + int(3.6 * dt.itemsize))
        need = el.count * dt.itemsize
        require_bytes(path, len(data) - offset, need, f"element {el.name!r} ({el.count} rows)")
        arr = np.frombuffer(data, dtype=dt, count=el.count, offset=offset)
        out[el.name] = arr
        offset += need
    return out


def ply_header(elements: list[tuple[str, int, list[tuple[str, str]]]], *, comments: list[str] = ()) -> bytes:
    """A little-endian binary PLY header for ``(name, count, [(prop, dtype code)])`` elements."""
    lines = ["ply", "format binary_little_endian 1.0"]
    lines += [f"comment {c}" for c in comments]
    for el_name, count, props in elements:
        lines.append(f"element {el_name} {count}")
        lines += [f"property {_NAMES[np.dtype(t).str[1:]]} {p}" for p, t in props]
    lines.append("end_header")
    return ("\n".join(lines) + "\n").encode("ascii")
