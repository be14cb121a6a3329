"""Layers and their blockout boxes edited together: one history, yaw kept, riders follow, atomic steps."""

from __future__ import annotations

import math

import pytest
import torch

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.errors import InputError
from marble.layout import LayoutObject
from marble.world import Layer, World
from tests.support.edit_worlds import small_world, splats, yaw_transform


def _with_lamp(w: World) -> World:
    """A lamp standing on table_1 (its parent), with a layer."""
    w.layout.objects.append(LayoutObject(name="lamp_1", label="lamp", position=(-1.5, 0.75, 1.0), size=(0.3, 0.5, 0.3),
                                         parent="table_1"))
    w.add_layer(Layer("lamp_1", label="lamp", gaussians=splats(40, spread=0.1, seed=9),
                      transform=yaw_transform(0, t=(-1.5, 0.75, 1.0))))
    return w


def test_deleting_a_layer_whole_deletes_its_box_in_one_step():
    w = _with_lamp(small_world())
    before = w.copy()
    hist = History()
    hist.apply(w, E.delete_with_objects(w, S.select_layers(w, "table_1")))
    names = {o.name for o in w.layout.objects}
    assert "table_1" not in w and "table_1" not in names
    assert w.layout.object("lamp_1").parent is None  # what stood on it stays, unparented
    assert E.changed_objects(w) == (set(), set(), False)  # nothing for a regeneration to bring back
    assert len(hist.undo_stack) == 1
    hist.undo(w)
    assert w.equal(before) and w.layout.to_dict() == before.layout.to_dict()
    # a partial delete leaves the box alone and is remembered as a partial edit of the layer
    hist.apply(w, E.delete_with_objects(w, S.select_sphere(w, (-1.5, 0.5, 1.0), 0.3, layers=["table_1"])))
    assert "table_1" in {o.name for o in w.layout.objects}
    assert w.layer("table_1").meta["partial_edits"] == 1
    hist.undo(w)
    assert "partial_edits" not in w.layer("table_1").meta


def test_moving_an_object_layer_moves_its_box_and_what_stands_on_it():
    w = _with_lamp(small_world())
    w.layout.objects[1].yaw = math.radians(30)
    hist = History()
    T = yaw_transform(90, t=(0.5, 0.0, -1.0))
    hist.apply(w, E.transform_with_objects(w, S.select_layers(w, "table_1"), T, label="gizmo"))
    table, lamp = w.layout.object("table_1"), w.layout.object("lamp_1")
    assert math.isclose(math.degrees(table.yaw), 120.0, abs_tol=1e-6)  # 30 + 90: the yaw is kept and added to
    p = T @ torch.tensor([-1.5, 0.0, 1.0, 1.0], dtype=torch.float64)
    assert torch.allclose(torch.tensor(table.position, dtype=torch.float64), p[:3], atol=1e-9)
    assert torch.allclose(w.layer("lamp_1").transform, T @ yaw_transform(0, t=(-1.5, 0.75, 1.0)), atol=1e-9)
    assert math.isclose(math.degrees(lamp.yaw), 90.0, abs_tol=1e-6)
    assert E.changed_objects(w) == (set(), set(), False)
    # a uniform scale scales the box too
    hist.apply(w, E.transform_with_objects(w, S.select_layers(w, "chair_1"), yaw_transform(0, s=2.0)))
    assert w.layout.object("chair_1").size == pytest.approx((1.0, 1.6, 1.0))


def test_blockout_move_keeps_yaw_and_stays_in_the_room():
    w = small_world()
    w.layout.environment.indoor = True
    w.layout.environment.room_size = (4.0, 2.5, 4.0)
    w.layout.objects[0].yaw = math.radians(40)
    hist = History()
    hist.apply(w, E.move_object(w, "chair_1", position=(0.5, 0.0, 0.5)))
    assert math.isclose(math.degrees(w.layout.object("chair_1").yaw), 40.0, abs_tol=1e-9)
    op = E.move_object(w, "chair_1", position=(9.0, 0.0, 0.0))  # through the wall
    hist.apply(w, op)
    assert "kept inside the room" in op.description
    corners = w.layout.object("chair_1").footprint_corners()
    assert float(corners[:, 0].max()) <= 2.0 + 1e-9
    with pytest.raises(InputError, match="position"):
        E.move_object(w, "chair_1")


def test_steps_are_atomic_and_saved_with_the_history(tmp_path):
    w = small_world()
    before = w.copy()
    bad = E.Steps([E.Delete(S.select_layers(w, "rock")), E.RenameLayer("no_such_layer", "x")])
    with pytest.raises(InputError):
        History().apply(w, bad)
    assert w.equal(before)  # the delete that had run was rolled back
    hist = History()
    hist.apply(w, E.delete_with_objects(w, S.select_layers(w, "chair_1")))
    hist.apply(w, E.Recolor(S.select_layers(w, "table_1"), mode="set", value=(0.2, 0.4, 0.6)))
    hist.save_into(w)
    loaded = World.load(w.save(tmp_path / "w.marble"))
    resumed = History.load_from(loaded)
    assert [type(op).__name__ for op in resumed.undo_stack] == ["Steps", "Recolor"]
    assert loaded.layer("table_1").meta["appearance"][0]["mode"] == "set"
    while resumed.can_undo:
        resumed.undo(loaded)
    assert loaded.equal(before) and loaded.layout.to_dict() == before.layout.to_dict()


def test_history_descriptions_are_rounded():
    w = small_world()
    op = E.Recolor(S.select_layers(w, "chair_1"), mode="set", value=(0.8, 0.2, 0.2))
    assert op.description == "set #cc3333 (chair_1)"
    assert E.translate(w, S.select_layers(w, "chair_1"), (0.30000001, 0, -1.2)).description == "move x +0.30, z -1.20 (chair_1)"
    assert E.SetOpacity(S.select_layers(w, "chair_1"), 0.8).description == "opacity 80% (chair_1)"
