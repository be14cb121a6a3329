"""Procedural layout synthesis: SceneSpec -> Layout (what goes where), seeded and deterministic.

The algorithm, in order:

1. The environment: ground/wall materials from the archetype (snow when it snows), the room size
   indoors (grown when the prompt asks for a lot of furniture), lighting from :func:`lighting_for`.
2. The plan: the prompt's objects (counts, colours, materials, relations) plus the archetype's
   typical contents (counts drawn from the seed) unless the prompt names that kind of thing; naming
   one tree kind ("pine forest") replaces the archetype's other trees. Implicit relations (chairs
   around the table, a computer on the desk) are added where the prompt gives none.
3. Placement by rejection sampling of oriented boxes: backdrop (mountains beyond the edge), the
   prompt's named objects near the centre facing it, big things at the edges or along the street,
   the rest scattered; then objects with relations next to / on / around their targets. Nothing
   interpenetrates (oriented footprint + height overlap test), and nothing stands in the clear
   zones kept for cameras (:func:`clear_zones`): a disc at the centre, the walk path, indoors the
   room centre, the corners and the doorway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from marble.errors import InputError
from marble.layout import RELATION_KINDS, Layout, LayoutEnvironment, LayoutObject, Relation, SceneSpec
from marble.presets import Preset
from marble.vocab import ARCHETYPES, COLORS, MATERIALS, OBJECTS
from pipelines.layout import rules
from pipelines.layout.collision import Box, boxes_overlap, circle_overlaps, inside_rect
from pipelines.layout.lighting import lighting_for

MAX_COUNT = 200  # most objects of one kind a prompt may ask for
CLEAR_RADIUS_OUTDOOR = 3.0  # metres kept free around the centre (camera ring)
WALK_HALF_WIDTH = 1.0  # metres kept free each side of the walk path
CLEAR_RADIUS_INDOOR = 0.6
CORNER_INSET = 0.55  # indoor camera positions: this far from both walls of a corner
CORNER_RADIUS = 0.4
_NUMBER_WORDS = {"one", "single", "a single", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "dozen", "couple", "pair", "lone", "only"}


@dataclass
class _Item:
    category: str
    color: tuple[float, float, float] | None = None
    material: str | None = None
    relation: Relation | None = None
    named: bool = False
    prominent: bool = False  # placed near the centre, facing it (the first few named objects of a kind)


# ----------------------------------------------------------------------------- public helpers
def room_openings(env: LayoutEnvironment) -> dict:
    """Door and window of an indoor room, derived from its size (so geometry and placement agree).

    Returns:
        ``{"door": (x_centre, width, height)}`` on the +Z wall and
        ``{"window": (z_centre, width, sill, top)}`` on the -X wall, metres.
    """
    W, H, D = env.room_size if env.room_size else (2 * env.extent, 2.7, 2 * env.extent)
    door_w = min(0.9, W * 0.3)
    door_x = W * 0.22
    door_h = min(2.05, H - 0.2)
    win_w = min(1.4, D * 0.4)
    sill = min(0.9, H * 0.35)
    top = min(sill + 1.2, H - 0.25)
    return {"door": (door_x, door_w, door_h), "window": (0.0, win_w, sill, top)}


def walk_path(env: LayoutEnvironment) -> np.ndarray:
    """``[P, 3]`` ground points of the walk-through path the layout keeps clear (y = 0).

    Outdoors a straight path along X through the centre (0.6 x extent each way); indoors from the
    doorway to the room centre.
    """
    if env.indoor:
        W, _, D = env.room_size
        door_x = room_openings(env)["door"][0]
        return np.array([[door_x, 0.0, D / 2 - 0.6], [0.0, 0.0, 0.0], [-W / 4, 0.0, -D / 4]])
    L = 0.6 * env.extent
    return np.array([[-L, 0.0, 0.0], [0.0, 0.0, 0.0], [L, 0.0, 0.0]])


def camera_positions(env: LayoutEnvironment) -> np.ndarray:
    """``[K, 3]`` ground points where cameras may stand: the centre, and indoors the four corners."""
    pts = [[0.0, 0.0, 0.0]]
    if env.indoor:
        W, _, D = env.room_size
        for sx in (-1, 1):
            for sz in (-1, 1):
                pts.append([sx * (W / 2 - CORNER_INSET), 0.0, sz * (D / 2 - CORNER_INSET)])
    return np.array(pts, dtype=np.float64)


def clear_zones(env: LayoutEnvironment) -> tuple[list[tuple[float, float, float]], list[Box]]:
    """Areas that standing objects keep out of, so cameras are never inside an object.

    Returns:
        circles ``[(x, z, radius), ...]`` and boxes (:class:`Box`, with their height range).
    """
    circles: list[tuple[float, float, float]] = []
    boxes: list[Box] = []
    if env.indoor:
        W, H, D = env.room_size
        circles.append((0.0, 0.0, CLEAR_RADIUS_INDOOR))
        for x, _, z in camera_positions(env)[1:]:
            circles.append((float(x), float(z), CORNER_RADIUS))
        op = room_openings(env)
        door_x, door_w, door_h = op["door"]
        boxes.append(Box(door_x, D / 2 - 0.5, door_w / 2 + 0.1, 0.5, 0.0, 0.0, H, name="doorway"))
        wz, ww, sill, top = op["window"]
        boxes.append(Box(-W / 2 + 0.25, wz, 0.25, ww / 2, 0.0, sill, top, name="window"))
    else:
        circles.append((0.0, 0.0, CLEAR_RADIUS_OUTDOOR))
        L = 0.6 * env.extent
        boxes.append(Box(0.0, 0.0, L, WALK_HALF_WIDTH, 0.0, 0.0, 1e4, name="walk_path"))
    return circles, boxes


def shore_z(env: LayoutEnvironment) -> float:
    """Beach archetype: the water line (z of the shore); land is z < shore, sea beyond."""
    return 0.45 * env.extent


# ----------------------------------------------------------------------------- entry point
def synthesize_layout(spec: SceneSpec, *, seed: int, preset: Preset | None = None) -> Layout:
    """Lay out a scene: environment plus placed, sized, coloured objects.

    Args:
        spec: what the prompt asks for (archetype, objects, relations, time of day, weather).
        seed: any integer; the same spec and seed give the same layout, bit for bit.
        preset: unused by the placement itself (layouts are preset-independent so a draft and a
            high-quality run of the same seed show the same scene); accepted for symmetry.

    Returns:
        A :class:`marble.layout.Layout` whose objects have unique names (``"chair_0"``...),
        ``label`` = category key, and sizes inside the vocabulary's ranges.

    Raises:
        InputError: unknown archetype/category/material/relation, or a count outside ``0..200``.
    """
    _check_spec(spec)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise InputError(f"`seed` must be an integer, got {seed!r}")
    rng = np.random.default_rng([int(seed) % (1 << 64), 0x1A7047])
    items = _plan_items(spec, rng)
    env = _environment(spec, items, rng)
    placer = _Placer(env, spec, rng)
    objects = placer.place_all(items)
    return Layout(environment=env, objects=objects, seed=int(seed), spec=spec)


def _check_spec(spec: SceneSpec) -> None:
    if not isinstance(spec, SceneSpec):
        raise InputError(f"`spec` must be a SceneSpec, got {type(spec).__name__}")
    if spec.archetype not in ARCHETYPES:
        raise InputError(f"`spec.archetype` {spec.archetype!r} is unknown: use one of {', '.join(ARCHETYPES)}")
    for i, o in enumerate(spec.objects):
        if o.category not in OBJECTS:
            raise InputError(f"`spec.objects[{i}].category` {o.category!r} is unknown: use a key of marble.vocab.OBJECTS")
        if not isinstance(o.count, (int, np.integer)) or not 0 <= o.count <= MAX_COUNT:
            raise InputError(f"`spec.objects[{i}].count` must be an integer in 0..{MAX_COUNT}, got {o.count!r}")
        if o.material is not None and o.material not in MATERIALS:
            raise InputError(f"`spec.objects[{i}].material` {o.material!r} is unknown: use a key of marble.vocab.MATERIALS")
        if o.color is not None:
            c = tuple(o.color)
            if len(c) != 3 or not all(isinstance(x, (int, float)) and 0.0 <= x <= 1.0 for x in c):
                raise InputError(f"`spec.objects[{i}].color` must be 3 numbers in [0, 1], got {o.color!r}")
        if o.relation is not None:
            if o.relation.kind not in RELATION_KINDS:
                raise InputError(f"`spec.objects[{i}].relation.kind` {o.relation.kind!r} is unknown: use one of "
                                 f"{', '.join(RELATION_KINDS)}")
            if o.relation.target not in OBJECTS:
                raise InputError(f"`spec.objects[{i}].relation.target` {o.relation.target!r} is unknown")


def _explicit_count(source: str) -> bool:
    words = source.lower().replace("-", " ").split()
    return any(w.isdigit() or w in _NUMBER_WORDS for w in words)


def _plan_items(spec: SceneSpec, rng: np.random.Generator) -> list[_Item]:
    arch = ARCHETYPES[spec.archetype]
    content_counts = {cat: int(rng.integers(lo, hi + 1)) for cat, lo, hi in arch.contents}
    for cat, partner in rules.PAIRED.items():  # one office chair and one computer per desk
        if cat in content_counts and partner in content_counts:
            content_counts[cat] = content_counts[partner]
    named_cats = {o.category for o in spec.objects}
    replaced: set[str] = set()
    items: list[_Item] = []
    for o in spec.objects:
        count = int(o.count)
        fam = next((f for f in rules.FAMILIES.values() if o.category in f), None)
        if fam is not None and any(c in content_counts for c in fam):
            replaced |= fam  # "a pine forest": no oaks
        if count == 1 and not _explicit_count(o.source or ""):
            if fam is not None and any(c in content_counts for c in fam):
                named_fam = fam & named_cats
                fam_total = sum(content_counts.get(c, 0) for c in fam)
                count = max(1, fam_total // max(1, len(named_fam)))
            elif o.category in content_counts:
                count = max(1, content_counts[o.category])
        n_prom = 2 if OBJECTS[o.category].size_max[0] < 8 else 1
        items += [_Item(o.category, o.color, o.material, o.relation, named=True, prominent=k < n_prom)
                  for k in range(count)]
    for cat, _, _ in arch.contents:
        if cat in named_cats or cat in replaced or content_counts[cat] == 0:
            continue
        items += [_Item(cat) for _ in range(content_counts[cat])]
    cats = {it.category for it in items}
    # Relation targets that are missing: add one of each.
    for it in list(items):
        if it.relation is not None and it.relation.target not in cats and it.relation.kind != "against_wall":
            items.append(_Item(it.relation.target, named=True, prominent=True))
            cats.add(it.relation.target)
    # Objects that stand on tables need surfaces: a desk per computer, a table per three small things.
    needs = [it for it in items if OBJECTS[it.category].support == "table"
             and (it.relation is None or it.relation.kind == "on")]
    if needs:
        n_comp = sum(1 for it in needs if it.category == "computer")
        wanted = n_comp + math.ceil((len(needs) - n_comp) / 3)
        have = sum(1 for it in items if it.category in rules.TABLE_TARGETS)
        for k in range(max(0, min(wanted, 12) - have)):
            surface = "desk" if k < n_comp else "table"
            if not spec.indoor and surface == "table":
                surface = "picnic_table"
            items.append(_Item(surface))
        cats |= {it.category for it in items}
    # Implicit relations.
    for i, it in enumerate(items):
        if it.relation is not None:
            continue
        for kind, target, archs in rules.IMPLICIT.get(it.category, []):
            if target in cats and target != it.category and (archs is None or spec.archetype in archs):
                items[i] = replace(it, relation=Relation(kind, target))
                break
        if items[i].relation is None and OBJECTS[it.category].support == "table":
            target = next((t for t in rules.TABLE_TARGETS if t in cats), None)
            if target is not None:
                items[i] = replace(it, relation=Relation("on", target))
    return items


_GROUND_NOUNS = ("ground", "floor", "floors", "flooring", "terrain", "field", "soil", "path", "paths")
_WALL_NOUNS = ("wall", "walls")


def _surface_words(prompt: str) -> dict:
    """Materials and colours the prompt gives the ground/floor or the walls ("a marble floor",
    "on sandy ground", "blue walls", "brick walls"). Returns keys ground/wall (+ _color)."""
    words = [w.strip(".,;:!?()\"'") for w in prompt.lower().replace("-", " ").split()]
    out: dict = {}
    mat_words = {w: m.key for m in MATERIALS.values() for w in m.words if " " not in w}
    for i, w in enumerate(words):
        target = "ground" if w in _GROUND_NOUNS else "wall" if w in _WALL_NOUNS else None
        if target is None:
            continue
        for j in range(i - 1, max(-1, i - 4), -1):  # up to three words before the noun
            prev = words[j]
            if prev in mat_words and target not in out:
                out[target] = mat_words[prev]
            two = f"{words[j - 1]} {prev}" if j > 0 else None
            if two in COLORS and f"{target}_color" not in out:
                out[f"{target}_color"] = COLORS[two]
            elif prev in COLORS and f"{target}_color" not in out:
                out[f"{target}_color"] = COLORS[prev]
            if prev in ("and", "with", "of", "on", "in", "a", "the"):
                break
    return out


def _sample_size(cat: str, rng: np.random.Generator) -> tuple[float, float, float]:
    c = OBJECTS[cat]
    t = float(rng.uniform())
    out = []
    for lo, hi in zip(c.size_min, c.size_max):
        ti = min(1.0, max(0.0, t + float(rng.uniform(-0.15, 0.15))))
        out.append(round(lo + (hi - lo) * ti, 4))
    return tuple(out)


def _environment(spec: SceneSpec, items: list[_Item], rng: np.random.Generator) -> LayoutEnvironment:
    arch = ARCHETYPES[spec.archetype]
    indoor = bool(arch.indoor)
    ground = arch.ground_material
    if not indoor and spec.weather == "snow" and ground in ("grass", "dirt", "sand"):
        ground = "snow"
    said = _surface_words(spec.prompt or "")
    ground = said.get("ground", ground)
    wall = said.get("wall", arch.wall_material or "plaster")
    lighting = lighting_for(replace(spec, indoor=indoor))
    if indoor:
        a = float(rng.uniform(0.88, 1.14))
        W, D = 2 * arch.extent * a, 2 * arch.extent / a
        area = sum(min(OBJECTS[it.category].size_max[0] * OBJECTS[it.category].size_max[2], (0.6 * arch.extent) ** 2)
                   for it in items if OBJECTS[it.category].support in ("floor", "ground") and it.category not in rules.FLAT)
        # (outdoor things asked for indoors are scaled down to fit, see _Placer._fit_indoor)
        if area > 0.3 * W * D:
            g = math.sqrt(area / (0.3 * W * D))
            W, D = W * g, D * g
        W, D = round(W, 3), round(D, 3)
        return LayoutEnvironment(archetype=arch.key, indoor=True, extent=max(W, D) / 2, ground_material=ground,
                                 ground_color=said.get("ground_color"), room_size=(W, float(arch.room_height), D),
                                 wall_material=wall, wall_color=said.get("wall_color"), lighting=lighting)
    E = float(arch.extent)
    area = sum(OBJECTS[it.category].size_max[0] * OBJECTS[it.category].size_max[2] for it in items
               if it.category not in rules.BACKDROP)
    if area > 0.22 * (2 * E) ** 2:
        E = round(math.sqrt(area / 0.22) / 2, 3)
    return LayoutEnvironment(archetype=arch.key, indoor=False, extent=E, ground_material=ground,
                             ground_color=said.get("ground_color"), room_size=None, wall_material=wall,
                             lighting=lighting)


# ----------------------------------------------------------------------------- the placer
def _jitter_color(c, rng: np.random.Generator) -> tuple[float, float, float]:
    k = 1.0 + float(rng.uniform(-0.08, 0.08))
    return tuple(round(float(min(1.0, max(0.0, x * k * (1.0 + float(rng.uniform(-0.03, 0.03)))))), 4) for x in c)


def _face(x: float, z: float, tx: float, tz: float) -> float:
    """Yaw that turns an object's front (+Z) from (x, z) towards (tx, tz)."""
    return math.atan2(tx - x, tz - z)


