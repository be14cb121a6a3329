"""Layout synthesis: validity for every archetype, no overlaps, clear camera zones, relations,
determinism, JSON round trip, lighting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marble.errors import InputError
from marble.layout import Layout, ObjectSpec, Relation, SceneSpec
from marble.vocab import ARCHETYPES, MATERIALS, OBJECTS
from pipelines.procedural import (
    camera_positions,
    lighting_for,
    synthesize_layout,
    walk_path,
)
import pipelines.procedural.rules as rules
from pipelines.procedural.zones import CLEAR_RADIUS_INDOOR, CLEAR_RADIUS_OUTDOOR


def spec_for(archetype: str, objects=(), **kw) -> SceneSpec:
    return SceneSpec(prompt=archetype.replace("_", " "), archetype=archetype, indoor=ARCHETYPES[archetype].indoor,
                     objects=list(objects), **kw)


def corners(o) -> np.ndarray:
    return o.footprint_corners().numpy()  # [4, 2] from the core contract, not from the placer


def polys_overlap(a: np.ndarray, b: np.ndarray, tol: float = 1e-6) -> bool:
    """Separating-axis test on two convex polygons [4, 2] (independent of pipelines.procedural.collision)."""
    for poly in (a, b):
        for i in range(len(poly)):
            e = poly[(i + 1) % len(poly)] - poly[i]
            n = np.array([-e[1], e[0]])
            pa, pb = a @ n, b @ n
            if pa.max() <= pb.min() + tol * np.linalg.norm(n) or pb.max() <= pa.min() + tol * np.linalg.norm(n):
                return False
    return True


def point_poly_distance(p: np.ndarray, poly: np.ndarray) -> float:
    inside = all(np.cross(poly[(i + 1) % 4] - poly[i], p - poly[i]) >= 0 for i in range(4)) or \
        all(np.cross(poly[(i + 1) % 4] - poly[i], p - poly[i]) <= 0 for i in range(4))
    if inside:
        return 0.0
    d = []
    for i in range(4):
        a, b = poly[i], poly[(i + 1) % 4]
        t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1)
        d.append(np.linalg.norm(p - (a + t * (b - a))))
    return float(min(d))


LAYOUTS = {a: synthesize_layout(spec_for(a), seed=3) for a in ARCHETYPES}


@pytest.mark.parametrize("archetype", list(ARCHETYPES))
def test_every_archetype_gives_a_valid_layout(archetype):
    layout = LAYOUTS[archetype]
    env = layout.environment
    assert env.archetype == archetype and env.indoor == ARCHETYPES[archetype].indoor
    assert env.ground_material in MATERIALS and env.wall_material in MATERIALS
    names = [o.name for o in layout.objects]
    assert len(names) == len(set(names)) and len(names) >= 5
    contents = {c for c, lo, hi in ARCHETYPES[archetype].contents if lo > 0}
    assert contents <= set(layout.labels()), f"missing typical contents {contents - set(layout.labels())}"
    for o in layout.objects:
        cat = OBJECTS[o.label]
        assert o.name.startswith(o.label + "_")
        assert o.material in MATERIALS
        assert all(0 <= c <= 1 for c in o.color)
        too_tall = env.indoor and cat.size_max[1] > 0.95 * env.room_size[1]  # scaled to fit the room
        if o.parent is None and o.label not in rules.WATER and OBJECTS[o.label].place not in ("span", "shore"):
            for s, lo, hi in zip(o.size, cat.size_min, cat.size_max):
                assert (too_tall or lo - 1e-6 <= s) and s <= hi + 1e-6, (o.name, o.size)
        xz = corners(o)
        if env.indoor:
            W, H, D = env.room_size
            assert np.all(np.abs(xz[:, 0]) <= W / 2 + 1e-6) and np.all(np.abs(xz[:, 1]) <= D / 2 + 1e-6), o.name
            assert o.position[1] + o.size[1] <= H + 1e-6
        elif o.label not in rules.BACKDROP and o.label not in rules.WATER and o.label not in ("pier", "bridge", "footbridge"):
            assert np.all(np.abs(xz) <= env.extent + 1e-6), o.name
    if env.indoor:
        W, H, D = env.room_size
        assert H == ARCHETYPES[archetype].room_height and W > 3 and D > 3


def _wet(o) -> bool:
    return o.label in rules.WET or OBJECTS[o.label].place == "water"


def _on_water(a, b) -> bool:
    """``b`` may stand in or over ``a``: a water body and a wet thing, or a bridge/pier and a wet thing."""
    return (a.label in rules.WATER and _wet(b)) or (a.label in rules.SPANNERS and _wet(b))


@pytest.mark.parametrize("archetype", list(ARCHETYPES))
def test_no_interpenetration(archetype):
    objs = LAYOUTS[archetype].objects
    for i, a in enumerate(objs):
        for b in objs[i + 1:]:
            if a.parent == b.name or b.parent == a.name:
                continue
            if (a.label == "rug") != (b.label == "rug"):
                continue  # rugs lie flat under furniture
            if _on_water(a, b) or _on_water(b, a):
                continue  # boats on the sea, ducks on ponds, bridges over rivers
            y_overlap = min(a.position[1] + a.size[1], b.position[1] + b.size[1]) - max(a.position[1], b.position[1])
            if y_overlap <= 1e-6:
                continue
            assert not polys_overlap(corners(a), corners(b)), f"{a.name} overlaps {b.name}"


@pytest.mark.parametrize("archetype", list(ARCHETYPES))
def test_camera_spots_are_clear(archetype):
    layout = LAYOUTS[archetype]
    env = layout.environment
    for k, p in enumerate(camera_positions(env)):
        r = (CLEAR_RADIUS_INDOOR if k == 0 else 0.35) if env.indoor else CLEAR_RADIUS_OUTDOOR
        for o in layout.objects:
            if o.parent is not None or o.label == "rug" or o.position[1] > 2.0 or o.label in rules.OPEN_WATER:
                continue  # (cameras look across rivers and the sea)
            assert point_poly_distance(np.array([p[0], p[2]]), corners(o)) >= r - 1e-6, (o.name, p)
    path = walk_path(env)
    assert path.shape[1] == 3 and len(path) >= 2


def test_deterministic_and_seed_dependent():
    spec = spec_for("forest", [ObjectSpec("cabin", source="a cabin")])
    a = synthesize_layout(spec, seed=11).to_json()
    b = synthesize_layout(spec, seed=11).to_json()
    c = synthesize_layout(spec, seed=12).to_json()
    assert a == b
    assert a != c


def test_json_round_trip():
    layout = LAYOUTS["living_room"]
    back = Layout.from_json(layout.to_json())
    assert back.to_json() == layout.to_json()
    assert back.objects[0].T_world_object.allclose(layout.objects[0].T_world_object)


def test_lamp_on_table_rests_on_its_top():
    spec = spec_for("living_room", [ObjectSpec("lamp", relation=Relation("on", "table"), source="a lamp"),
                                     ObjectSpec("table", source="the table")])
    for seed in range(4):
        layout = synthesize_layout(spec, seed=seed)
        lamps = [o for o in layout.objects if o.label == "lamp" and o.parent is not None]
        assert lamps, "the lamp was not put on the table"
        lamp = lamps[0]
        table = layout.object(lamp.parent)
        assert table.label == "table"
        assert lamp.position[1] == pytest.approx(table.position[1] + table.size[1], abs=1e-4)
        # every corner of the lamp's footprint lies inside the table's top (in the table's frame)
        c, s = math.cos(table.yaw), math.sin(table.yaw)
        for x, z in corners(lamp):
            dx, dz = x - table.position[0], z - table.position[2]
            lx, lz = c * dx - s * dz, s * dx + c * dz
            assert abs(lx) <= table.size[0] / 2 + 1e-6 and abs(lz) <= table.size[2] / 2 + 1e-6


def test_relations_next_to_in_front_of_and_around():
    spec = spec_for("kitchen", [ObjectSpec("chair", count=4, source="four chairs"), ObjectSpec("table", source="table")])
    layout = synthesize_layout(spec, seed=6)
    table = [o for o in layout.objects if o.label == "table"][0]
    chairs = [o for o in layout.objects if o.label == "chair"]
    assert len(chairs) == 4
    for ch in chairs:
        d = point_poly_distance(np.array([ch.position[0], ch.position[2]]), corners(table))
        assert d < 1.2, f"{ch.name} is {d:.2f} m from the table"
        # the chair's front (+Z local) points towards the table
        fwd = np.array([math.sin(ch.yaw), math.cos(ch.yaw)])
        to_t = np.array([table.position[0] - ch.position[0], table.position[2] - ch.position[2]])
        assert fwd @ to_t > 0

    spec = spec_for("bedroom", [ObjectSpec("nightstand", relation=Relation("next_to", "bed"), source="nightstand")])
    layout = synthesize_layout(spec, seed=2)
    bed = [o for o in layout.objects if o.label == "bed"][0]
    ns = [o for o in layout.objects if o.label == "nightstand"][0]
    assert point_poly_distance(np.array([ns.position[0], ns.position[2]]), corners(bed)) < 1.5

    spec = spec_for("office", [ObjectSpec("office_chair", relation=Relation("in_front_of", "desk"), source="chair"),
                               ObjectSpec("desk", source="desk")])
    layout = synthesize_layout(spec, seed=4)
    desk = [o for o in layout.objects if o.label == "desk"][0]
    oc = [o for o in layout.objects if o.label == "office_chair"][0]
    fwd = np.array([math.sin(desk.yaw), math.cos(desk.yaw)])
    assert fwd @ np.array([oc.position[0] - desk.position[0], oc.position[2] - desk.position[2]]) > 0


def test_prompt_objects_colours_counts_and_prominence():
    red = (0.75, 0.12, 0.1)
    spec = spec_for("city_street", [ObjectSpec("car", count=3, color=red, color_name="red", source="three red cars")])
    layout = synthesize_layout(spec, seed=1)
    cars = [o for o in layout.objects if o.label == "car"]
    assert len(cars) == 3 and all(o.color == red for o in cars)
    spec = spec_for("forest", [ObjectSpec("cabin", source="a cabin")])
    for seed in range(3):
        layout = synthesize_layout(spec, seed=seed)
        cabin = layout.object("cabin_0")
        assert math.hypot(cabin.position[0], cabin.position[2]) < 0.5 * layout.environment.extent
        assert cabin.params.get("named") is True


def test_named_tree_kind_replaces_other_trees_and_snow_ground():
    spec = spec_for("forest", [ObjectSpec("pine_tree", source="pine")], weather="snow")
    layout = synthesize_layout(spec, seed=0)
    labels = layout.labels()
    assert "oak_tree" not in labels and labels.count("pine_tree") >= 10
    assert layout.environment.ground_material == "snow"


def test_table_objects_get_a_surface_and_mountains_stay_at_the_edge():
    layout = synthesize_layout(spec_for("office", [ObjectSpec("computer", count=2, source="two computers")]), seed=0)
    comps = [o for o in layout.objects if o.label == "computer"]
    assert comps and all(o.parent is not None and layout.object(o.parent).label in ("desk", "table") for o in comps)
    layout = LAYOUTS["snowy_mountains"]
    for m in (o for o in layout.objects if o.label == "mountain"):
        assert math.hypot(m.position[0], m.position[2]) > layout.environment.extent * 0.9


def test_bad_input_is_rejected():
    with pytest.raises(InputError, match="archetype"):
        synthesize_layout(SceneSpec(prompt="x", archetype="moon_base", indoor=False), seed=0)
    with pytest.raises(InputError, match="category"):
        synthesize_layout(spec_for("forest", [ObjectSpec("zorblax")]), seed=0)
    with pytest.raises(InputError, match="count"):
        synthesize_layout(spec_for("forest", [ObjectSpec("rock", count=-1)]), seed=0)
    with pytest.raises(InputError, match="count"):
        synthesize_layout(spec_for("forest", [ObjectSpec("rock", count=10_000)]), seed=0)
    with pytest.raises(InputError, match="relation"):
        synthesize_layout(spec_for("forest", [ObjectSpec("rock", relation=Relation("inside", "cabin"))]), seed=0)
    with pytest.raises(InputError, match="seed"):
        synthesize_layout(spec_for("forest"), seed="abc")


def test_lighting_follows_time_of_day_and_weather():
    day = lighting_for(spec_for("park", time_of_day="day"))
    sunset = lighting_for(spec_for("park", time_of_day="sunset"))
    night = lighting_for(spec_for("park", time_of_day="night"))
    fog = lighting_for(spec_for("park", weather="fog"))
    assert sunset.sun_direction[1] < day.sun_direction[1]
    assert sunset.sun_color[2] < day.sun_color[2]  # warmer
    assert night.sun_intensity < 0.5 * day.sun_intensity and sum(night.sky_top) < sum(day.sky_top)
    assert fog.fog_density > day.fog_density == 0.0
    for lt in (day, sunset, night, fog):
        assert math.isclose(sum(c * c for c in lt.sun_direction), 1.0, rel_tol=1e-9)
    assert LAYOUTS["park"].environment.lighting == day
    with pytest.raises(InputError, match="time_of_day"):
        lighting_for(spec_for("park", time_of_day="teatime"))


def test_random_prompts_never_crash_or_overlap():
    """Fuzz: random objects, counts and relations in every archetype keep the layout valid."""
    from marble.layout import RELATION_KINDS

    rng = np.random.default_rng(0)
    cats = list(OBJECTS)
    names = list(ARCHETYPES)
    for trial in range(26):
        arch = names[trial % len(names)]
        objs = []
        for _ in range(int(rng.integers(1, 4))):
            rel = None
            if rng.uniform() < 0.5:
                rel = Relation(RELATION_KINDS[int(rng.integers(len(RELATION_KINDS)))], cats[int(rng.integers(len(cats)))])
            objs.append(ObjectSpec(cats[int(rng.integers(len(cats)))], count=int(rng.integers(1, 4)), relation=rel,
                                   source="x"))
        layout = synthesize_layout(spec_for(arch, objs), seed=trial)
        placed = layout.labels()
        for o in objs:  # named things are placed, or too big for the place and said so
            big = max(OBJECTS[o.category].size_min) > 0.5 * layout.environment.extent
            assert placed.count(o.category) >= min(1, o.count) or big, (arch, o)
        ground = [o for o in layout.objects if o.parent is None and o.label != "rug"]
        for i, a in enumerate(ground):
            for b in ground[i + 1:]:
                y_overlap = min(a.position[1] + a.size[1], b.position[1] + b.size[1]) - max(a.position[1], b.position[1])
                under = {(o.category, o.relation.target) for o in objs if o.relation and o.relation.kind == "under"}
                if (a.label, b.label) in under or (b.label, a.label) in under:
                    continue  # "a sink under the tower": inside its footprint, on purpose
                if y_overlap > 1e-6 and not (_on_water(a, b) or _on_water(b, a)):
                    assert not polys_overlap(corners(a), corners(b)), (arch, a.name, b.name)
        for o in layout.objects:
            if o.parent is not None:
                assert layout.object(o.parent) is not None


def test_prompt_can_set_floor_ground_and_wall_materials():
    spec = SceneSpec(prompt="a living room with a marble floor and blue walls", archetype="living_room", indoor=True)
    env = synthesize_layout(spec, seed=0).environment
    assert env.ground_material == "tile" and env.wall_color == (0.15, 0.3, 0.75)
    spec = SceneSpec(prompt="a kitchen with red brick walls", archetype="kitchen", indoor=True)
    env = synthesize_layout(spec, seed=0).environment
    assert env.wall_material == "brick" and env.ground_material == "tile"
    spec = SceneSpec(prompt="a forest on sandy ground", archetype="forest", indoor=False)
    assert synthesize_layout(spec, seed=0).environment.ground_material == "sand"
