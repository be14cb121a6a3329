"""Edit operations on small hand-built worlds: each op changes what it should, and undo restores bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import trimesh

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.errors import InputError
from marble.gaussians import Gaussians
from marble.world import Layer, World
from tests.support.edit_worlds import small_world, splats, yaw_transform


def _roundtrip(world: World, op) -> World:
    """Apply ``op`` through a History, check undo restores exactly and redo gives the same result again."""
    before = world.copy()
    hist = History()
    hist.apply(world, op)
    after = world.copy()
    assert not world.equal(before)
    hist.undo(world)
    assert world.equal(before)
    hist.redo(world)
    assert world.equal(after)
    return world


def test_delete_partial_and_whole_layers():
    w = small_world()
    sel = S.select_box(w, (-3, -3, -3), (0, 3, 3))
    n_ground = int(sel["ground"].sum())
    sel = S.union(sel, S.select_layers(w, ["rock", "chair_1"]))
    _roundtrip(w, E.Delete(sel))
    assert "rock" not in w and "chair_1" not in w
    assert w.layer("ground").num_splats == 300 - n_ground
    kept = S.world_points(w.layer("ground"))
    assert bool((kept[:, 0] > 0).all() | (kept[:, 0] < -3).all() | True)
    assert not bool(((kept >= torch.tensor([-3, -3, -3.0])) & (kept <= torch.tensor([0, 3, 3.0]))).all(1).any())


def test_undo_of_whole_layer_delete_restores_order():
    w = small_world()
    hist = History()
    hist.apply(w, E.Delete(S.select_layers(w, ["ground", "table_1"])))
    assert w.layer_names == ["chair_1", "rock"]
    hist.undo(w)
    assert w.layer_names == ["ground", "chair_1", "table_1", "rock"]


def test_crop_keeps_only_the_selection():
    w = small_world()
    sel = S.select_sphere(w, (1.0, 0.4, 0.0), 0.6)
    count = S.selection_count(sel)
    _roundtrip(w, E.crop(w, sel))
    assert w.num_splats == count
    assert "rock" not in w and "table_1" not in w


def test_translate_whole_layer_moves_splats_and_mesh_together():
    w = small_world()
    pts0 = S.world_points(w.layer("chair_1")).clone()
    verts0 = w.layer("chair_1").world_mesh().vertices.copy()
    _roundtrip(w, E.translate(w, S.select_layers(w, "chair_1"), (0.5, 0.0, -1.0)))
    layer = w.layer("chair_1")
    assert torch.allclose(S.world_points(layer), pts0 + torch.tensor([0.5, 0.0, -1.0]), atol=1e-5)
    assert np.allclose(layer.world_mesh().vertices, verts0 + [0.5, 0.0, -1.0])
    assert torch.equal(layer.gaussians.means, small_world().layer("chair_1").gaussians.means)  # data untouched


def test_partial_transform_moves_only_selected_splats_in_world_space():
    w = small_world()
    before = S.world_points(w.layer("table_1")).clone()
    sel = S.select_box(w, (-5, -5, -5), (-1.5, 5, 5))
    mask = sel["table_1"]
    assert 0 < int(mask.sum()) < 150
    _roundtrip(w, E.translate(w, sel, (0.0, 2.0, 0.0)))
    after = S.world_points(w.layer("table_1"))
    assert torch.allclose(after[mask], before[mask] + torch.tensor([0, 2.0, 0]), atol=1e-4)
    assert torch.equal(after[~mask], before[~mask])


def test_rotate_and_scale_about_the_selection_centre():
    w = small_world()
    sel = S.select_layers(w, "chair_1")
    c = E.selection_center(w, sel)
    hist = History()
    hist.apply(w, E.rotate(w, sel, 90, axis="y"))
    assert torch.allclose(E.selection_center(w, sel), c, atol=1e-5)
    hist.apply(w, E.scale(w, sel, 2.0))
    assert torch.allclose(E.selection_center(w, sel), c, atol=1e-5)
    g = w.layer("chair_1").world_gaussians()
    assert torch.allclose(g.log_scales, small_world().layer("chair_1").gaussians.log_scales + math.log(2.0), atol=1e-5)


def test_transforms_compose():
    w1, w2 = small_world(), small_world()
    h1, h2 = History(), History()
    sel1 = S.select_box(w1, (-5, -5, -5), (0, 5, 5))
    sel2 = S.select_box(w2, (-5, -5, -5), (0, 5, 5))
    h1.apply(w1, E.translate(w1, sel1, (0.3, 0, 0)))
    h1.apply(w1, E.translate(w1, sel1, (0.2, 0.1, 0)))
    h2.apply(w2, E.translate(w2, sel2, (0.5, 0.1, 0)))
    for name in w1.layer_names:
        assert torch.allclose(S.world_points(w1.layer(name)), S.world_points(w2.layer(name)), atol=1e-5)


def test_bad_transforms_leave_world_unchanged():
    w = small_world()
    ref = w.copy()
    sel = S.select_layers(w, "chair_1")
    with pytest.raises(InputError, match="NaN"):
        E.translate(w, sel, (math.nan, 0, 0))
    with pytest.raises(InputError):
        E.rotate(w, sel, math.inf)
    with pytest.raises(InputError, match="factor"):
        E.scale(w, sel, 0.0)
    T = torch.eye(4, dtype=torch.float64)
    T[0, 0] = 2.0  # non-uniform scale
    with pytest.raises(InputError, match="uniform"):
        E.Transform(sel, T)
    with pytest.raises(InputError, match="empty"):
        History().apply(w, E.Delete({}))
    stale = {"ground": torch.ones(5, dtype=torch.bool)}
    with pytest.raises(InputError, match="select again"):
        History().apply(w, E.Delete(stale))
    assert w.equal(ref)


def test_duplicate_and_separate():
    w = small_world()
    T = torch.eye(4, dtype=torch.float64)
    T[0, 3] = 3.0
    _roundtrip(w, E.Duplicate(S.select_layers(w, ["chair_1", "rock"]), T=T))
    assert "chair_1_copy" in w and "rock_copy" in w
    assert w.layer("chair_1_copy").mesh is not None
    assert torch.allclose(S.world_points(w.layer("chair_1_copy")), S.world_points(w.layer("chair_1")) + torch.tensor([3.0, 0, 0]))
    w = small_world()
    sel = S.select_box(w, (-5, -5, -5), (-1.5, 5, 5))
    mask = sel["table_1"]
    before = S.world_points(w.layer("table_1"))[mask]
    _roundtrip(w, E.Separate({"table_1": mask}, "table_half"))
    assert w.layer("table_half").num_splats == int(mask.sum())
    assert w.layer("table_1").num_splats == 150 - int(mask.sum())
    assert torch.allclose(S.world_points(w.layer("table_half")), before)
    # from several layers: splats are brought into world coordinates
    w = small_world()
    sel = S.select_sphere(w, (0, 0, 0), 2.0)
    n = S.selection_count(sel)
    pts = torch.cat([S.world_points(w.layer(k))[m] for k, m in sel.items() if m.numel()])
    _roundtrip(w, E.Separate(sel, "blob"))
    assert w.layer("blob").num_splats == n
    assert torch.allclose(S.world_points(w.layer("blob")), pts, atol=1e-5)


@pytest.mark.parametrize("mode, value", [("set", (1.0, 0.0, 0.0)), ("tint", (1.0, 0.5, 0.5)), ("brightness", 0.5),
                                         ("saturation", 0.0)])
def test_recolor_splats_and_mesh(mode, value):
    w = small_world(sh_degree=1)
    sel = S.select_layers(w, "chair_1")
    before = w.layer("chair_1").gaussians.colors
    _roundtrip(w, E.Recolor(sel, mode=mode, value=value))
    after = w.layer("chair_1").gaussians.colors
    vc = w.layer("chair_1").mesh.visual.vertex_colors[0]
    if mode == "set":
        # the new colour everywhere, each splat's own light and shade kept (brighter splats stay brighter)
        assert float(after[:, 1:].abs().max()) < 1e-5 and float(after[:, 0].min()) > 0
        lum = before.clamp(0, 1) @ torch.tensor([0.2126, 0.7152, 0.0722])
        ratio = (lum / lum.mean()).clamp(0, 2)
        assert torch.allclose(after[:, 0], ratio.clamp(max=1.0), atol=1e-5)
        assert tuple(vc[:3]) == (255, 0, 0)
        assert w.layer("chair_1").meta["appearance"] == [{"kind": "recolor", "mode": "set", "value": [1.0, 0.0, 0.0]}]
        assert bool((w.layer("chair_1").gaussians.shN == 0).all())
    elif mode == "brightness":
        assert torch.allclose(after, before * 0.5, atol=1e-5)
        assert tuple(vc[:3]) == (100, 50, 25)
    elif mode == "saturation":
        assert torch.allclose(after, after[:, :1].expand_as(after), atol=1e-5)  # grey
    else:
        assert torch.allclose(after, before * torch.tensor([1.0, 0.5, 0.5]), atol=1e-5)


def test_opacity_and_floaters():
    w = small_world()
    sel = S.select_layers(w, "ground")
    _roundtrip(w, E.SetOpacity(sel, 0.25))
    assert torch.allclose(w.layer("ground").gaussians.opacities, torch.full((300,), 0.25), atol=1e-5)
    # a dense blob plus three far-away floaters
    g = Gaussians.concat([splats(400, spread=0.2, seed=5),
                          Gaussians.from_points(torch.tensor([[3.0, 3, 3], [-4, 2, 0], [0, -5, 2]]), torch.rand(3, 3))])
    w = World([Layer("blob", gaussians=g)])
    sel = E.select_floaters(w, neighbors=8, std_ratio=2.0)
    assert bool(sel["blob"][-3:].all()) and int(sel["blob"].sum()) < 20
    _roundtrip(w, E.remove_floaters(w, neighbors=8, std_ratio=2.0))
    assert w.layer("blob").num_splats == 403 - int(sel["blob"].sum())


def test_layer_properties_and_rename():
    w = small_world()
    _roundtrip(w, E.RenameLayer("rock", "stone"))
    assert w.layer_names == ["ground", "chair_1", "table_1", "stone"]
    _roundtrip(w, E.SetLayer("ground", visible=False, label="lawn"))
    assert not w.layer("ground").visible and w.layer("ground").label == "lawn"
    with pytest.raises(InputError, match="already exists"):
        History().apply(w, E.RenameLayer("stone", "ground"))


def test_merge_world_and_import_assets(tmp_path):
    w = small_world()
    other = small_world()
    T = torch.eye(4, dtype=torch.float64)
    T[2, 3] = 10.0
    op = E.merge(w, other, T=T, prefix="b_")
    _roundtrip(w, op)
    assert "b_chair_1" in w
    assert torch.allclose(S.world_points(w.layer("b_chair_1")), S.world_points(w.layer("chair_1")) + torch.tensor([0, 0, 10.0]))
    # a mesh asset written by trimesh, composed twice (names stay unique)
    path = tmp_path / "crate.obj"
    trimesh.creation.box(extents=(1, 1, 1)).export(path)
    _roundtrip(w, E.import_asset(w, path))
    _roundtrip(w, E.import_asset(w, path))
    assert "crate" in w and "crate_2" in w and w.layer("crate").num_triangles == 12
    # a splat PLY written and read back by the project's exporters
    ply = tmp_path / "chair.ply"
    World([Layer("c", gaussians=splats(50, seed=9))]).export(ply)
    n = w.num_splats
    _roundtrip(w, E.import_asset(w, ply))
    assert w.num_splats == n + 50
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(InputError, match="supported files"):
        E.import_asset(w, bad)
    broken = tmp_path / "broken.ply"
    broken.write_bytes(b"ply\nformat garbage\n")
    with pytest.raises(InputError):
        E.import_asset(w, broken)


def test_blockout_edits_and_regenerate_plan():
    w = small_world()
    hist = History()
    base = w.layout.to_dict()
    chair_T = w.layer("chair_1").transform.clone()
    hist.apply(w, E.add_object(w, "bench", (2.0, 0.0, 2.0)))
    hist.apply(w, E.move_object(w, "chair_1", position=(1.5, 0.0, 0.0), yaw_deg=45))
    # a box with a layer moves with it at once: the layer turns 45 deg about the box's bottom-centre
    expected = yaw_transform(45, t=(1.5, 0, 0)) @ torch.linalg.inv(yaw_transform(0, t=(1.0, 0, 0))) @ chair_T
    assert torch.allclose(w.layer("chair_1").transform, expected, atol=1e-9)
    hist.apply(w, E.resize_object(w, "table_1", (2.0, 0.8, 1.0)))
    hist.apply(w, E.relabel_object(w, "bench_1", "bush"))
    assert w.layout.object("bench_1").label == "bush"
    synced = {o["name"]: o for o in w.extras[E.BLOCKOUT_BASE_KEY]["objects"]}
    assert synced["table_1"] == base["objects"][1]  # resized: the base still holds the old box
    assert synced["chair_1"]["position"] == (1.5, 0.0, 0.0) or list(synced["chair_1"]["position"]) == [1.5, 0.0, 0.0]
    changed, removed, env = E.changed_objects(w)
    assert changed == {"bench_1", "table_1"} and not removed and not env  # the moved chair needs no rebuild
    hist.undo(w)
    hist.undo(w)
    hist.apply(w, E.delete_object(w, "table_1"))
    changed, removed, env = E.changed_objects(w)
    assert changed == {"bench_1"} and removed == {"table_1"}
    # a stand-in for the freshly generated world: what generate_world(layout=...) would give
    fresh = World([Layer("ground", gaussians=splats(10, seed=20)), Layer("chair_1", gaussians=splats(11, seed=21)),
                   Layer("bench_1", gaussians=splats(12, seed=22))])
    w.add_layer(Layer("my_import", gaussians=splats(5, seed=23)))
    kept_ground, kept_chair = w.layer("ground"), w.layer("chair_1")
    before = w.copy()
    op = E.plan_regenerate(w, fresh)
    hist.apply(w, op)
    assert w.layer("ground") is kept_ground and w.layer("chair_1") is kept_chair  # untouched: kept with their data
    assert w.layer("bench_1").num_splats == 12
    assert "table_1" not in w and "my_import" in w and "rock" in w
    assert E.changed_objects(w) == (set(), set(), False)
    hist.undo(w)
    assert w.equal(before)
    with pytest.raises(InputError, match="no blockout object"):
        E.move_object(w, "sofa_9", position=(0, 0, 0))
    with pytest.raises(InputError, match="size"):
        E.resize_object(w, "chair_1", (0, 1, 1))
    with pytest.raises(InputError, match="position"):
        E.move_object(w, "chair_1", position=(math.nan, 0, 0))
