"""Prompt understanding: free text -> :class:`marble.layout.SceneSpec` in Marble's vocabulary.

``parse_prompt("a cabin in a snowy pine forest at sunset")`` gives archetype ``forest``, weather
``snow``, time ``sunset`` and objects ``cabin`` and ``pine_tree``. It works in three passes:

1. *Lexicon*: the prompt is tokenised and matched greedily (longest phrase first) against the
   words of ``marble.vocab`` plus counts ("three", "a pair of"), relations ("next to"),
   negations, colours, materials, styles, times of day and weather (``marble.text_lexicon``).
2. *Embeddings*: leftover content words ("conifer", "hatchback", "seashore") are matched to
   object and archetype words and descriptions by cosine similarity with the packaged
   all-MiniLM-L6-v2 model (``marble.text_embed``); below a threshold they map to nothing.
3. *Assembly*: a left-to-right walk attaches counts, colours and materials to the noun they
   modify, relations to their subjects and targets, and picks the archetype (named, or inferred
   from the objects and the embedding of the whole prompt).

The parse is deterministic: same prompt, same spec.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field

from marble.errors import InputError, ModelUnavailableError
from marble.layout import ObjectSpec, Relation, SceneSpec
from marble.limits import limits
from marble.text_lexicon import (
    ARCHETYPE, BOUNDARY, COLOR, CONJ, COUNT, DEFINITE, EACH, INDOOR_HINT, MADE_OF, MATERIAL, MAX_COUNT, NEGATION,
    OBJECT, OTHER,
    OUTDOOR_HINT, PLURAL, PRONOUN, RELATION, STYLE, TIME, WALL, WEATHER_KIND, Sense, is_candidate_word, lexicon,
    max_phrase_len, tokenize,
)
from marble.vocab import ARCHETYPES, COLORS, OBJECTS

__all__ = ["parse_prompt", "validate_prompt", "describe_spec", "OBJECT_THRESHOLD", "ARCHETYPE_THRESHOLD"]

# Centred cosine similarity a leftover word needs to count as an object / archetype.
OBJECT_THRESHOLD = 0.40
ARCHETYPE_THRESHOLD = 0.42
DEFAULT_PLURAL = 3  # "chairs" with no number and no archetype hint
AROUND_PLURAL = 4  # "chairs around a table"

# Place words that name a part of many scenes: another place word wins ("a road through the dunes").
_WEAK_PLACES = frozenset({"road", "roads", "street", "streets", "avenue", "field", "fields", "sea", "ocean", "shore",
                          "coast", "camp", "den", "studio", "archive", "lawn", "island", "ski"})
_BUILDINGS = frozenset({"house", "cabin", "building", "shop", "mountain", "tent"})

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


# --------------------------------------------------------------------------------------------- spans


@dataclass
class _Span:
    """A run of tokens ``[start, end)`` with the senses it can have."""

    start: int
    end: int
    text: str
    senses: tuple[Sense, ...] = ()
    score: float = 1.0  # 1.0 for lexicon words, the cosine similarity for embedding matches

    def kinds(self) -> set[str]:
        return {s.kind for s in self.senses if not s.soft}

    def soft_only(self) -> bool:
        return bool(self.senses) and all(s.soft for s in self.senses)

    def has(self, kind: str, *, soft: bool = False) -> bool:
        return any(s.kind == kind and (soft or not s.soft) for s in self.senses)

    def sense(self, kind: str, *, soft: bool = True) -> Sense | None:
        for s in self.senses:
            if s.kind == kind and (soft or not s.soft):
                return s
        return None


def _lexicon_spans(tokens: list[str]) -> list[_Span]:
    lex = lexicon()
    n_max = max_phrase_len()
    spans: list[_Span] = []
    i = 0
    while i < len(tokens):
        for n in range(min(n_max, len(tokens) - i), 0, -1):
            senses = lex.get(tuple(tokens[i:i + n]))
            if senses:
                spans.append(_Span(i, i + n, " ".join(tokens[i:i + n]), senses))
                i += n
                break
        else:
            tok = tokens[i]
            senses: tuple[Sense, ...] = ()
            if tok.isascii() and tok.isdigit():
                n = int(tok[-7:]) if len(tok) <= 7 else MAX_COUNT + 1
                senses = (Sense(NEGATION),) if n == 0 else (Sense(COUNT, value=n),)
            spans.append(_Span(i, i + 1, tok, senses))
            i += 1
    return spans


def _resolve_unknown(spans: list[_Span], embedder) -> list[_Span]:
    """Match runs of unknown content words to objects and archetypes by embedding similarity.

    A run of up to three unknown words is tried whole ("sports utility vehicle") and word by word;
    the whole run wins when it scores at least as well. A word below the thresholds, or closest
    to a "none" anchor (people, animals, food...), becomes an OTHER span when it heads its phrase.
    """
    from marble.text_embed import match_phrases

    runs: list[list[int]] = []
    cur: list[int] = []
    for k, sp in enumerate(spans):
        if not sp.senses and is_candidate_word(sp.text):
            nxt = spans[k + 1] if k + 1 < len(spans) else None
            # A word right before a known object noun modifies it ("sports car", "bunk bed").
            if nxt is not None and nxt.has(OBJECT):
                if cur:
                    runs.append(cur)
                cur = []
                continue
            cur.append(k)
        else:
            if cur:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    runs = [r[-3:] for r in runs]  # noun phrases end with their head: keep the last three words
    queries: list[str] = []
    for r in runs:
        for k in r:
            queries.append(spans[k].text)
        if len(r) > 1:
            queries.append(" ".join(spans[k].text for k in r))
    queries = list(dict.fromkeys(queries))
    if not queries:
        return spans
    matches = dict(zip(queries, match_phrases(embedder, queries)))

    def accept(ms):
        if not ms:
            return None
        m = ms[0]
        if m.kind == "none":  # closest to a person, an animal, a feeling...: not a thing Marble builds
            return None
        th = OBJECT_THRESHOLD if m.kind == "object" else ARCHETYPE_THRESHOLD
        return m if m.score >= th else None

    replace: dict[int, _Span] = {}  # first span index of a run -> merged span
    drop: set[int] = set()
    for r in runs:
        whole = accept(matches.get(" ".join(spans[k].text for k in r))) if len(r) > 1 else None
        singles = [accept(matches[spans[k].text]) for k in r]
        best_single = max((m.score for m in singles if m is not None), default=0.0)
        if whole is not None and whole.score >= best_single - 0.02:
            first, last = spans[r[0]], spans[r[-1]]
            replace[r[0]] = _Span(first.start, last.end, " ".join(spans[k].text for k in r),
                                  (Sense(whole.kind, whole.key, plural=_looks_plural(last.text)),), whole.score)
            drop.update(r[1:])
            continue
        for j, (k, m) in enumerate(zip(r, singles)):
            sp = spans[k]
            if m is not None:
                replace[k] = _Span(sp.start, sp.end, sp.text, (Sense(m.kind, m.key, plural=_looks_plural(sp.text)),),
                                   m.score)
            elif j == len(r) - 1:
                # The head of a noun phrase that names nothing Marble builds ("two cats", "a stone bridge"):
                # its modifiers and any relation must not leak onto the next noun.
                replace[k] = _Span(sp.start, sp.end, sp.text, (Sense(OTHER, sp.text),), 0.0)
    return [replace.get(k, sp) for k, sp in enumerate(spans) if k not in drop]


def _looks_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


# ----------------------------------------------------------------------------------------- assembly


@dataclass
class _Pending:
    """Modifiers seen since the last noun: they attach to the next one."""

    count: int | None = None
    explicit_count: bool = False
    definite: bool = False
    each: bool = False
    negated: bool = False
    colors: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    start: int | None = None  # token index where the noun phrase began

    def touch(self, start: int) -> None:
        if self.start is None:
            self.start = start


@dataclass
class _Meta:
    explicit_count: bool = False
    implicit: bool = False  # a tree word before an archetype ("pine forest"): count left to the archetype


class _Assembler:
    """The left-to-right walk over resolved spans that builds objects, relations and scene settings."""

    def __init__(self, tokens: list[str], spans: list[_Span]) -> None:
        self.tokens = tokens
        self.spans = spans
        self.objects: list[ObjectSpec] = []
        self.meta: list[_Meta] = []
        self.history: list[int] = []  # object indices in order of mention
        self.group: list[int] = []  # the nouns a following relation applies to ("a sofa and a chair ...")
        self.group_is_target = False  # the group is the target of the last relation
        self.pending = _Pending()
        self.rel: tuple[str, list[int]] | None = None  # (kind, subject indices) waiting for a target
        self.inverted_kind: str | None = None  # "on the desk sits a laptop": the next noun is a target ...
        self.inverted: tuple[str, int] | None = None  # ... (kind, target index) for the noun after it
        self.clause_start = True
        self.archetypes: list[tuple[str, float, float, int]] = []  # (key, strength, score, token position)
        self.times: list[str] = []
        self.weathers: list[str] = []
        self.styles: list[str] = []
        self.indoor_hints = 0
        self.outdoor_hints = 0
        self.made_of = False

    # ------------------------------------------------------------------ helpers
    def _next_head(self, i: int) -> _Span | None:
        """The next span that is not a modifier (colour, material, count, article, unknown adjective)."""
        for sp in self.spans[i + 1:]:
            kinds = sp.kinds()
            if not sp.senses or (not kinds) or kinds <= {COLOR, MATERIAL, STYLE, DEFINITE, COUNT, EACH}:
                continue
            return sp
        return None

    def _source(self, sp: _Span) -> str:
        start = self.pending.start if self.pending.start is not None else sp.start
        return " ".join(self.tokens[start:sp.end])

    def _reset(self) -> None:
        self.pending = _Pending()

    def _relate(self, subjects: list[int], kind: str, target: int, *, each: bool = False) -> None:
        if kind.startswith("~"):  # inverse ("a cabin surrounded by trees"): the target points at the subject
            for k in subjects[-1:]:
                self._relate([target], kind[1:], k)
            return
        t = self.objects[target]
        for s in subjects:
            o = self.objects[s]
            if o.category != t.category and o.relation is None and o.count != 0:
                o.relation = Relation(kind=kind, target=t.category)
                if each and t.count and o.count is not None and o.count < t.count:
                    o.count = t.count  # "a lamp on each nightstand"

    # ------------------------------------------------------------------ objects
    def add_object(self, sp: _Span, sense: Sense, *, implicit_plural: bool = False) -> int | None:
        p = self.pending
        count = p.count
        if implicit_plural or count == PLURAL:
            count = None
        elif count is None:
            count = None if sense.plural else 1
        elif count == 1 and sense.plural and not p.explicit_count:
            count = None  # "a" before a plural noun reads as plural
        if count is not None:
            count = max(1, min(int(count), MAX_COUNT))
        if p.negated:
            idx = self._negated(sp, sense.key)
            self._reset()
            self.pending.negated = True  # "no cars or trucks"
            return idx
        color = p.colors[0] if p.colors else None
        material = p.materials[0] if p.materials else None
        is_target = self.rel is not None or self.inverted_kind is not None
        reference = (p.definite or p.each or (count is None and not implicit_plural)
                     or (is_target and not p.explicit_count))
        idx = self._merge_or_new(sense.key, count, color, material, sp, reference=reference)
        if implicit_plural and self.meta[idx].explicit_count is False:
            self.meta[idx].implicit = True
        if self.rel is not None:
            kind, subjects = self.rel
            self._relate(subjects, kind, idx, each=p.each)
            self.rel = None
            self.group, self.group_is_target = [idx], True
        elif self.inverted_kind is not None:
            self.inverted = (self.inverted_kind, idx)
            self.inverted_kind = None
            self.group, self.group_is_target = [], False
        elif self.inverted is not None:
            kind, target = self.inverted
            self._relate([idx], kind, target)
            self.inverted = None
            self.group, self.group_is_target = [idx], False
        else:
            if self.group_is_target:
                self.group, self.group_is_target = [], False
            if idx not in self.group:
                self.group.append(idx)
        self.history.append(idx)
        self._reset()
        self.clause_start = False
        return idx

    def _negated(self, sp: _Span, key: str) -> int | None:
        """"no cars", "without rocks": a count of 0 tells the layout to leave the archetype's ones out."""
        if any(o.category == key for o in self.objects):
            return None
        self.objects.append(ObjectSpec(category=key, count=0, source=self._source(sp), score=round(sp.score, 4)))
        self.meta.append(_Meta(explicit_count=True))
        return len(self.objects) - 1

    def _merge_or_new(self, key: str, count: int | None, color: str | None, material: str | None, sp: _Span, *,
                      reference: bool) -> int:
        p = self.pending
        existing = [k for k, o in enumerate(self.objects) if o.category == key and o.count != 0]
        if existing:
            k = existing[-1]
            o, m = self.objects[k], self.meta[k]
            compatible = color in (None, o.color_name) and material in (None, o.material)
            same = color == o.color_name and material == o.material
            if (reference or m.implicit) and compatible:
                # Another mention of the same thing: "a lamp on the table", "... a wooden table".
                if color is not None and o.color_name is None:
                    o.color_name, o.color = color, COLORS[color]
                if material is not None and o.material is None:
                    o.material = material
                if p.explicit_count and count is not None:
                    o.count, m.explicit_count = count, True
                m.implicit = False
                return k
            if same and not reference and o.count is not None and count is not None:
                # "a hatchback and a truck": two more of the same kind.
                o.count = min(MAX_COUNT, o.count + count)
                words = self._source(sp)
                if words not in o.source.split(", "):
                    o.source = f"{o.source}, {words}"
                o.score = round(min(o.score, sp.score), 4)
                return k
        spec = ObjectSpec(category=key, count=count, color=None if color is None else COLORS[color],
                          color_name=color, material=material, source=self._source(sp), score=round(sp.score, 4))
        self.objects.append(spec)
        self.meta.append(_Meta(explicit_count=p.explicit_count))
        return len(self.objects) - 1

    def add_archetype(self, sp: _Span, key: str, i: int) -> None:
        nxt = self.spans[i + 1] if i + 1 < len(self.spans) else None
        compound = nxt is not None and nxt.has(OBJECT)  # "kitchen table", "garden bench"
        weak = compound or sp.text in _WEAK_PLACES or (nxt is not None and nxt.has(ARCHETYPE))  # "city park"
        # (key, rank: weak mentions give way to others, confidence: halved for "a kitchen table")
        self.archetypes.append((key, 0.5 if weak else 1.0, sp.score * (0.5 if compound else 1.0), sp.start))
        self.rel = None
        self.inverted_kind = None
        if not compound:
            self._reset()
            self.clause_start = False

    # ------------------------------------------------------------------ the walk
    def run(self) -> None:
        for i, sp in enumerate(self.spans):
            made_of, self.made_of = self.made_of, False
            kinds = sp.kinds()
            if not sp.senses or not kinds:
                if sp.senses:  # soft-only words ("light", "well") are objects after an article
                    self._content(i, sp, made_of)
                continue  # unknown words (adjectives) keep the pending modifiers
            if BOUNDARY in kinds:
                self._boundary(sp)
            elif OTHER in kinds:
                self._reset()
                self.rel = self.inverted_kind = None
                self.group, self.group_is_target = [], False
            elif CONJ in kinds:
                pass  # "and"/"or" join the nouns of a group; a waiting relation keeps waiting
            elif COUNT in kinds and not (kinds & {OBJECT, ARCHETYPE}):
                self.pending.touch(sp.start)
                self.pending.count = sp.sense(COUNT).value
                self.pending.explicit_count = sp.text not in ("a", "an", "another")
            elif EACH in kinds:
                self.pending.touch(sp.start)
                self.pending.definite = self.pending.each = True
            elif DEFINITE in kinds:
                self.pending.touch(sp.start)
                self.pending.definite = True
            elif NEGATION in kinds:
                self.pending.touch(sp.start)
                self.pending.negated = True
            elif MADE_OF in kinds:
                self.made_of = True
            elif TIME in kinds or WEATHER_KIND in kinds:
                for s in sp.senses:
                    if s.kind == TIME and not s.soft:
                        self.times.append(s.key)
                    elif s.kind == WEATHER_KIND and not s.soft:
                        self.weathers.append(s.key)
                if TIME in kinds:
                    self.rel = self.inverted_kind = None  # "at sunset" is not a place
            elif STYLE in kinds and not (kinds & {OBJECT, ARCHETYPE}):
                self.styles.append(sp.sense(STYLE).key)
            elif RELATION in kinds:
                self._relation(i)
            elif PRONOUN in kinds:
                self._pronoun()
            elif INDOOR_HINT in kinds or WALL in kinds:
                self.indoor_hints += 1
            elif OUTDOOR_HINT in kinds:
                self.outdoor_hints += 1
            else:
                self._content(i, sp, made_of)
        self._reset()

    def _boundary(self, sp: _Span) -> None:
        self._reset()
        self.made_of = False
        self.rel = None
        self.inverted_kind = None
        if sp.text == "," and not self.group_is_target:
            return  # "a sofa, an armchair and a table around a rug": the list goes on
        self.group, self.group_is_target = [], False
        if sp.text != ",":
            self.inverted = None
        self.clause_start = True

    def _content(self, i: int, sp: _Span, made_of: bool) -> None:
        """A span that may be a colour, a material, an object or an archetype."""
        head = self._next_head(i)
        head_is_object = head is not None and head.has(OBJECT, soft=True) and (
            head.has(OBJECT) or self._soft_object_ok(head))
        modifier = sp.has(COLOR, soft=True) or sp.has(MATERIAL, soft=True)
        if head is not None and head.has(OTHER) and head.start == sp.end and not sp.has(ARCHETYPE):
            return  # "a stone bridge", "a red dragon": modifiers of something Marble does not build
        if modifier and (head_is_object or made_of or not (sp.has(OBJECT, soft=True) or sp.has(ARCHETYPE))):
            if head_is_object and not made_of:
                self.pending.touch(sp.start)
                for s in sp.senses:
                    if s.kind == COLOR:
                        self.pending.colors.append(s.key)
                    elif s.kind == MATERIAL:
                        self.pending.materials.append(s.key)
            elif made_of and not sp.soft_only():
                self._post_modifier(sp)  # "a table made of oak", "chairs in blue", "a fence painted white"
                self.made_of = True  # "upholstered in green velvet": the next modifier too
            return
        obj = sp.sense(OBJECT, soft=False)
        arch = sp.sense(ARCHETYPE, soft=False)
        if obj is None and arch is None:
            soft = sp.sense(OBJECT, soft=True)
            if soft is not None and not head_is_object and self._soft_object_ok(sp):
                self.add_object(sp, soft)  # "a light", "the fire", "a well"
            return
        if obj is not None and arch is not None:
            # "island": a kitchen island after indoor words, else the beach
            if self.indoor_hints > 0 or any(ARCHETYPES[a[0]].indoor for a in self.archetypes):
                arch = None
            else:
                obj = None
        if obj is not None:
            compound = head is not None and head.has(ARCHETYPE) and head.start == sp.end
            self.add_object(sp, obj, implicit_plural=compound)
        else:
            self.add_archetype(sp, arch.key, i)

    def _soft_object_ok(self, sp: _Span) -> bool:
        """Soft object words ("light", "well", "fire") count only right after an article, a number or a colour."""
        prev = next((p for p in reversed(self.spans) if p.end <= sp.start), None)
        return (prev is not None and prev.end == sp.start
                and bool(prev.kinds() & {COUNT, DEFINITE, EACH, COLOR, MATERIAL}))

    def _post_modifier(self, sp: _Span) -> None:
        """"a table made of oak", "a sofa in blue": attach to the last object of the clause."""
        if not self.group:
            return
        o = self.objects[self.group[-1]]
        for s in sp.senses:
            if s.kind == COLOR and o.color_name is None:
                o.color_name, o.color = s.key, COLORS[s.key]
            elif s.kind == MATERIAL and o.material is None:
                o.material = s.key

    def _relation(self, i: int) -> None:
        sp = self.spans[i]
        kind = sp.sense(RELATION).value
        self._reset()
        subjects = self._subjects(kind)
        # "against the wall", "on the wall", "along a wall"
        for nxt in self.spans[i + 1:i + 4]:
            if nxt.has(WALL):
                # No wall category exists: an against_wall relation names the subject itself as target.
                for k in subjects:
                    o = self.objects[k]
                    if o.relation is None and o.count != 0:
                        o.relation = Relation(kind="against_wall", target=o.category)
                self.rel = None
                return
            if not (nxt.kinds() <= {DEFINITE, COUNT, COLOR, MATERIAL, EACH}):
                break
        if subjects:
            self.rel = (kind, subjects)
        elif self.clause_start and sp.text not in ("at", "by", "before"):
            self.inverted_kind = kind  # "on the desk sits a laptop"

    def _subjects(self, kind: str) -> list[int]:
        """Which nouns of the group a relation applies to.

        "around" arranges the whole list ("a sofa, an armchair and a table around a rug"); "on"
        takes the last noun plus listed things that stand on tables ("a vase and books on the
        shelf"); the others take the last noun ("palm trees and deck chairs under an umbrella").
        """
        if not self.group:
            return []
        if kind == "around":
            return list(self.group)
        if kind == "on":
            on_tables = [k for k in self.group[:-1] if OBJECTS[self.objects[k].category].support == "table"]
            return on_tables + self.group[-1:]
        return self.group[-1:]

    def _pronoun(self) -> None:
        if self.rel is None:
            return
        kind, subjects = self.rel
        for k in reversed(self.history):
            if k not in subjects:
                self._relate(subjects, kind, k)
                break
        self.rel = None


