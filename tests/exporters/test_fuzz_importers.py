"""Fuzz every importer (and .marble bundles) with hypothesis: bad bytes give a Marble error, never a crash.

A mutated file must either load into a valid world or raise a ``MarbleError`` (``FormatError`` /
``InputError``) — never another exception, a hang or a memory blow-up. Inputs that once failed are
kept in ``tests/corpus/`` and replayed by ``test_corpus_regressions``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters import IMPORTERS, export, import_file
from marble.errors import MarbleError
from marble.gaussians import Gaussians
from marble.world import World

CORPUS = Path(__file__).parent / "corpus"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def _seed_world() -> World:
    g = torch.Generator().manual_seed(0)
    splats = Gaussians.from_points(torch.randn(64, 3, generator=g), torch.rand(64, 3, generator=g), scales=0.05)
    box = trimesh.creation.box(extents=(1.0, 0.5, 2.0))
    box.visual.vertex_colors = np.tile(np.array([[90, 140, 200, 255]], np.uint8), (len(box.vertices), 1))
    w = World()
    w.add_layer("splats", gaussians=splats)
    w.add_layer("box", mesh=box)
    return w


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """A valid file of every importable format (and a .marble bundle), as bytes."""
    folder = tmp_path_factory.mktemp("fuzz-seeds")
    world = _seed_world()
    out = {}
    for ext in sorted(IMPORTERS):
        path = folder / f"seed{ext}"
        export(world, path)
        out[ext] = path.read_bytes()
    out[".marble"] = world.save(folder / "seed.marble").read_bytes()
    return out


def _load(ext: str, data: bytes, folder: Path):
    path = folder / f"case{ext}"
    path.write_bytes(data)
    if ext == ".marble":
        return World.load(path)
    return import_file(path)


def _check(ext: str, data: bytes, folder: Path) -> None:
    try:
        world = _load(ext, data, folder)
    except MarbleError as exc:
        assert str(exc).strip(), "errors must say what is wrong"
        assert "\n" not in str(exc).strip(), "errors must be one line"
        return
    for layer in world.layers:  # accepted input must give valid splats, meshes and transforms
        if layer.gaussians is not None:
            layer.gaussians.validate()
        if layer.mesh is not None:
            assert np.isfinite(layer.mesh.vertices).all(), "accepted meshes must be finite"
            faces = np.asarray(layer.mesh.faces)
            assert not faces.size or (faces.min() >= 0 and faces.max() < len(layer.mesh.vertices))
        assert torch.isfinite(layer.transform).all()


def _mutations():
    return st.one_of(
        st.tuples(st.just("truncate"), st.floats(0.0, 1.0), st.integers(0, 255)),
        st.tuples(st.just("flip"), st.floats(0.0, 1.0), st.integers(1, 255)),
        st.tuples(st.just("flip-head"), st.floats(0.0, 1.0), st.integers(1, 255)),
        st.tuples(st.just("append"), st.floats(0.0, 1.0), st.integers(0, 255)),
    )


def _apply(data: bytes, mutations) -> bytes:
    buf = bytearray(data)
    for kind, where, value in mutations:
        if not buf:
            break
        if kind == "truncate":
            buf = buf[: int(where * len(buf))]
        elif kind == "flip":
            i = min(int(where * len(buf)), len(buf) - 1)
            buf[i] ^= value
        elif kind == "flip-head":  # headers hold counts, sizes, versions: hit them more often
            i = min(int(where * min(len(buf), 512)), len(buf) - 1)
            buf[i] ^= value
        elif kind == "append":
            buf += bytes([value]) * (1 + int(where * 64))
    return bytes(buf)


EXTENSIONS = sorted(IMPORTERS) + [".marble"]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_fuzz_importer(ext, seeds, tmp_path):
    last: dict[str, bytes] = {}

    @FUZZ
    @given(mutations=st.lists(_mutations(), min_size=1, max_size=3))
    def run(mutations):
        data = last["data"] = _apply(seeds[ext], mutations)
        _check(ext, data, tmp_path)

    try:
        run()
    except AssertionError:
        raise
    except Exception as exc:
        # hypothesis replays the shrunk failing example last: keep it as a regression case
        CORPUS.mkdir(exist_ok=True)
        data = last["data"]
        name = f"{ext.strip('.').replace('.', '_')}-{zlib.crc32(data):08x}{ext}"
        (CORPUS / name).write_bytes(data)
        raise AssertionError(f"{ext}: {type(exc).__name__}: {exc} (saved as tests/corpus/{name})") from exc


_HOSTILE_VALUES = st.one_of(
    st.integers(-(2**40), 2**40), st.sampled_from([0, -1, 1, 3, 4, 252, 253, 256, 2**31, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4), st.none(), st.just([1, 2]), st.booleans(),
)
_GLB_FIELDS = [("accessors", k) for k in ("bufferView", "byteOffset", "componentType", "count", "type", "normalized")] + \
    [("bufferViews", k) for k in ("buffer", "byteOffset", "byteLength", "byteStride")] + \
    [("nodes", k) for k in ("mesh", "matrix", "scale", "rotation", "translation", "children")] + \
    [("meshes", "primitives"), ("scenes", "nodes")]


def _set_field(items: list, field: str, which: float, value) -> None:
    if items:
        items[min(int(which * len(items)), len(items) - 1)][field] = value


@pytest.mark.parametrize("kind", ["glb", "marble"])
def test_fuzz_document_fields(kind, seeds, tmp_path):
    """Structure-aware fuzzing: one field of the GLB's glTF document or of the bundle's world.json set
    to a hostile value (negative, huge, NaN, wrong type) must load cleanly or fail in one line."""
    import io
    import json
    import zipfile

    from exporters.gltf import parse_glb
    from tests.exporters.test_hostile_glb import pack_glb

    if kind == "glb":
        doc, binary = parse_glb("seed.glb", seeds[".glb"])
    else:
        with zipfile.ZipFile(io.BytesIO(seeds[".marble"])) as zf:
            doc, tensors_blob = json.loads(zf.read("world.json")), zf.read("tensors.safetensors")

    @FUZZ
    @given(field=st.integers(0, 10_000), which=st.floats(0.0, 1.0), value=_HOSTILE_VALUES)
    def run(field, which, value):
        d = json.loads(json.dumps(doc))
        if kind == "glb":
            key, name = _GLB_FIELDS[field % len(_GLB_FIELDS)]
            _set_field(d.get(key, []), name, which, value)
            data, ext = pack_glb(json.dumps(d), binary), ".glb"
        else:
            targets = [(d, k) for k in ("version", "layers", "cameras", "layout", "extras", "environment")]
            targets += [(layer, k) for layer in d["layers"] for k in ("name", "label", "visible", "meta", "mesh", "gaussians")]
            targets += [(d["environment"]["lighting"], k) for k in d["environment"]["lighting"]]
            obj, k = targets[field % len(targets)]
            obj[k] = value
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr("world.json", json.dumps(d))
                zf.writestr("tensors.safetensors", tensors_blob)
            data, ext = buf.getvalue(), ".marble"
        _check(ext, data, tmp_path)

    run()


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_header_only_and_empty_files(ext, seeds, tmp_path):
    for data in (b"", seeds[ext][:16], seeds[ext][: len(seeds[ext]) // 2], b"\x00" * 4096):
        _check(ext, data, tmp_path)


def _corpus_cases():
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


@pytest.mark.parametrize("path", _corpus_cases(), ids=lambda p: p.name)
def test_corpus_regressions(path, tmp_path):
    ext = next((e for e in sorted(EXTENSIONS, key=len, reverse=True) if path.name.endswith(e)), None)
    assert ext is not None, f"corpus file {path.name} has no known extension"
    if path.name.startswith("bad-"):  # hand-made malformed files: must be refused with a one-line error
        with pytest.raises(MarbleError) as info:
            _load(ext, path.read_bytes(), tmp_path)
        assert "\n" not in str(info.value).strip()
    else:  # inputs saved by the fuzzer: any Marble error or a valid world
        _check(ext, path.read_bytes(), tmp_path)
