"""Reading glTF buffer views and accessors from a GLB's binary chunk, safely.

Every number that locates bytes (indices, offsets, lengths, strides, counts) is checked against the
glTF 2.0 rules and against the binary chunk before a byte is read: offsets and lengths are
non-negative integers and ranges lie inside their buffer view and the chunk; a ``byteStride`` is a
multiple of 4 between 4 and 252 and at least the element's size; an accessor's ``byteOffset`` is a
multiple of its component size. A file that breaks one gets a one-line :class:`FormatError` naming
the file and the object; nothing outside the chunk is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marble.errors import FormatError

COMPONENT_TYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
"""glTF ``componentType`` codes -> numpy dtypes (little-endian on read)."""
TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
MIN_STRIDE, MAX_STRIDE = 4, 252
MAX_JSON_INT = 1 << 53
"""The largest integer a glTF document may use to locate data (JSON's exact integer range)."""


def json_int(value, what: str, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int if it is a JSON integer in ``minimum..2**53``; else a ``FormatError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not (minimum <= value <= MAX_JSON_INT):
        raise FormatError(f"{name}: {what} must be an integer >= {minimum}, got {_short(value)}")
    return value


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class BufferView:
    """A validated buffer view: bytes ``[start, start + length)`` of the binary chunk, and its stride."""

    start: int
    length: int
    stride: int | None


class AccessorReader:
    """Reads the accessors and buffer views of a parsed GLB (``doc`` JSON, ``binary`` chunk).

    ``reader(i)`` returns accessor ``i`` as float32 ``[count, components]`` (normalised integers mapped to
    [0, 1] or [-1, 1]); ``reader(i, raw=True)`` keeps the stored dtype.
    """

    def __init__(self, name: str, doc: dict, binary: bytes) -> None:
        self.name, self.doc, self.bin = name, doc, binary

    def _item(self, key: str, index) -> dict:
        items = self.doc.get(key)
        i = json_int(index, f"a {key[:-1]} index", self.name)
        if not isinstance(items, list) or i >= len(items) or not isinstance(items[i], dict):
            raise FormatError(f"{self.name}: {key[:-1]} {i} does not exist")
        return items[i]

    def buffer_view(self, index) -> BufferView:
        """Buffer view ``index``, checked to lie inside the binary chunk."""
        view = self._item("bufferViews", index)
        what = f"bufferView {index}"
        if json_int(view.get("buffer", 0), f"{what} buffer", self.name) != 0:
            raise FormatError(f"{self.name}: {what} uses buffer {view.get('buffer')}: only the GLB binary chunk is supported")
        start = json_int(view.get("byteOffset", 0), f"{what} byteOffset", self.name)
        length = json_int(view.get("byteLength"), f"{what} byteLength", self.name, minimum=1)
        if start + length > len(self.bin):
            raise FormatError(f"{self.name}: {what} spans bytes {start}..{start + length} but the binary chunk has "
                              f"{len(self.bin)}")
        stride = None
        if "byteStride" in view:
            stride = json_int(view["byteStride"], f"{what} byteStride", self.name, minimum=MIN_STRIDE)
            if stride > MAX_STRIDE or stride % 4:
                raise FormatError(f"{self.name}: {what} byteStride {stride} must be a multiple of 4 in "
                                  f"{MIN_STRIDE}..{MAX_STRIDE}")
        return BufferView(start, length, stride)

    def view_bytes(self, index) -> bytes:
        """The bytes of buffer view ``index`` (for embedded images)."""
        v = self.buffer_view(index)
        return self.bin[v.start : v.start + v.length]

    def _layout(self, index) -> tuple[dict, np.dtype, int, int]:
        acc = self._item("accessors", index)
        what = f"accessor {index}"
        if "sparse" in acc or "bufferView" not in acc:
            raise FormatError(f"{self.name}: {what} uses an unsupported layout (sparse, or no bufferView)")
        if acc.get("type") not in TYPE_COMPONENTS:
            raise FormatError(f"{self.name}: {what} has an unknown type {_short(acc.get('type'))}")
        code = acc.get("componentType")
        if isinstance(code, bool) or code not in COMPONENT_TYPES:
            raise FormatError(f"{self.name}: {what} has an unknown componentType {_short(code)}")
        dt = np.dtype(COMPONENT_TYPES[code]).newbyteorder("<")
        count = json_int(acc.get("count"), f"{what} count", self.name, minimum=1)
        return acc, dt, TYPE_COMPONENTS[acc["type"]], count

    def count(self, index) -> int:
        """The element count accessor ``index`` declares (checked, nothing read)."""
        return self._layout(index)[3]

    def __call__(self, index, *, raw: bool = False) -> np.ndarray:
        acc, dt, comps, count = self._layout(index)
        what = f"accessor {index}"
        view = self.buffer_view(acc["bufferView"])
        offset = json_int(acc.get("byteOffset", 0), f"{what} byteOffset", self.name)
        if offset % dt.itemsize:
            raise FormatError(f"{self.name}: {what} byteOffset {offset} is not a multiple of its component size {dt.itemsize}")
        elem = dt.itemsize * comps
        stride = view.stride or elem
        if stride < elem:
            raise FormatError(f"{self.name}: {what} elements are {elem} bytes but its bufferView's byteStride is {stride}")
        need = stride * (count - 1) + elem
        if offset + need > view.length:
            raise FormatError(f"{self.name}: truncated: {what} needs {offset + need} bytes of its bufferView, "
                              f"which has {view.length}")
        start = view.start + offset
        if stride == elem:
            arr = np.frombuffer(self.bin, dtype=dt, count=count * comps, offset=start).reshape(count, comps)
        else:
            rows = np.lib.stride_tricks.as_strided(
                np.frombuffer(self.bin, dtype=np.uint8, count=need, offset=start), shape=(count, elem), strides=(stride, 1)
            )
            arr = np.ascontiguousarray(rows).view(dt).reshape(count, comps)
        if raw:
            return arr
        out = arr.astype(np.float32)
        if acc.get("normalized") is True and dt.kind in "ui":
            out = out / float(np.iinfo(dt).max)
            if dt.kind == "i":
                out = np.maximum(out, -1.0)
        return out
