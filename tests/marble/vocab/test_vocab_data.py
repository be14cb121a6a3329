"""The vocabulary is data: enough scene types and categories, every reference valid, bad files rejected."""

from __future__ import annotations

import json

import pytest

import marble.vocab as vocab
from marble.vocab import load
from marble.vocab.load import VocabularyError


def test_vocabulary_is_large_enough_and_consistent():
    assert len(vocab.ARCHETYPES) >= 40 and len(vocab.OBJECTS) >= 200
    families = {c.family for c in vocab.OBJECTS.values()}
    for need in ("quadruped", "bird", "fish", "person", "tower", "boat", "vehicle", "machine", "plant", "bridge",
                 "stairs", "arch", "column", "water", "train", "aircraft", "cart", "wall"):
        assert need in families and need in vocab.FAMILIES, need
    for f in vocab.FAMILIES.values():
        assert f.category in vocab.OBJECTS and vocab.OBJECTS[f.category].family == f.key or f.key == "tree"
    for a in vocab.ARCHETYPES.values():
        assert all(c in vocab.OBJECTS for c, _, _ in a.contents), a.key
    for look in vocab.LOOKS.values():
        assert all(c in vocab.OBJECTS for c, _, _ in look.props), look.key
    assert {"cyberpunk", "victorian", "medieval", "futuristic", "rustic", "japanese", "low_poly", "gothic"} <= set(vocab.STYLES)
    assert {"dark", "stormy", "autumn", "neon"} <= set(vocab.MOODS)


def test_no_word_names_two_categories():
    seen: dict[str, str] = {}
    for c in vocab.OBJECTS.values():
        for w in c.words:
            assert seen.setdefault(w, c.key) == c.key, (w, seen[w], c.key)


def _copy_data(tmp_path, monkeypatch):
    for p in load.DATA_DIR.glob("*.json"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(load, "DATA_DIR", tmp_path)
    return tmp_path


def test_a_new_category_is_a_data_change(tmp_path, monkeypatch):
    d = _copy_data(tmp_path, monkeypatch)
    (d / "objects_extra.json").write_text(json.dumps({"yurt": {
        "words": ["yurt", "ger"], "desc": "a round felt tent of the steppe", "min": [5, 2.5, 5], "max": [7, 3.5, 7],
        "material": "fabric", "color": [0.9, 0.85, 0.75], "family": "building", "params": {"roof": "dome"}}}))
    mats = load.load_materials()
    objects = load.load_objects(mats)
    assert objects["yurt"].family == "building" and objects["yurt"].params == {"roof": "dome"}
    assert load.digest() != vocab.VOCAB_DIGEST  # caches keyed by the vocabulary rebuild

    from marble.layout import LayoutObject
    from pipelines.procedural.shapes import build_object

    monkeypatch.setitem(vocab.OBJECTS, "yurt", objects["yurt"])
    mesh, fp, parts = build_object(LayoutObject("yurt_0", "yurt", (0, 0, 0), (6.0, 3.0, 6.0), material="fabric",
                                                color=(0.9, 0.85, 0.75)))
    assert mesh.is_watertight and {p.name for p in parts} >= {"walls", "roof"}


@pytest.mark.parametrize("bad, message", [
    ({"words": ["x"], "desc": "x", "min": [1, 1, 1], "max": [2, 2, 2], "material": "unobtainium", "color": [1, 1, 1]},
     "unknown material"),
    ({"words": ["x"], "desc": "x", "min": [3, 1, 1], "max": [2, 2, 2], "material": "wood", "color": [1, 1, 1]},
     "sizes must satisfy"),
    ({"words": ["x"], "desc": "x", "min": [1, 1, 1], "max": [2, 2, 2], "material": "wood", "color": [1, 1, 1],
      "support": "sky"}, "support must be"),
])
def test_bad_vocabulary_files_are_rejected_with_the_reason(tmp_path, monkeypatch, bad, message):
    d = _copy_data(tmp_path, monkeypatch)
    (d / "objects_bad.json").write_text(json.dumps({"broken_thing": bad}))
    with pytest.raises(VocabularyError, match=message):
        load.load_objects(load.load_materials())


def test_embedding_cache_is_keyed_by_the_vocabulary(monkeypatch):
    from marble.text import embed

    a = embed._cache_file("model", ["a", "b"])
    monkeypatch.setattr(embed, "VOCAB_DIGEST", "something else")
    assert embed._cache_file("model", ["a", "b"]) != a
