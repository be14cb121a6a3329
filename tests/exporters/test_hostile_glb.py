"""Crafted GLB files: every accessor, buffer view and node is checked before a byte is read.

Each case starts from a valid Marble GLB (splats + a mesh), breaks one rule of glTF 2.0 or one
limit, and must give a one-line FormatError naming the file, through the API and through
``marble export`` (exit 2, nothing written). Before these checks a negative ``byteStride`` read
memory outside the binary chunk and a NaN node matrix imported as NaN splats.
"""

from __future__ import annotations

import copy
import json
import struct

import numpy as np
import pytest
from typer.testing import CliRunner

from exporters import export, import_file
from exporters.gltf import parse_glb
from exporters.samples import sample_world
from marble.errors import FormatError, MarbleError
from marble.frontends.cli.main import app

GLB_MAGIC, CHUNK_JSON, CHUNK_BIN = 0x46546C67, 0x4E4F534A, 0x004E4942


def pack_glb(doc: dict | str, binary: bytes) -> bytes:
    """A GLB from a JSON document (dict, or raw text) and a binary chunk, padded as the spec asks."""
    js = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    js += b" " * (-len(js) % 4)
    binary = binary + b"\0" * (-len(binary) % 4)
    body = struct.pack("<II", len(js), CHUNK_JSON) + js + struct.pack("<II", len(binary), CHUNK_BIN) + binary
    return struct.pack("<III", GLB_MAGIC, 2, 12 + len(body)) + body


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("glb")
    path = export(sample_world(n_splats=200, sh_degree=0, seed=1), d / "good.glb")[0]
    doc, binary = parse_glb(path, path.read_bytes())
    return doc, binary


def _splat_accessor(doc: dict, attr: str) -> int:
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            if attr in prim.get("attributes", {}) and "KHR_gaussian_splatting:ROTATION" in prim["attributes"]:
                return prim["attributes"][attr]
    raise AssertionError("no splat primitive")


def _mutate(doc, binary, case: str):
    d = copy.deepcopy(doc)
    pos = _splat_accessor(d, "POSITION")
    view = d["bufferViews"][d["accessors"][pos]["bufferView"]]
    splat_node = next(n for n in d["nodes"] if n.get("name") == "splats")
    mesh_node = next(n for n in d["nodes"] if "mesh" in n and n is not splat_node)
    node = mesh_node if case.startswith("mesh-") else splat_node
    case = case.removeprefix("mesh-")
    if case == "negative-stride":
        view["byteStride"] = -12
    elif case == "stride-too-small":
        view["byteStride"] = 4  # a VEC3 float is 12 bytes
    elif case == "stride-over-252":
        view["byteStride"] = 256
    elif case == "stride-not-multiple-of-4":
        view["byteStride"] = 14
    elif case == "view-past-the-chunk":
        view["byteOffset"] = len(binary) - 4
    elif case == "view-negative-offset":
        view["byteOffset"] = -64
    elif case == "accessor-negative-offset":
        d["accessors"][pos]["byteOffset"] = -12
    elif case == "accessor-misaligned-offset":
        d["accessors"][pos]["byteOffset"] = 2
    elif case == "accessor-count-past-its-view":
        d["accessors"][pos]["count"] = d["accessors"][pos]["count"] * 4
    elif case == "accessor-index-negative":
        next(p for m in d["meshes"] for p in m["primitives"] if "POSITION" in p["attributes"])["attributes"]["POSITION"] = -1
    elif case == "accessor-index-float":
        d["accessors"][pos]["count"] = 12.5
    elif case == "view-length-missing":
        view.pop("byteLength")
    elif case == "nan-node-matrix":
        node.pop("translation", None), node.pop("rotation", None), node.pop("scale", None)
        node["matrix"] = [float("nan")] + [0.0] * 15
    elif case == "huge-node-scale":
        node["scale"] = [1e308, 1e308, 1e308]
    elif case == "zero-node-scale":
        node["scale"] = [0.0, 0.0, 0.0]
    elif case == "node-rotation-text":
        node["rotation"] = ["a", "b", "c", "d"]
    elif case == "component-type-bogus":
        d["accessors"][pos]["componentType"] = 9999
    elif case == "image-view-past-the-chunk":
        d.setdefault("images", []).append({"bufferView": len(d["bufferViews"]), "mimeType": "image/png"})
        d["bufferViews"].append({"buffer": 0, "byteOffset": 0, "byteLength": len(binary) * 10})
        d.setdefault("textures", []).append({"source": len(d["images"]) - 1})
        d.setdefault("materials", []).append({"pbrMetallicRoughness": {"baseColorTexture": {"index": len(d["textures"]) - 1}}})
        for m in d["meshes"]:
            for p in m["primitives"]:
                if p.get("mode", 4) == 4 and "indices" in p:
                    p["material"] = len(d["materials"]) - 1
                    p["attributes"]["TEXCOORD_0"] = p["attributes"]["POSITION"]
    else:
        raise AssertionError(case)
    return pack_glb(d, binary)


