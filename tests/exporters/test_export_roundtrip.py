"""One loop over every registered exporter: write a small world, read it back, compare.

A format added to ``exporters.EXPORTERS`` without an entry in ``CHECKS`` (or an importer) fails
here, so no format can skip its round trip.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.spatial import cKDTree

import exporters
from exporters import EXPORTERS, IMPORTERS, export, import_file
from exporters.samples import sample_world
from exporters.spz import TOLERANCE as SPZ_TOLERANCE
from marble.geometry import quat_to_rotmat

# Per-format quantisation tolerances: position (m), colour (rgb in [0,1]), opacity, log-scale,
# SH rest coefficient, orientation (covariance error relative to the largest variance).
# sh=None: the format does not store SH bands. pos_size / rot_size: formats that round each splat
# to its own size (SPZ: exporters.spz.TOLERANCE) add that share of the splat's size (geometric-mean
# sigma) to ``pos``, and of its size over its largest sigma (radians of turn) to ``rot``.
TOL = {
    ".ply": dict(pos=1e-5, rgb=1e-5, opa=1e-5, scale=1e-5, sh=1e-5, rot=1e-5),
    ".glb": dict(pos=1e-5, rgb=1e-5, opa=1e-5, scale=1e-5, sh=1e-5, rot=1e-5),
    ".gltf": None,  # not an import format; checked structurally below
    ".compressed.ply": dict(pos=4e-3, rgb=2.5e-3, opa=2.5e-3, scale=6e-3, sh=3.2e-2, rot=2e-2),
    ".splat": dict(pos=1e-5, rgb=2.5e-3, opa=2.5e-3, scale=1e-5, sh=None, rot=0.1),
    ".spz": dict(pos=2.5e-4, pos_size=SPZ_TOLERANCE / 2, rgb=4e-3, opa=2.5e-3, scale=3.2e-2, sh=3.6e-2, rot=2e-2,
                 rot_size=SPZ_TOLERANCE),
}


@pytest.fixture(scope="module")
def world():
    return sample_world(n_splats=1500, sh_degree=1, seed=3)


def _match(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Index into ``b`` of the nearest neighbour of each row of ``a`` (formats may reorder splats)."""
    _, idx = cKDTree(b.numpy()).query(a.numpy(), k=1)
    return idx


def check_splats(ext: str, world, path) -> None:
    src = world.gaussians()
    got_world = import_file(path)
    got = got_world.gaussians()
    assert got.num_splats == src.num_splats == 1500  # hidden layer skipped
    tol = TOL[ext]
    idx = _match(src.means, got.means)
    assert len(set(idx.tolist())) == src.num_splats, "splats collapsed or duplicated"
    g = got.select(torch.from_numpy(idx))
    size = src.log_scales.double().mean(dim=1).exp()  # [N] geometric-mean sigma
    pos_allow = tol["pos"] + tol.get("pos_size", 0.0) * size
    assert ((g.means - src.means).abs().double().amax(dim=1) <= pos_allow).all()
    assert (g.colors - src.colors).abs().max() <= tol["rgb"]
    assert (g.opacities - src.opacities).abs().max() <= tol["opa"]
    # Encoders may relabel a splat's axes (SPZ puts the rotation nearest the identity), so scales
    # are compared as sets, and orientation through covariances built with the decoded scales.
    sorted_src, rank_src = src.log_scales.sort(dim=1)
    sorted_got = g.log_scales.sort(dim=1).values
    assert (sorted_got - sorted_src).abs().max() <= tol["scale"]
    got_in_src_axes = torch.empty_like(sorted_got).scatter_(1, rank_src, sorted_got).double().exp()
    sa, sb = torch.diag_embed(got_in_src_axes**2), torch.diag_embed(g.scales.double() ** 2)
    Ra, Rb = quat_to_rotmat(src.quats.double()), quat_to_rotmat(g.quats.double())
    dcov = (Ra @ sa @ Ra.transpose(1, 2) - Rb @ sb @ Rb.transpose(1, 2)).abs().amax(dim=(1, 2))
    rot_allow = tol["rot"] + tol.get("rot_size", 0.0) * size / src.scales.double().amax(dim=1)
    assert (dcov / sb.amax(dim=(1, 2)) <= rot_allow).all()
    if tol["sh"] is None:
        assert g.shN is None
    else:
        assert g.shN is not None and g.shN.shape == src.shN.shape
        assert (g.shN - src.shN).abs().max() <= tol["sh"]


