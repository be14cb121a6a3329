"""Blockout editing end to end: generate from a small layout, edit it, regenerate with the real pipeline.

One history for splat and blockout edits: a moved box moves its layer at once (its recolour kept),
a deleted layer takes its box along (regeneration does not bring it back), and a resized box is
rebuilt with its whole-layer recolour replayed.
"""

from __future__ import annotations

import numpy as np
import torch

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.layout import Layout
from pipelines import generate_world
from tests.support.edit_worlds import small_world


def _centre(layer) -> np.ndarray:
    lo, hi = layer.world_mesh().bounds
    return (np.asarray(lo) + np.asarray(hi)) / 2


def test_regenerate_rebuilds_edited_objects_and_keeps_the_rest():
    layout = Layout.from_dict(small_world().layout.to_dict())  # ground + a chair + a table, 5 m area
    world = generate_world(None, layout=layout, preset="draft", seed=0)
    assert {"chair_1", "table_1"} <= set(world.layer_names)
    hist = History()
    blue = (0.1, 0.2, 0.9)
    hist.apply(world, E.Recolor(S.select_layers(world, "chair_1"), mode="set", value=blue))
    hist.apply(world, E.Recolor(S.select_layers(world, "table_1"), mode="tint", value=(1.0, 0.3, 0.3)))
    chair = world.layer("chair_1")
    chair_colors = chair.gaussians.colors.clone()
    ground = world.layer("ground")

    # moving and turning the chair's box moves its layer now, with its recolour, and keeps its yaw
    hist.apply(world, E.move_object(world, "chair_1", position=(2.0, 0.0, 0.5), yaw_deg=30))
    assert world.layer("chair_1") is chair and torch.equal(chair.gaussians.colors, chair_colors)
    assert abs(_centre(chair)[0] - 2.0) < 0.3 and abs(_centre(chair)[2] - 0.5) < 0.3
    hist.apply(world, E.move_object(world, "chair_1", position=(2.0, 0.0, 0.8)))  # yaw left alone
    assert abs(np.degrees(world.layout.object("chair_1").yaw) - 30) < 1e-6

    # resizing the table needs a rebuild; its tint is replayed on the new layer
    old_table = world.layer("table_1")
    hist.apply(world, E.resize_object(world, "table_1", (1.6, 0.75, 0.9)))
    hist.apply(world, E.add_object(world, "bench", (-1.0, 0.0, -2.0)))
    report = E.regeneration_report(world)
    assert report["rebuilt"] == ["table_1"] and report["replayed"] == {"table_1": 1} and not report["lost"]
    before = world.copy()
    hist.apply(world, E.regenerate(world, preset="draft"))
    assert world.layer("ground") is ground and world.layer("chair_1") is chair  # untouched: kept as they were
    table = world.layer("table_1")
    assert table is not old_table and "bench_1" in world
    rgb = table.gaussians.colors.mean(0)
    assert rgb[0] > 2 * rgb[1] and rgb[0] > 2 * rgb[2], rgb  # the red tint survived the rebuild
    assert table.meta["appearance"][0]["mode"] == "tint"
    assert E.changed_objects(world) == (set(), set(), False)

    # deleting a layer whole deletes its box: the next regeneration does not bring it back
    hist.apply(world, E.delete_with_objects(world, S.select_layers(world, "bench_1")))
    assert "bench_1" not in {o.name for o in world.layout.objects}
    hist.apply(world, E.resize_object(world, "table_1", (1.5, 0.75, 0.9)))
    hist.apply(world, E.regenerate(world, preset="draft"))
    assert "bench_1" not in world and torch.equal(world.layer("chair_1").gaussians.colors, chair_colors)
    for _ in range(3):
        hist.undo(world)
    assert world.equal(before) is False and "bench_1" in world  # three steps back: before the delete
    hist.undo(world)
    assert world.equal(before)
