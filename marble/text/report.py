"""The honest account of a prompt: what was built, what was approximated (and how closely), what was not (and why).

:func:`build_report` fills ``SceneSpec.report`` at parse time from the assembler's record of every
span; the layout stage adds the layer names made for each entry (and moves anything it could not
place to "not built"); :func:`describe_report` prints it for ``marble parse``, ``marble generate``
and the editor.

``report`` is a dict of three lists of entries, each entry a dict:

- ``words``: the user's words ("a herd of elephants"), ``kind``: object | place | style | mood |
  time | weather | part,
- ``as``: what Marble made of them ("elephant", "forest", "cyberpunk"), ``similarity`` in [0, 1]
  (1.0 for a listed word), and for objects ``count``, ``family``, ``label`` (the layer label of an
  unknown noun built from its family) and, after layout, ``layers``,
- ``guess``: True for a scene type inferred or matched below :data:`SCENE_GUESS_BELOW`,
- ``why``: for not built entries, the reason; ``note``: anything else worth saying.
"""

from __future__ import annotations

from marble.layout import SceneSpec
from marble.text.lexicon import is_candidate_word
from marble.vocab import ARCHETYPES, LOOKS

SCENE_GUESS_BELOW = 0.5
"""A scene type matched with a similarity below this is reported as a guess."""
EXACT = 0.999
"""Similarity at or above which a match is "built" rather than "approximated"."""

REPORT_KEYS = ("built", "approximated", "not_built")


def empty_report() -> dict:
    """A report with no entries."""
    return {k: [] for k in REPORT_KEYS}


def _look_effects(key: str) -> str:
    look = LOOKS[key]
    parts = []
    if look.materials or look.ground or look.wall:
        parts.append("materials")
    if look.palette:
        parts.append("colour grading")
    if look.variant:
        parts.append(f"{look.variant} architecture")
    if look.props:
        parts.append("props (" + ", ".join(c.replace("_", " ") for c, _, _ in look.props[:3]) + ")")
    if look.lighting or look.time or look.weather:
        parts.append("lighting" + (f", {look.time}" if look.time else "") + (f", {look.weather}" if look.weather else ""))
    if look.season:
        parts.append(f"{look.season} colours")
    if look.low_poly:
        parts.append("faceted low-poly geometry")
    if look.density:
        parts.append("how full the scene is")
    return ", ".join(parts)


