"""Word lists and the phrase lexicon that prompt understanding (``marble.text``) matches first.

The lexicon maps phrases of one to four lower-case words onto *senses*: a kind (object,
archetype, material, colour, ...) and a key of ``marble.vocab``. Words that no entry covers are
left to the sentence-embedding matcher (``marble.text.embed``). Everything here is plain data,
built once per process from ``marble.vocab`` plus a few aliases that the vocabulary lacks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from marble.vocab import (
    ABSTRACT_WORDS,
    ARCHETYPES,
    COLORS,
    LOOKS,
    MATERIALS,
    OBJECTS,
    PART_WORDS,
    TIMES_OF_DAY,
    WEATHER,
)

# Kinds of sense a phrase can have.
OBJECT, ARCHETYPE, MATERIAL, COLOR, STYLE, TIME, WEATHER_KIND = (
    "object", "archetype", "material", "color", "style", "time", "weather")
COUNT, RELATION, NEGATION, DEFINITE, PRONOUN, WALL, BOUNDARY, STOP, INDOOR_HINT, OUTDOOR_HINT, MADE_OF = (
    "count", "relation", "negation", "definite", "pronoun", "wall", "boundary", "stop", "indoor_hint",
    "outdoor_hint", "made_of")
CONJ, EACH, OTHER = "conj", "each", "other"  # OTHER: a noun Marble does not build ("asdf")
MOOD, ABSTRACT, PART = "mood", "abstract", "part"  # "stormy"; "happiness" (not a thing); "a window" (part of a thing)

# Counts that words imply; ``None`` in a sense value means "plural, number left to the layout".
PLURAL = -1
MANY = 8
MAX_COUNT = 100  # larger counts are clamped (layouts of thousands of objects are not a prompt's job)

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100,
    "single": 1, "lone": 1, "solitary": 1, "twin": 2,
}

COUNT_PHRASES = {
    "a": 1, "an": 1, "another": 1,
    "a pair of": 2, "pair of": 2, "pairs of": 4, "a couple of": 2, "couple of": 2, "a couple": 2,
    "a few": 3, "few": 3, "some": PLURAL, "several": 4, "a handful of": 4, "a number of": 5,
    "many": MANY, "lots of": MANY, "a lot of": MANY, "plenty of": MANY, "numerous": MANY, "countless": 20,
    "a dozen": 12, "dozen": 12, "dozens of": 24, "hundreds of": MAX_COUNT, "thousands of": MAX_COUNT,
    "a row of": 5, "row of": 5, "rows of": 10, "a line of": 5, "a group of": 4, "a cluster of": 4,
    "a set of": 4, "a bunch of": 5, "a circle of": 6, "a ring of": 6, "a grove of": 6, "a stand of": 6,
    "a few of": 3, "various": 4, "multiple": 3,
    # collective nouns: "a herd of elephants", "a flock of birds"
    "a herd of": 6, "herd of": 6, "herds of": 12, "a flock of": 7, "flock of": 7, "flocks of": 14, "a school of": 8,
    "school of": 8, "a swarm of": 12, "a pack of": 5, "a crowd of": 10, "crowd of": 10, "crowds of": 20,
    "a fleet of": 4, "a pride of": 4, "a colony of": 10, "a troop of": 5, "a gaggle of": 6, "a parade of": 6,
    "a family of": 4, "a team of": 4, "a band of": 4, "a squad of": 5, "a pile of": 4, "a heap of": 4,
    "a stack of": 3, "an army of": 20, "a collection of": 5, "an array of": 6, "a field of": 12,
    "a sea of": 20, "a few more": 3,
}

RELATION_PHRASES = {
    "on": "on", "on top of": "on", "atop": "on", "upon": "on", "onto": "on", "on the top of": "on",
    "sitting on": "on", "resting on": "on", "placed on": "on", "standing on": "on",
    "next to": "next_to", "beside": "next_to", "besides": "next_to", "alongside": "next_to",
    "adjacent to": "next_to", "by the side of": "next_to", "at the side of": "next_to",
    "in front of": "in_front_of", "facing": "in_front_of", "before": "in_front_of", "opposite": "in_front_of",
    "behind": "behind", "in back of": "behind", "at the back of": "behind",
    "around": "around", "surrounding": "around", "encircling": "around",
    "all around": "around", "circling": "around", "arranged around": "around", "gathered around": "around",
    "in a circle around": "around", "in a ring around": "around",
    "under": "under", "beneath": "under", "underneath": "under", "below": "under",
    "near": "near", "nearby": "near", "close to": "near", "near to": "near", "by": "near",
    "not far from": "near", "at": "near",
    "over": "over", "across": "over", "spanning": "over", "crossing": "over", "straddling": "over",
    "above": "over", "arching over": "over", "stretching across": "over",
    "against": "next_to", "along": "next_to", "lining": "next_to",
    "between": "next_to", "on either side of": "next_to", "on both sides of": "next_to", "across from": "in_front_of",
    "across the street from": "in_front_of",
    "at the foot of": "in_front_of", "among": "near", "amongst": "near", "amid": "near", "in the middle of": "near",
    # Inverse relations ("~"): the *target* gets the relation, pointing at the subject.
    "surrounded by": "~around", "encircled by": "~around", "ringed by": "~around", "flanked by": "~next_to",
}
# Phrases naming a wall as the target ("against the wall", "on the wall", "hanging on a wall").
WALL_WORDS = ("wall", "walls")

NEGATIONS = ("no", "without", "not", "never", "none", "zero", "nothing but", "lacking", "except")
DEFINITES = ("the", "this", "that", "these", "those", "its", "their", "his", "her", "my", "our", "your")
PRONOUNS = ("it", "them", "each other", "one another")
CONJUNCTIONS = ("and", "or", "&", "plus", "along with", "together with", "as well as", "nor")
EACHES = ("each", "every", "either", "all the", "all of the", "both")
BOUNDARIES = (",", ".", ";", ":", "!", "?", "(", ")", "with", "where", "while", "which", "who", "whose",
              "and then", "but", "has", "have", "having", "featuring", "includes", "including", "containing",
              "full of", "filled with", "covered with")
MADE_OF_PHRASES = ("made of", "made from", "built of", "built from", "carved from", "carved out of", "in", "is", "are",
                   "painted", "painted in", "colored", "coloured", "upholstered in", "covered in", "clad in")

INDOOR_HINTS = ("inside", "indoor", "indoors", "interior", "room", "rooms", "apartment interior", "house interior",
                "home interior", "ceiling", "indoor scene")
OUTDOOR_HINTS = ("outside", "outdoor", "outdoors", "exterior", "landscape", "open air", "sky", "horizon",
                 "nature", "scenery", "vista")

# Function words and scene-generic words that must never become objects.
STOP_WORDS = frozenset("""
a an the and or of in into at to from for with without by as is are was were be been being it its this that
these those there here their they them he she his her we our you your i me my mine some any each every all both
very really quite rather so too just also only even still then than such much more most less least
up down out off through between among towards toward within inside outside upon about
beneath like unlike via per
big small large tiny huge giant enormous massive little tall short long wide narrow high low deep shallow
beautiful pretty lovely nice gorgeous stunning amazing wonderful charming quaint picturesque scenic
sparse full remote hidden
secret old new ancient young tiny huge open closed clean dirty messy tidy neat warm cool cold hot fresh dry
wet soft hard smooth rough flat round square curved straight thin thick heavy bright dim shiny
detailed realistic photorealistic cinematic stylized stylised lowpoly render rendering rendered
scene view place area spot space setting environment world landscape background foreground middle center
centre side sides top bottom left right front back corner edge distance horizon part lots lot kind sort
type bit piece thing things something someone somewhere anything everything image picture photo shot
made make makes making built build look looks looking seen see show shows showing has have having
standing sitting lying sits stands lies located situated placed set surrounded filled covered overlooking
nestled tucked perched scattered dotted lined leading going walking running flowing stretching spread
is are was were be there here where which who whom what when how why
lit style art illustration drawing sketch concept render version design
one ones other others another same different own near far away nearby
""".split())

# Adjectives ending in -ing/-ed that are never nouns; other -ing words may be nouns ("building").
_NOT_NOUN_SUFFIXES = ("ly", "ing", "ed", "ful", "ous", "ish", "ive", "less", "able", "ible")
_SUFFIX_NOUNS = frozenset({"shed", "sled", "ring", "king", "swing", "spring", "string", "wing", "sibling"})

# Extra phrases the vocabulary lacks: (phrase, kind, key). Kept short; unseen words go to embeddings.
ALIASES: tuple[tuple[str, str, str], ...] = (
    ("mountain range", OBJECT, "mountain"), ("kitchen island", OBJECT, "counter"),
    ("home office", ARCHETYPE, "office"), ("study room", ARCHETYPE, "office"), ("bed", OBJECT, "bed"),
    ("christmas tree", OBJECT, "pine_tree"), ("street light", OBJECT, "street_lamp"),
    ("dining room", ARCHETYPE, "kitchen"), ("reading lamp", OBJECT, "lamp"), ("ceiling lamp", OBJECT, "lamp"),
    ("as well", STOP, ""), ("well kept", STOP, ""), ("well known", STOP, ""),
    ("well worn", STOP, ""), ("well maintained", STOP, ""),
    # colours the vocabulary lacks
    ("scarlet", COLOR, "red"), ("ruby", COLOR, "red"), ("maroon", COLOR, "dark red"),
    ("burgundy", COLOR, "dark red"), ("azure", COLOR, "light blue"), ("sky blue", COLOR, "light blue"),
    ("cobalt", COLOR, "blue"), ("indigo", COLOR, "navy"), ("navy blue", COLOR, "navy"),
    ("emerald", COLOR, "green"), ("forest green", COLOR, "dark green"), ("mint", COLOR, "lime"),
    ("lavender", COLOR, "violet"), ("lilac", COLOR, "violet"), ("mauve", COLOR, "violet"),
    ("ivory", COLOR, "cream"), ("off white", COLOR, "cream"), ("charcoal", COLOR, "dark"),
    ("golden", COLOR, "gold"), ("amber", COLOR, "orange"), ("rust", COLOR, "orange"),
    ("grey", COLOR, "grey"), ("silvery", COLOR, "silver"), ("rose pink", COLOR, "pink"),
    ("reddish", COLOR, "red"), ("bluish", COLOR, "blue"), ("greenish", COLOR, "green"),
    ("yellowish", COLOR, "yellow"), ("brownish", COLOR, "brown"), ("whitish", COLOR, "white"),
    # materials the vocabulary lacks
    ("mahogany", MATERIAL, "wood"), ("walnut", MATERIAL, "wood"), ("birch wood", MATERIAL, "wood"),
    ("bamboo", MATERIAL, "wood"), ("plank", MATERIAL, "wood"), ("wicker", MATERIAL, "wood"),
    ("rattan", MATERIAL, "wood"), ("bronze", MATERIAL, "metal"), ("brass", MATERIAL, "metal"),
    ("tin", MATERIAL, "metal"), ("wrought iron", MATERIAL, "metal"), ("porcelain", MATERIAL, "tile"),
    ("marble", MATERIAL, "tile"), ("terracotta", MATERIAL, "brick"), ("clay", MATERIAL, "brick"),
    ("suede", MATERIAL, "fabric"), ("denim", MATERIAL, "fabric"), ("satin", MATERIAL, "fabric"),
    ("silk", MATERIAL, "fabric"), ("tweed", MATERIAL, "fabric"), ("upholstered", MATERIAL, "fabric"),
    ("slate", MATERIAL, "stone"), ("sandstone", MATERIAL, "stone"), ("limestone", MATERIAL, "stone"),
    ("stony", MATERIAL, "stone"), ("rocky", MATERIAL, "stone"), ("acrylic", MATERIAL, "plastic"),
    # times of day and weather
    ("sundown", TIME, "sunset"), ("nightfall", TIME, "night"), ("after dark", TIME, "night"),
    ("late evening", TIME, "sunset"), ("blue hour", TIME, "sunset"), ("first light", TIME, "dawn"),
    ("high noon", TIME, "day"), ("daylight", TIME, "day"), ("moon", TIME, "night"), ("stars", TIME, "night"),
    ("snowfall", WEATHER_KIND, "snow"), ("snowstorm", WEATHER_KIND, "snow"), ("snowcovered", WEATHER_KIND, "snow"),
    ("snow covered", WEATHER_KIND, "snow"), ("wintry", WEATHER_KIND, "snow"), ("icy", WEATHER_KIND, "snow"),
    ("drizzle", WEATHER_KIND, "rain"), ("downpour", WEATHER_KIND, "rain"), ("thunderstorm", WEATHER_KIND, "rain"),
    ("rainstorm", WEATHER_KIND, "rain"), ("showers", WEATHER_KIND, "rain"), ("raindrops", WEATHER_KIND, "rain"),
    ("smog", WEATHER_KIND, "fog"), ("smoky", WEATHER_KIND, "fog"), ("clouds", WEATHER_KIND, "overcast"),
    ("grey skies", WEATHER_KIND, "overcast"), ("gray sky", WEATHER_KIND, "overcast"),
    ("dreary", WEATHER_KIND, "overcast"),
    ("cloudless", WEATHER_KIND, "clear"), ("blue sky", WEATHER_KIND, "clear"),
)

# Senses of ambiguous vocabulary words that read wrongly in prompts ("a clear lake" is not weather).
_DROP = {("painted", MATERIAL), ("light", COLOR), ("dark", COLOR), ("clear", WEATHER_KIND), ("bright", WEATHER_KIND),
         ("range", OBJECT), ("well", OBJECT), ("box", OBJECT), ("seat", OBJECT), ("frame", OBJECT), ("pot", OBJECT),
         ("store", OBJECT), ("fire", OBJECT), ("screen", OBJECT), ("light", OBJECT)}
# ... but kept when they directly precede a noun (colours) or follow an article (objects): see marble.text.
SOFT_SENSES = {("light", COLOR, "light"), ("dark", COLOR, "dark"), ("well", OBJECT, "well"),
               ("light", OBJECT, "lamp"), ("fire", OBJECT, "campfire"), ("box", OBJECT, "crate"),
               ("pot", OBJECT, "vase"), ("screen", OBJECT, "computer"), ("store", OBJECT, "shop"),
               ("frame", OBJECT, "painting"), ("seat", OBJECT, "chair"), ("range", OBJECT, "stove")}
# Object words that are also common verbs or adjectives ("stand next to", "a plane surface"): objects only after
# an article, a number, a colour or a material ("a stand", "two posts").
SOFT_OBJECT_WORDS = frozenset("""
stand post posts pole poles cross stage rack jack till press notice standard cycle plane deck stable fort mast
trunk bath sink engine drum cone shell bar tank tub falls band figure family couple bike stall booth mill
station terminal vendor map pool reef spring wheel wheels bale shelter canopy awning gate column guard crane
""".split())


def _soft_object_word(text: str) -> bool:
    """``text`` (or the singular of it) is one of :data:`SOFT_OBJECT_WORDS`."""
    return text in SOFT_OBJECT_WORDS or (text.endswith("s") and (text[:-1] in SOFT_OBJECT_WORDS
                                                                 or text[:-2] in SOFT_OBJECT_WORDS))


@dataclass(frozen=True)
class Sense:
    """One meaning of a phrase: ``kind`` (object, archetype, colour, ...) and its vocabulary ``key``.

    ``plural`` is True for the plural form of an object word; ``value`` holds a count or a
    relation kind for count and relation phrases.
    """

    kind: str
    key: str = ""
    plural: bool = False
    value: int | str | None = None
    soft: bool = False  # only counts in the right context (see SOFT_SENSES)


def pluralize(word: str) -> str:
    """English plural of the last word of ``word`` ("pine tree" -> "pine trees", "shelf" -> "shelves")."""
    head, _, last = word.rpartition(" ")
    irregular = {"shelf": "shelves", "leaf": "leaves", "cactus": "cacti", "person": "people", "knife": "knives",
                 "bookshelf": "bookshelves", "stack of books": "stacks of books", "mouse": "mice",
                 "fish": "fish", "sheep": "sheep", "deer": "deer", "series": "series", "books": "books",
                 "flowers": "flowers", "shelves": "shelves", "dunes": "dunes", "mountains": "mountains"}
    if last in irregular:
        plural = irregular[last]
    elif re.search(r"(s|x|z|ch|sh)$", last):
        plural = last + "es"
    elif re.search(r"[^aeiou]y$", last):
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


def normalize_text(text: str) -> str:
    """Lower-case, NFKC-normalise and unify hyphens/apostrophes so words can be looked up."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[-\u2010-\u2015_/]+", " ", text)
    text = re.sub(r"'s\b", "", text)  # possessives: "the cabin's roof" -> "the cabin roof"
    return text


