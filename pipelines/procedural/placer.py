"""The placer: rejection sampling of oriented boxes, so nothing interpenetrates or stands in a clear zone."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from marble.layout import (
    LayoutEnvironment,
    LayoutObject,
    Relation,
    SceneSpec,
)
from marble.vocab import OBJECTS
import pipelines.procedural.rules as rules
from pipelines.procedural.collision import (
    Box,
    boxes_overlap,
    circle_overlaps,
    inside_rect,
)
from pipelines.procedural.placer_special import SpecialPlacement
from pipelines.procedural.plan import Item, sample_size
from pipelines.procedural.styles import AUTUMN_LEAVES, SPRING_LEAVES, WorldLook, grade_color, world_look
from pipelines.procedural.zones import (
    CLEAR_RADIUS_OUTDOOR,
    WALK_HALF_WIDTH,
    clear_zones,
    shore_z,
)


# ----------------------------------------------------------------------------- the placer
def _jitter_color(c, rng: np.random.Generator) -> tuple[float, float, float]:
    k = 1.0 + float(rng.uniform(-0.08, 0.08))
    return tuple(round(float(min(1.0, max(0.0, x * k * (1.0 + float(rng.uniform(-0.03, 0.03)))))), 4) for x in c)


def _cat(o: LayoutObject) -> str:
    """The category of a placed object (its label, unless an unknown noun was labelled with the user's word)."""
    return (o.params or {}).get("category") or o.label


def _slug(word: str) -> str:
    """A layer-name stem from the user's word ("pine tree" -> "pine_tree")."""
    import re

    return re.sub(r"[^a-z0-9]+", "_", str(word).lower()).strip("_")[:40]


def _face(x: float, z: float, tx: float, tz: float) -> float:
    """Yaw that turns an object's front (+Z) from (x, z) towards (tx, tz)."""
    return math.atan2(tx - x, tz - z)


_FACES_TARGET = {"chair", "office_chair", "armchair", "bench", "deck_chair", "sofa", "tent"}


class Placer(SpecialPlacement):
    def __init__(self, env: LayoutEnvironment, spec: SceneSpec, rng: np.random.Generator,
                 look: WorldLook | None = None) -> None:
        self.env = env
        self.look = look or world_look(spec)
        self.origins: dict[str, int] = {}  # layer name -> index of the spec object it was made for
        from marble.vocab import ARCHETYPES

        self._own = {c for c, _, _ in ARCHETYPES[spec.archetype].contents}  # what this place holds at full size
        self.names: set[str] = set()
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
    def _commit(self, it: Item, size, pos, yaw: float, parent: str | None = None) -> LayoutObject:
        cat = it.category
        label = it.label or cat
        stem = _slug(it.word) if it.word and _slug(it.word) != cat else label
        stem = _slug(stem) or cat
        k = self.counter.get(stem, 0)
        while f"{stem}_{k}" in self.names:
            k += 1
        self.counter[stem] = k + 1
        cdef = OBJECTS[cat]
        variant = int(self.rng.integers(0, 2**31 - 1))
        if it.color is not None:
            color = tuple(float(c) for c in it.color)
        else:
            base = cdef.colors[variant % len(cdef.colors)] if cdef.colors else cdef.color
            if self.spec.season in ("autumn", "spring") and cdef.family == "tree" and cdef.material == "leaves":
                pal = AUTUMN_LEAVES if self.spec.season == "autumn" else SPRING_LEAVES
                base = pal[variant % len(pal)]
            color = _jitter_color(base, self.rng)
            if self.look.grade:
                color = grade_color(color, self.look.grade)
        material = it.material or self.look.materials.get(cdef.material, cdef.material)
        yaw = (float(yaw) + math.pi) % (2 * math.pi) - math.pi
        obj = LayoutObject(
            name=f"{stem}_{k}", label=label,
            position=(round(float(pos[0]), 5), round(float(pos[1]), 5), round(float(pos[2]), 5)),
            size=tuple(float(s) for s in size), yaw=round(yaw, 6), material=material,
            color=color, parent=parent, variant=variant,
            params=self._params(it),
        )
        self.names.add(obj.name)
        if it.origin >= 0:
            self.origins[obj.name] = it.origin
        self.objects.append(obj)
        self.by_cat.setdefault(cat, []).append(obj)
        self.boxes.append(self._box(obj.size, obj.position, obj.yaw, cat, obj.name, parent))
        return obj

    def _params(self, it: Item) -> dict:
        params = {}
        cdef = OBJECTS[it.category]
        if it.named:
            params["named"] = True
        if it.label and it.label != it.category:
            params["category"] = it.category
        if cdef.family:
            params["family"] = cdef.family
        if not self.env.indoor and self.spec.weather == "snow" and it.category in rules.SNOWY:
            params["snow"] = True
        if self.look.variant:
            params["variant"] = self.look.variant
        if self.look.low_poly:
            params["low_poly"] = True
        if self.look.grade:
            params["grade"] = list(self.look.grade)
        if cdef.light is not None:
            frac, r, g, b, power = cdef.light
            params["light"] = [frac, r, g, b, round(power * float(self.look.lighting.get("lamps_mul", 1.0)), 4)]
        return params

    @staticmethod
    def _box(size, pos, yaw, cat, name="", parent=None) -> Box:
        return Box(float(pos[0]), float(pos[2]), size[0] / 2, size[2] / 2, float(yaw), float(pos[1]),
                   float(pos[1]) + size[1], name=name, flat=cat in rules.FLAT, parent=parent,
                   water=cat in rules.WATER, wet=cat in rules.WET or OBJECTS[cat].place == "water",
                   span=cat in rules.SPANNERS, open_water=cat in rules.OPEN_WATER)

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
                if self.beach and not box.wet and any(z > shore_z(env) - 0.5 for _, z in box.corners()):
                    return False
        if zones and not box.flat and not box.open_water and box.parent is None and box.y0 < 2.2:
            for x, z, r in self.circles:
                if circle_overlaps(box, x, z, r):
                    return False
            for zb in self.zone_boxes:
                if boxes_overlap(box, zb):
                    return False
        for other in self.boxes:
            if other.flat != box.flat or other.name in ignore:
                continue
            if (other.water and box.wet) or (box.water and other.wet) or (box.span and other.wet) or (
                    other.span and box.wet):
                continue
            if boxes_overlap(box, other, margin=margin if box.parent is None and other.parent is None else 0.0):
                return False
        return True

    # ------------------------------------------------------------------ driver
    def place_all(self, items: list[Item]) -> list[LayoutObject]:
        self._all_items = items
        self._hubs = {it.relation.target for it in items if it.relation is not None
                      and it.relation.kind in ("around", "in_front_of", "next_to", "near")}
        free = [it for it in items if it.relation is None]
        rel = [it for it in items if it.relation is not None]

        def area(it):
            c = OBJECTS[it.category]
            return -(c.size_max[0] * c.size_max[2])

        backdrop = [it for it in free if it.category in rules.BACKDROP and not self.env.indoor]
        water = [it for it in free if it.category in rules.WATER and it not in backdrop]
        named = sorted([it for it in free if it.prominent and it not in backdrop + water], key=area)
        rest = sorted([it for it in free if not it.prominent and it not in backdrop + water], key=area)
        for it in water + backdrop + named + rest:
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
    def _place_free(self, it: Item, tries: int = 80) -> LayoutObject | None:
        cat = it.category
        cdef = OBJECTS[cat]
        size = sample_size(cat, self.rng)
        if self.env.indoor:
            size = self._fit_indoor(cat, size)
            if cdef.support == "ceiling":
                H = self.env.room_size[1]
                return self._try(it, size, lambda it_, sz, a: ((self._u(-0.25, 0.25) * self.env.room_size[0], H - sz[1] - 0.02,
                                                                 self._u(-0.25, 0.25) * self.env.room_size[2]), 0.0), tries)
            if cdef.support == "wall" or cat in rules.WALL_INDOOR:
                obj = self._place_wall(it, size)
                if obj is not None or cdef.support == "wall":
                    return obj
            return self._try(it, size, self._indoor_candidate, tries)
        if cat in rules.BACKDROP:
            return self._try(it, size, self._backdrop_candidate, tries, bounds=False)
        place = cdef.place
        if place == "span":
            obj = self._try(it, size, self._span_candidate, tries, bounds=False)
            if obj is not None:
                return obj
        if place == "shore" or (cat == "sea"):
            obj = self._try(it, size, self._sea_candidate, tries, bounds=False)
            if obj is not None:
                return obj
        if self.spec.archetype == "underwater" and cat not in ("coral", "seaweed", "rock", "starfish", "crab"):
            obj = self._try(it, size, self._float_candidate, tries)
            if obj is not None:
                return obj
        if place == "water" or cat in ("duck", "swan"):
            obj = self._try(it, size, self._water_candidate, tries)
            if obj is not None:
                return obj
        if place == "row":
            obj = self._try(it, size, self._row_candidate, tries)
            if obj is not None:
                return obj
        if (self.street or self.spec.archetype == "futuristic_city") and (cat in (
                "building", "shop", "car", "street_lamp", "trash_can", "mailbox", "bench", "oak_tree", "birch_tree",
                "skyscraper", "van", "bus", "truck", "vehicle", "traffic_light", "neon_sign", "fire_hydrant")):
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
        if not self.env.indoor:
            return tuple(size)
        W, H, D = self.env.room_size
        if OBJECTS[cat].indoor is not False or cat in self._own:  # columns, machines, a garage's car: fit the height
            k = min(1.0, 0.95 * H / size[1]) if OBJECTS[cat].support != "ceiling" else min(1.0, 0.4 * H / size[1])
            return tuple(round(float(x) * k, 4) for x in size) if k < 1.0 else tuple(size)
        k = min(1.0, 0.3 * min(W, D) / max(size[0], size[2]), 0.85 * H / size[1])
        return tuple(round(float(x) * k, 4) for x in size)

    def _try(self, it: Item, size, candidate, tries: int, *, bounds: bool = True) -> LayoutObject | None:
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
        if cat in ("building", "shop", "skyscraper"):
            size[2] = min(size[2], max(OBJECTS[cat].size_min[2], E - rules.SIDEWALK_OUTER - 0.6))
            z = side * (rules.SIDEWALK_OUTER + 0.4 + size[2] / 2)
            x = self._u(-E + size[0] / 2, E - size[0] / 2)
            return (x, 0.0, z), (math.pi if side > 0 else 0.0)
        if cat in ("car", "van", "bus", "truck", "vehicle"):
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

    def _place_wall(self, it: Item, size, tries: int = 60) -> LayoutObject | None:
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
    def _target(self, it: Item) -> LayoutObject | None:
        cands = self.by_cat.get(it.relation.target, [])
        if not cands:
            return None
        key = (it.category, it.relation.target)
        k = self.rr.get(key, 0)
        self.rr[key] = k + 1
        return cands[k % len(cands)]

    def _place_related(self, it: Item) -> LayoutObject | None:
        kind = it.relation.kind
        if kind == "against_wall":
            if self.env.indoor:
                obj = self._place_wall(it, self._fit_indoor(it.category, sample_size(it.category, self.rng)))
                return obj if obj is not None else self._place_free(replace(it, relation=None))
            it = replace(it, relation=Relation("next_to", next((c for c in ("building", "house", "cabin", "shop")
                                                                 if c in self.by_cat), it.relation.target)))
        target = self._target(it)
        if target is None:
            return self._place_free(replace(it, relation=None))
        size = np.asarray(self._fit_indoor(it.category, sample_size(it.category, self.rng)), dtype=np.float64)
        obj = None
        if kind == "on":
            obj = self._place_on(it, size, target)
            if obj is None:  # that one is full: any other surface of the kind, then any table-like surface
                kinds = [_cat(target)] + [t for t in rules.TABLE_TARGETS if t != _cat(target)]
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
        elif kind == "over":
            obj = self._place_over(it, size, target)
        elif kind in ("next_to", "in_front_of", "behind", "around", "near"):
            obj = self._place_beside(it, size, target, kind)
        if obj is None and kind not in ("near",):
            obj = self._place_beside(it, size, target, "near")
        if obj is None:
            obj = self._place_free(replace(it, relation=None))
        return obj

    def _tbox(self, t: LayoutObject) -> Box:
        return self._box(t.size, t.position, t.yaw, _cat(t), t.name, t.parent)

    def _place_on(self, it: Item, size, target: LayoutObject, tries: int = 40) -> LayoutObject | None:
        frac, inset = rules.SURFACES.get(_cat(target), (1.0, 0.7))
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

    def _place_under(self, it: Item, size, target: LayoutObject) -> LayoutObject | None:
        tb = self._tbox(target)
        flat = it.category in rules.FLAT
        if not flat:
            frac = rules.SURFACES.get(_cat(target), (1.0, 0.7))[0]
            if size[1] > target.size[1] * frac * 0.8 or size[0] > target.size[0] * 0.8 or size[2] > target.size[2] * 0.8:
                return None
        for attempt in range(20):
            x, z = tb.to_world(self._u(-0.1, 0.1), self._u(-0.1, 0.1))
            yaw = target.yaw + (math.pi / 2 if flat and size[0] < size[2] and target.size[0] > target.size[2] else 0.0)
            box = self._box(size, (x, 0.0, z), yaw, it.category)
            if self._ok(box, it.category, zones=False, ignore={target.name}):
                return self._commit(it, tuple(size), (x, 0.0, z), yaw)
        return None

    def _place_beside(self, it: Item, size, target: LayoutObject, kind: str, tries: int = 40) -> LayoutObject | None:
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
            if kind == "next_to" and yaw == target.yaw and self.env.indoor and _cat(target) in rules.WALL_INDOOR:
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
        n_targets = max(1, len(self.by_cat.get(_cat(target), [])))
        total = sum(1 for it in self._all_items if it.category == cat and it.relation is not None
                    and it.relation.kind == "around" and it.relation.target == _cat(target))
        return range(max(1, math.ceil(total / n_targets)))