def build_report(spec: SceneSpec, tokens: list[str], spans, fates: dict, *, archetype_named: bool) -> dict:
    """Every noun phrase, place, style and mood word of the prompt, sorted into built / approximated / not built.

    Args:
        spec: the parsed spec (objects, archetype, styles...).
        tokens: the prompt's tokens.
        spans: the resolved spans (``marble.text.spans.Span``).
        fates: the assembler's ``fates`` (span start -> what became of it).
        archetype_named: whether the prompt named its place (else the scene type was inferred).
    """
    rep = empty_report()
    by_start = {sp.start: sp for sp in spans}
    seen_objects: set[int] = set()
    place_words: list[str] = []
    for start in sorted(fates):
        fate, detail = fates[start]
        sp = by_start.get(start)
        words = sp.text if sp is not None else tokens[start]
        if fate == "object":
            if detail in seen_objects or detail >= len(spec.objects):
                continue
            seen_objects.add(detail)
            o = spec.objects[detail]
            entry = {"words": o.source or words, "kind": "object", "as": o.category, "family": o.family,
                     "count": int(o.count or 0), "similarity": round(float(o.score), 4)}
            if o.label:
                entry["label"] = o.label
                entry["note"] = f"unknown word built as a {o.family} ({o.category.replace('_', ' ')}), labelled {o.label!r}"
            if o.count == 0:
                entry["note"] = "left out, as asked"
            rep["built" if o.score >= EXACT and not o.label else "approximated"].append(entry)
        elif fate == "place":
            if detail == spec.archetype:
                place_words.append(words)
            else:
                rep["not_built"].append({"words": words, "kind": "place", "as": detail,
                                         "why": f"a world is one scene: it was built as {spec.archetype.replace('_', ' ')}"})
        elif fate in ("style", "mood"):
            rep["built"].append({"words": words, "kind": fate, "as": detail, "similarity": round(float(sp.score), 4)
                                 if sp is not None else 1.0, "note": _look_effects(detail)})
        elif fate in ("time", "weather"):
            rep["built"].append({"words": words, "kind": fate, "as": detail, "similarity": 1.0})
        elif fate == "part":
            environment = detail.startswith("the ") or detail in ("water bodies", "streets", "trees")
            entry = {"words": words, "kind": "part", "as": detail}
            if environment:
                entry["note"] = f"made as part of {detail}"
                rep["built"].append(entry)
            else:
                entry["why"] = f"part of {detail}: made with them, not on its own"
                rep["not_built"].append(entry)
        elif fate == "not_built":
            rep["not_built"].append({"words": words, "kind": "word", "why": detail or "not understood"})
    used = {w for o in spec.objects for w in (o.source or "").split()}
    for sp in spans:
        if sp.start in fates or sp.text in used:
            continue
        soft_object = sp.senses and sp.soft_only() and any(s.kind == "object" for s in sp.senses)
        unknown = not sp.senses and is_candidate_word(sp.text)
        if soft_object or unknown:
            rep["not_built"].append({"words": sp.text, "kind": "word",
                                     "why": "read as a verb or an adjective here" if soft_object
                                     else "not understood as a thing, place, style or mood"})
    score = float(spec.archetype_score)
    scene = {"words": ", ".join(dict.fromkeys(place_words)) if place_words else "(no place named)", "kind": "place",
             "as": spec.archetype, "similarity": round(score, 4)}
    if not archetype_named or score < SCENE_GUESS_BELOW:
        scene["guess"] = True
        scene["note"] = (f"guessed from the whole prompt (similarity {score:.2f})" if not archetype_named
                         else f"closest scene type, similarity {score:.2f}: a guess")
    rep["built" if archetype_named and score >= EXACT else "approximated"].insert(0, scene)
    implied = [s for s in ARCHETYPES[spec.archetype].styles if s not in spec.style]
    if implied:
        scene["note"] = (scene.get("note", "") + "; " if scene.get("note") else "") + \
            f"styled {', '.join(implied)} as the place implies"
    return rep


def describe_report(spec_or_report) -> str:
    """Readable lines of a report (``SceneSpec`` or its ``report`` dict): built, approximated, not built."""
    rep = spec_or_report.report if isinstance(spec_or_report, SceneSpec) else (spec_or_report or {})
    lines = []

    def what(e: dict) -> str:
        kind = e.get("kind", "")
        name = str(e.get("as", "")).replace("_", " ")
        if kind == "object":
            count = e.get("count", 1)
            base = f"{count} x {name}" if count else f"no {name}"
            if e.get("label"):
                base = f"{count} x {e['label']} ({e.get('family', '')} family: {name})"
            placed = e.get("placed")
            if placed is not None and placed != count:
                base += f", {placed} placed"
        elif kind == "place":
            base = f"scene: {name}"
        else:
            base = f"{kind}: {name}"
        return base

    for key, title in (("built", "built"), ("approximated", "approximated"), ("not_built", "not built")):
        entries = rep.get(key, [])
        lines.append(f"{title} ({len(entries)}):" if entries else f"{title}: -")
        for e in entries:
            extra = []
            if key == "approximated" and e.get("similarity") is not None:
                extra.append(f"similarity {float(e['similarity']):.2f}")
            if e.get("guess"):
                extra.append("a guess")
            if e.get("why"):
                extra.append(e["why"])
            elif e.get("note"):
                extra.append(e["note"])
            layers = e.get("layers")
            if layers:
                shown = ", ".join(layers[:4]) + (f" +{len(layers) - 4}" if len(layers) > 4 else "")
                extra.append(f"layers {shown}")
            tail = f"  ({'; '.join(extra)})" if extra else ""
            if key == "not_built":
                lines.append(f"  {e.get('words', '')!r}{tail}")
            else:
                lines.append(f"  {e.get('words', '')!r} -> {what(e)}{tail}")
    return "\n".join(lines)
