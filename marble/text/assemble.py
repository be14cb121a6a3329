"""Assembly: a left-to-right walk over resolved spans that attaches counts, colours, materials and relations to nouns."""

from __future__ import annotations

from dataclasses import dataclass, field

from marble.layout import ObjectSpec, Relation
from marble.text.lexicon import (
    ABSTRACT,
    ARCHETYPE,
    BOUNDARY,
    COLOR,
    CONJ,
    COUNT,
    DEFINITE,
    EACH,
    INDOOR_HINT,
    MADE_OF,
    MATERIAL,
    MAX_COUNT,
    MOOD,
    NEGATION,
    OBJECT,
    OTHER,
    OUTDOOR_HINT,
    PART,
    PLURAL,
    PRONOUN,
    RELATION,
    STYLE,
    TIME,
    WALL,
    WEATHER_KIND,
    Sense,
)
from marble.text.spans import (
    WEAK_PLACES,
    Span,
)
from marble.vocab import ARCHETYPES, COLORS, OBJECTS


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


class Assembler:
    """The left-to-right walk over resolved spans that builds objects, relations and scene settings."""

    def __init__(self, tokens: list[str], spans: list[Span]) -> None:
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
        self.moods: list[str] = []
        # What became of each span, by its first token: ("object", index), ("place", key), ("style", key),
        # ("mood", key), ("time", key), ("weather", key), ("not_built", why), ("part", of what), ("word", "").
        self.fates: dict[int, tuple[str, object]] = {}
        self.indoor_hints = 0
        self.outdoor_hints = 0
        self.made_of = False

    # ------------------------------------------------------------------ helpers
    def _next_head(self, i: int) -> Span | None:
        """The next span that is not a modifier (colour, material, count, article, unknown adjective)."""
        for sp in self.spans[i + 1:]:
            kinds = sp.kinds()
            if not sp.senses or (not kinds) or kinds <= {COLOR, MATERIAL, STYLE, MOOD, DEFINITE, COUNT, EACH}:
                continue
            return sp
        return None

    def _source(self, sp: Span) -> str:
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
    def add_object(self, sp: Span, sense: Sense, *, implicit_plural: bool = False) -> int | None:
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
        self.fates[sp.start] = ("object", idx)
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

    def _negated(self, sp: Span, key: str) -> int | None:
        """"no cars", "without rocks": a count of 0 tells the layout to leave the archetype's ones out."""
        label = fallback_label(sp, key)
        for k, o in enumerate(self.objects):
            if o.category == key and o.label == label:
                self.fates[sp.start] = ("object", k)
                return None
        self.objects.append(ObjectSpec(category=key, count=0, source=self._source(sp), score=round(sp.score, 4),
                                       word=singular(sp.text), label=label, family=OBJECTS[key].family))
        self.meta.append(_Meta(explicit_count=True))
        self.fates[sp.start] = ("object", len(self.objects) - 1)
        return len(self.objects) - 1

    def _merge_or_new(self, key: str, count: int | None, color: str | None, material: str | None, sp: Span, *,
                      reference: bool) -> int:
        p = self.pending
        label = fallback_label(sp, key)
        existing = [k for k, o in enumerate(self.objects) if o.category == key and o.count != 0 and o.label == label]
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
                          color_name=color, material=material, source=self._source(sp), score=round(sp.score, 4),
                          word=singular(sp.text), label=label, family=sp.family or OBJECTS[key].family)
        self.objects.append(spec)
        self.meta.append(_Meta(explicit_count=p.explicit_count))
        return len(self.objects) - 1

    def add_archetype(self, sp: Span, key: str, i: int) -> None:
        nxt = self.spans[i + 1] if i + 1 < len(self.spans) else None
        compound = nxt is not None and nxt.has(OBJECT)  # "kitchen table", "garden bench"
        weak = compound or sp.text in WEAK_PLACES or (nxt is not None and nxt.has(ARCHETYPE))  # "city park"
        # (key, rank: weak mentions give way to others, confidence: halved for "a kitchen table")
        self.archetypes.append((key, 0.5 if weak else 1.0, sp.score * (0.5 if compound else 1.0), sp.start))
        if not compound:
            self.fates[sp.start] = ("place", key)
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
            elif OTHER in kinds or (kinds <= {ABSTRACT, PART} and not self._soft_part_object(sp)):
                if OTHER in kinds:
                    self.fates[sp.start] = ("not_built", sp.why)
                elif PART in kinds:
                    self.fates[sp.start] = ("part", sp.sense(PART).key)
                else:
                    self.fates[sp.start] = ("not_built", "not a thing that can be built (a feeling or an idea)")
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
                        self.fates.setdefault(sp.start, ("time", s.key))
                    elif s.kind == WEATHER_KIND and not s.soft:
                        self.weathers.append(s.key)
                        self.fates.setdefault(sp.start, ("weather", s.key))
                    elif s.kind in (STYLE, MOOD) and not s.soft:  # "stormy": rain and a stormy mood
                        self._look(sp, s)
                if TIME in kinds:
                    self.rel = self.inverted_kind = None  # "at sunset" is not a place
            elif kinds & {STYLE, MOOD} and not (kinds & {OBJECT, ARCHETYPE}):
                for s in sp.senses:
                    if s.kind in (STYLE, MOOD) and not s.soft:
                        self._look(sp, s)
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

    def _look(self, sp: Span, sense) -> None:
        (self.styles if sense.kind == STYLE else self.moods).append(sense.key)
        self.fates[sp.start] = (sense.kind, sense.key)

    def _soft_part_object(self, sp: Span) -> bool:
        """"a light": a part word ("light" = the lighting) that is an object right after an article."""
        return sp.sense(OBJECT, soft=True) is not None and self._soft_object_ok(sp)

    def _boundary(self, sp: Span) -> None:
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

    def _content(self, i: int, sp: Span, made_of: bool) -> None:
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
            # "island": a kitchen island after indoor words, else the beach; "a bridge over a river": the
            # river is the bridge's target (and a hint of the place); "a cafe on a city street": a shop.
            other_place = any(a[0] != arch.key for a in self.archetypes) or any(
                p.has(ARCHETYPE) and not p.has(OBJECT) for p in self.spans[i + 1:])
            if self.indoor_hints > 0 or any(ARCHETYPES[a[0]].indoor for a in self.archetypes):
                arch = None
            elif OBJECTS[obj.key].indoor is True and not ARCHETYPES[arch.key].indoor:
                obj = None  # "a lighthouse on a rocky island": with nothing indoors said, the place, not the counter
            elif self.rel is not None or other_place:
                if not other_place:
                    self.archetypes.append((arch.key, 0.5, sp.score * 0.5, sp.start))
                arch = None
            else:
                obj = None
        if obj is not None:
            compound = head is not None and head.has(ARCHETYPE) and head.start == sp.end
            self.add_object(sp, obj, implicit_plural=compound)
        else:
            self.add_archetype(sp, arch.key, i)

    def _soft_object_ok(self, sp: Span) -> bool:
        """Soft object words ("light", "well", "fire") count only right after an article, a number or a colour."""
        before = [p for p in self.spans if p.end <= sp.start][-3:]
        for p in reversed(before):
            kinds = p.kinds()
            if kinds & {COUNT, DEFINITE, EACH, COLOR, MATERIAL}:
                return True
            if p.senses and not (kinds <= {ARCHETYPE, STYLE, MOOD} or p.soft_only()):
                return False  # "stand next to": a verb after a noun
        return False

    def _post_modifier(self, sp: Span) -> None:
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


def singular(text: str) -> str:
    """The singular of a noun phrase's last word, for names ("pine trees" -> "pine tree")."""
    head, _, last = text.rpartition(" ")
    irregular = {"people": "person", "children": "child", "men": "man", "women": "woman", "mice": "mouse",
                 "geese": "goose", "cacti": "cactus", "shelves": "shelf", "leaves": "leaf", "wolves": "wolf",
                 "knives": "knife", "teeth": "tooth", "feet": "foot", "oxen": "ox"}
    if last in irregular:
        last = irregular[last]
    elif last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "sses", "xes", "zes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        last = last[:-1]
    return f"{head} {last}" if head else last


def fallback_label(sp: Span, key: str) -> str | None:
    """The layer label for an unknown noun built as its family's generic shape: the user's own word."""
    if sp.fallback:
        return singular(sp.text)
    return None
