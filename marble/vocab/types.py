"""The record types of Marble's vocabulary (filled from the JSON files in ``marble/vocab/data``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectCategory:
    """A kind of object Marble can build procedurally.

    Attributes:
        key: the category key ("lighthouse").
        words: words that name it directly (singular; plurals are derived).
        description: a sentence for embedding matches of unseen words.
        size_min, size_max: real-world size ranges in metres (width x, height y, depth z).
        material: default material key; color: default RGB in [0, 1].
        support: where it stands: ground | floor | table | wall | ceiling | water.
        indoor: True indoor only, False outdoor only, None either.
        family: the shape family that builds it ("tower", "quadruped", ...), also its group for
            unknown words; a category with its own generator still names its family.
        params: the family's parameters for this category (proportions, parts, variants).
        light: ``(height fraction, r, g, b, intensity)`` when it gives light after dark.
        place: placement rule ("edge", "backdrop", "path", "water", "span", "wall", "ceiling",
            "centre", "cluster", "row"), empty for the default scatter.
        group: typical number for a bare plural ("horses" -> a herd); 0 = the default.
        colors: alternative colours (species, liveries), one chosen per object by its variant.
    """

    key: str
    words: tuple[str, ...]
    description: str
    size_min: tuple[float, float, float]
    size_max: tuple[float, float, float]
    material: str
    color: tuple[float, float, float]
    support: str = "ground"
    indoor: bool | None = None
    family: str = ""
    params: dict = field(default_factory=dict, hash=False, compare=False)
    light: tuple[float, float, float, float, float] | None = None
    place: str = ""
    group: int = 0
    colors: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class Archetype:
    """A kind of scene with its ground, size and typical contents.

    Attributes:
        layout: a special arrangement: "street", "shore", "river", "enclosure" (walls around a
            yard), "rows" (fields and vineyards), "" for a plain scatter.
        time: the time of day the place implies when the prompt names none (None: day).
        styles: styles the place implies ("space_station" -> futuristic).
        lighting: overrides of the lighting (fog, tints, light levels), see ``marble.vocab.looks``.
    """

    key: str
    words: tuple[str, ...]
    description: str
    indoor: bool
    extent: float  # half-size in metres (outdoor area or room half-width)
    ground_material: str
    wall_material: str | None = None
    contents: tuple[tuple[str, int, int], ...] = ()  # (category, min count, max count)
    weather: str = "clear"  # default weather
    room_height: float = 2.7
    layout: str = ""
    time: str | None = None
    styles: tuple[str, ...] = ()
    lighting: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Material:
    """A procedural material: base colour and a seeded noise pattern."""

    key: str
    words: tuple[str, ...]
    color: tuple[float, float, float]
    pattern: str  # noise | grain | bricks | tiles | planks | ripples | speckle | weave | flat
    scale: float  # pattern feature size in metres
    contrast: float  # 0..1 amplitude of the pattern
    roughness: float = 0.8
    metallic: float = 0.0


@dataclass(frozen=True)
class Look:
    """A style ("cyberpunk", "Victorian", "low-poly") or a mood ("dark", "stormy", "autumn").

    Every field is an effect on the world; empty fields change nothing.

    Attributes:
        kind: "style" or "mood".
        materials: default material -> replacement for objects whose material the prompt did
            not name ("wood" -> "metal").
        ground, wall: ground / wall material of the scene.
        palette: colour grading of every surface: ``tint`` RGB, ``strength`` 0..1 of the tint,
            ``saturation``, ``contrast`` and ``brightness`` multipliers.
        variant: the architectural variant buildings take ("pagoda", "gothic", "neon", ...).
        props: extra contents ``(category, min, max)`` the look brings (neon signs, torches).
        lighting: lighting changes (see :func:`pipelines.procedural.lighting.lighting_for`).
        time, weather, season: what the word implies when the prompt says nothing else.
        low_poly: build coarse faceted geometry with flat colours.
        density: multipliers of the scene's own contents, by family or ``"all"`` ("busy" -> more
            people, "empty" -> fewer things, "lush" -> more plants).
    """

    key: str
    kind: str
    words: tuple[str, ...]
    description: str
    materials: dict = field(default_factory=dict, hash=False, compare=False)
    ground: str | None = None
    wall: str | None = None
    palette: dict = field(default_factory=dict, hash=False, compare=False)
    variant: str = ""
    props: tuple[tuple[str, int, int], ...] = ()
    lighting: dict = field(default_factory=dict, hash=False, compare=False)
    time: str | None = None
    weather: str | None = None
    season: str | None = None
    low_poly: bool = False
    density: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Family:
    """A shape family: what an unknown noun is built as when no category is close enough.

    Attributes:
        key: the family ("quadruped").
        category: the generic category built for an unknown member ("animal").
        description: sentences that embed near its members, for unknown words.
    """

    key: str
    category: str
    description: tuple[str, ...]