CASES = [
    ("negative-stride", "byteStride"), ("stride-too-small", "byteStride"), ("stride-over-252", "byteStride"),
    ("stride-not-multiple-of-4", "byteStride"), ("view-past-the-chunk", "binary chunk"),
    ("view-negative-offset", "byteOffset"), ("accessor-negative-offset", "byteOffset"),
    ("accessor-misaligned-offset", "multiple of its component size"), ("accessor-count-past-its-view", "truncated"),
    ("accessor-index-negative", "index"), ("accessor-index-float", "count"), ("view-length-missing", "byteLength"),
    ("nan-node-matrix", "node"), ("huge-node-scale", "node"), ("zero-node-scale", "node"),
    ("node-rotation-text", "node|inconsistent"), ("component-type-bogus", "componentType"),
    ("mesh-nan-node-matrix", "node"), ("mesh-huge-node-scale", "node"), ("mesh-zero-node-scale", "node"),
    ("image-view-past-the-chunk", "binary chunk"),
]


@pytest.mark.parametrize("case,needle", CASES, ids=[c for c, _ in CASES])
def test_crafted_glb_is_refused_in_one_line(case, needle, good, tmp_path):
    path = tmp_path / f"{case}.glb"
    path.write_bytes(_mutate(*good, case))
    with pytest.raises(FormatError) as err:
        import_file(path)
    msg = str(err.value)
    assert "\n" not in msg and path.name in msg, msg
    assert __import__("re").search(needle, msg.replace(path.name, "")), msg


def test_the_cli_exits_2_and_writes_nothing(good, tmp_path):
    src = tmp_path / "crafted.glb"
    src.write_bytes(_mutate(*good, "negative-stride"))
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(app, ["export", str(src), str(out / "w.ply")])
    assert res.exit_code == 2
    lines = (res.stderr if res.stderr else res.output).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "byteStride" in lines[0], lines
    assert list(out.iterdir()) == []


def test_splat_count_limit_holds_for_glb(good, tmp_path, monkeypatch):
    path = tmp_path / "many.glb"
    path.write_bytes(pack_glb(*good))
    assert import_file(path).num_splats == 200
    monkeypatch.setenv("MARBLE_MAX_SPLATS", "150")
    with pytest.raises(FormatError, match="over the limit of 150"):
        import_file(path)


@pytest.mark.parametrize("text,needle", [
    ("[" * 3000 + "]" * 3000, "nested too deeply"),
    ('{"asset": {"version": "2.0"}, "bufferViews": [{"byteLength": ' + "9" * 5000 + "}]}", "number too long"),
    ('{"asset": ', "not valid JSON"),
    ("[1, 2, 3]", "GLB has no JSON|inconsistent|no triangle"),
])
def test_hostile_json_chunks(text, needle, tmp_path):
    path = tmp_path / "doc.glb"
    path.write_bytes(pack_glb(text, b"\0" * 16))
    with pytest.raises(MarbleError, match=needle):
        import_file(path)


def test_reader_never_reads_outside_the_chunk(good, tmp_path):
    """Accessors that would reach past the binary chunk by any route are refused; valid ones read exactly."""
    doc, binary = good
    path = tmp_path / "ok.glb"
    path.write_bytes(pack_glb(doc, binary))
    w = import_file(path)
    g = w.gaussians()
    assert np.isfinite(g.means.numpy()).all() and g.num_splats == 200
    for extra in (1, 4, 4096):  # the last splat's bytes moved past the end
        d = copy.deepcopy(doc)
        pos = _splat_accessor(d, "POSITION")
        d["bufferViews"][d["accessors"][pos]["bufferView"]]["byteOffset"] += extra
        p = tmp_path / f"shift{extra}.glb"
        p.write_bytes(pack_glb(d, binary))
        try:
            shifted = import_file(p)
        except FormatError:
            continue
        # a shift that stays inside the chunk reads other (valid) bytes, never memory beyond it
        assert shifted.num_splats == 200