_TOKEN = re.compile(r"[^\W_]+|[,.;:!?()&]")


def tokenize(text: str) -> list[str]:
    """Split normalised text into words and punctuation tokens ("two red chairs, a lamp" -> 6 tokens)."""
    return _TOKEN.findall(normalize_text(text))


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[tuple[str, ...], tuple[Sense, ...]]:
    """The phrase lexicon: a tuple of words -> the senses it can have (built once per process)."""
    table: dict[tuple[str, ...], list[Sense]] = {}

    def add(phrase: str, sense: Sense) -> None:
        key = tuple(tokenize(phrase))
        if not key:
            return
        senses = table.setdefault(key, [])
        if sense not in senses:
            senses.append(sense)

    for o in OBJECTS.values():
        for w in o.words:
            add(w, Sense(OBJECT, o.key))
            p = pluralize(w)
            if p != w:
                add(p, Sense(OBJECT, o.key, plural=True))
    # Plural vocabulary words ("flowers", "books", "shelves") are plural senses too.
    for phrase, senses in table.items():
        for i, s in enumerate(senses):
            if s.kind == OBJECT and phrase[-1] in ("flowers", "books", "shelves"):
                senses[i] = Sense(OBJECT, s.key, plural=True)
    for a in ARCHETYPES.values():
        for w in a.words:
            add(w, Sense(ARCHETYPE, a.key))
            add(pluralize(w), Sense(ARCHETYPE, a.key))
    for m in MATERIALS.values():
        for w in m.words:
            add(w, Sense(MATERIAL, m.key))
    for c in COLORS:
        add(c, Sense(COLOR, c))
    for look in LOOKS.values():
        kind = STYLE if look.kind == "style" else MOOD
        for w in (look.key.replace("_", " "), *look.words):
            add(w, Sense(kind, look.key))
    for w in ABSTRACT_WORDS:
        add(w, Sense(ABSTRACT, w))
    for w, of in PART_WORDS.items():
        add(w, Sense(PART, of))
    for k, words in TIMES_OF_DAY.items():
        for w in words:
            add(w, Sense(TIME, k))
    for k, words in WEATHER.items():
        for w in words:
            add(w, Sense(WEATHER_KIND, k))
    for phrase, kind, key in ALIASES:
        if kind == OBJECT:
            add(phrase, Sense(OBJECT, key))
            add(pluralize(phrase), Sense(OBJECT, key, plural=True))
        else:
            add(phrase, Sense(kind, key))
    for phrase, n in NUMBER_WORDS.items():
        add(phrase, Sense(COUNT, value=n))
    for phrase, n in COUNT_PHRASES.items():
        add(phrase, Sense(COUNT, value=n))
    for phrase, rel in RELATION_PHRASES.items():
        add(phrase, Sense(RELATION, value=rel))
    for phrase in NEGATIONS:
        add(phrase, Sense(NEGATION))
    for phrase in DEFINITES:
        add(phrase, Sense(DEFINITE))
    for phrase in PRONOUNS:
        add(phrase, Sense(PRONOUN))
    for phrase in CONJUNCTIONS:
        add(phrase, Sense(CONJ))
    for phrase in EACHES:
        add(phrase, Sense(EACH))
    for phrase in WALL_WORDS:
        add(phrase, Sense(WALL))
    for phrase in BOUNDARIES:
        add(phrase, Sense(BOUNDARY))
    for phrase in MADE_OF_PHRASES:
        add(phrase, Sense(MADE_OF))
    for phrase in INDOOR_HINTS:
        add(phrase, Sense(INDOOR_HINT))
    for phrase in OUTDOOR_HINTS:
        add(phrase, Sense(OUTDOOR_HINT))

    out: dict[tuple[str, ...], tuple[Sense, ...]] = {}
    for phrase, senses in table.items():
        text = " ".join(phrase)
        kept = []
        for s in senses:
            if s.kind == OBJECT and _soft_object_word(text):
                kept.append(Sense(s.kind, s.key, s.plural, s.value, soft=True))
                continue
            if (text, s.kind) in _DROP:
                if (text, s.kind, s.key) in SOFT_SENSES:
                    kept.append(Sense(s.kind, s.key, s.plural, s.value, soft=True))
                continue
            kept.append(s)
        if kept:
            out[phrase] = tuple(kept)
    return out


@functools.lru_cache(maxsize=1)
def max_phrase_len() -> int:
    """Number of words in the longest lexicon phrase."""
    return max(len(k) for k in lexicon())


def is_candidate_word(word: str) -> bool:
    """Whether an unmatched word may name a thing (so is worth an embedding look-up)."""
    if len(word) < 3 or not word.isascii() or not word.isalpha():
        return False
    if word in STOP_WORDS or (word.endswith(_NOT_NOUN_SUFFIXES) and word not in _SUFFIX_NOUNS):
        return False
    return True


def looks_like_noun(word: str) -> bool:
    """An unmatched word after an article may be a noun even with an adjective suffix ("a wedding", "a clearing")."""
    return len(word) >= 3 and word.isascii() and word.isalpha() and word not in STOP_WORDS
