"""Read the vocabulary's JSON files (``marble/vocab/data``) into typed records, checking every reference.

Files, each a JSON object keyed by the entry's key:

- ``objects_*.json``: object categories (:class:`~marble.vocab.types.ObjectCategory`)
- ``archetypes_*.json``: scene types (:class:`~marble.vocab.types.Archetype`)
- ``materials.json``, ``families.json``, ``looks.json`` (styles and moods)
- ``words.json``: colours, times of day, weather, seasons, and the word lists for things that
  are not buildable (feelings and ideas; parts of other things)

Adding a category, a scene type or a style is an edit of these files; nothing else changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from marble.vocab.types import Archetype, Family, Look, Material, ObjectCategory

DATA_DIR = Path(__file__).with_name("data")
SUPPORTS = ("ground", "floor", "table", "wall", "ceiling", "water")
PLACES = ("", "edge", "backdrop", "path", "water", "shore", "span", "wall", "ceiling", "centre", "cluster", "row",
          "street")


class VocabularyError(ValueError):
    """A vocabulary file is malformed or refers to something that does not exist."""


def _read(pattern: str) -> dict:
    out: dict = {}
    for path in sorted(DATA_DIR.glob(pattern)):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise VocabularyError(f"vocabulary file {path.name} is not valid JSON: {exc}") from exc
        for key, value in doc.items():
            if key in out:
                raise VocabularyError(f"vocabulary key {key!r} is defined twice (again in {path.name})")
            out[key] = value
    return out


def _t3(v, where: str) -> tuple[float, float, float]:
    if not (isinstance(v, (list, tuple)) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)):
        raise VocabularyError(f"{where} must be 3 numbers, got {v!r}")
    return tuple(float(x) for x in v)


def digest() -> str:
    """sha256 of every data file (names and bytes): changes whenever the vocabulary does."""
    h = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("*.json")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def load_materials() -> dict[str, Material]:
    out = {}
    for key, d in _read("materials.json").items():
        out[key] = Material(key, tuple(d["words"]), _t3(d["color"], f"material {key} color"), d["pattern"],
                            float(d["scale"]), float(d["contrast"]), float(d.get("roughness", 0.8)),
                            float(d.get("metallic", 0.0)))
    return out


def load_objects(materials: dict[str, Material]) -> dict[str, ObjectCategory]:
    out = {}
    for key, d in _read("objects_*.json").items():
        where = f"object {key!r}"
        lo, hi = _t3(d["min"], f"{where} min"), _t3(d["max"], f"{where} max")
        if any(a <= 0 or a > b for a, b in zip(lo, hi)):
            raise VocabularyError(f"{where}: sizes must satisfy 0 < min <= max, got {lo} .. {hi}")
        if d["material"] not in materials:
            raise VocabularyError(f"{where}: unknown material {d['material']!r}")
        support = d.get("support", "ground")
        if support not in SUPPORTS:
            raise VocabularyError(f"{where}: support must be one of {', '.join(SUPPORTS)}, got {support!r}")
        place = d.get("place", "")
        if place not in PLACES:
            raise VocabularyError(f"{where}: place must be one of {', '.join(p for p in PLACES if p)}, got {place!r}")
        light = d.get("light")
        if light is not None and (len(light) != 5 or not all(isinstance(x, (int, float)) for x in light)):
            raise VocabularyError(f"{where}: light must be [height fraction, r, g, b, intensity], got {light!r}")
        out[key] = ObjectCategory(
            key=key, words=tuple(d["words"]), description=d["desc"], size_min=lo, size_max=hi,
            material=d["material"], color=_t3(d["color"], f"{where} color"), support=support,
            indoor=d.get("indoor"), family=d.get("family", ""), params=dict(d.get("params", {})),
            light=None if light is None else tuple(float(x) for x in light), place=place,
            group=int(d.get("group", 0)),
            colors=tuple(_t3(c, f"{where} colors") for c in d.get("colors", ())),
        )
    return out


def load_archetypes(objects: dict, materials: dict) -> dict[str, Archetype]:
    out = {}
    for key, d in _read("archetypes_*.json").items():
        where = f"scene type {key!r}"
        for m in (d["ground"], d.get("wall")):
            if m is not None and m not in materials:
                raise VocabularyError(f"{where}: unknown material {m!r}")
        contents = tuple((c, int(lo), int(hi)) for c, lo, hi in d.get("contents", ()))
        for c, lo, hi in contents:
            if c not in objects:
                raise VocabularyError(f"{where}: contents name unknown category {c!r}")
            if not 0 <= lo <= hi:
                raise VocabularyError(f"{where}: counts of {c!r} must satisfy 0 <= min <= max")
        out[key] = Archetype(
            key=key, words=tuple(d["words"]), description=d["desc"], indoor=bool(d["indoor"]),
            extent=float(d["extent"]), ground_material=d["ground"], wall_material=d.get("wall"), contents=contents,
            weather=d.get("weather", "clear"), room_height=float(d.get("room_height", 2.7)),
            layout=d.get("layout", ""), time=d.get("time"), styles=tuple(d.get("styles", ())),
            lighting=dict(d.get("lighting", {})),
        )
    return out


def load_families(objects: dict) -> dict[str, Family]:
    out = {}
    for key, d in _read("families.json").items():
        if d["category"] not in objects:
            raise VocabularyError(f"family {key!r}: unknown generic category {d['category']!r}")
        out[key] = Family(key, d["category"], tuple(d["desc"]))
    for c in objects.values():
        if c.family and c.family not in out:
            raise VocabularyError(f"object {c.key!r}: unknown family {c.family!r}")
    return out


def load_looks(objects: dict, materials: dict, times, weather, seasons) -> dict[str, Look]:
    out = {}
    for key, d in _read("looks.json").items():
        where = f"look {key!r}"
        if d["kind"] not in ("style", "mood"):
            raise VocabularyError(f"{where}: kind must be style or mood")
        mats = dict(d.get("materials", {}))
        for a, b in mats.items():
            if a not in materials or b not in materials:
                raise VocabularyError(f"{where}: unknown material in {a!r} -> {b!r}")
        for m in (d.get("ground"), d.get("wall")):
            if m is not None and m not in materials:
                raise VocabularyError(f"{where}: unknown material {m!r}")
        props = tuple((c, int(lo), int(hi)) for c, lo, hi in d.get("props", ()))
        for c, _, _ in props:
            if c not in objects:
                raise VocabularyError(f"{where}: props name unknown category {c!r}")
        for field_name, allowed in (("time", times), ("weather", weather), ("season", seasons)):
            if d.get(field_name) is not None and d[field_name] not in allowed:
                raise VocabularyError(f"{where}: unknown {field_name} {d[field_name]!r}")
        out[key] = Look(key=key, kind=d["kind"], words=tuple(d.get("words", ())), description=d["desc"],
                        materials=mats, ground=d.get("ground"), wall=d.get("wall"), palette=dict(d.get("palette", {})),
                        variant=d.get("variant", ""), props=props, lighting=dict(d.get("lighting", {})),
                        time=d.get("time"), weather=d.get("weather"), season=d.get("season"),
                        low_poly=bool(d.get("low_poly", False)),
                        density={k: float(v) for k, v in d.get("density", {}).items()})
    return out
