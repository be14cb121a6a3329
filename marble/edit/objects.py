"""Edits that keep a world's layers and its blockout in step: one history for both.

A blockout object and its layer share a name. Deleting the layer whole deletes its box;
moving, turning or scaling the layer whole moves its box (and the objects standing on it);
moving or turning a box moves its layer at once, so splat edits made to it (recolours,
deletions) are kept and nothing needs regenerating. Only a change of size or label needs
:func:`~marble.edit.blockout.regenerate`, which replays whole-layer colour edits on the rebuilt
layer (see :func:`regeneration_report`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from marble.edit.blockout import LayoutEdit, _layout_of, _object_named, _pos3, changed_objects
from marble.edit.delete import Delete
from marble.edit.history import Operation
from marble.edit.selection import Selection, is_whole, select_layers
from marble.edit.state import check_transform
from marble.edit.steps import steps
from marble.edit.transform import Transform
from marble.errors import InputError
from marble.geometry import decompose_similarity
from marble.layout import Layout, LayoutObject
from marble.world import World


def object_names(world: World) -> set[str]:
    """Names of the blockout's objects (empty when the world has no layout)."""
    return set() if world.layout is None else {o.name for o in world.layout.objects}


def _children(layout: Layout, names: set[str]) -> set[str]:
    """Objects standing on ``names`` (their ``parent``), recursively, not including ``names``."""
    out: set[str] = set()
    frontier = set(names)
    while frontier:
        kids = {o.name for o in layout.objects if o.parent in frontier and o.name not in names and o.name not in out}
        out |= kids
        frontier = kids
    return out


def _moved(obj: LayoutObject, T: Tensor) -> None:
    """Apply the world transform ``T`` (``[4, 4]``) to a box's pose in place: position, yaw, size."""
    P = T @ obj.T_world_object
    R, s, t = decompose_similarity(P)
    obj.position = (float(t[0]), float(t[1]), float(t[2]))
    obj.yaw = math.atan2(float(R[0, 2]), float(R[0, 0]))
    if abs(s - 1.0) > 1e-9:
        obj.size = tuple(float(v) * s for v in obj.size)  # type: ignore[assignment]


def delete(world: World, selection: Selection) -> Operation:
    """Delete the selection; layers deleted whole take their blockout boxes with them (one step)."""
    op = Delete(selection)
    objs = object_names(world)
    gone = {n for n in selection if n in objs and is_whole(world, selection, n)}
    if not gone:
        return op
    layout = _layout_of(world)
    layout.objects = [o for o in layout.objects if o.name not in gone]
    orphans = set()
    for o in layout.objects:
        if o.parent in gone:
            o.parent = None  # what stood on a deleted object stays where it is
            orphans.add(o.name)
    return steps([op, LayoutEdit(layout, label="delete boxes", synced=gone | orphans)], label=op.description)


def transform(world: World, selection: Selection, T, *, label: str = "transform") -> Operation:
    """A :class:`~marble.edit.transform.Transform` of ``selection`` by world-space ``T`` ``[4, 4]``.

    Layers moved whole that are blockout objects move their boxes too (position, yaw and, for a
    scale, size), and the objects standing on them (a lamp on a table) move along.
    """
    T = check_transform(T)
    objs = object_names(world)
    whole = {n for n in selection if n in objs and is_whole(world, selection, n)}
    if not whole:
        return Transform(selection, T, label=label)
    layout = _layout_of(world)
    riders = {n for n in _children(layout, whole) if n not in selection and n in world}
    sel = dict(selection)
    sel.update(select_layers(world, sorted(riders)))
    moved = whole | riders
    for o in layout.objects:
        if o.name in moved:
            _moved(o, T)
    return steps([Transform(sel, T, label=label), LayoutEdit(layout, label="move boxes", synced=moved)], label=label)


def _room_clamp(layout: Layout, obj: LayoutObject) -> bool:
    """Keep an indoor object's footprint inside the room; returns True when it had to be moved."""
    env = layout.environment
    if not env.indoor or not env.room_size:
        return False
    corners = obj.footprint_corners()
    half_x, half_z = float(env.room_size[0]) / 2, float(env.room_size[2]) / 2
    x, y, z = obj.position
    lo_x, hi_x = float(corners[:, 0].min()), float(corners[:, 0].max())
    lo_z, hi_z = float(corners[:, 1].min()), float(corners[:, 1].max())
    dx = max(0.0, -half_x - lo_x) - max(0.0, hi_x - half_x)
    dz = max(0.0, -half_z - lo_z) - max(0.0, hi_z - half_z)
    if hi_x - lo_x > 2 * half_x or hi_z - lo_z > 2 * half_z:
        return False  # larger than the room: nothing sensible to clamp to
    if abs(dx) < 1e-9 and abs(dz) < 1e-9:
        return False
    obj.position = (x + dx, y, z + dz)
    return True


def move_object(world: World, name: str, *, position=None, yaw_deg: float | None = None,
                keep_inside: bool = True) -> Operation:
    """Move and/or turn blockout object ``name`` (``None`` keeps the current value).

    When the object has a layer it moves with its box at once (its splat edits kept, nothing to
    regenerate); objects standing on it move along. Indoors, the box is kept inside the room's
    walls (``keep_inside``).

    Raises:
        InputError: an unknown object, a non-finite position or yaw, or nothing to change.
    """
    layout = _layout_of(world)
    obj = _object_named(layout, name)
    if position is None and yaw_deg is None:
        raise InputError("give a new `position` or `yaw_deg`")
    P_old = obj.T_world_object
    if position is not None:
        obj.position = _pos3(position)
    if yaw_deg is not None:
        if not math.isfinite(float(yaw_deg)):
            raise InputError(f"`yaw_deg` must be finite, got {yaw_deg}")
        obj.yaw = math.radians(float(yaw_deg))
    clamped = keep_inside and _room_clamp(layout, obj)
    label = f"move {name}" + (" (kept inside the room)" if clamped else "")
    if name not in world:
        return LayoutEdit(layout, label=label)  # no layer yet: regenerate builds it
    D = obj.T_world_object @ torch.linalg.inv(P_old)
    return transform(world, select_layers(world, name), D, label=label)


def remove_object(world: World, name: str) -> Operation:
    """Remove blockout object ``name`` and its layer in one step (just the box when it has no layer)."""
    from marble.edit.blockout import delete_object

    if name in world and name in object_names(world):
        return delete(world, select_layers(world, name))
    return delete_object(world, name)


def regeneration_report(world: World) -> dict:
    """What :func:`~marble.edit.blockout.regenerate` would do with the layers' edits.

    Returns:
        ``{"rebuilt": [names], "replayed": {name: n}, "lost": {name: n}}``: the object layers to be
        rebuilt, how many whole-layer colour/opacity edits will be replayed on each, and how many
        other splat edits (partial recolours, deletions, moves of some splats) each would lose.
    """
    changed, _, _ = changed_objects(world)
    rebuilt = sorted(n for n in changed if n in world)
    replayed, lost = {}, {}
    for n in rebuilt:
        meta = world.layer(n).meta or {}
        if meta.get("appearance"):
            replayed[n] = len(meta["appearance"])
        if int(meta.get("partial_edits", 0)):
            lost[n] = int(meta["partial_edits"])
    return {"rebuilt": rebuilt, "replayed": replayed, "lost": lost}
