"""The report: every thing, place, style and mood word is built, approximated or reported, never dropped."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marble.errors import InputError
from marble.text import describe_report, parse_prompt
from marble.text.report import REPORT_KEYS
from marble.vocab import ARCHETYPES, OBJECTS


class _HashEmbedder:
    """A cheap stand-in embedder (hashed character trigrams): any ``encode`` works."""

    name = "trigram-hash-report-test"

    def encode(self, texts):
        out = np.zeros((len(texts), 128), dtype=np.float32)
        for i, t in enumerate(texts):
            t = f"  {t}  "
            for j in range(len(t) - 2):
                out[i, sum(map(ord, t[j:j + 3])) % 128] += 1.0
        return out


_HASH = _HashEmbedder()


@pytest.fixture(scope="module")
def parse():
    from marble.text.embed import default_embedder

    e = default_embedder()
    return lambda p: parse_prompt(p, embedder=e)


def _all_words(spec) -> str:
    return " ".join(e.get("words", "") for k in REPORT_KEYS for e in spec.report.get(k, []))


@pytest.mark.parametrize("prompt, words", [
    ("a lighthouse on a cliff above a stormy sea", ["lighthouse", "cliff", "stormy", "sea"]),
    ("a cyberpunk living room with a piano under the stars", ["cyberpunk", "living room", "piano", "under the stars"]),
    ("a herd of elephants next to a barn in autumn", ["herd of elephants", "barn", "autumn"]),
    ("a zorblax and a window in a dark dungeon", ["zorblax", "window", "dark", "dungeon"]),
])
def test_every_thing_place_style_and_mood_word_is_in_the_report(parse, prompt, words):
    spec = parse(prompt)
    text = _all_words(spec)
    for w in words:
        assert w in text, (w, spec.report)


def test_report_sorts_entries_and_explains_what_was_not_built(parse):
    spec = parse("a zorblax and a window in a dark dungeon")
    not_built = {e["words"]: e["why"] for e in spec.report["not_built"]}
    assert "zorblax" in not_built and "window" in not_built
    assert "part of" in not_built["window"]
    built = {e["as"] for e in spec.report["built"]}
    assert {"dungeon", "dark"} <= built
    text = describe_report(spec)
    assert text.splitlines()[0].startswith("built") and "not built" in text and "'zorblax'" in text


def test_unknown_nouns_are_built_from_their_family_and_labelled(parse):
    spec = parse("a wildebeest near a janitor")
    labels = {o.label: o for o in spec.objects if o.label}
    assert labels, spec.objects
    for label, o in labels.items():
        e = next(x for x in spec.report["approximated"] if x.get("label") == label)
        assert e["similarity"] == o.score < 1.0 and e["family"] == OBJECTS[o.category].family


def test_a_guessed_scene_type_says_so(parse):
    for prompt in ("happiness", "asdf qwerty"):
        spec = parse(prompt)
        scene = spec.report["approximated"][0]
        assert scene["kind"] == "place" and scene["guess"] and spec.archetype in ARCHETYPES
    assert not parse("a bedroom").report["built"][0].get("guess")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=120))
def test_any_unicode_text_parses_or_is_rejected_cleanly(text):
    try:
        spec = parse_prompt(text, embedder=_HASH)
    except InputError as exc:
        assert "prompt" in str(exc)
        return
    assert spec.archetype in ARCHETYPES
    assert set(spec.report) == set(REPORT_KEYS)
    for o in spec.objects:
        assert o.category in OBJECTS and 0 <= o.count <= 100
    describe_report(spec)
    spec2 = parse_prompt(text, embedder=_HASH)
    assert spec2.to_dict() == spec.to_dict()  # deterministic


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_any_unicode_prompt_lays_out_a_world(text):
    from pipelines.procedural import synthesize_layout

    try:
        spec = parse_prompt(text, embedder=False)
    except InputError:
        return
    layout = synthesize_layout(spec, seed=0)
    assert layout.environment.archetype == spec.archetype
