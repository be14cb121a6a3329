"""Worlds hold what the prompt names: families labelled with the user's word, counts and relations for the
new things, styles and moods that change the world, different places that never share a layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marble.layout import ObjectSpec, Relation, SceneSpec
from marble.text import parse_prompt
from pipelines.procedural import build_scene_geometry, lighting_for, synthesize_layout


@pytest.fixture(scope="module")
def parse():
    from marble.text.embed import default_embedder

    e = default_embedder()
    return lambda p: parse_prompt(p, embedder=e)


def test_an_unknown_noun_is_a_labelled_layer_built_from_its_family():
    spec = SceneSpec(prompt="a zebu in a field", archetype="park", indoor=False,
                     objects=[ObjectSpec("animal", source="a zebu", word="zebu", label="zebu", family="quadruped",
                                         score=0.3)])
    layout = synthesize_layout(spec, seed=0)
    zebu = [o for o in layout.objects if o.label == "zebu"]
    assert len(zebu) == 1 and zebu[0].name == "zebu_0" and zebu[0].params["category"] == "animal"
    geom = {g.name: g for g in build_scene_geometry(layout, detail=0)}
    assert "hooves" in {p.name for p in geom["zebu_0"].parts} and len(geom["zebu_0"].mesh.faces) > 200  # not a box


def test_a_synonym_names_its_layer_with_the_users_word(parse):
    layout = synthesize_layout(parse("a couch in a living room"), seed=0)
    assert any(o.name.startswith("couch_") and o.label == "sofa" for o in layout.objects)


def test_a_herd_next_to_a_barn(parse):
    spec = parse("a herd of elephants next to a barn on the savanna")
    assert spec.objects[0].count == 6 and spec.objects[0].relation == Relation("next_to", "barn")
    layout = synthesize_layout(spec, seed=0)
    elephants = [o for o in layout.objects if o.label == "elephant"]
    barn = next(o for o in layout.objects if o.label == "barn")
    assert len(elephants) == 6
    near = [e for e in elephants if math.dist(e.position[::2], barn.position[::2]) < 20]
    assert len(near) >= 3
    entry = next(e for e in layout.spec.report["built"] if e.get("as") == "elephant")
    assert len(entry["layers"]) == 6 and entry["placed"] == 6


def test_a_bridge_spans_the_river(parse):
    layout = synthesize_layout(parse("a stone bridge over a river"), seed=0)
    river = next(o for o in layout.objects if o.label == "river")
    bridge = next(o for o in layout.objects if o.label == "bridge")
    assert abs(bridge.position[0] - river.position[0]) < 0.5 * river.size[0]  # on the river
    cross = abs(math.cos(bridge.yaw - river.yaw))
    assert cross < 0.3 and bridge.size[2] > river.size[0]  # across it, longer than it is wide


def test_torches_on_the_walls_of_a_dungeon(parse):
    layout = synthesize_layout(parse("torches on the walls of a dark dungeon"), seed=0)
    W, H, D = layout.environment.room_size
    torches = [o for o in layout.objects if o.label == "torch"]
    assert len(torches) >= 2
    for t in torches:
        gap = min(W / 2 - abs(t.position[0]), D / 2 - abs(t.position[2]))
        assert gap < 0.5, (t.name, t.position)
    assert any(o.params.get("light") for o in torches)  # they light the room


def _colors(layout):
    return np.array([c for o in layout.objects for c in o.color] + list(layout.environment.ground_color or ()))


@pytest.mark.parametrize("style", ["cyberpunk", "Victorian", "medieval", "low poly", "Japanese", "gothic",
                                   "watercolor", "film noir"])
def test_a_style_changes_the_world(parse, style):
    plain = synthesize_layout(parse("a living room"), seed=0)
    styled = synthesize_layout(parse(f"a {style} living room"), seed=0)
    a = {(o.label, o.material) for o in plain.objects}
    b = {(o.label, o.material) for o in styled.objects}
    changed = a != b or not np.allclose(_colors(plain)[:30], _colors(styled)[:30], atol=0.02)
    assert changed
    assert plain.environment.lighting != styled.environment.lighting or styled.objects[0].params.get("grade") \
        or styled.objects[0].params.get("low_poly")


def test_art_styles_are_looks_not_things(parse):
    """Painting and film words grade the world's colours; they are never built as objects or dropped."""
    for prompt, look in [("a harbour, impressionist", "painterly"), ("an oil painting of a harbour", "painterly"),
                         ("a harbour in black and white", "monochrome")]:
        spec = parse(prompt)
        assert look in spec.style, prompt
        words = {"impressionist", "oil", "painting", "black", "white"}
        assert not [o for o in spec.objects if words & set(str(o.label or o.category).lower().split("_"))], spec.objects
    grey = synthesize_layout(parse("a harbour in black and white"), seed=0)
    cols = _colors(grey).reshape(-1, 3)
    assert len(cols) and np.abs(cols - cols.mean(axis=1, keepdims=True)).max() < 0.02  # no colour left


def test_low_poly_changes_the_geometry(parse):
    plain = build_scene_geometry(synthesize_layout(parse("a forest with a cabin"), seed=0), detail=1)
    low = build_scene_geometry(synthesize_layout(parse("a low poly forest with a cabin"), seed=0), detail=1)
    tri = lambda gs: sum(len(g.mesh.faces) for g in gs if g.name not in ("ground", "water"))  # noqa: E731
    assert tri(low) < 0.6 * tri(plain)
    assert all(p.material in ("plastic", "water", "glass", "neon", "lava") for g in low if g.name not in ("ground", "far_field")
               for p in g.parts)


def test_moods_set_lighting_weather_and_season(parse):
    plain = parse("a forest")
    for prompt, check in [
        ("a dark forest", lambda s, L: L.sun_intensity < 0.5 * lighting_for(plain).sun_intensity),
        ("a stormy forest", lambda s, L: s.weather == "rain" and L.fog_density > 0.02),
        ("a forest under the stars", lambda s, L: s.time_of_day == "night"),
        ("a neon forest", lambda s, L: s.time_of_day == "night"),
    ]:
        spec = parse(prompt)
        assert check(spec, lighting_for(spec)), prompt
    autumn = synthesize_layout(parse("a forest in autumn"), seed=0)
    crowns = [o.color for o in autumn.objects if o.label in ("oak_tree", "birch_tree")]
    assert crowns and np.mean([c[0] - c[1] for c in crowns]) > 0.1  # orange and red, not green


def test_prompts_meaning_different_places_never_share_a_layout(parse):
    prompts = ["a laundromat", "a bedroom", "a cathedral", "a library", "a greek temple", "happiness", "sadness",
               "asdf qwerty", "a pirate ship", "a rowboat"]
    layouts = [synthesize_layout(parse(p), seed=0).to_json() for p in prompts]
    assert len(set(layouts)) == len(prompts)
    assert synthesize_layout(parse("a bedroom"), seed=0).to_json() == layouts[1]  # and the same prompt, the same one
