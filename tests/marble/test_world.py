import json
import zipfile

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from marble.camera import orbit
from marble.errors import FormatError, InputError
from marble.gaussians import Gaussians
from marble.layout import (
    Layout,
    LayoutEnvironment,
    LayoutObject,
    ObjectSpec,
    Relation,
    SceneSpec,
)
from marble.world import Environment, Provenance, World


def small_world(seed=0) -> World:
    g = torch.Generator().manual_seed(seed)
    splats = Gaussians.from_points(torch.randn(100, 3, generator=g), torch.rand(100, 3, generator=g), scales=0.05)
    splats.shN = torch.randn(100, 3, 3, generator=g)
    box = trimesh.creation.box(extents=(1, 2, 3))
    box.visual.vertex_colors = np.tile(np.array([[200, 10, 10, 255]], np.uint8), (len(box.vertices), 1))
    tex = trimesh.creation.box()
    uv = np.random.default_rng(seed).random((len(tex.vertices), 2))
    img = Image.fromarray((np.random.default_rng(seed).random((8, 8, 3)) * 255).astype(np.uint8))
    tex.visual = trimesh.visual.TextureVisuals(
        uv=uv, material=trimesh.visual.material.PBRMaterial(baseColorTexture=img, roughnessFactor=0.5)
    )
    T = torch.eye(4, dtype=torch.float64)
    T[:3, 3] = torch.tensor([2.0, 0.0, -1.0], dtype=torch.float64)
    layout = Layout(
        environment=LayoutEnvironment(archetype="forest", indoor=False, extent=10.0),
        objects=[LayoutObject("tree_0", "pine_tree", (1.0, 0.0, 2.0), (2.0, 6.0, 2.0), yaw=0.3)],
        seed=seed,
        spec=SceneSpec("a tree", "forest", False, [ObjectSpec("pine_tree", 2, relation=Relation("near", "rock"))]),
    )
    w = World(
        environment=Environment(panorama=np.random.default_rng(1).integers(0, 255, (4, 8, 3), dtype=np.uint8), kind="panorama"),
        cameras=orbit([0, 0, 0], radius=4, height=1, n=3),
        provenance=Provenance(prompt="a test", seed=seed, preset="draft", stages={"layout": "procedural"}),
        layout=layout,
    )
    w.add_layer("tree_0", label="pine_tree", gaussians=splats, transform=T, meta={"material": "wood"})
    w.add_layer("box", mesh=box)
    w.add_layer("textured", mesh=tex, visible=False)
    w.extras["history"] = {"steps": 1}
    w.extra_tensors["history/0"] = torch.arange(5)
    return w


def test_save_load_roundtrip_is_bit_exact(tmp_path):
    w = small_world()
    path = w.save(tmp_path / "w.marble")
    w2 = World.load(path)
    assert w.equal(w2)
    assert w2.layer("tree_0").gaussians.equal(w.layer("tree_0").gaussians)
    assert w2.layout.to_dict() == w.layout.to_dict()
    assert w2.provenance == w.provenance
    assert w2.extras == w.extras and torch.equal(w2.extra_tensors["history/0"], torch.arange(5))
    # saving the loaded world gives byte-identical bundles
    path2 = w2.save(tmp_path / "w2.marble")
    assert path.read_bytes() == path2.read_bytes()
    # and the bundle is a zip of JSON + safetensors, no pickle
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["tensors.safetensors", "world.json"]
        assert json.loads(zf.read("world.json"))["format"] == "marble-world"


def test_world_gaussians_applies_layer_transform_and_visibility():
    w = small_world()
    local = w.layer("tree_0").gaussians
    world_g = w.gaussians()
    assert torch.allclose(world_g.means, local.means + torch.tensor([2.0, 0.0, -1.0]), atol=1e-6)
    assert set(w.meshes()) == {"box"}  # "textured" is hidden
    assert set(w.meshes(visible_only=False)) == {"box", "textured"}
    assert w.num_splats == 100 and w.num_triangles == 24
    lo, hi = w.bounds()
    assert (hi >= lo).all()