def check_glb(ext, world, path) -> None:
    check_splats(ext, world, path)
    w2 = import_file(path)
    assert w2.layer_names == ["splats", "crate"]
    src_mesh = world.meshes()["crate"]
    got_mesh = w2.layer("crate").mesh
    assert np.allclose(got_mesh.vertices, src_mesh.vertices, atol=1e-5)  # world frame (transform applied)
    assert np.array_equal(got_mesh.faces, src_mesh.faces)
    diff = np.abs(got_mesh.visual.vertex_colors.astype(int) - src_mesh.visual.vertex_colors.astype(int))
    assert diff.max() <= 1


def check_gltf(ext, world, path) -> None:
    doc = json.loads(path.read_text())
    assert doc["asset"]["version"] == "2.0"
    assert [n["name"] for n in doc["nodes"]] == ["splats", "crate"]
    assert doc["buffers"][0]["uri"].startswith("data:application/octet-stream;base64,")
    prims = [p for m in doc["meshes"] for p in m["primitives"]]
    splat = [p for p in prims if "KHR_gaussian_splatting" in p.get("extensions", {})]
    assert len(splat) == 1 and splat[0]["mode"] == 0
    assert doc["accessors"][splat[0]["attributes"]["POSITION"]]["count"] == 1500


def check_usd(ext, world, path) -> None:
    from pxr import Usd, UsdGeom, UsdVol

    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    assert [p.GetName() for p in stage.GetDefaultPrim().GetChildren() if p.GetName() != "Looks"] == ["splats", "crate"]
    field = UsdVol.ParticleField3DGaussianSplat(stage.GetPrimAtPath("/World/splats/splats"))
    pos = np.asarray(field.GetPositionsAttr().Get())
    src = world.gaussians()
    assert pos.shape == (1500, 3) and np.allclose(pos, src.means.numpy(), atol=1e-6)
    assert np.allclose(np.asarray(field.GetOpacitiesAttr().Get()), src.opacities.numpy(), atol=1e-6)
    assert np.allclose(np.asarray(field.GetScalesAttr().Get()), src.scales.numpy(), rtol=1e-5)
    assert field.GetRadianceSphericalHarmonicsDegreeAttr().Get() == 1
    assert len(field.GetRadianceSphericalHarmonicsCoefficientsAttr().Get()) == 1500 * 4
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/World/crate/mesh"))
    assert np.allclose(np.asarray(mesh.GetPointsAttr().Get()), world.meshes()["crate"].vertices, atol=1e-6)


def check_png(ext, world, path) -> None:
    img = np.asarray(Image.open(path))
    assert img.shape == (32, 64, 3)
    assert img.std() > 1.0  # splats and sky, not a blank image


def check_json(ext, world, path) -> None:
    from exporters.cameras_json import read_cameras_json

    doc = json.loads(path.read_text())
    assert len(doc["frames"]) == 8  # the sample world has no cameras: default orbit
    cams = read_cameras_json(path)
    T = np.asarray(doc["frames"][0]["transform_matrix"])
    assert np.allclose(cams[0].T_world_camera_gl().numpy(), T)
    # cameras look at the content: the world's centre projects in front of every camera (OpenCV z > 0)
    c = np.append(world.gaussians().means.numpy().mean(0), 1.0)
    for cam in cams:
        assert (cam.viewmat.numpy() @ c)[2] > 0


CHECKS = {
    ".ply": check_splats, ".compressed.ply": check_splats, ".splat": check_splats, ".spz": check_splats,
    ".glb": check_glb, ".gltf": check_gltf,
    ".usd": check_usd, ".usda": check_usd, ".usdc": check_usd, ".usdz": check_usd,
    ".png": check_png, ".json": check_json,
}


@pytest.mark.parametrize("ext", sorted(EXPORTERS))
def test_every_exporter_round_trips(ext, world, tmp_path):
    assert ext in CHECKS, f"exporter {ext} has no round-trip check: add one to CHECKS"
    out = tmp_path / f"world{ext}"
    files = export(world, out, panorama_size=32)
    assert files[0] == out and out.is_file() and out.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in files)  # no temp files left
    if ext in IMPORTERS:
        assert CHECKS[ext] in (check_splats, check_glb)
    CHECKS[ext](ext, world, out)


