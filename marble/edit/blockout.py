"""Blockout editing: add, move, resize, relabel and delete the layout's labelled boxes, then
regenerate the world from the edited layout, keeping the layers whose objects were not touched.

    hist.apply(world, move_object(world, "bench_1", position=(3, 0, 1), yaw_deg=90))
    hist.apply(world, regenerate(world, preset="draft"))
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict

from marble.edit.appearance import replay_appearance
from marble.edit.history import Operation, register
from marble.edit.state import APPEARANCE_KEY, layer_nbytes, pack_layer, set_layer_order, unpack_layer
from marble.errors import InputError
from marble.layout import Layout, LayoutObject
from marble.world import Layer, World

BLOCKOUT_BASE_KEY = "blockout_base"
"""``world.extras`` key holding the layout the current layers were generated from."""

@register
class LayoutEdit(Operation):
    """Replace ``world.layout`` (a blockout edit).

    The first edit records the layout the current layers were generated from under
    ``world.extras["blockout_base"]``, which :func:`regenerate` compares against. Objects named in
    ``synced`` are ones whose layers already follow the new layout (moved or deleted together with
    their box): their base entries are updated too, so regeneration leaves their layers alone.
    """

    kind = "layout_edit"

    def __init__(self, new_layout: Layout, *, label: str = "edit blockout", synced=()) -> None:
        self.new = new_layout.to_dict()
        self.label = label
        self.synced = sorted(set(synced))
        self._old: dict | None = None
        self._old_base: dict | None = None
        self._had_base = True

    @property
    def description(self) -> str:
        return self.label

    def apply(self, world: World) -> None:
        if world.layout is None:
            raise InputError("this world has no blockout layout to edit")
        self._old = world.layout.to_dict()
        self._had_base = BLOCKOUT_BASE_KEY in world.extras
        self._old_base = copy.deepcopy(world.extras.get(BLOCKOUT_BASE_KEY))
        base = copy.deepcopy(self._old_base) if self._had_base else copy.deepcopy(self._old)
        if self.synced:
            base = _sync_base(base, self.new, set(self.synced))
        world.extras[BLOCKOUT_BASE_KEY] = base
        world.layout = Layout.from_dict(self.new)

    def undo(self, world: World) -> None:
        world.layout = Layout.from_dict(self._old)
        if self._had_base:
            world.extras[BLOCKOUT_BASE_KEY] = copy.deepcopy(self._old_base)
        else:
            world.extras.pop(BLOCKOUT_BASE_KEY, None)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {"new": self.new, "label": self.label, "old": self._old, "had_base": self._had_base,
                "old_base": self._old_base, "synced": self.synced}

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "LayoutEdit":
        op = cls(Layout.from_dict(doc["new"]), label=doc["label"], synced=doc.get("synced", ()))
        op._old, op._had_base = doc["old"], bool(doc["had_base"])
        op._old_base = doc.get("old_base")
        return op


def _sync_base(base: dict, new: dict, names: set[str]) -> dict:
    """``base`` with the entries of ``names`` taken from ``new`` (added, replaced or removed)."""
    new_objs = {o["name"]: o for o in new.get("objects", [])}
    out, seen = [], set()
    for o in base.get("objects", []):
        if o["name"] in names:
            seen.add(o["name"])
            if o["name"] in new_objs:
                out.append(copy.deepcopy(new_objs[o["name"]]))
        else:
            out.append(o)
    out += [copy.deepcopy(new_objs[n]) for n in sorted(names - seen) if n in new_objs]
    return {**base, "objects": out}


def _layout_of(world: World) -> Layout:
    if world.layout is None:
        raise InputError("this world has no blockout layout to edit (it was not generated from one)")
    return Layout.from_dict(world.layout.to_dict())


def _size3(size, name: str = "size") -> tuple[float, float, float]:
    s = [float(x) for x in size]
    if len(s) != 3 or not all(math.isfinite(x) and 0 < x <= 1000 for x in s):
        raise InputError(f"`{name}` must be 3 positive sizes in metres (<= 1000), got {list(size)}")
    return (s[0], s[1], s[2])


def _pos3(position, name: str = "position") -> tuple[float, float, float]:
    p = [float(x) for x in position]
    if len(p) != 3 or not all(math.isfinite(x) and abs(x) <= 1e5 for x in p):
        raise InputError(f"`{name}` must be 3 finite coordinates in metres, got {list(position)}")
    return (p[0], p[1], p[2])


def add_object(world: World, label: str, position, size=None, *, yaw_deg: float = 0.0, name: str | None = None,
               material: str | None = None, color=None) -> LayoutEdit:
    """Add a labelled box to the blockout (defaults for size, material and colour from the vocabulary)."""
    from marble.vocab import OBJECTS

    label = str(label).strip().lower()
    if not label:
        raise InputError("`label` of the new object must not be empty")
    layout = _layout_of(world)
    cat = OBJECTS.get(label)
    if size is None:
        if cat is None:
            raise InputError(f"give a `size` for {label!r} (it is not a known category)")
        size = tuple((a + b) / 2 for a, b in zip(cat.size_min, cat.size_max))
    names = {o.name for o in layout.objects} | set(world.layer_names)
    if name is None:
        i = 1
        while f"{label}_{i}" in names:
            i += 1
        name = f"{label}_{i}"
    elif name in names:
        raise InputError(f"an object or layer named {name!r} already exists: choose another `name`")
    if not math.isfinite(float(yaw_deg)):
        raise InputError(f"`yaw_deg` must be finite, got {yaw_deg}")
    obj = LayoutObject(
        name=name, label=label, position=_pos3(position), size=_size3(size), yaw=math.radians(float(yaw_deg)),
        material=material or (cat.material if cat else "plaster"),
        color=tuple(float(c) for c in (color if color is not None else (cat.color if cat else (0.6, 0.6, 0.6)))),
        variant=len(layout.objects),
    )
    layout.objects.append(obj)
    return LayoutEdit(layout, label=f"add {name}")


def _object_named(layout: Layout, name: str) -> LayoutObject:
    """The blockout object ``name`` of ``layout``, or ``InputError`` listing the objects there are."""
    try:
        return layout.object(name)
    except KeyError:
        raise InputError(
            f"no blockout object named {name!r}; objects are: {', '.join(o.name for o in layout.objects) or '(none)'}"
        ) from None


def _edit_object(world: World, name: str, description: str, **changes) -> LayoutEdit:
    layout = _layout_of(world)
    obj = _object_named(layout, name)
    for k, v in changes.items():
        setattr(obj, k, v)
    return LayoutEdit(layout, label=description)


def resize_object(world: World, name: str, size) -> LayoutEdit:
    """Resize a blockout object's box (metres)."""
    return _edit_object(world, name, f"resize {name}", size=_size3(size))


