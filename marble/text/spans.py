"""Spans: the prompt tokenised and matched to lexicon senses, unknown words resolved by embedding similarity."""

from __future__ import annotations

from dataclasses import dataclass

from marble.text.lexicon import (
    COUNT,
    DEFINITE,
    EACH,
    MAX_COUNT,
    MOOD,
    NEGATION,
    OBJECT,
    OTHER,
    STYLE,
    Sense,
    is_candidate_word,
    lexicon,
    looks_like_noun,
    max_phrase_len,
)
from marble.vocab import FAMILIES, OBJECTS

# Centred cosine similarity a leftover word needs to count as an object / archetype / style, and the
# family score (mean of the best family anchor and of the family's three best entries) an unknown
# noun needs to be built as its family's generic shape. Calibrated on ~180 unseen words
# (animals, vehicles, buildings, tools, food, people, gibberish, abstractions): at 0.26 with a 0.03
# margin over the "not a thing" anchors no gibberish or abstract word is kept while ~90% of real nouns are.
OBJECT_THRESHOLD = 0.50
OBJECT_SURE = 0.62  # a category this close is used even when another family scores higher
ARCHETYPE_THRESHOLD = 0.42
LOOK_THRESHOLD = 0.50
FAMILY_THRESHOLD = 0.26
FAMILY_MARGIN = 0.03  # ... and beat the best "not a thing" anchor by this much
FAMILY_KIND = "family"  # Sense kind of a family fallback (key: the family's generic category)
DEFAULT_PLURAL = 3  # "chairs" with no number and no archetype hint
AROUND_PLURAL = 4  # "chairs around a table"

# Place words that name a part of many scenes: another place word wins ("a road through the dunes").
WEAK_PLACES = frozenset({"road", "roads", "street", "streets", "avenue", "field", "fields", "sea", "ocean", "shore",
                          "coast", "camp", "den", "studio", "archive", "lawn", "island", "ski"})
BUILDINGS = frozenset({"house", "cabin", "building", "shop", "mountain", "tent"})




@dataclass
class Span:
    """A run of tokens ``[start, end)`` with the senses it can have."""

    start: int
    end: int
    text: str
    senses: tuple[Sense, ...] = ()
    score: float = 1.0  # 1.0 for lexicon words, the cosine similarity for embedding matches
    why: str = ""  # for an OTHER span: why nothing was built
    family: str = ""  # for an embedding match: the family of what it matched ("quadruped")
    fallback: bool = False  # built as the family's generic category, labelled with the user's word

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


def lexicon_spans(tokens: list[str]) -> list[Span]:
    lex = lexicon()
    n_max = max_phrase_len()
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        for n in range(min(n_max, len(tokens) - i), 0, -1):
            senses = lex.get(tuple(tokens[i:i + n]))
            if senses:
                spans.append(Span(i, i + n, " ".join(tokens[i:i + n]), senses))
                i += n
                break
        else:
            tok = tokens[i]
            senses: tuple[Sense, ...] = ()
            if tok.isascii() and tok.isdigit():
                n = int(tok[-7:]) if len(tok) <= 7 else MAX_COUNT + 1
                senses = (Sense(NEGATION),) if n == 0 else (Sense(COUNT, value=n),)
            spans.append(Span(i, i + 1, tok, senses))
            i += 1
    return spans


