"""Marble's vocabulary: scene types, object categories, families, materials, colours, styles and moods.

This is the contract between prompt understanding (``marble.text``), which maps free text onto
these keys, and layout synthesis (``pipelines.procedural``), which knows how to build each one.
It is data: the JSON files of ``marble/vocab/data`` (see :mod:`marble.vocab.load`), read once at
import. Sizes are real-world metres (width x, height y, depth z) as (min, max) ranges.
"""

from __future__ import annotations

import json

from marble.vocab.load import (
    DATA_DIR,
    VocabularyError,
    digest,
    load_archetypes,
    load_families,
    load_looks,
    load_materials,
    load_objects,
)
from marble.vocab.types import Archetype, Family, Look, Material, ObjectCategory

_WORDS = json.loads((DATA_DIR / "words.json").read_text(encoding="utf-8"))

COLORS: dict[str, tuple[float, float, float]] = {k: tuple(v) for k, v in _WORDS["colors"].items()}
TIMES_OF_DAY: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["times_of_day"].items()}
WEATHER: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["weather"].items()}
SEASONS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["seasons"].items()}
ABSTRACT_WORDS: frozenset[str] = frozenset(_WORDS["abstract"])
"""Nouns that are not things (feelings, ideas): never built, always reported."""
PART_WORDS: dict[str, str] = dict(_WORDS["parts"])
"""Nouns that name a part of something else ("window", "roof") -> what they are part of."""

MATERIALS: dict[str, Material] = load_materials()
OBJECTS: dict[str, ObjectCategory] = load_objects(MATERIALS)
ARCHETYPES: dict[str, Archetype] = load_archetypes(OBJECTS, MATERIALS)
FAMILIES: dict[str, Family] = load_families(OBJECTS)
LOOKS: dict[str, Look] = load_looks(OBJECTS, MATERIALS, TIMES_OF_DAY, WEATHER, SEASONS)
STYLES: tuple[str, ...] = tuple(k for k, v in LOOKS.items() if v.kind == "style")
MOODS: tuple[str, ...] = tuple(k for k, v in LOOKS.items() if v.kind == "mood")
VOCAB_DIGEST: str = digest()
"""Hash of every vocabulary file: caches built from the vocabulary are keyed by it."""

__all__ = [
    "ABSTRACT_WORDS", "ARCHETYPES", "Archetype", "COLORS", "FAMILIES", "Family", "LOOKS", "Look", "MATERIALS",
    "MOODS", "Material", "OBJECTS", "ObjectCategory", "PART_WORDS", "SEASONS", "STYLES", "TIMES_OF_DAY",
    "VOCAB_DIGEST", "VocabularyError", "WEATHER", "family_of",
]


def family_of(category: str) -> str:
    """The shape family of a category key ("" for an unknown key)."""
    c = OBJECTS.get(category)
    return c.family if c is not None else ""