def relabel_object(world: World, name: str, label: str) -> LayoutEdit:
    """Change what a blockout box is (e.g. ``"table"`` -> ``"desk"``)."""
    label = str(label).strip().lower()
    if not label:
        raise InputError("`label` must not be empty")
    return _edit_object(world, name, f"relabel {name} -> {label}", label=label)


def delete_object(world: World, name: str) -> LayoutEdit:
    """Remove a box from the blockout (its layer goes on the next :func:`regenerate`)."""
    layout = _layout_of(world)
    if name not in {o.name for o in layout.objects}:
        raise InputError(f"no blockout object named {name!r}")
    layout.objects = [o for o in layout.objects if o.name != name]
    return LayoutEdit(layout, label=f"delete {name}")


def changed_objects(world: World) -> tuple[set[str], set[str], bool]:
    """What the blockout edits changed since the layers were generated.

    Returns:
        ``(changed_or_added, removed, environment_changed)``: object names.
    """
    cur = _layout_of(world)
    base = Layout.from_dict(world.extras.get(BLOCKOUT_BASE_KEY) or cur.to_dict())
    b = {o.name: asdict(o) for o in base.objects}
    c = {o.name: asdict(o) for o in cur.objects}
    changed = {n for n, d in c.items() if b.get(n) != d}
    return changed, set(b) - set(c), asdict(base.environment) != asdict(cur.environment)