def resolve_unknown(spans: list[Span], embedder) -> list[Span]:
    """Match runs of unknown content words to objects, families, places and styles by embedding similarity.

    A run of up to three unknown words is tried whole ("sports utility vehicle") and word by word;
    the whole run wins when it scores at least as well. The head of a run (its last word) that is
    close enough to no category becomes its *family's* generic category when the family scores
    above :data:`FAMILY_THRESHOLD` ("a zebu" -> an animal labelled "zebu"); a word closer to a
    "not a thing" anchor (feelings, ideas, gibberish) becomes an OTHER span that says why.
    """
    from marble.text.embed import classify_phrases

    runs: list[list[int]] = []
    cur: list[int] = []
    for k, sp in enumerate(spans):
        prev = spans[k - 1] if k else None
        headish = (prev is not None and prev.has(COUNT) or prev is not None and prev.has(DEFINITE)
                   or prev is not None and prev.has(EACH)) and looks_like_noun(sp.text)
        if not sp.senses and (is_candidate_word(sp.text) or headish):
            nxt = spans[k + 1] if k + 1 < len(spans) else None
            # A word right before a known object noun modifies it ("sports car", "bunk bed").
            if nxt is not None and nxt.has(OBJECT, soft=True):
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
    found = dict(zip(queries, classify_phrases(embedder, queries)))

    replace: dict[int, Span] = {}  # first span index of a run -> merged span
    drop: set[int] = set()
    for r in runs:
        text = " ".join(spans[k].text for k in r)
        whole = decide(found[text], head=True) if len(r) > 1 else None
        singles = [decide(found[spans[k].text], head=(j == len(r) - 1)) for j, k in enumerate(r)]
        best_single = max((m[2] for m in singles if m is not None and m[0] != OTHER), default=0.0)
        if whole is not None and whole[0] != OTHER and whole[2] >= best_single - 0.02:
            first, last = spans[r[0]], spans[r[-1]]
            replace[r[0]] = _span(first.start, last.end, text, whole, looks_plural(last.text))
            drop.update(r[1:])
            continue
        if singles[-1] is not None and singles[-1][0] == OTHER:
            # Nothing built for the head: its unknown modifiers go with it into one not-built phrase ("asdf qwerty").
            j0 = len(r) - 1
            while j0 > 0 and singles[j0 - 1] is not None and singles[j0 - 1][0] == OTHER:
                j0 -= 1
            if j0 < len(r) - 1:
                first, last = spans[r[j0]], spans[r[-1]]
                words = " ".join(spans[k].text for k in r[j0:])
                replace[r[j0]] = _span(first.start, last.end, words, singles[-1], False)
                drop.update(r[j0 + 1:])
                singles = singles[:j0] + [None] * (len(r) - j0)
        for j, (k, m) in enumerate(zip(r, singles)):
            sp = spans[k]
            if m is None:
                continue
            if m[0] == OTHER and j != len(r) - 1:
                continue  # an unknown modifier of the head: it stays part of the noun phrase
            # The head of a noun phrase that names nothing Marble builds ("asdf"): its modifiers and
            # any relation must not leak onto the next noun.
            replace[k] = _span(sp.start, sp.end, sp.text, m, looks_plural(sp.text))
    return [replace.get(k, sp) for k, sp in enumerate(spans) if k not in drop]


def _span(start: int, end: int, text: str, decision, plural: bool) -> Span:
    kind, key, score, why, family = decision
    if kind == OTHER:
        return Span(start, end, text, (Sense(OTHER, text),), 0.0, why=why)
    if kind == FAMILY_KIND:
        return Span(start, end, text, (Sense(OBJECT, key, plural=plural),), score, family=family, fallback=True)
    return Span(start, end, text, (Sense(kind, key, plural=plural and kind == OBJECT),), score, family=family)


def decide(pk, *, head: bool):
    """What an unknown phrase becomes: ``(kind, key, score, why, family)``, or ``None`` to leave it alone.

    ``kind`` is OBJECT (a category), FAMILY_KIND (a family's generic category, key = that category),
    "archetype", STYLE / MOOD, or OTHER (not built, ``why`` says why).
    """
    obj, arch, fam = pk.get("object"), pk.get("archetype"), pk.get("family")
    style, mood = pk.get("style"), pk.get("mood")
    s_obj, s_arch, s_none = pk.score("object"), pk.score("archetype"), pk.score("none")
    fam_score = pk.score("family_mix") if pk.get("family_mix") is not None else pk.score("family")
    fam_key = (pk.get("family_mix") or fam).key if (pk.get("family_mix") or fam) is not None else ""
    look = max((m for m in (style, mood) if m is not None), key=lambda m: m.score, default=None)
    if s_arch >= ARCHETYPE_THRESHOLD and s_arch >= s_obj and s_arch > s_none:
        return ("archetype", arch.key, s_arch, "", "")
    if obj is not None and s_obj > s_none and (s_obj >= OBJECT_SURE or (
            s_obj >= OBJECT_THRESHOLD and OBJECTS[obj.key].family == fam_key)):
        return (OBJECT, obj.key, s_obj, "", OBJECTS[obj.key].family)
    if look is not None and look.score >= LOOK_THRESHOLD and look.score > max(s_obj, s_none):
        return (STYLE if look.kind == "style" else MOOD, look.key, look.score, "", "")
    if not head:
        return (OTHER, "", 0.0, "", "")
    if fam_key and fam_score >= FAMILY_THRESHOLD and fam_score >= s_none + FAMILY_MARGIN:
        return (FAMILY_KIND, FAMILIES[fam_key].category, fam_score, "", fam_key)
    if s_none >= max(s_obj, fam_score):
        why = "not a thing that can be built (a feeling, an idea or an unknown word)"
    else:
        best = f"closest: {fam_key} family at {fam_score:.2f}" if fam_key else "no close match"
        why = f"no category or family is close enough ({best})"
    return (OTHER, "", 0.0, why, "")


def looks_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
