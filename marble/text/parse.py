"""Prompt understanding: free text -> :class:`marble.layout.SceneSpec` in Marble's vocabulary.

``parse_prompt("a cabin in a snowy pine forest at sunset")`` gives archetype ``forest``, weather
``snow``, time ``sunset`` and objects ``cabin`` and ``pine_tree``. It works in three passes:

1. *Lexicon*: the prompt is tokenised and matched greedily (longest phrase first) against the
   words of ``marble.vocab`` plus counts ("three", "a pair of"), relations ("next to"),
   negations, colours, materials, styles, times of day and weather (``marble.text.lexicon``).
2. *Embeddings*: leftover content words ("conifer", "hatchback", "seashore") are matched to
   object and archetype words and descriptions by cosine similarity with the packaged
   all-MiniLM-L6-v2 model (``marble.text.embed``); below a threshold they map to nothing.
3. *Assembly*: a left-to-right walk attaches counts, colours and materials to the noun they
   modify, relations to their subjects and targets, and picks the archetype (named, or inferred
   from the objects and the embedding of the whole prompt).

The parse is deterministic: same prompt, same spec.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

from marble.errors import InputError, ModelUnavailableError
from marble.layout import SceneSpec
from marble.limits import limits
from marble.text.assemble import Assembler
from marble.text.lexicon import tokenize
from marble.text.spans import (
    ARCHETYPE_THRESHOLD,
    AROUND_PLURAL,
    BUILDINGS,
    DEFAULT_PLURAL,
    OBJECT_THRESHOLD,
    lexicon_spans,
    resolve_unknown,
)
from marble.text.report import build_report, describe_report
from marble.vocab import ARCHETYPES, LOOKS, OBJECTS

__all__ = ["parse_prompt", "validate_prompt", "describe_spec", "describe_report", "OBJECT_THRESHOLD",
           "ARCHETYPE_THRESHOLD"]

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def validate_prompt(prompt: str) -> str:
    """Check a prompt and return it cleaned: control characters removed, whitespace collapsed.

    Emoji and right-to-left text are accepted (they simply match nothing).

    Raises:
        InputError: ``prompt`` is not a string, is empty or only whitespace, or is longer than
            ``limits().max_prompt_chars`` characters (``MARBLE_MAX_PROMPT_CHARS``).
    """
    if not isinstance(prompt, str):
        raise InputError(
            f"`prompt` must be text, got {type(prompt).__name__}: pass a string such as 'a beach at sunset'")
    cleaned = _CONTROL.sub(" ", prompt)
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in cleaned)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InputError("prompt is empty: describe the world to make, e.g. 'a beach at sunset'")
    max_chars = limits().max_prompt_chars
    if len(cleaned) > max_chars:
        raise InputError(
            f"prompt is {len(cleaned)} characters, more than the limit of {max_chars}: shorten it "
            f"(or raise MARBLE_MAX_PROMPT_CHARS)")
    return cleaned



# ------------------------------------------------------------------------------------- archetypes


def _choose_archetype(asm: Assembler, text: str, embedder) -> tuple[str, float]:
    """The named place (indoor first, then first named; weak/compound mentions only if nothing else), else inferred.

    Returns ``(archetype key, score)``: 1.0 for a listed place word, the similarity for an unseen
    one, halved when the place only qualifies an object ("a kitchen table").
    """
    strong = [a for a in asm.archetypes if a[1] >= 1.0] or asm.archetypes
    if strong:
        indoor = [a for a in strong if ARCHETYPES[a[0]].indoor]
        key = indoor[0][0] if indoor and asm.outdoor_hints == 0 else strong[0][0]
        score = max(a[2] for a in asm.archetypes if a[0] == key)
        return key, round(float(score), 4)
    return _infer_archetype(asm, text, embedder)


def _infer_archetype(asm: Assembler, text: str, embedder) -> tuple[str, float]:
    """No archetype word: score archetypes by the objects asked for and the whole prompt's embedding."""
    cats = [o.category for o in asm.objects]
    scores: dict[str, float] = {}
    if embedder is not None:
        from marble.text.embed import scene_scores

        scores = scene_scores(embedder, text)
    total: dict[str, float] = {}
    for key, a in ARCHETYPES.items():
        content = {c for c, _, hi in a.contents if hi > 0}
        evidence = 0.0
        for c in cats:
            cat = OBJECTS[c]
            if c in content:
                evidence += 1.0
            if cat.indoor is True and not a.indoor:
                evidence -= 1.5
            elif cat.indoor is False and a.indoor:
                evidence -= 1.5
        evidence /= max(1, len(cats))
        if asm.indoor_hints and not a.indoor:
            evidence -= 0.5
        if asm.outdoor_hints and a.indoor:
            evidence -= 0.5
        total[key] = scores.get(key, 0.0) + 0.35 * evidence
    best = max(total, key=lambda k: (total[k], -list(ARCHETYPES).index(k)))
    return best, round(max(0.0, min(1.0, scores.get(best, total[best]))), 4)


# ------------------------------------------------------------------------------------------ public


