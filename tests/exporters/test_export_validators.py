"""Outputs checked by independent tools: the Khronos glTF validator, PlayCanvas splat-transform
(which decodes SPZ with Niantic's own library), usd-core's UsdValidation and the ARKit rules.

Needs the npm devDependencies installed in ./node_modules (``npm ci`` at the repository root).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from exporters import export, import_file
from exporters.samples import sample_world
from tests.support import REPO

ROOT = REPO
NODE = shutil.which("node")
SPLAT_TRANSFORM = ROOT / "node_modules" / ".bin" / "splat-transform"


def _require_node() -> str:
    assert NODE, "node is required for the validator tests (install nodejs)"
    assert (ROOT / "node_modules" / "gltf-validator").is_dir(), "run `npm ci` at the repository root first"
    assert SPLAT_TRANSFORM.exists(), "run `npm ci` at the repository root first"
    return NODE


def _node_json(script: str, *files: Path) -> list[dict]:
    node = _require_node()
    res = subprocess.run([node, str(ROOT / "scripts" / script), *map(str, files)], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    return [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def world():
    return sample_world(n_splats=1200, sh_degree=2, seed=5)


@pytest.fixture(scope="module")
def outputs(world, tmp_path_factory):
    d = tmp_path_factory.mktemp("validators")
    files = {}
    files["glb"] = export(world, d / "world.glb")[0]
    files["gltf"] = export(world, d / "world.gltf")[0]
    files["meshes_only"] = export(world, d / "meshes.glb", splats=False)[0]
    files["baked"] = export(world, d / "baked.glb", bake_textures=True, texture_size=128)[0]
    q = export(world, d / "quest.glb", profile="quest3", texture_size=128)
    files["quest"], files["collider"] = q[0], q[1]
    for ext in (".ply", ".compressed.ply", ".splat", ".spz"):
        files[ext] = export(world, d / f"world{ext}")[0]
    files["dir"] = d
    return files


# ---------------------------------------------------------------------- glTF validator
def test_every_glb_passes_the_khronos_validator(outputs):
    keys = ["glb", "gltf", "meshes_only", "baked", "quest", "collider"]
    reports = {k: r for k, r in zip(keys, _node_json("gltf_validate.mjs", *[outputs[k] for k in keys]))}
    for k, r in reports.items():
        assert r["other_errors"] == 0, (k, r["messages"])
    # files without splats are clean with no exception at all
    for k in ("meshes_only", "collider"):
        assert reports[k]["errors"] == 0 and reports[k]["warnings"] == 0, reports[k]
    # the only errors left are the validator not knowing KHR_gaussian_splatting's attribute names:
    # exactly one per KHR attribute we wrote (SH degree 2: ROTATION SCALE OPACITY + 1 + 3 + 5 SH)
    assert reports["glb"]["khr_splat_attribute_errors"] == reports["glb"]["errors"] == 3 + 1 + 3 + 5


def test_baked_glb_has_a_texture_and_uvs(outputs):
    from exporters.gltf import parse_glb

    doc, _ = parse_glb("baked.glb", outputs["baked"].read_bytes())
    assert len(doc["images"]) == 1 and doc["images"][0]["mimeType"] == "image/png"
    tri = [p for m in doc["meshes"] for p in m["primitives"] if p.get("mode", 4) == 4][0]
    assert "TEXCOORD_0" in tri["attributes"] and "COLOR_0" not in tri["attributes"]
    w = import_file(outputs["baked"])
    img = np.asarray(w.layer("crate").mesh.visual.material.baseColorTexture)
    assert img.shape[:2] == (128, 128)


def test_baked_texture_reproduces_vertex_colours(world):
    from exporters.samples import colored_box
    from exporters.textures import bake_vertex_colors

    box = colored_box(subdivisions=2)
    baked = bake_vertex_colors(box, size=256)
    sampled = baked.visual.to_color().vertex_colors[:, :3].astype(int)  # texture sampled at each vertex's UV
    src = box.visual.vertex_colors[:, :3].astype(int)
    # every baked vertex maps back to an original vertex position; colours agree within a few levels
    from scipy.spatial import cKDTree

    _, idx = cKDTree(box.vertices).query(baked.vertices)
    assert np.median(np.abs(sampled - src[idx])) <= 3
    assert np.percentile(np.abs(sampled - src[idx]), 95) <= 16


# ---------------------------------------------------------------------- splat-transform
def test_splat_transform_reads_our_splat_files_with_the_same_count_and_axes(world, outputs):
    exts = [".ply", ".compressed.ply", ".splat", ".spz"]
    infos = _node_json("splat_info.mjs", *[outputs[e] for e in exts])
    src = world.gaussians().means.numpy().astype(np.float64)
    for ext, info in zip(exts, infos):
        assert "error" not in info, (ext, info)
        assert info["count"] == 1200, (ext, info["count"])
        # splat-transform works in PLY (RDF) space: x kept, y and z negated relative to the world
        m = info["means"]
        assert abs(m["x"] - src[:, 0].mean()) < 2e-3, ext
        assert abs(m["y"] + src[:, 1].mean()) < 2e-3, ext
        assert abs(m["z"] + src[:, 2].mean()) < 2e-3, ext
        # splat by splat: the first rows decode to what our importer reads from the same file (for
        # .spz this checks that Niantic's decoder honours the fractional bits we chose)
        ours = import_file(outputs[ext]).gaussians().means.numpy()[:32].astype(np.float64) * (1.0, -1.0, -1.0)
        theirs = np.stack([info["head"][k] for k in "xyz"], axis=1)
        assert np.abs(theirs - ours).max() < 1e-4, (ext, np.abs(theirs - ours).max())


def test_khr_glb_written_by_splat_transform_reads_back(world, outputs, tmp_path):
    """splat-transform's GLB of our .ply comes back turned 180 degrees about +Y: its convention, not ours.

    KHR_gaussian_splatting stores splats in the glTF frame (+Y up, right-handed) and says nothing
    about .ply axes; we write the world (already that frame) unchanged, and .ply as RDF by the
    OpenCV -> OpenGL change of basis, a half turn about X: (x, y, z) -> (x, -y, -z) (Niantic's SPZ
    library maps RDF <-> RUB the same way, and splat-transform reads our .ply and .spz with the same
    positions, see above). splat-transform maps RDF to glTF with a half turn about Z instead
    (``Transform.PLY = fromEulers(0, 0, 180)``; Niantic's library likewise calls glTF "LUF"), so
    its GLB holds (-x, y, -z) of our world: upright, but facing the other way. Both are proper
    rotations, so the splats' shapes must agree exactly once that half turn about Y is undone.
    """
    _require_node()
    out = tmp_path / "st.glb"
    res = subprocess.run([str(SPLAT_TRANSFORM), "-q", "-w", str(outputs[".ply"]), str(out)], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    g = import_file(out).gaussians()
    src = world.gaussians()
    assert g.num_splats == src.num_splats
    from scipy.spatial import cKDTree

    from marble.geometry import quat_to_rotmat

    R_y180 = torch.diag(torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64))
    back = g.means.double() @ R_y180.T  # undo splat-transform's half turn about Y
    d, idx = cKDTree(back.numpy()).query(src.means.double().numpy())
    assert d.max() < 1e-5, d.max()  # every splat, not only the centroid
    assert len(set(idx.tolist())) == src.num_splats
    assert cKDTree(g.means.double().numpy()).query(src.means.double().numpy())[0].max() > 0.1  # not identity
    m = g.select(torch.from_numpy(idx))
    assert torch.allclose(m.log_scales, src.log_scales, atol=1e-4)  # linear SCALE detected
    assert torch.allclose(m.opacities, src.opacities, atol=1e-5)
    # orientations: the covariances agree after the same half turn
    def cov(gs):
        R = quat_to_rotmat(gs.quats.double())
        return R @ torch.diag_embed(gs.scales.double() ** 2) @ R.transpose(1, 2)

    c_src, c_got = cov(src), R_y180 @ cov(m) @ R_y180.T
    assert ((c_src - c_got).abs().amax(dim=(1, 2)) / c_src.abs().amax(dim=(1, 2))).max() < 1e-4


@pytest.mark.parametrize("version", ["3", "4"])
def test_spz_written_by_splat_transform_reads_back(world, outputs, tmp_path, version):
    """Niantic's library (inside splat-transform) writes v3 (gzip) and v4 (zstd planes)."""
    _require_node()
    out = tmp_path / "st.spz"
    res = subprocess.run([str(SPLAT_TRANSFORM), "-q", "-w", "--spz-version", version, str(outputs[".ply"]), str(out)],
                         capture_output=True, text=True, timeout=120)
    assert out.read_bytes()[:4].startswith(b"NGSP" if version == "4" else b"\x1f\x8b")
    assert res.returncode == 0, res.stderr[-2000:]
    g = import_file(out).gaussians()
    src = world.gaussians()
    assert g.num_splats == src.num_splats
    # Niantic's library writes RUB, our world frame: the same positions up to quantisation
    from scipy.spatial import cKDTree

    d, _ = cKDTree(src.means.numpy()).query(g.means.numpy())
    assert d.max() < 1e-3


# ---------------------------------------------------------------------- USD
def _usd_errors(path: Path) -> list[str]:
    from pxr import Usd, UsdValidation

    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    stage = Usd.Stage.Open(str(path))
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    return [f"{e.GetName()}: {e.GetMessage()}" for e in errors if e.GetType() == UsdValidation.ValidationErrorType.Error]


@pytest.mark.parametrize("ext", [".usda", ".usdc", ".usd", ".usdz"])
def test_usd_passes_usd_core_validators(world, tmp_path, ext):
    path = export(world, tmp_path / f"world{ext}")[0]
    assert _usd_errors(path) == []


def test_visionpro_usdz_passes_validators_and_arkit_rules(world, tmp_path):
    from pxr import Usd

    from exporters.arkit import arkit_issues

    files = export(world, tmp_path / "vp.usdz", profile="visionpro", texture_size=128)
    assert [f.name for f in files] == ["vp.usdz", "vp.usdz.manifest.json"]
    assert _usd_errors(files[0]) == []
    assert arkit_issues(files[0]) == []
    stage = Usd.Stage.Open(str(files[0]))
    types = {str(p.GetTypeName()) for p in stage.Traverse()}
    assert "ParticleField3DGaussianSplat" not in types and "Mesh" in types
    manifest = json.loads(files[1].read_text())
    assert manifest["profile"] == "visionpro" and manifest["output"]["splats"] == 0
    assert any("dropped" in a for a in manifest["actions"])


def test_arkit_check_catches_a_plain_usdz(world, tmp_path):
    from exporters.arkit import arkit_issues

    path = export(world, tmp_path / "plain.usdz")[0]  # splats + vertex-colour reader: not ARKit-safe
    issues = arkit_issues(path)
    assert any("ParticleField3DGaussianSplat" in i for i in issues)
    assert any("UsdPrimvarReader_float3" in i for i in issues)


def test_textured_meshes_in_single_file_usd_use_vertex_colours(world, tmp_path):
    textured = import_file(export(world, tmp_path / "baked.glb", bake_textures=True, texture_size=64)[0])
    assert type(textured.layer("crate").mesh.visual).__name__ == "TextureVisuals"
    usda = export(textured, tmp_path / "t.usda")[0]
    text = usda.read_text()
    assert "textures/" not in text and "primvars:displayColor" in text  # no dangling texture paths
    assert _usd_errors(usda) == []
    usdz = export(textured, tmp_path / "t.usdz")[0]
    import zipfile

    assert any(n.endswith(".png") for n in zipfile.ZipFile(usdz).namelist())  # the package keeps the texture
    assert _usd_errors(usdz) == []


def test_usd_splat_display_colour_is_per_particle(world, tmp_path):
    """``primvars:displayColor``/``displayOpacity`` on the ParticleField hold one linear value per
    particle with ``vertex`` interpolation (a ``constant`` primvar holds exactly one value)."""
    from pxr import Usd, UsdGeom

    from marble.color import srgb_to_linear
    from marble.gaussians import SH_C0

    path = export(world, tmp_path / "splats.usda")[0]
    assert _usd_errors(path) == []
    stage = Usd.Stage.Open(str(path))
    prim = next(p for p in stage.Traverse() if p.GetTypeName() == "ParticleField3DGaussianSplat")
    n = len(prim.GetAttribute("positions").Get())
    assert n == world.layer("splats").gaussians.num_splats
    pv = UsdGeom.PrimvarsAPI(prim)
    color, opacity = pv.GetPrimvar("displayColor"), pv.GetPrimvar("displayOpacity")
    assert color.GetInterpolation() == opacity.GetInterpolation() == UsdGeom.Tokens.vertex
    assert len(color.ComputeFlattened()) == len(opacity.ComputeFlattened()) == n
    # the same splats in the same order: the colour of each is its DC term, decoded to linear
    g = world.layer("splats").gaussians
    expect = srgb_to_linear(np.clip(g.sh0.numpy() * SH_C0 + 0.5, 0, 1))
    assert np.allclose(np.asarray(color.Get()), expect, atol=1e-6)
    assert np.allclose(np.asarray(opacity.Get()), g.opacities.numpy(), atol=1e-6)