@register
class ReplaceLayers(Operation):
    """Swap a set of layers for another and set a new layer order (used by :func:`regenerate`)."""

    kind = "replace_layers"

    def __init__(self, *, removed: list[Layer], added: list[Layer], order_before: list[str], order_after: list[str],
                 base_before: dict | None, base_after: dict | None, label: str = "regenerate") -> None:
        self.removed, self.added = removed, added
        self.order_before, self.order_after = order_before, order_after
        self.base_before, self.base_after = base_before, base_after
        self.label = label

    @property
    def description(self) -> str:
        return f"{self.label} ({len(self.added)} layers rebuilt)"

    def _swap(self, world: World, out: list[Layer], inn: list[Layer], order: list[str], base: dict | None) -> None:
        for x in out:
            world.remove_layer(x.name)
        for x in inn:
            world.add_layer(x)
        set_layer_order(world, order)
        if base is None:
            world.extras.pop(BLOCKOUT_BASE_KEY, None)
        else:
            world.extras[BLOCKOUT_BASE_KEY] = base

    def apply(self, world: World) -> None:
        missing = [x.name for x in self.removed if x.name not in world]
        if missing:
            raise InputError(f"layers {missing} are gone: regenerate again")
        self._swap(world, self.removed, self.added, self.order_after, self.base_after)

    def undo(self, world: World) -> None:
        self._swap(world, self.added, self.removed, self.order_before, self.base_before)

    def nbytes(self) -> int:
        return sum(layer_nbytes(x) for x in self.removed) + sum(layer_nbytes(x) for x in self.added)

    def to_state(self, tensors: dict, prefix: str) -> dict:
        return {
            "removed": [pack_layer(x, tensors, f"{prefix}r{i}/") for i, x in enumerate(self.removed)],
            "added": [pack_layer(x, tensors, f"{prefix}a{i}/") for i, x in enumerate(self.added)],
            "order_before": self.order_before, "order_after": self.order_after,
            "base_before": self.base_before, "base_after": self.base_after, "label": self.label,
        }

    @classmethod
    def from_state(cls, doc: dict, tensors: dict, prefix: str) -> "ReplaceLayers":
        return cls(
            removed=[unpack_layer(d, tensors, f"{prefix}r{i}/") for i, d in enumerate(doc["removed"])],
            added=[unpack_layer(d, tensors, f"{prefix}a{i}/") for i, d in enumerate(doc["added"])],
            order_before=list(doc["order_before"]), order_after=list(doc["order_after"]),
            base_before=doc["base_before"], base_after=doc["base_after"], label=doc["label"],
        )


def plan_regenerate(world: World, fresh: World) -> ReplaceLayers:
    """Merge a world freshly generated from ``world.layout`` into ``world``, keeping untouched layers.

    Layers of blockout objects that were not edited (and the ground/sky/walls, unless the
    environment changed) keep their current data, including any splat edits; edited or added
    objects take the fresh layers, with the whole-layer colour and opacity edits of the layers
    they replace replayed on them (``layer.meta["appearance"]``); deleted objects' layers go;
    layers the user made (imports, separations, duplicates) stay.
    """
    changed, removed_objs, env_changed = changed_objects(world)
    cur_objs = {o.name for o in world.layout.objects}
    base = world.extras.get(BLOCKOUT_BASE_KEY) or world.layout.to_dict()
    layout_names = cur_objs | removed_objs | {o["name"] for o in base.get("objects", [])}
    fresh_names = set(fresh.layer_names)
    order_after: list[str] = []
    removed: list[Layer] = []
    added: list[Layer] = []
    for layer in fresh.layers:
        old = world.layer(layer.name) if layer.name in world else None
        is_object = layer.name in layout_names
        keep_old = old is not None and (
            (is_object and layer.name not in changed) or (not is_object and not env_changed)
        )
        if keep_old:
            order_after.append(old.name)
        else:
            if old is not None:
                removed.append(old)
                entries = (old.meta or {}).get(APPEARANCE_KEY)
                if entries and layer.num_splats + layer.num_triangles:
                    replay_appearance(World([layer]), layer.name, entries)  # recolours survive the rebuild
            added.append(layer)
            order_after.append(layer.name)
    for old in world.layers:
        if old.name in fresh_names:
            continue
        if old.name in layout_names:
            removed.append(old)  # its object was deleted or no longer produces a layer
        else:
            order_after.append(old.name)  # a user layer: keep it
    return ReplaceLayers(
        removed=removed, added=added, order_before=world.layer_names, order_after=order_after,
        base_before=world.extras.get(BLOCKOUT_BASE_KEY), base_after=world.layout.to_dict(),
    )


def regenerate(world: World, *, seed: int | None = None, preset: str = "draft", progress=None, **options) -> ReplaceLayers:
    """Generate a world from the edited ``world.layout`` and plan the merge (apply it with a History).

    Args:
        seed: generation seed (default: the seed the world was made with, else 0).
        preset: quality preset of the regenerated layers.
        **options: passed to :func:`marble.api.generate` (``device=``, ``models=``...).
    """
    from marble import (
        api,  # lazy: generation is above the core; the API is its one door
    )

    _layout_of(world)
    if seed is None:
        seed = int(world.provenance.seed or 0)
    fresh = api.generate(None, layout=Layout.from_dict(world.layout.to_dict()), seed=seed, preset=preset,
                         progress=progress, **options)
    return plan_regenerate(world, fresh)