def parse_prompt(prompt: str, *, embedder=None) -> SceneSpec:
    """Map a free-text prompt onto Marble's vocabulary.

    Args:
        prompt: what to make, e.g. ``"three red chairs around a wooden table in a cosy living room"``.
        embedder: the sentence embedder for words the lexicon does not know and for inferring the
            archetype; ``None`` uses the packaged all-MiniLM-L6-v2 model (loaded once per process,
            only when the prompt needs it; if it cannot load, a ``RuntimeWarning`` is issued and the
            word lists alone are used), ``False`` uses the word lists only. Anything with
            ``encode(list[str]) -> [N, D]`` works.

    Returns:
        A :class:`~marble.layout.SceneSpec`: archetype (+ ``archetype_score``), indoor flag, objects
        (category, count, colour, material, relation, source words, score), time of day, weather, styles.

    Raises:
        InputError: the prompt is empty, too long or not text (see :func:`validate_prompt`).
    """
    text = validate_prompt(prompt)
    if embedder is None:
        from marble.text.embed import LAZY_DEFAULT

        embedder = LAZY_DEFAULT  # loads the model only if this prompt needs it
    elif embedder is False:
        embedder = None
    tokens = tokenize(text)
    spans = lexicon_spans(tokens)
    if embedder is not None:
        try:
            spans = resolve_unknown(spans, embedder)
        except ModelUnavailableError as exc:
            # The embedded default must always work: fall back to the word lists alone.
            warnings.warn(f"text model unavailable ({exc}); matching prompt words with the word lists only",
                          RuntimeWarning, stacklevel=2)
            embedder = None
    asm = Assembler(tokens, spans)
    asm.run()
    try:
        archetype, arch_score = _choose_archetype(asm, text, embedder)
    except ModelUnavailableError as exc:
        warnings.warn(f"text model unavailable ({exc}); inferring the place from the objects only",
                      RuntimeWarning, stacklevel=2)
        archetype, arch_score = _choose_archetype(asm, text, None)
    arch = ARCHETYPES[archetype]
    contents = {c: (lo, hi) for c, lo, hi in arch.contents}
    if arch.indoor:
        # "a log cabin interior": the building is the room itself, not something to put in it.
        asm.objects = [o for o in asm.objects if o.category not in BUILDINGS]
    for o, m in zip(asm.objects, asm.meta):
        if o.count is None:
            group = OBJECTS[o.category].group
            if o.category in contents and contents[o.category][1] > 1:
                lo, hi = contents[o.category]
                o.count = max(2, (lo + hi + 1) // 2)
            elif o.relation is not None and o.relation.kind == "around":
                o.count = AROUND_PLURAL
            elif group > 1:
                o.count = group  # "horses": a small herd
            else:
                o.count = DEFAULT_PLURAL
    styles = list(dict.fromkeys(asm.styles))
    moods = list(dict.fromkeys(asm.moods))
    looks = [LOOKS[k] for k in styles + moods]
    time_of_day = asm.times[0] if asm.times else next((lk.time for lk in looks if lk.time), None) or arch.time or "day"
    weather = asm.weathers[0] if asm.weathers else next((lk.weather for lk in looks if lk.weather), None) or arch.weather
    season = next((lk.season for lk in looks if lk.season), None)
    spec = SceneSpec(
        prompt=text,
        archetype=archetype,
        indoor=arch.indoor,
        objects=asm.objects,
        time_of_day=time_of_day,
        weather=weather,
        style=styles,
        archetype_score=arch_score,
        mood=moods,
        season=season,
    )
    spec.report = build_report(spec, tokens, asm.spans, asm.fates, archetype_named=bool(asm.archetypes))
    return spec


def describe_spec(spec: SceneSpec) -> str:
    """A few human-readable lines describing ``spec`` (what ``marble parse`` prints)."""
    where = "indoor" if spec.indoor else "outdoor"
    lines = [
        f"prompt:    {spec.prompt}",
        f"archetype: {spec.archetype} ({where}, score {spec.archetype_score:.2f})",
        f"time:      {spec.time_of_day}",
        f"weather:   {spec.weather}",
        f"style:     {', '.join(spec.style) if spec.style else '-'}",
        f"mood:      {', '.join(spec.mood) if spec.mood else '-'}" + (f" (season {spec.season})" if spec.season else ""),
        f"objects:   {len(spec.objects) if spec.objects else 'none named (the archetype decides)'}",
    ]
    for o in spec.objects:
        parts = [f"   no {o.category}" if o.count == 0 else f"  {o.count:>3} x {o.category}"]
        if o.color_name:
            parts.append(f"colour {o.color_name}")
        if o.material:
            parts.append(f"material {o.material}")
        if o.relation is not None:
            rel = o.relation
            where = "against the wall" if rel.kind == "against_wall" else f"{rel.kind.replace('_', ' ')} {rel.target}"
            parts.append(where)
        if o.label:
            parts.append(f"label {o.label!r} ({o.family} family)")
        parts.append(f"(from {o.source!r}, score {o.score:.2f})")
        lines.append("  ".join(parts))
    if spec.report:
        lines.append(describe_report(spec))
    return "\n".join(lines)
