"""The plan of a layout: which objects it holds (the prompt's and the archetype's), their sizes, and the environment."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from marble.errors import InputError
from marble.layout import (
    RELATION_KINDS,
    LayoutEnvironment,
    Relation,
    SceneSpec,
)
from marble.vocab import ARCHETYPES, COLORS, MATERIALS, OBJECTS
import pipelines.procedural.rules as rules
from pipelines.procedural.lighting import lighting_for
from pipelines.procedural.styles import WorldLook, world_look

MAX_COUNT = 200  # most objects of one kind a prompt may ask for


_NUMBER_WORDS = {"one", "single", "a single", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "dozen", "couple", "pair", "lone", "only"}


@dataclass
class Item:
    category: str
    color: tuple[float, float, float] | None = None
    material: str | None = None
    relation: Relation | None = None
    named: bool = False
    prominent: bool = False  # placed near the centre, facing it (the first few named objects of a kind)
    origin: int = -1  # index into spec.objects (-1: the scene's own contents, -2: a style's props)
    label: str | None = None  # layer label (an unknown noun built from its family: the user's word)
    word: str = ""  # the user's noun, for the layer name


def check_spec(spec: SceneSpec) -> None:
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


def _density(look: WorldLook, cat: str) -> float:
    c = OBJECTS[cat]
    return look.density.get(cat, look.density.get(c.family, 1.0)) * look.density.get("all", 1.0)


def _fits(cat: str, indoor: bool) -> bool:
    want = OBJECTS[cat].indoor
    return want is None or want == indoor


def plan_items(spec: SceneSpec, rng: np.random.Generator, look: WorldLook | None = None) -> list[Item]:
    arch = ARCHETYPES[spec.archetype]
    look = look or world_look(spec)
    content_counts = {cat: int(round(int(rng.integers(lo, hi + 1)) * _density(look, cat))) for cat, lo, hi in arch.contents}
    for cat, partner in rules.PAIRED.items():  # one office chair and one computer per desk
        if cat in content_counts and partner in content_counts:
            content_counts[cat] = content_counts[partner]
    named_cats = {o.category for o in spec.objects}
    replaced: set[str] = set()
    items: list[Item] = []
    for origin, o in enumerate(spec.objects):
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
        items += [Item(o.category, o.color, o.material, o.relation, named=True, prominent=k < n_prom, origin=origin,
                       label=getattr(o, "label", None), word=getattr(o, "word", "") or "") for k in range(count)]
    for cat, _, _ in arch.contents:
        if cat in named_cats or cat in replaced or content_counts[cat] == 0:
            continue
        items += [Item(cat) for _ in range(content_counts[cat])]
    # The looks' props (neon signs for cyberpunk, torches for medieval...), when they suit the place.
    have = {it.category for it in items}
    for cat, lo, hi in look.props:
        if not _fits(cat, spec.indoor) or cat in named_cats:
            continue
        n = int(rng.integers(lo, hi + 1))
        if cat in have:
            n = max(0, n - 1)
        items += [Item(cat, origin=-2) for _ in range(n)]
    cats = {it.category for it in items}
    # Relation targets that are missing: add one of each.
    for it in list(items):
        if it.relation is not None and it.relation.target not in cats and it.relation.kind != "against_wall":
            items.append(Item(it.relation.target, named=True, prominent=True,
                              origin=next((k for k, o in enumerate(spec.objects) if o.category == it.relation.target), -1)))
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
            items.append(Item(surface))
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


def sample_size(cat: str, rng: np.random.Generator) -> tuple[float, float, float]:
    c = OBJECTS[cat]
    t = float(rng.uniform())
    out = []
    for lo, hi in zip(c.size_min, c.size_max):
        ti = min(1.0, max(0.0, t + float(rng.uniform(-0.15, 0.15))))
        out.append(round(lo + (hi - lo) * ti, 4))
    return tuple(out)


def plan_environment(spec: SceneSpec, items: list[Item], rng: np.random.Generator,
                     look: WorldLook | None = None) -> LayoutEnvironment:
    arch = ARCHETYPES[spec.archetype]
    look = look or world_look(spec)
    indoor = bool(arch.indoor)
    ground = look.ground if look.ground and not indoor else arch.ground_material
    ground = look.materials.get(ground, ground) if not indoor else ground
    if not indoor and spec.weather == "snow" and ground in ("grass", "dirt", "sand", "moss", "straw"):
        ground = "snow"
    said = _surface_words(spec.prompt or "")
    ground = said.get("ground", ground)
    wall = said.get("wall", look.wall or arch.wall_material or "plaster")
    lighting = lighting_for(replace(spec, indoor=indoor))
    ground_color, wall_color = said.get("ground_color"), said.get("wall_color")
    base_ground = ground_color or MATERIALS[ground].color
    if spec.season == "autumn" and ground == "grass" and ground_color is None:
        base_ground = (0.45, 0.42, 0.16)
    if look.grade:
        from pipelines.procedural.styles import grade_color

        ground_color = grade_color(base_ground, look.grade)
        wall_color = grade_color(wall_color or MATERIALS[wall].color, look.grade)
    elif base_ground is not ground_color:
        ground_color = tuple(base_ground) if spec.season == "autumn" else ground_color
    said = {**said, "ground_color": ground_color, "wall_color": wall_color}
    if indoor:
        a = float(rng.uniform(0.88, 1.14))
        W, D = 2 * arch.extent * a, 2 * arch.extent / a
        area = sum(min(OBJECTS[it.category].size_max[0] * OBJECTS[it.category].size_max[2], (0.6 * arch.extent) ** 2)
                   for it in items if OBJECTS[it.category].support in ("floor", "ground") and it.category not in rules.FLAT
                   and it.category not in rules.WATER)
        # (outdoor things asked for indoors are scaled down to fit, see Placer._fit_indoor)
        if area > 0.3 * W * D:
            g = math.sqrt(area / (0.3 * W * D))
            W, D = W * g, D * g
        W, D = round(W, 3), round(D, 3)
        return LayoutEnvironment(archetype=arch.key, indoor=True, extent=max(W, D) / 2, ground_material=ground,
                                 ground_color=said.get("ground_color"), room_size=(W, float(arch.room_height), D),
                                 wall_material=wall, wall_color=said.get("wall_color"), lighting=lighting)
    E = float(arch.extent)
    area = sum(OBJECTS[it.category].size_max[0] * OBJECTS[it.category].size_max[2] for it in items
               if it.category not in rules.BACKDROP and it.category not in rules.WATER
               and OBJECTS[it.category].place not in ("span", "shore"))
    if area > 0.22 * (2 * E) ** 2:
        E = round(math.sqrt(area / 0.22) / 2, 3)
    return LayoutEnvironment(archetype=arch.key, indoor=False, extent=E, ground_material=ground,
                             ground_color=said.get("ground_color"), room_size=None, wall_material=wall,
                             lighting=lighting)
