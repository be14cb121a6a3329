"""``KHR_gaussian_splatting`` GLBs: every MUST of the extension text, third-party files, old Marble
files and bad SCALE values.

The extension text checked is the Release Candidate in KhronosGroup/glTF
(``extensions/2.0/Khronos/KHR_gaussian_splatting/README.md``, July 2026). Its MUSTs, and where
each is checked (:func:`test_every_must_of_the_extension` unless said otherwise):

1. "all intermediate rendering steps (including but not limited to alpha blending) MUST be
   performed before any color gamut or transfer function conversions" -- the declared
   ``colorSpace`` is ``srgb_rec709_display``, the space Marble's splat colours live and blend in
   (its renderer applies no transfer function; the browser test shows three.js with no output
   conversion matching Marble's render).
2. "The ``mode`` property of the mesh primitive MUST be ``POINTS`` (0)."
3. "the glTF material referenced from the mesh primitive (if any) MUST be ignored for splat
   rendering" -- splat primitives reference no material; the reader ignores one when present
   (:func:`test_third_party_glb_with_linear_scales_imports_with_the_right_sizes`).
4. "Scale values are linear and MUST NOT be negative." -- ``SCALE == exp(log_scales) >= 0``; the
   reader reads linear values (third-party test) and refuses negative ones
   (:func:`test_bad_scale_values_give_a_one_line_format_error`).
5. "To use higher degrees of spherical harmonics the lower degrees MUST be defined."
6. "Spherical harmonic degrees MUST NOT be partially defined, that is, either all coefficients for
   a given degree and all lower degrees MUST be defined or none." (also stated in "Lighting":
   "lower order spherical harmonics MUST also be provided", "Each order ... MUST be fully defined")
7. "[the pixel colour] MUST be either clamped or tonemapped ... to fit into the splat's color
   space" -- renderer side: Marble's images are clamped to [0, 1] (``images_uint8``).
8. "negative c_i values MUST be clamped to zero" -- renderer side: ``marble.render.sh.eval_sh``.
9. "To use an extension that extends ``KHR_gaussian_splatting``, the extension MUST be included
   within the ``extensions`` property of the ``KHR_gaussian_splatting`` extension object. The new
   extension MUST also be listed in ``extensionsUsed``" -- Marble uses none; every name in a
   splat primitive's extension object would have to be in ``extensionsUsed`` (checked), and
   ``KHR_gaussian_splatting`` itself is listed there (glTF's own rule).

Normative statements without the keyword, checked too: ``kernel`` and ``colorSpace`` are present;
the required attributes exist with the accessor types and component types of the attribute table;
rotations are unit quaternions; opacities lie in [0, 1]; ``COLOR_0`` holds linear values ("the
``COLOR_0`` attribute contains linear values as per the glTF specification") with the opacity as
alpha (SHOULD).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from exporters import export, import_file
from exporters.gltf import parse_glb
from exporters.gltf_builder import FLOAT, SHORT, UBYTE, USHORT, GltfBuilder
from exporters.khr_splats import EXT, PREFIX, sh_attribute_names
from exporters.samples import colored_box, random_gaussians
from marble.color import srgb_to_linear
from marble.errors import FormatError
from marble.gaussians import SH_C0
from marble.world import Layer, World

_REQUIRED = {  # semantic: (type, allowed component types (normalized or not))
    "POSITION": ("VEC3", {(FLOAT, False)}),
    PREFIX + "ROTATION": ("VEC4", {(FLOAT, False), (5120, True), (SHORT, True)}),
    PREFIX + "SCALE": ("VEC3", {(FLOAT, False), (UBYTE, False), (UBYTE, True), (USHORT, False), (USHORT, True)}),
    PREFIX + "OPACITY": ("SCALAR", {(FLOAT, False), (UBYTE, True), (USHORT, True)}),
    PREFIX + "SH_DEGREE_0_COEF_0": ("VEC3", {(FLOAT, False)}),
}


@pytest.fixture(scope="module")
def world():
    T = torch.eye(4, dtype=torch.float64)
    T[:3, 3] = torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64)
    return World([
        Layer("trees", label="tree", gaussians=random_gaussians(500, sh_degree=3, seed=1)),
        Layer("house", label="house", gaussians=random_gaussians(200, sh_degree=3, seed=2),
              mesh=colored_box(seed=1), transform=T),
        Layer("crate", label="crate", mesh=colored_box(seed=2)),
    ])


@pytest.fixture(scope="module")
def glb(world, tmp_path_factory):
    path = export(world, tmp_path_factory.mktemp("khr") / "world.glb")[0]
    doc, binary = parse_glb(path, path.read_bytes())
    return path, doc, binary


def _read(doc, binary, index):
    from exporters.gltf_accessors import AccessorReader

    return AccessorReader("t.glb", doc, binary)(index)


def _splat_prims(doc):
    return [p for m in doc["meshes"] for p in m["primitives"] if EXT in (p.get("extensions") or {})]


def test_every_must_of_the_extension(world, glb):
    path, doc, binary = glb
    prims = _splat_prims(doc)
    assert len(prims) == 2
    assert EXT in doc["extensionsUsed"]
    for prim in prims:
        ext = prim["extensions"][EXT]
        assert ext["kernel"] == "ellipse" and ext["colorSpace"] == "srgb_rec709_display"  # 1, required properties
        assert prim["mode"] == 0  # 2
        assert "material" not in prim  # 3
        for name in ext.get("extensions", {}):  # 9
            assert name in doc["extensionsUsed"]
        attrs = prim["attributes"]
        for sem, (typ, comps) in _REQUIRED.items():
            acc = doc["accessors"][attrs[sem]]
            assert acc["type"] == typ and (acc["componentType"], bool(acc.get("normalized"))) in comps, sem
        # 5, 6: every SH degree complete, and every lower one too
        degrees = [d for d in (1, 2, 3) if any(f"SH_DEGREE_{d}_" in k for k in attrs)]
        assert degrees == [1, 2, 3]
        assert all(k in attrs for k in sh_attribute_names(3))
        n = doc["accessors"][attrs["POSITION"]]["count"]
        scale = _read(doc, binary, attrs[PREFIX + "SCALE"])
        assert (scale >= 0).all() and np.isfinite(scale).all()  # 4
        q = _read(doc, binary, attrs[PREFIX + "ROTATION"])
        assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
        op = _read(doc, binary, attrs[PREFIX + "OPACITY"])
        assert ((op >= 0) & (op <= 1)).all() and len(op) == n
        # COLOR_0: linear diffuse colour, opacity as alpha
        c0 = _read(doc, binary, attrs["COLOR_0"])
        sh0 = _read(doc, binary, attrs[PREFIX + "SH_DEGREE_0_COEF_0"])
        assert np.abs(c0[:, :3] - srgb_to_linear(np.clip(sh0 * SH_C0 + 0.5, 0, 1))).max() <= 0.5 / 255 + 1e-6
        assert np.abs(c0[:, 3] - op[:, 0]).max() <= 0.5 / 255 + 1e-6
    # 4: the linear values are the splats' standard deviations (the layer with no transform)
    trees = next(p for m in doc["meshes"] for p in m["primitives"] if m["name"] == "trees_splats")
    scale = _read(doc, binary, trees["attributes"][PREFIX + "SCALE"])
    assert np.allclose(scale, world.layer("trees").gaussians.scales.numpy(), rtol=1e-6)
    # 7, 8: the renderer clamps negative SH colours to 0 and pixel colours to [0, 1]
    from marble.camera import Camera
    from marble.render import render
    from marble.render.sh import eval_sh

    coeffs = torch.zeros(4, 16, 3)
    coeffs[:, 0] = -3.0  # a colour of -0.35 before the clamp
    assert (eval_sh(3, coeffs, torch.randn(4, 3, generator=torch.Generator().manual_seed(0))) == 0).all()
    bright = random_gaussians(50, seed=3)
    bright.sh0 = torch.full_like(bright.sh0, 20.0)
    out = render(bright, [Camera.look_at((0, 0, 6), (0, 0, 0), width=32, height=24)], antialiased=False)
    assert out.colors.max() > 1 and out.images_uint8().max() == 255


def test_splats_have_their_own_mesh_and_node_per_layer(world, glb):
    """three.js refuses meshes that mix splat and triangle primitives: a layer with both keeps its
    triangles on its node and its splats on a child node ``<layer>_splats``; all come back as the
    same layers."""
    path, doc, _ = glb
    for mesh in doc["meshes"]:
        kinds = {EXT in (p.get("extensions") or {}) for p in mesh["primitives"]}
        assert len(kinds) == 1, mesh["name"]
    nodes = {n["name"]: n for n in doc["nodes"]}
    assert [doc["nodes"][i]["name"] for i in doc["scenes"][0]["nodes"]] == ["trees", "house", "crate"]
    assert doc["meshes"][nodes["trees"]["mesh"]]["name"] == "trees_splats" and "children" not in nodes["trees"]
    house = nodes["house"]
    assert doc["meshes"][house["mesh"]]["primitives"][0]["mode"] == 4
    child = doc["nodes"][house["children"][0]]
    assert child["name"] == "house_splats" and child["extras"] == {"label": "house", "marble_part": "splats"}
    assert _splat_prims({"meshes": [doc["meshes"][child["mesh"]]]})
    back = import_file(path)
    assert back.layer_names == ["trees", "house", "crate"]
    house_back = back.layer("house")
    assert house_back.label == "house" and house_back.gaussians.num_splats == 200 and house_back.mesh is not None
    src = world.layer("house").world_gaussians()
    assert torch.allclose(house_back.gaussians.means, src.means, atol=1e-5)
    assert torch.allclose(house_back.gaussians.log_scales, src.log_scales, atol=1e-5)
    assert doc["asset"]["generator"].startswith("Marble ") and doc["asset"]["generator"] != "Marble"


def _third_party_glb(n=64, *, generator="ThirdPartySplatTool 3.1", scale_values=None, scale_dtype=np.float32,
                     log_scales=False, node=None, material=False):
    """A GLB as another tool would write it: its own generator name, quantised rotations and
    opacities, a node transform, a material on the splat primitive (to be ignored)."""
    rng = np.random.default_rng(0)
    means = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
    sigmas = rng.uniform(0.01, 0.2, (n, 3)).astype(np.float32) if scale_values is None else scale_values
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    b = GltfBuilder(generator=generator)
    attrs = {
        "POSITION": b.add_accessor(means, min_max=True),
        PREFIX + "ROTATION": b.add_accessor(np.round(q * 32767).astype(np.int16), normalized=True),
        PREFIX + "SCALE": b.add_accessor((np.log(sigmas) if log_scales else sigmas).astype(scale_dtype)),
        PREFIX + "OPACITY": b.add_accessor(np.full(n, 204, np.uint8), normalized=True),  # 0.8
        PREFIX + "SH_DEGREE_0_COEF_0": b.add_accessor(np.zeros((n, 3), np.float32)),
    }
    prim = {"attributes": attrs, "mode": 0, "extensions": {EXT: {"kernel": "ellipse", "colorSpace": "srgb_rec709_display"}}}
    if material:
        prim["material"] = b.add("materials", {"pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}})
    m = b.add("meshes", {"primitives": [prim]})
    b.doc["scenes"][0]["nodes"].append(b.add("nodes", {"name": "scan", "mesh": m, **(node or {})}))
    b.use_extension(EXT)
    return b.glb_bytes(), means, sigmas


def test_third_party_glb_with_linear_scales_imports_with_the_right_sizes(tmp_path):
    data, means, sigmas = _third_party_glb(node={"translation": [0, 1, 0], "scale": [2, 2, 2]}, material=True)
    (tmp_path / "scan.glb").write_bytes(data)
    g = import_file(tmp_path / "scan.glb").gaussians()
    assert g.num_splats == 64
    assert np.allclose(g.scales.numpy(), 2 * sigmas, rtol=1e-5)  # linear sizes, times the node's scale
    assert np.allclose(g.means.numpy(), 2 * means + [0, 1, 0], atol=1e-5)
    assert np.allclose(g.opacities.numpy(), 0.8, atol=1e-6)
    assert np.allclose(g.sh0.numpy() * SH_C0 + 0.5, 0.5, atol=1e-6)
    # SCALE as (unnormalised) unsigned shorts, one of the component types the table allows
    data, _, sig = _third_party_glb(scale_values=np.full((64, 3), 3, np.uint16), scale_dtype=np.uint16)
    (tmp_path / "u16.glb").write_bytes(data)
    assert np.allclose(import_file(tmp_path / "u16.glb").gaussians().scales.numpy(), 3.0)


def test_old_marble_glb_with_log_scales_still_imports(tmp_path):
    """Marble's writer stored natural-log scales before it wrote linear ones; those files say
    exactly "Marble" in ``asset.generator`` (newer ones "Marble <version>"). Only they are read
    as logs: a third-party generator with log-looking values is read by the spec."""
    data, _, sigmas = _third_party_glb(generator="Marble", log_scales=True)
    (tmp_path / "old.glb").write_bytes(data)
    assert np.allclose(import_file(tmp_path / "old.glb").gaussians().scales.numpy(), sigmas, rtol=1e-5)
    data, _, sigmas = _third_party_glb(generator="Marble 0.1.0")
    (tmp_path / "new.glb").write_bytes(data)
    assert np.allclose(import_file(tmp_path / "new.glb").gaussians().scales.numpy(), sigmas, rtol=1e-5)
    data, _, _ = _third_party_glb(generator="MarbleLike 2", log_scales=True)  # negative: not a log reader's file
    (tmp_path / "other.glb").write_bytes(data)
    with pytest.raises(FormatError, match="negative"):
        import_file(tmp_path / "other.glb")


@pytest.mark.parametrize("value,match", [(-0.5, "negative value"), (np.nan, "non-finite"), (np.inf, "non-finite")])
def test_bad_scale_values_give_a_one_line_format_error(tmp_path, value, match):
    sig = np.full((64, 3), 0.05, np.float32)
    sig[7, 1] = value
    data, _, _ = _third_party_glb(scale_values=sig)
    (tmp_path / "bad.glb").write_bytes(data)
    with pytest.raises(FormatError, match=match) as err:
        import_file(tmp_path / "bad.glb")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("bad.glb: ") and "KHR_gaussian_splatting:SCALE" in msg, msg


def test_zero_scale_is_allowed(tmp_path):
    sig = np.full((64, 3), 0.05, np.float32)
    sig[3] = 0.0
    data, _, _ = _third_party_glb(scale_values=sig)
    (tmp_path / "flat.glb").write_bytes(data)
    g = import_file(tmp_path / "flat.glb").gaussians()
    assert torch.isfinite(g.log_scales).all() and float(g.scales[3].max()) < 1e-9
