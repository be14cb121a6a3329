"""Blockout editing end to end: generate from a small layout, edit it, regenerate with the real pipeline."""

from __future__ import annotations

import numpy as np

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.layout import Layout
from pipelines import generate_world
from tests.support.edit_worlds import small_world


def test_regenerate_rebuilds_edited_objects_and_keeps_the_rest():
    layout = Layout.from_dict(small_world().layout.to_dict())  # ground + a chair + a table, 5 m area
    world = generate_world(None, layout=layout, preset="draft", seed=0)
    assert {"chair_1", "table_1"} <= set(world.layer_names)
    hist = History()
    # a splat edit on the table: regeneration must keep it, since the table's box is not edited
    hist.apply(world, E.Recolor(S.select_layers(world, "table_1"), mode="set", value=(0.0, 0.0, 1.0)))
    table = world.layer("table_1")
    ground = world.layer("ground")
    old_chair = world.layer("chair_1")
    hist.apply(world, E.move_object(world, "chair_1", position=(2.0, 0.0, 0.5)))
    hist.apply(world, E.add_object(world, "bench", (-1.0, 0.0, -2.0)))
    before = world.copy()
    hist.apply(world, E.regenerate(world, preset="draft"))
    assert world.layer("table_1") is table and world.layer("ground") is ground  # untouched: kept as they were
    assert world.layer("chair_1") is not old_chair and "bench_1" in world
    lo, hi = world.layer("chair_1").world_mesh().bounds if world.layer("chair_1").mesh is not None else (
        S.world_points(world.layer("chair_1")).min(0).values.numpy(), S.world_points(world.layer("chair_1")).max(0).values.numpy())
    centre = (np.asarray(lo) + np.asarray(hi)) / 2
    assert abs(centre[0] - 2.0) < 0.5 and abs(centre[2] - 0.5) < 0.5  # rebuilt where the box now is
    assert E.changed_objects(world) == (set(), set(), False)
    hist.undo(world)
    assert world.equal(before)