def test_registry_lists_the_issue_formats():
    need = {".ply", ".compressed.ply", ".splat", ".spz", ".glb", ".gltf", ".usd", ".usda", ".usdc", ".usdz", ".png", ".json"}
    assert need <= set(exporters.supported_export_formats())
    assert {".ply", ".compressed.ply", ".splat", ".spz", ".glb"} <= set(exporters.supported_import_formats())


def test_compressed_ply_extension_wins_over_ply(world, tmp_path):
    out = tmp_path / "a.compressed.ply"
    export(world, out)
    assert b"element chunk" in out.read_bytes()[:2000]


def test_export_is_deterministic(world, tmp_path):
    import time

    for ext in (".ply", ".spz", ".compressed.ply", ".glb", ".usdz"):
        a, b = tmp_path / f"a{ext}", tmp_path / f"b{ext}"
        export(world, a)
        time.sleep(2.1 if ext == ".usdz" else 0)  # zip timestamps have 2-second resolution
        export(world, b)
        assert a.read_bytes() == b.read_bytes(), ext


def test_layers_option_and_world_export(world, tmp_path):
    files = world.export(tmp_path / "only.glb", layers=["crate"])
    w2 = import_file(files[0])
    assert w2.layer_names == ["crate"] and w2.num_splats == 0 and w2.num_triangles == 12 * 4
    # a hidden layer named explicitly is exported
    w3 = import_file(export(world, tmp_path / "hidden.ply", layers=["hidden"])[0])
    assert w3.num_splats == 10


def test_ply_axes_are_rdf_by_default_and_rub_on_request(world, tmp_path):
    from exporters.plyfile import read_ply

    src = world.gaussians().means.numpy()
    export(world, tmp_path / "rdf.ply")
    export(world, tmp_path / "rub.ply", axes="rub")
    v = read_ply("rdf.ply", (tmp_path / "rdf.ply").read_bytes())["vertex"]
    assert np.allclose(v["y"], -src[:, 1]) and np.allclose(v["z"], -src[:, 2]) and np.allclose(v["x"], src[:, 0])
    v = read_ply("rub.ply", (tmp_path / "rub.ply").read_bytes())["vertex"]
    assert np.allclose(v["y"], src[:, 1])
    # both read back to the same world-frame splats
    a = import_file(tmp_path / "rdf.ply").gaussians()
    b = import_file(tmp_path / "rub.ply").gaussians()
    assert torch.allclose(a.means, b.means, atol=1e-6) and torch.allclose(a.shN, b.shN, atol=1e-6)
    assert torch.allclose(a.quats.abs(), b.quats.abs(), atol=1e-6)


def test_sh_rotation_under_axis_flip_matches_evaluation():
    """The SH sign table of the RUB<->RDF flip equals evaluating the bands at flipped directions."""
    from exporters.axes import _SH_SIGNS_X180
    from marble.render.sh import sh_bases

    d = torch.nn.functional.normalize(torch.randn(64, 3, generator=torch.Generator().manual_seed(0)), dim=-1)
    flipped = d * torch.tensor([1.0, -1.0, -1.0])
    a, b = sh_bases(3, d), sh_bases(3, flipped)  # [64, 16]
    assert torch.allclose(b[:, 1:], a[:, 1:] * torch.from_numpy(_SH_SIGNS_X180), atol=1e-5)


def test_panorama_draws_meshes_over_the_sky(tmp_path):
    from exporters.samples import colored_box
    from marble.render.panorama import equirect_directions as directions
    from marble.world import Layer, World

    w = World([Layer("floor", mesh=colored_box((20.0, 0.2, 20.0)))])
    img = np.asarray(Image.open(export(w, tmp_path / "p.png", panorama_size=32)[0])).astype(float)
    sky = np.round(np.clip(w.environment.sky_color(directions(32)), 0, 1) * 255)
    assert np.abs(img[:12] - sky[:12]).mean() < 2  # above the horizon: sky only
    assert np.abs(img[20:] - sky[20:]).mean() > 20  # below: the floor hides the sky