_FACES_TARGET = {"chair", "office_chair", "armchair", "bench", "deck_chair", "sofa", "tent"}


class _Placer:
    def __init__(self, env: LayoutEnvironment, spec: SceneSpec, rng: np.random.Generator) -> None:
        self.env = env
        self.spec = spec
        self.rng = rng
        self.boxes: list[Box] = []
        self.objects: list[LayoutObject] = []
        self.by_cat: dict[str, list[LayoutObject]] = {}
        self.counter: dict[str, int] = {}
        self.rr: dict[tuple[str, str], int] = {}
        self.slot: dict[tuple[str, str], int] = {}
        self.circles, self.zone_boxes = clear_zones(env)
        self.street = spec.archetype in rules.STREET_ARCHETYPES
        self.beach = spec.archetype == "beach"

    # ------------------------------------------------------------------ bookkeeping
    def _commit(self, it: _Item, size, pos, yaw: float, parent: str | None = None) -> LayoutObject:
        cat = it.category
        k = self.counter.get(cat, 0)
        self.counter[cat] = k + 1
        cdef = OBJECTS[cat]
        color = tuple(float(c) for c in it.color) if it.color is not None else _jitter_color(cdef.color, self.rng)
        yaw = (float(yaw) + math.pi) % (2 * math.pi) - math.pi
        obj = LayoutObject(
            name=f"{cat}_{k}", label=cat,
            position=(round(float(pos[0]), 5), round(float(pos[1]), 5), round(float(pos[2]), 5)),
            size=tuple(float(s) for s in size), yaw=round(yaw, 6), material=it.material or cdef.material,
            color=color, parent=parent, variant=int(self.rng.integers(0, 2**31 - 1)),
            params=self._params(it),
        )
        self.objects.append(obj)
        self.by_cat.setdefault(cat, []).append(obj)
        self.boxes.append(self._box(obj.size, obj.position, obj.yaw, cat, obj.name, parent))
        return obj

    def _params(self, it: _Item) -> dict:
        params = {}
        if it.named:
            params["named"] = True
        if not self.env.indoor and self.spec.weather == "snow" and it.category in rules.SNOWY:
            params["snow"] = True
        return params

    @staticmethod
    def _box(size, pos, yaw, cat, name="", parent=None) -> Box:
        return Box(float(pos[0]), float(pos[2]), size[0] / 2, size[2] / 2, float(yaw), float(pos[1]),
                   float(pos[1]) + size[1], name=name, flat=cat in rules.FLAT, parent=parent)

    def _ok(self, box: Box, cat: str, *, zones: bool = True, bounds: bool = True, ignore: set[str] = frozenset(),
            margin: float = 0.03) -> bool:
        env = self.env
        if bounds:
            if env.indoor:
                W, _, D = env.room_size
                if not inside_rect(box, -W / 2, W / 2, -D / 2, D / 2):
                    return False
            else:
                E = env.extent
                if not inside_rect(box, -E, E, -E, E):
                    return False
                if self.beach and cat != "boat" and any(z > shore_z(env) - 0.5 for _, z in box.corners()):
                    return False
        if zones and not box.flat and box.parent is None and box.y0 < 2.2:
            for x, z, r in self.circles:
                if circle_overlaps(box, x, z, r):
                    return False
            for zb in self.zone_boxes:
                if boxes_overlap(box, zb):
                    return False
        for other in self.boxes:
            if other.flat != box.flat or other.name in ignore:
                continue
            if boxes_overlap(box, other, margin=margin if box.parent is None and other.parent is None else 0.0):
                return False
        return True

    # ------------------------------------------------------------------ driver
    def place_all(self, items: list[_Item]) -> list[LayoutObject]:
        self._all_items = items
        self._hubs = {it.relation.target for it in items if it.relation is not None
                      and it.relation.kind in ("around", "in_front_of", "next_to", "near")}
        free = [it for it in items if it.relation is None]
        rel = [it for it in items if it.relation is not None]

        def area(it):
            c = OBJECTS[it.category]
            return -(c.size_max[0] * c.size_max[2])

        backdrop = [it for it in free if it.category in rules.BACKDROP and not self.env.indoor]
        named = sorted([it for it in free if it.prominent and it not in backdrop], key=area)
        rest = sorted([it for it in free if not it.prominent and it not in backdrop], key=area)
        for it in backdrop + named + rest:
            self._place_free(it)
        pending = rel
        while pending:
            waiting_cats = {it.category for it in pending}
            ready = [it for it in pending if it.relation.target not in waiting_cats or it.relation.target == it.category]
            if not ready:
                ready = pending[:1]
            for it in ready:
                self._place_related(it)
            pending = [it for it in pending if it not in ready]
        return self.objects

    # ------------------------------------------------------------------ free placement
    def _place_free(self, it: _Item, tries: int = 80) -> LayoutObject | None:
        cat = it.category
        cdef = OBJECTS[cat]
        size = _sample_size(cat, self.rng)
        if self.env.indoor:
            size = self._fit_indoor(cat, size)
            if cdef.support == "wall" or cat in rules.WALL_INDOOR:
                obj = self._place_wall(it, size)
                if obj is not None or cdef.support == "wall":
                    return obj
            return self._try(it, size, self._indoor_candidate, tries)
        if cat in rules.BACKDROP:
            return self._try(it, size, self._backdrop_candidate, tries, bounds=False)
        if self.street and cat in ("building", "shop", "car", "street_lamp", "trash_can", "mailbox", "bench",
                                   "oak_tree", "birch_tree"):
            obj = self._try(it, size, self._street_candidate, tries)
            if obj is not None:
                return obj
        if cat in rules.PATH_SIDE.get(self.spec.archetype, ()):
            obj = self._try(it, size, self._path_candidate, tries)
            if obj is not None:
                return obj
        if it.prominent:
            obj = self._try(it, size, self._prominent_candidate, tries)
            if obj is not None:
                return obj
        if cat in rules.EDGE_RING:
            obj = self._try(it, size, self._ring_candidate, tries)
            if obj is not None:
                return obj
        if self.beach and cat == "boat":
            obj = self._try(it, size, self._shore_candidate, tries)
            if obj is not None:
                return obj
        return self._try(it, size, self._scatter_candidate, tries)

    def _fit_indoor(self, cat: str, size) -> tuple[float, float, float]:
        """Outdoor things asked for indoors (a house, a mountain) become models that fit the room."""
        if not self.env.indoor or OBJECTS[cat].indoor is not False:
            return tuple(size)
        W, H, D = self.env.room_size
        k = min(1.0, 0.3 * min(W, D) / max(size[0], size[2]), 0.85 * H / size[1])
        return tuple(round(float(x) * k, 4) for x in size)

    def _try(self, it: _Item, size, candidate, tries: int, *, bounds: bool = True) -> LayoutObject | None:
        cat = it.category
        lo = np.minimum(np.asarray(OBJECTS[cat].size_min), np.asarray(size, dtype=np.float64))
        size = np.asarray(size, dtype=np.float64)
        for attempt in range(tries):
            if attempt and attempt % (tries // 4) == 0:  # shrink towards the smallest size of the kind
                size = np.round(np.maximum(lo, size - 0.34 * (size - lo)), 4)
            got = candidate(it, size, attempt)
            if got is None:
                continue
            (x, y, z), yaw = got
            box = self._box(size, (x, y, z), yaw, cat)
            if self._ok(box, cat, bounds=bounds):
                return self._commit(it, tuple(size), (x, y, z), yaw)
        return None

    def _u(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def _scatter_candidate(self, it, size, attempt):
        E = self.env.extent
        r = math.hypot(size[0], size[2]) / 2
        if size[1] < 3.0 and self.rng.uniform() < 0.6:  # small things gather nearer the middle, where cameras are
            E = max(0.55 * E, CLEAR_RADIUS_OUTDOOR + 2 * r + 1.0)
        zmax = shore_z(self.env) - 0.5 - r if self.beach else E - r
        if zmax <= -E + r:
            return None
        x, z = self._u(-E + r, E - r), self._u(-E + r, zmax)
        yaw = self._u(-math.pi, math.pi)
        if it.category in ("bench", "deck_chair"):
            yaw = _face(x, z, 0.0, 0.0)
        if it.category == "fence":
            yaw = float(self.rng.integers(0, 2)) * math.pi / 2 + self._u(-0.1, 0.1)
        return (x, 0.0, z), yaw

    def _path_candidate(self, it, size, attempt):
        L = 0.6 * self.env.extent
        side = 1.0 if self.rng.uniform() < 0.5 else -1.0
        z = side * (WALK_HALF_WIDTH + 0.15 + size[2] / 2 + self._u(0.0, 0.5))
        x = self._u(-L, L)
        return (x, 0.0, z), (math.pi if side > 0 else 0.0)

    def _prominent_candidate(self, it, size, attempt):
        E = self.env.extent
        r = math.hypot(size[0], size[2]) / 2
        r0 = CLEAR_RADIUS_OUTDOOR + r + 0.3
        r1 = r0 + 0.15 * E + attempt * 0.2
        rad = self._u(r0, r1)
        a = self._u(-math.pi, math.pi)
        if self.beach:  # keep prominent things on the land side, looking out to sea
            a = self._u(0.6 * math.pi, 1.4 * math.pi)
        x, z = rad * math.sin(a), rad * math.cos(a)
        return (x, 0.0, z), _face(x, z, 0.0, 0.0) + self._u(-0.25, 0.25)

    def _ring_candidate(self, it, size, attempt):
        E = self.env.extent
        lo, hi = rules.EDGE_RING[it.category]
        r = math.hypot(size[0], size[2]) / 2
        rad = min(self._u(lo * E, hi * E), E - r)
        if rad < CLEAR_RADIUS_OUTDOOR + r:
            return None
        a = self._u(-math.pi, math.pi)
        x, z = rad * math.sin(a), rad * math.cos(a)
        return (x, 0.0, z), _face(x, z, 0.0, 0.0) + self._u(-0.15, 0.15)

    def _backdrop_candidate(self, it, size, attempt):
        E = self.env.extent
        rad = E + 0.3 * max(size[0], size[2]) + attempt * 0.8
        a = self._u(-math.pi, math.pi)
        return (rad * math.sin(a), 0.0, rad * math.cos(a)), self._u(-math.pi, math.pi)

    def _shore_candidate(self, it, size, attempt):
        E = self.env.extent
        x = self._u(-E + size[2], E - size[2])
        z = shore_z(self.env) + self._u(-1.0, 1.0)
        return (x, 0.0, z), math.pi / 2 + self._u(-0.4, 0.4)

    def _street_candidate(self, it, size, attempt):
        E = self.env.extent
        cat = it.category
        side = 1.0 if self.rng.uniform() < 0.5 else -1.0
        if cat in ("building", "shop"):
            size[2] = min(size[2], max(OBJECTS[cat].size_min[2], E - rules.SIDEWALK_OUTER - 0.6))
            z = side * (rules.SIDEWALK_OUTER + 0.4 + size[2] / 2)
            x = self._u(-E + size[0] / 2, E - size[0] / 2)
            return (x, 0.0, z), (math.pi if side > 0 else 0.0)
        if cat == "car":
            z = side * self._u(2.2, 2.6)
            x = self._u(-E + size[2] / 2, E - size[2] / 2)
            return (x, 0.0, z), (math.pi / 2 if side > 0 else -math.pi / 2) + self._u(-0.05, 0.05)
        lo, hi = rules.ROAD_HALF_WIDTH + 0.3 + size[2] / 2, rules.SIDEWALK_OUTER - 0.1 - size[2] / 2
        if hi < lo:
            return None
        z = side * self._u(lo, hi)
        x = self._u(-E + 1.0, E - 1.0)
        return (x, 0.0, z), (math.pi if side > 0 else 0.0)

    def _indoor_candidate(self, it, size, attempt):
        W, _, D = self.env.room_size
        pad = 0.75 if it.category in self._hubs and attempt < 50 else 0.0  # room for the chairs around tables
        x, z = self._u(-W / 2, W / 2), self._u(-D / 2, D / 2)
        if it.category in _FACES_TARGET:
            yaw = _face(x, z, 0.0, 0.0) + self._u(-0.3, 0.3)
        else:
            yaw = float(self.rng.integers(0, 4)) * math.pi / 2 + self._u(-0.15, 0.15)
        c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
        ex = size[0] / 2 * c + size[2] / 2 * s + pad
        ez = size[0] / 2 * s + size[2] / 2 * c + pad
        mx, mz = W / 2 - ex, D / 2 - ez
        if mx < 0 or mz < 0:
            return None
        x, z = x / (W / 2) * mx, z / (D / 2) * mz
        return (x, 0.0, z), yaw

    def _place_wall(self, it: _Item, size, tries: int = 60) -> LayoutObject | None:
        W, H, D = self.env.room_size
        cat = it.category
        size = np.asarray(size, dtype=np.float64)
        lo = np.minimum(np.asarray(OBJECTS[cat].size_min), np.asarray(size, dtype=np.float64))
        walls = [(0, -1), (0, 1), (1, -1), (1, 1)]  # (axis: 0 = z wall, 1 = x wall, side)
        for attempt in range(tries):
            if attempt and attempt % 20 == 0:
                size = np.round(np.maximum(lo, size - 0.4 * (size - lo)), 4)
            axis, side = walls[int(self.rng.integers(0, 4))]
            length = W if axis == 0 else D
            half = length / 2 - size[0] / 2 - 0.02
            if half < 0:
                continue
            t = self._u(-half, half)
            off = (D / 2 if axis == 0 else W / 2) - size[2] / 2 - 0.005
            y = 0.0
            if cat in rules.WALL_MOUNTED:
                y = min(max(0.3, rules.WALL_MOUNTED[cat] - size[1] / 2), H - size[1] - 0.05)
            if axis == 0:
                x, z = t, side * off
                yaw = 0.0 if side < 0 else math.pi
            else:
                x, z = side * off, t
                yaw = -math.pi / 2 if side > 0 else math.pi / 2
            box = self._box(size, (x, y, z), yaw, cat)
            zones = y < 0.5  # wall-mounted things float above camera zones but not above the door
            if self._ok(box, cat, zones=zones) and (zones or not any(boxes_overlap(box, zb) for zb in self.zone_boxes)):
                return self._commit(it, tuple(size), (x, y, z), yaw)
        return None

    # ------------------------------------------------------------------ related placement
    def _target(self, it: _Item) -> LayoutObject | None:
        cands = self.by_cat.get(it.relation.target, [])
        if not cands:
            return None
        key = (it.category, it.relation.target)
        k = self.rr.get(key, 0)
        self.rr[key] = k + 1
        return cands[k % len(cands)]

    def _place_related(self, it: _Item) -> LayoutObject | None:
        kind = it.relation.kind
        if kind == "against_wall":
            if self.env.indoor:
                obj = self._place_wall(it, self._fit_indoor(it.category, _sample_size(it.category, self.rng)))
                return obj if obj is not None else self._place_free(replace(it, relation=None))
            it = replace(it, relation=Relation("next_to", next((c for c in ("building", "house", "cabin", "shop")
                                                                 if c in self.by_cat), it.relation.target)))
        target = self._target(it)
        if target is None:
            return self._place_free(replace(it, relation=None))
        size = np.asarray(self._fit_indoor(it.category, _sample_size(it.category, self.rng)), dtype=np.float64)
        obj = None
        if kind == "on":
            obj = self._place_on(it, size, target)
            if obj is None:  # that one is full: any other surface of the kind, then any table-like surface
                kinds = [target.label] + [t for t in rules.TABLE_TARGETS if t != target.label]
                if it.category == "computer":
                    kinds = [k for k in kinds if k in ("desk", "table", "counter")]
                for other in (o for k in kinds for o in self.by_cat.get(k, []) if o is not target):
                    obj = self._place_on(it, size, other, tries=15)
                    if obj is not None:
                        return obj
                if OBJECTS[it.category].support == "table":
                    return None  # a monitor is never left on the floor
        elif kind == "under":
            obj = self._place_under(it, size, target)
        elif kind in ("next_to", "in_front_of", "behind", "around", "near"):
            obj = self._place_beside(it, size, target, kind)
        if obj is None and kind not in ("near",):
            obj = self._place_beside(it, size, target, "near")
        if obj is None:
            obj = self._place_free(replace(it, relation=None))
        return obj

    def _tbox(self, t: LayoutObject) -> Box:
        return self._box(t.size, t.position, t.yaw, t.label, t.name, t.parent)

    def _place_on(self, it: _Item, size, target: LayoutObject, tries: int = 40) -> LayoutObject | None:
        frac, inset = rules.SURFACES.get(target.label, (1.0, 0.7))
        tb = self._tbox(target)
        top = target.position[1] + target.size[1] * frac
        ax, az = tb.hx * inset, tb.hz * inset
        size = size.copy()
        size[0] = min(size[0], 2 * ax * 0.95)
        size[2] = min(size[2], 2 * az * 0.95)
        if size[0] <= 0.01 or size[2] <= 0.01:
            return None
        for attempt in range(tries):
            quarter = float(self.rng.integers(0, 4)) * math.pi / 2 if it.category not in ("computer", "tv") else 0.0
            yaw = target.yaw + quarter + self._u(-0.2, 0.2)
            hx, hz = size[0] / 2, size[2] / 2
            c, s = abs(math.cos(yaw - target.yaw)), abs(math.sin(yaw - target.yaw))
            ex, ez = hx * c + hz * s, hx * s + hz * c  # child's extent in the target frame
            if ex > ax or ez > az:
                yaw = target.yaw + quarter
                ex, ez = (hx, hz) if quarter in (0.0, math.pi) else (hz, hx)
                if ex > ax or ez > az:
                    continue
            lx = self._u(-(ax - ex), ax - ex)
            lz = self._u(-(az - ez), az - ez)
            if it.category == "computer":
                lz = -(az - ez) * self._u(0.5, 1.0)
            x, z = tb.to_world(lx, lz)
            box = self._box(size, (x, top, z), yaw, it.category, parent=target.name)
            if self._ok(box, it.category, zones=False, ignore={target.name}, margin=0.0):
                return self._commit(it, tuple(size), (x, top, z), yaw, parent=target.name)
        return None

    def _place_under(self, it: _Item, size, target: LayoutObject) -> LayoutObject | None:
        tb = self._tbox(target)
        flat = it.category in rules.FLAT
        if not flat:
            frac = rules.SURFACES.get(target.label, (1.0, 0.7))[0]
            if size[1] > target.size[1] * frac * 0.8 or size[0] > target.size[0] * 0.8 or size[2] > target.size[2] * 0.8:
                return None
        for attempt in range(20):
            x, z = tb.to_world(self._u(-0.1, 0.1), self._u(-0.1, 0.1))
            yaw = target.yaw + (math.pi / 2 if flat and size[0] < size[2] and target.size[0] > target.size[2] else 0.0)
            box = self._box(size, (x, 0.0, z), yaw, it.category)
            if self._ok(box, it.category, zones=False, ignore={target.name}):
                return self._commit(it, tuple(size), (x, 0.0, z), yaw)
        return None

    def _place_beside(self, it: _Item, size, target: LayoutObject, kind: str, tries: int = 40) -> LayoutObject | None:
        tb = self._tbox(target)
        cat = it.category
        key = (cat, target.name)
        indoor = self.env.indoor
        for attempt in range(tries):
            grow = 1.0 + attempt / 10.0
            if kind == "around":
                n = max(1, sum(1 for x in self._pending_counts(cat, target)))
                j = self.slot.get(key, 0)
                phase = (math.pi / 2 if target.size[0] > target.size[2] * 1.3 else 0.0)
                ang = phase + 2 * math.pi * (j + attempt * 0.37) / max(n, 1)
                lu = (math.sin(ang), math.cos(ang))
                gap = 0.05 + 0.1 * attempt / tries
            elif kind == "in_front_of":
                lu, gap = (self._u(-0.15, 0.15), 1.0), self._u(0.05, 0.5) * grow
            elif kind == "behind":
                lu, gap = (self._u(-0.15, 0.15), -1.0), self._u(0.05, 0.5) * grow
            elif kind == "next_to":
                lu = ((1.0 if self.rng.uniform() < 0.5 else -1.0), self._u(-0.1, 0.1))
                gap = self._u(0.05, 0.35) * grow
            else:  # near
                a = self._u(-math.pi, math.pi)
                lu, gap = (math.sin(a), math.cos(a)), self._u(0.3, 1.0 if indoor else 2.5) * grow
            n_ = math.hypot(*lu)
            lu = (lu[0] / n_, lu[1] / n_)
            (ax, az), (bx, bz) = tb.axes()
            ux, uz = lu[0] * ax + lu[1] * bx, lu[0] * az + lu[1] * bz  # world direction
            # child orientation: faces the target (seats) or shares its orientation
            if cat == "fence":  # fences run parallel to the side of the thing they are near
                yaw = math.atan2(-ux, -uz) + self._u(-0.1, 0.1)
            elif cat in _FACES_TARGET or kind == "around":
                yaw = math.atan2(-ux, -uz)
            elif kind in ("next_to", "in_front_of", "behind"):
                yaw = target.yaw
            else:
                yaw = self._u(-math.pi, math.pi)
            child = Box(0.0, 0.0, size[0] / 2, size[2] / 2, yaw, 0.0, size[1])
            dist = tb.support(ux, uz) + child.support(ux, uz) + gap
            x, z = target.position[0] + ux * dist, target.position[2] + uz * dist
            if kind == "next_to" and yaw == target.yaw and self.env.indoor and target.label in rules.WALL_INDOOR:
                # beside something that backs onto a wall: flush with its back (nightstands at the bed's head)
                lx = math.copysign(tb.hx + size[0] / 2 + gap, lu[0])
                x, z = tb.to_world(lx, -(tb.hz - size[2] / 2))
            box = self._box(size, (x, 0.0, z), yaw, cat)
            if self._ok(box, cat):
                if kind == "around":
                    self.slot[key] = self.slot.get(key, 0) + 1
                return self._commit(it, tuple(size), (x, 0.0, z), yaw)
        return None

    def _pending_counts(self, cat: str, target: LayoutObject):
        """How many of ``cat`` go around ``target`` (the round-robin share)."""
        n_targets = max(1, len(self.by_cat.get(target.label, [])))
        total = sum(1 for it in self._all_items if it.category == cat and it.relation is not None
                    and it.relation.kind == "around" and it.relation.target == target.label)
        return range(max(1, math.ceil(total / n_targets)))
