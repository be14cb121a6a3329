"""Crafted ``.marble`` bundles: each loads into a consistent world or fails with one FormatError line.

Cases found by the hostile-input sweep (a non-numeric or infinite ``version``, deeply nested arrays,
an encrypted entry, a zip bomb, NaN transforms, negative face indices...) crashed ``marble info`` with a
traceback, allocated gigabytes, or loaded a world whose export did not re-import.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from typer.testing import CliRunner

from marble.errors import FormatError
from marble.frontends.cli.main import app
from marble.world import World
from tests.support.edit_worlds import small_world


def _parts(world: World, tmp_path) -> tuple[dict, dict]:
    """The (world.json, tensors) of a saved ``world``."""
    p = world.save(tmp_path / "src.marble")
    with zipfile.ZipFile(p) as zf:
        return json.loads(zf.read("world.json")), st_load(zf.read("tensors.safetensors"))


def _bundle(path, doc, tensors, *, doc_text: str | None = None, compress=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        zf.writestr("world.json", doc_text if doc_text is not None else json.dumps(doc))
        zf.writestr("tensors.safetensors", st_save({k: v.contiguous() for k, v in tensors.items()}))


def _mesh_world() -> World:
    import trimesh

    from marble.world import Layer

    w = small_world()
    w.add_layer(Layer("box", mesh=trimesh.creation.box(extents=(1, 1, 1))))
    return w


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    return _parts(_mesh_world(), tmp_path_factory.mktemp("src"))


def _variant(doc: dict, tensors: dict, case: str):
    d, t = json.loads(json.dumps(doc)), dict(tensors)
    mesh_i = next(i for i, layer in enumerate(d["layers"]) if layer["mesh"] is not None)
    text = None
    if case == "version-text":
        d["version"] = "abc"
    elif case == "version-infinite":
        text = json.dumps(d).replace('"version": 1', '"version": Infinity')
    elif case == "version-list":
        d["version"] = [1]
    elif case == "version-true":
        d["version"] = True
    elif case == "version-future":
        d["version"] = 99
    elif case == "doc-is-a-list":
        text = "[1, 2, 3]"
    elif case == "deeply-nested-extras":
        text = json.dumps(d)[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    elif case == "huge-number":
        text = json.dumps(d).replace('"version": 1', '"version": ' + "1" * 5000)
    elif case == "layers-not-a-list":
        d["layers"] = "everything"
    elif case == "layer-entry-text":
        d["layers"][0] = "layer"
    elif case == "nan-transform":
        T = t["layer0/transform"].clone()
        T[0, 3] = float("nan")
        t["layer0/transform"] = T
    elif case == "shear-transform":
        T = t["layer0/transform"].clone()
        T[0, 1] = 3.0
        t["layer0/transform"] = T
    elif case == "negative-face-index":
        f = t[f"layer{mesh_i}/m/faces"].clone()
        f[0, 0] = -5
        t[f"layer{mesh_i}/m/faces"] = f
    elif case == "face-index-past-the-vertices":
        f = t[f"layer{mesh_i}/m/faces"].clone()
        f[0, 0] = 10_000
        t[f"layer{mesh_i}/m/faces"] = f
    elif case == "nan-vertex":
        v = t[f"layer{mesh_i}/m/vertices"].clone()
        v[0, 0] = float("inf")
        t[f"layer{mesh_i}/m/vertices"] = v
    elif case == "nan-splat":
        m = t["layer0/g/means"].clone()
        m[0, 0] = float("nan")
        t["layer0/g/means"] = m
    elif case == "camera-text-focal":
        d["cameras"] = [{"name": "c", "fx": "wide", "fy": 1, "cx": 1, "cy": 1, "width": 4, "height": 4,
                         "T_world_camera": np.eye(4).tolist()}]
    elif case == "lighting-nan":
        text = json.dumps(d).replace('"sun_intensity": 1.0', '"sun_intensity": NaN')
    elif case == "layout-nan-position":
        d["layout"] = {"environment": {"archetype": "park", "indoor": False, "extent": 10.0},
                       "objects": [{"name": "a", "label": "bench", "position": ["nan", 0, 0], "size": [1, 1, 1]}],
                       "seed": 0}
    else:
        raise AssertionError(case)
    return d, t, text


CASES = ["version-text", "version-infinite", "version-list", "version-true", "version-future", "doc-is-a-list",
         "deeply-nested-extras", "huge-number", "layers-not-a-list", "layer-entry-text", "nan-transform",
         "shear-transform", "negative-face-index", "face-index-past-the-vertices", "nan-vertex", "nan-splat",
         "camera-text-focal", "lighting-nan", "layout-nan-position"]


@pytest.mark.parametrize("case", CASES)
def test_crafted_bundle_fails_in_one_line(case, parts, tmp_path):
    d, t, text = _variant(*parts, case)
    path = tmp_path / f"{case}.marble"
    _bundle(path, d, t, doc_text=text)
    with pytest.raises(FormatError) as err:
        World.load(path)
    msg = str(err.value)
    assert "\n" not in msg and path.name in msg and len(msg) < 400, msg
    res = CliRunner().invoke(app, ["info", str(path)])
    lines = (res.stderr if res.stderr else res.output).strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (res.exit_code, lines)


def test_the_untouched_bundle_loads(parts, tmp_path):
    path = tmp_path / "same.marble"
    _bundle(path, *parts)
    w = World.load(path)
    assert w.equal(_mesh_world())


def test_zip_bomb_is_refused_before_inflating(parts, tmp_path):
    """A small file whose entry claims hundreds of megabytes of zeros is refused from its header."""
    doc, tensors = parts
    path = tmp_path / "bomb.marble"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("world.json", json.dumps(doc))
        with zf.open("tensors.safetensors", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MiB of zeros deflate to ~300 kB
                fh.write(block)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(FormatError, match="zip bomb"):
        World.load(path)


def test_encrypted_entry_is_refused(parts, tmp_path):
    path = tmp_path / "locked.marble"
    _bundle(path, *parts)
    data = bytearray(path.read_bytes())
    # set the "encrypted" bit of every entry (local headers PK\3\4 +6, central headers PK\1\2 +8)
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            data[i + off] |= 0x1
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="encrypted"):
        World.load(path)


def test_bundle_over_the_file_limit(parts, tmp_path, monkeypatch):
    path = tmp_path / "big.marble"
    _bundle(path, *parts)
    monkeypatch.setenv("MARBLE_MAX_FILE_BYTES", "1000")
    with pytest.raises(FormatError, match="over the import limit"):
        World.load(path)


def test_truncated_and_garbage(parts, tmp_path):
    path = tmp_path / "ok.marble"
    _bundle(path, *parts)
    data = path.read_bytes()
    for i, blob in enumerate([data[: len(data) // 3], data[:-30], b"PK\x03\x04" + b"\xff" * 200, io.BytesIO(b"").read()]):
        p = tmp_path / f"cut{i}.marble"
        p.write_bytes(blob)
        with pytest.raises(FormatError):
            World.load(p)
    assert torch.isfinite(World.load(path).layer(World.load(path).layer_names[0]).transform).all()
