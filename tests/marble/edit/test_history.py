"""History: undo/redo restores worlds exactly (property tests), the memory budget, and resuming from a bundle."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marble import edit as E
from marble.edit import selection as S
from marble.edit.history import History
from marble.errors import InputError
from marble.world import World
from tests.support.edit_worlds import small_world

BOX = st.tuples(*[st.floats(-3, 3, allow_nan=False) for _ in range(3)])


def _op(world, kind, box, amount):
    """Build one edit of ``kind`` on a box selection (or the chair layer), or None when the selection is empty."""
    lo = tuple(min(a, a + 1.5) for a in box)
    hi = tuple(a + 1.5 for a in box)
    sel = S.select_box(world, lo, hi)
    if kind == "layer":
        sel = S.select_layers(world, [n for n in world.layer_names][:1])
    if S.is_empty(sel):
        return None
    if kind == "delete":
        return E.Delete(sel)
    if kind == "move":
        return E.translate(world, sel, (amount, -amount, 0.5))
    if kind == "rotate":
        return E.rotate(world, sel, amount * 90, axis="y")
    if kind == "scale":
        return E.scale(world, sel, 1.0 + abs(amount))
    if kind == "color":
        return E.Recolor(sel, mode="brightness", value=1.0 + amount / 2)
    if kind == "opacity":
        return E.SetOpacity(sel, 0.5 + amount / 3)
    if kind == "duplicate":
        return E.Duplicate(sel)
    if kind == "layer":
        return E.translate(world, sel, (0.0, amount, 0.0))
    return E.Separate(sel, world.unique_name("part"))


STEP = st.tuples(st.sampled_from(["delete", "move", "rotate", "scale", "color", "opacity", "duplicate", "separate", "layer"]),
                 BOX, st.floats(-1, 1, allow_nan=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=5))
def test_undo_all_restores_and_redo_all_replays(steps):
    world = small_world(sh_degree=1)
    original = world.copy()
    hist = History()
    snapshots = []
    for kind, box, amount in steps:
        op = _op(world, kind, box, amount)
        if op is None:
            continue
        hist.apply(world, op)
        snapshots.append(world.copy())
    for snap in reversed(snapshots):
        assert world.equal(snap)
        hist.undo(world)
    assert world.equal(original)
    for snap in snapshots:
        hist.redo(world)
        assert world.equal(snap)


@settings(max_examples=12, deadline=None)
@given(a=st.floats(-2, 2, allow_nan=False), b=st.floats(-2, 2, allow_nan=False),
       ang1=st.floats(-180, 180, allow_nan=False), ang2=st.floats(-180, 180, allow_nan=False))
def test_transforms_compose(a, b, ang1, ang2):
    """Two moves equal one move by the sum; two rotations about one pivot equal one by the summed angle."""
    w1, w2 = small_world(), small_world()
    s1 = S.select_box(w1, (-5, -5, -5), (0, 5, 5))
    s2 = S.select_box(w2, (-5, -5, -5), (0, 5, 5))
    pivot = (0.5, 0.0, -0.25)
    h1, h2 = History(), History()
    h1.apply(w1, E.translate(w1, s1, (a, 0, 0)))
    h1.apply(w1, E.translate(w1, s1, (b, 0, 0)))
    h1.apply(w1, E.rotate(w1, s1, ang1, pivot=pivot))
    h1.apply(w1, E.rotate(w1, s1, ang2, pivot=pivot))
    h2.apply(w2, E.translate(w2, s2, (a + b, 0, 0)))
    h2.apply(w2, E.rotate(w2, s2, ang1 + ang2, pivot=pivot))
    for name in w1.layer_names:
        assert torch.allclose(S.world_points(w1.layer(name)), S.world_points(w2.layer(name)), atol=1e-4)


def test_undo_redo_with_nothing_to_do():
    w = small_world()
    hist = History()
    with pytest.raises(InputError, match="nothing to undo"):
        hist.undo(w)
    with pytest.raises(InputError, match="nothing to redo"):
        hist.redo(w)
    hist.apply(w, E.Delete(S.select_layers(w, "rock")))
    hist.undo(w)
    hist.apply(w, E.Delete(S.select_layers(w, "ground")))  # a new edit clears the redo stack
    assert not hist.can_redo


def test_memory_budget_drops_the_oldest_entries():
    w = small_world()
    one = E.Recolor(S.select_layers(w, "ground"), mode="brightness", value=0.5)
    History().apply(w.copy(), one)
    hist = History(max_bytes=one.nbytes() + 1000)
    for name in ["ground", "chair_1", "table_1"]:
        hist.apply(w, E.Recolor(S.select_layers(w, name), mode="brightness", value=0.5))
    assert hist.nbytes() <= hist.max_bytes
    assert len(hist.undo_stack) < 3 and hist.dropped >= 1
    assert hist.undo_stack[-1].description.endswith("(table_1)")  # the newest stays undoable


def test_history_saved_in_bundle_resumes(tmp_path):
    w = small_world()
    original = w.copy()
    hist = History()
    hist.apply(w, E.Delete(S.select_box(w, (-3, -3, -3), (0, 3, 3))))
    hist.apply(w, E.translate(w, S.select_layers(w, "chair_1"), (0, 1, 0)))
    hist.apply(w, E.Recolor(S.select_label(w, "chair"), mode="set", value=(0.2, 0.4, 0.6)))
    hist.apply(w, E.Duplicate(S.select_layers(w, "rock")))
    hist.apply(w, E.merge(w, small_world(), prefix="m_"))
    hist.apply(w, E.move_object(w, "chair_1", position=(3, 0, 0)))
    hist.apply(w, E.RenameLayer("rock", "stone"))
    hist.undo(w)  # one entry on the redo stack too
    after = w.copy()
    hist.save_into(w)
    path = w.save(tmp_path / "edited.marble")
    loaded = World.load(path)
    resumed = History.load_from(loaded)
    assert loaded.equal(after)
    assert resumed.descriptions() == hist.descriptions() and resumed.can_redo
    resumed.redo(loaded)
    assert "stone" in loaded
    while resumed.can_undo:
        resumed.undo(loaded)
    assert loaded.equal(original)
    assert loaded.layout.to_dict() == original.layout.to_dict()
    # saving twice replaces the previous history tensors instead of piling them up
    hist.save_into(w)
    keys = [k for k in w.extra_tensors if k.startswith("history/")]
    assert len(keys) == len(set(keys))
    empty = History.load_from(small_world())
    assert not empty.can_undo
