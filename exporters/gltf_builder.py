"""A minimal glTF 2.0 document builder: buffer views, accessors, GLB/glTF serialisation.

Kept separate from the scene logic so meshes (``gltf.py``), splats (``khr_splats.py``) and the
collider share one writer that always produces spec-valid files (4-byte alignment, POSITION
min/max, no empty arrays).
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

FLOAT, UBYTE, USHORT, UINT, BYTE, SHORT = 5126, 5121, 5123, 5125, 5120, 5122
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
_COMPONENT = {np.dtype("float32"): FLOAT, np.dtype("uint8"): UBYTE, np.dtype("uint16"): USHORT,
              np.dtype("uint32"): UINT, np.dtype("int8"): BYTE, np.dtype("int16"): SHORT}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}
GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON, CHUNK_BIN = 0x4E4F534A, 0x004E4942


class GltfBuilder:
    """Accumulates a glTF JSON document and its single binary buffer."""

    def __init__(self, *, generator: str = "Marble") -> None:
        self.doc: dict = {
            "asset": {"version": "2.0", "generator": generator},
            "scene": 0,
            "scenes": [{"nodes": []}],
            "nodes": [], "meshes": [], "materials": [], "textures": [], "images": [], "samplers": [],
            "accessors": [], "bufferViews": [], "buffers": [],
        }
        self.extensions_used: list[str] = []
        self._bin = bytearray()

    # ------------------------------------------------------------------ buffers
    def add_view(self, data: bytes, *, target: int | None = None) -> int:
        """Append ``data`` (4-byte aligned) as a buffer view; returns its index."""
        while len(self._bin) % 4:
            self._bin.append(0)
        view = {"buffer": 0, "byteOffset": len(self._bin), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self._bin.extend(data)
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def add_accessor(
        self,
        array: np.ndarray,  # [N] or [N, C]
        *,
        target: int | None = ARRAY_BUFFER,
        normalized: bool = False,
        min_max: bool = False,
    ) -> int:
        """Add ``array`` as a tightly packed accessor; returns its index."""
        a = np.ascontiguousarray(array)
        comps = 1 if a.ndim == 1 else a.shape[1]
        acc = {
            "bufferView": self.add_view(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(), target=target),
            "componentType": _COMPONENT[a.dtype],
            "count": int(a.shape[0]),
            "type": _TYPE[comps],
        }
        if normalized:
            acc["normalized"] = True
        if min_max:
            flat = a.reshape(a.shape[0], comps)
            acc["min"] = [float(v) for v in flat.min(axis=0)]
            acc["max"] = [float(v) for v in flat.max(axis=0)]
            if a.dtype.kind in "ui":
                acc["min"] = [int(v) for v in acc["min"]]
                acc["max"] = [int(v) for v in acc["max"]]
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def add_image_png(self, png: bytes, *, name: str) -> int:
        """Embed a PNG and a texture using it (linear filtering, repeat); returns the texture index."""
        if not self.doc["samplers"]:
            self.doc["samplers"].append({"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497})
        view = self.add_view(png)
        self.doc["images"].append({"bufferView": view, "mimeType": "image/png", "name": name})
        self.doc["textures"].append({"sampler": 0, "source": len(self.doc["images"]) - 1, "name": name})
        return len(self.doc["textures"]) - 1

    def add(self, key: str, item: dict) -> int:
        """Append ``item`` to the top-level array ``key``; returns its index."""
        self.doc[key].append(item)
        return len(self.doc[key]) - 1

    def use_extension(self, name: str) -> None:
        if name not in self.extensions_used:
            self.extensions_used.append(name)

    # ------------------------------------------------------------------ output
    def _final_doc(self, *, uri: str | None = None) -> dict:
        doc = {k: v for k, v in self.doc.items() if not (isinstance(v, list) and not v)}
        if "scenes" not in doc:
            doc["scenes"] = [{"nodes": []}]
        if self._bin:
            buf = {"byteLength": len(self._bin)}
            if uri is not None:
                buf["uri"] = uri
            doc["buffers"] = [buf]
        if self.extensions_used:
            doc["extensionsUsed"] = list(self.extensions_used)
        if not doc["scenes"][0]["nodes"]:
            doc["scenes"] = [{}]
        return doc

    def glb_bytes(self) -> bytes:
        """The document as a binary glTF (``.glb``)."""
        js = json.dumps(self._final_doc(), separators=(",", ":")).encode("utf-8")
        js += b" " * (-len(js) % 4)
        binary = bytes(self._bin) + b"\0" * (-len(self._bin) % 4)
        total = 12 + 8 + len(js) + (8 + len(binary) if binary else 0)
        out = bytearray(struct.pack("<III", GLB_MAGIC, 2, total))
        out += struct.pack("<II", len(js), CHUNK_JSON) + js
        if binary:
            out += struct.pack("<II", len(binary), CHUNK_BIN) + binary
        return bytes(out)

    def gltf_bytes(self) -> bytes:
        """The document as a self-contained ``.gltf`` (buffer embedded as a data URI)."""
        uri = "data:application/octet-stream;base64," + base64.b64encode(bytes(self._bin)).decode("ascii")
        return json.dumps(self._final_doc(uri=uri if self._bin else None), indent=1).encode("utf-8")