# ------------------------------------------------------------------------------------- archetypes


def _choose_archetype(asm: _Assembler, text: str, embedder) -> tuple[str, float]:
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


def _infer_archetype(asm: _Assembler, text: str, embedder) -> tuple[str, float]:
    """No archetype word: score archetypes by the objects asked for and the whole prompt's embedding."""
    cats = [o.category for o in asm.objects]
    scores: dict[str, float] = {}
    if embedder is not None:
        from marble.text_embed import scene_scores

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
        from marble.text_embed import LAZY_DEFAULT

        embedder = LAZY_DEFAULT  # loads the model only if this prompt needs it
    elif embedder is False:
        embedder = None
    tokens = tokenize(text)
    spans = _lexicon_spans(tokens)
    if embedder is not None:
        try:
            spans = _resolve_unknown(spans, embedder)
        except ModelUnavailableError as exc:
            # The embedded default must always work: fall back to the word lists alone.
            warnings.warn(f"text model unavailable ({exc}); matching prompt words with the word lists only",
                          RuntimeWarning, stacklevel=2)
            embedder = None
    asm = _Assembler(tokens, spans)
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
        asm.objects = [o for o in asm.objects if o.category not in _BUILDINGS]
    for o, m in zip(asm.objects, asm.meta):
        if o.count is None:
            if o.category in contents and contents[o.category][1] > 1:
                lo, hi = contents[o.category]
                o.count = max(2, (lo + hi + 1) // 2)
            elif o.relation is not None and o.relation.kind == "around":
                o.count = AROUND_PLURAL
            else:
                o.count = DEFAULT_PLURAL
    styles = list(dict.fromkeys(asm.styles))
    return SceneSpec(
        prompt=text,
        archetype=archetype,
        indoor=arch.indoor,
        objects=asm.objects,
        time_of_day=asm.times[0] if asm.times else "day",
        weather=asm.weathers[0] if asm.weathers else arch.weather,
        style=styles,
        archetype_score=arch_score,
    )


def describe_spec(spec: SceneSpec) -> str:
    """A few human-readable lines describing ``spec`` (what ``marble parse`` prints)."""
    where = "indoor" if spec.indoor else "outdoor"
    lines = [
        f"prompt:    {spec.prompt}",
        f"archetype: {spec.archetype} ({where}, score {spec.archetype_score:.2f})",
        f"time:      {spec.time_of_day}",
        f"weather:   {spec.weather}",
        f"style:     {', '.join(spec.style) if spec.style else '-'}",
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
        parts.append(f"(from {o.source!r}, score {o.score:.2f})")
        lines.append("  ".join(parts))
    return "\n".join(lines)