def test_layer_management():
    w = small_world()
    with pytest.raises(InputError, match="already exists"):
        w.add_layer("box")
    with pytest.raises(InputError, match="no layer named 'nope'"):
        w.layer("nope")
    w.rename_layer("box", "crate")
    assert w.layer_names == ["tree_0", "crate", "textured"]
    assert w.unique_name("crate") == "crate_2"
    w.remove_layer("crate")
    assert "crate" not in w
    assert [l.name for l in w.layers_with_label("pine_tree")] == ["tree_0"]


@pytest.mark.parametrize(
    "payload,needle",
    [
        (b"not a zip at all", "not a readable"),
        (b"PK\x03\x04truncated", "not a readable"),
    ],
)
def test_load_rejects_garbage(tmp_path, payload, needle):
    p = tmp_path / "bad.marble"
    p.write_bytes(payload)
    with pytest.raises(FormatError, match=needle):
        World.load(p)


def test_load_rejects_wrong_format_and_truncation(tmp_path):
    p = tmp_path / "other.marble"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("world.json", json.dumps({"format": "something-else"}))
        zf.writestr("tensors.safetensors", b"")
    with pytest.raises(FormatError, match="format is 'something-else'"):
        World.load(p)
    good = small_world().save(tmp_path / "good.marble")
    data = good.read_bytes()
    (tmp_path / "cut.marble").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        World.load(tmp_path / "cut.marble")
    with pytest.raises(InputError, match="does not exist"):
        World.load(tmp_path / "missing.marble")


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    w = small_world()
    target = tmp_path / "w.marble"
    target.write_bytes(b"previous")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("marble.bundle.st_save", boom)
    with pytest.raises(RuntimeError):
        w.save(target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["w.marble"]


def test_sky_color_gradient_and_panorama():
    env = Environment()
    up = env.sky_color(np.array([[0.0, 1.0, 0.0]]))
    horizon = env.sky_color(np.array([[1.0, 0.0, 0.0]]))
    assert up.shape == (1, 3) and not np.allclose(up, horizon)
    pano = np.zeros((4, 8, 3), np.uint8)
    pano[:2] = 255
    env2 = Environment(kind="panorama", panorama=pano)
    assert env2.sky_color(np.array([[0.0, 1.0, 0.0]]))[0, 0] == 1.0
    assert env2.sky_color(np.array([[0.0, -1.0, 0.0]]))[0, 0] == 0.0


@pytest.mark.parametrize("flag", ["meta", "label"])
def test_bounds_leave_out_the_sky_dome_however_it_is_marked(flag):
    from marble.render.paths import scene_bounds

    w = World()
    w.add_layer("ground", gaussians=Gaussians.from_points(torch.tensor([[-1.0, 0, -1], [1, 1, 1]]), torch.rand(2, 3)))
    dome = Gaussians.from_points(torch.tensor([[-500.0, -500, -500], [500, 500, 500]]), torch.rand(2, 3))
    kw = {"meta": {"environment": True}} if flag == "meta" else {"label": "Sky"}
    w.add_layer("far", gaussians=dome, **kw)
    assert w.layer("far").is_environment and not w.layer("ground").is_environment
    lo, hi = w.bounds(include_environment=False)
    np.testing.assert_allclose(lo, [-1, 0, -1])
    np.testing.assert_allclose(hi, [1, 1, 1])
    assert w.bounds()[1][0] == 500
    np.testing.assert_allclose(scene_bounds(w)[1], [1, 1, 1])
    w.layer("ground").visible = False  # nothing but the sky left: frame the sky rather than nothing
    assert scene_bounds(w)[1][0] == 500
    w.add_layer("empty")  # a visible layer with no splats or mesh frames nothing either
    assert scene_bounds(w)[1][0] == 500


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "3"])
def test_generate_rejects_bad_seeds_with_one_message(seed):
    from pipelines import generate_world

    with pytest.raises(InputError, match=r"`seed` must be an integer in 0\.\.4294967295"):
        generate_world("a lake", seed=seed)
