"""Spans: the prompt tokenised and matched to lexicon senses, unknown words resolved by embedding similarity."""

from __future__ import annotations

from dataclasses import dataclass

from marble.text.lexicon import (
    COUNT,
    MAX_COUNT,
    NEGATION,
    OBJECT,
    OTHER,
    Sense,
    is_candidate_word,
    lexicon,
    max_phrase_len,
)

# Centred cosine similarity a leftover word needs to count as an object / archetype.
OBJECT_THRESHOLD = 0.40
ARCHETYPE_THRESHOLD = 0.42
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
    """Match runs of unknown content words to objects and archetypes by embedding similarity.

    A run of up to three unknown words is tried whole ("sports utility vehicle") and word by word;
    the whole run wins when it scores at least as well. A word below the thresholds, or closest
    to a "none" anchor (people, animals, food...), becomes an OTHER span when it heads its phrase.
    """
    from marble.text.embed import match_phrases

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

    replace: dict[int, Span] = {}  # first span index of a run -> merged span
    drop: set[int] = set()
    for r in runs:
        whole = accept(matches.get(" ".join(spans[k].text for k in r))) if len(r) > 1 else None
        singles = [accept(matches[spans[k].text]) for k in r]
        best_single = max((m.score for m in singles if m is not None), default=0.0)
        if whole is not None and whole.score >= best_single - 0.02:
            first, last = spans[r[0]], spans[r[-1]]
            replace[r[0]] = Span(first.start, last.end, " ".join(spans[k].text for k in r),
                                  (Sense(whole.kind, whole.key, plural=looks_plural(last.text)),), whole.score)
            drop.update(r[1:])
            continue
        for j, (k, m) in enumerate(zip(r, singles)):
            sp = spans[k]
            if m is not None:
                replace[k] = Span(sp.start, sp.end, sp.text, (Sense(m.kind, m.key, plural=looks_plural(sp.text)),),
                                   m.score)
            elif j == len(r) - 1:
                # The head of a noun phrase that names nothing Marble builds ("two cats", "a stone bridge"):
                # its modifiers and any relation must not leak onto the next noun.
                replace[k] = Span(sp.start, sp.end, sp.text, (Sense(OTHER, sp.text),), 0.0)
    return [replace.get(k, sp) for k, sp in enumerate(spans) if k not in drop]


def looks_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
