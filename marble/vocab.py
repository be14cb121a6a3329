"""Marble's vocabulary: archetypes, object categories, materials, colours, lighting words.

This is the contract between prompt understanding (``marble.text``), which maps free text onto
these keys, and layout synthesis (``pipelines.procedural``), which knows how to build each one.
Sizes are real-world metres (width x, height y, depth z) as (min, max) ranges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectCategory:
    """A kind of object Marble can build procedurally."""

    key: str
    words: tuple[str, ...]  # words that name it directly (singular; plurals are derived)
    description: str  # a sentence for embedding matches of unseen words
    size_min: tuple[float, float, float]
    size_max: tuple[float, float, float]
    material: str  # default material key
    color: tuple[float, float, float]  # default colour
    support: str = "ground"  # ground | floor | table | wall | ceiling
    indoor: bool | None = None  # True: indoor only; False: outdoor only; None: either


@dataclass(frozen=True)
class Archetype:
    """A kind of scene with its ground, size and typical contents."""

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


def _o(key, words, desc, smin, smax, material, color, support="ground", indoor=None):
    return ObjectCategory(key, tuple(words), desc, smin, smax, material, color, support, indoor)


OBJECTS: dict[str, ObjectCategory] = {o.key: o for o in [
    # --- vegetation
    _o("pine_tree", ["pine", "pine tree", "fir", "spruce", "evergreen"], "a tall conical evergreen pine tree",
       (2.0, 6.0, 2.0), (4.0, 12.0, 4.0), "leaves", (0.13, 0.30, 0.16), indoor=False),
    _o("oak_tree", ["tree", "oak", "oak tree", "maple", "deciduous tree"], "a broad leafy deciduous tree with a round crown",
       (3.0, 5.0, 3.0), (7.0, 10.0, 7.0), "leaves", (0.22, 0.42, 0.15), indoor=False),
    _o("birch_tree", ["birch", "birch tree", "aspen"], "a slender tree with a white trunk and small crown",
       (1.5, 5.0, 1.5), (3.0, 9.0, 3.0), "leaves", (0.40, 0.55, 0.20), indoor=False),
    _o("palm_tree", ["palm", "palm tree", "coconut tree"], "a tropical palm tree with a tall thin trunk and fronds",
       (2.5, 5.0, 2.5), (5.0, 10.0, 5.0), "leaves", (0.25, 0.50, 0.18), indoor=False),
    _o("bush", ["bush", "shrub", "hedge"], "a low rounded green bush", (0.8, 0.6, 0.8), (2.0, 1.5, 2.0), "leaves",
       (0.2, 0.40, 0.15), indoor=False),
    _o("flowers", ["flower", "flowers", "flower bed", "tulip", "rose"], "a patch of colourful flowers",
       (0.6, 0.3, 0.6), (1.5, 0.6, 1.5), "leaves", (0.85, 0.3, 0.45), indoor=False),
    _o("cactus", ["cactus", "saguaro"], "a spiky desert cactus with arms", (0.5, 1.0, 0.5), (1.2, 4.0, 1.2), "leaves",
       (0.28, 0.48, 0.25), indoor=False),
    _o("potted_plant", ["plant", "potted plant", "houseplant", "fern"], "a green plant in a pot",
       (0.3, 0.4, 0.3), (0.6, 1.5, 0.6), "leaves", (0.2, 0.45, 0.2), support="floor"),
    # --- terrain features
    _o("rock", ["rock", "stone", "boulder", "pebble"], "a grey rock or boulder on the ground", (0.4, 0.3, 0.4),
       (2.5, 1.8, 2.5), "stone", (0.48, 0.47, 0.45), indoor=False),
    _o("mountain", ["mountain", "peak", "hill", "cliff"], "a distant mountain peak", (30.0, 15.0, 30.0),
       (60.0, 35.0, 60.0), "stone", (0.45, 0.44, 0.46), indoor=False),
    _o("pond", ["pond", "lake", "pool", "puddle"], "a small body of still water", (3.0, 0.05, 3.0), (8.0, 0.1, 8.0),
       "water", (0.2, 0.38, 0.5), indoor=False),
    # --- buildings and outdoor structures
    _o("house", ["house", "home", "cottage", "villa"], "a house with walls, a door, windows and a pitched roof",
       (6.0, 5.0, 6.0), (10.0, 7.5, 9.0), "brick", (0.62, 0.3, 0.22), indoor=False),
    _o("cabin", ["cabin", "log cabin", "hut", "lodge", "chalet"], "a small wooden log cabin with a pitched roof",
       (4.0, 3.5, 4.0), (6.5, 5.0, 6.0), "wood", (0.45, 0.3, 0.18), indoor=False),
    _o("building", ["building", "skyscraper", "tower", "office building", "apartment"],
       "a tall city building with many windows", (8.0, 12.0, 8.0), (16.0, 40.0, 16.0), "concrete", (0.62, 0.62, 0.64),
       indoor=False),
    _o("shop", ["shop", "store", "cafe", "bakery", "restaurant"], "a small shop front on a street", (5.0, 4.0, 5.0),
       (8.0, 6.0, 7.0), "plaster", (0.8, 0.72, 0.6), indoor=False),
    _o("fence", ["fence", "railing", "picket fence"], "a wooden fence", (3.0, 1.0, 0.1), (6.0, 1.4, 0.15), "wood",
       (0.55, 0.42, 0.28), indoor=False),
    _o("tent", ["tent", "camping tent"], "a camping tent", (2.0, 1.2, 2.0), (3.0, 1.8, 3.0), "fabric",
       (0.85, 0.45, 0.15), indoor=False),
    _o("campfire", ["campfire", "bonfire", "fire pit", "fire"], "a campfire ring of stones with logs",
       (0.8, 0.4, 0.8), (1.4, 0.7, 1.4), "stone", (0.9, 0.45, 0.1), indoor=False),
    _o("well", ["well", "fountain"], "a round stone fountain or well", (1.5, 1.0, 1.5), (3.0, 1.8, 3.0), "stone",
       (0.6, 0.6, 0.58), indoor=False),
    _o("street_lamp", ["street lamp", "lamp post", "lamppost", "streetlight", "lantern"], "a tall street lamp on a pole",
       (0.3, 3.5, 0.3), (0.5, 5.5, 0.5), "metal", (0.15, 0.15, 0.17), indoor=False),
    _o("bench", ["bench", "park bench"], "a park bench to sit on", (1.4, 0.8, 0.5), (2.0, 0.95, 0.7), "wood",
       (0.5, 0.33, 0.2), indoor=False),
    _o("picnic_table", ["picnic table"], "a wooden picnic table with benches", (1.6, 0.75, 1.4), (2.0, 0.8, 1.8), "wood",
       (0.55, 0.38, 0.22), indoor=False),
    _o("car", ["car", "automobile", "sedan", "taxi", "vehicle"], "a car parked on the road", (1.7, 1.4, 4.0),
       (1.9, 1.6, 4.8), "metal", (0.7, 0.12, 0.1), indoor=False),
    _o("boat", ["boat", "canoe", "rowboat"], "a small boat", (1.2, 0.6, 3.0), (2.0, 1.0, 5.0), "wood",
       (0.6, 0.35, 0.2), indoor=False),
    _o("beach_umbrella", ["umbrella", "parasol", "beach umbrella"], "a beach umbrella over the sand",
       (1.8, 2.0, 1.8), (2.5, 2.5, 2.5), "fabric", (0.9, 0.2, 0.2), indoor=False),
    _o("deck_chair", ["deck chair", "sun lounger", "lounger", "beach chair"], "a deck chair for lying in the sun",
       (0.6, 0.8, 1.4), (0.7, 1.0, 1.8), "fabric", (0.2, 0.45, 0.8), indoor=False),
    _o("trash_can", ["trash can", "bin", "dustbin", "garbage can"], "a rubbish bin", (0.5, 0.8, 0.5), (0.7, 1.1, 0.7),
       "metal", (0.25, 0.32, 0.28)),
    _o("mailbox", ["mailbox", "postbox"], "a mailbox on a post", (0.3, 1.1, 0.4), (0.4, 1.3, 0.5), "metal",
       (0.2, 0.25, 0.6), indoor=False),
    _o("snowman", ["snowman"], "a snowman made of three snowballs", (0.8, 1.5, 0.8), (1.1, 2.0, 1.1), "snow",
       (0.95, 0.96, 0.98), indoor=False),
    _o("barrel", ["barrel", "crate", "box", "keg"], "a wooden barrel or crate", (0.5, 0.7, 0.5), (0.8, 1.0, 0.8), "wood",
       (0.5, 0.34, 0.2)),
    _o("statue", ["statue", "sculpture", "monument"], "a stone statue on a plinth", (0.8, 2.0, 0.8), (1.5, 3.5, 1.5),
       "stone", (0.75, 0.74, 0.7)),
    # --- furniture and indoor things
    _o("table", ["table", "dining table", "coffee table"], "a table with four legs", (1.0, 0.72, 0.7), (1.8, 0.78, 1.0),
       "wood", (0.55, 0.36, 0.2), support="floor"),
    _o("chair", ["chair", "stool", "seat"], "a chair with four legs and a backrest", (0.45, 0.85, 0.45),
       (0.55, 1.0, 0.55), "wood", (0.5, 0.33, 0.2), support="floor"),
    _o("sofa", ["sofa", "couch", "settee", "loveseat"], "a soft sofa with cushions and armrests", (1.8, 0.85, 0.85),
       (2.4, 0.95, 1.0), "fabric", (0.35, 0.42, 0.55), support="floor", indoor=True),
    _o("armchair", ["armchair", "recliner"], "a padded armchair", (0.8, 0.9, 0.8), (1.0, 1.05, 0.95), "fabric",
       (0.55, 0.3, 0.25), support="floor", indoor=True),
    _o("bed", ["bed", "double bed"], "a bed with a mattress, pillows and a headboard", (1.4, 0.6, 2.0),
       (1.8, 1.1, 2.2), "fabric", (0.85, 0.85, 0.88), support="floor", indoor=True),
    _o("nightstand", ["nightstand", "bedside table"], "a small bedside table with a drawer", (0.4, 0.5, 0.4),
       (0.55, 0.65, 0.5), "wood", (0.45, 0.3, 0.18), support="floor", indoor=True),
    _o("wardrobe", ["wardrobe", "closet", "armoire", "dresser"], "a tall wooden wardrobe", (1.0, 1.8, 0.55),
       (1.8, 2.2, 0.65), "wood", (0.5, 0.35, 0.22), support="floor", indoor=True),
    _o("bookshelf", ["bookshelf", "bookcase", "shelf", "shelves"], "a bookshelf full of books", (0.8, 1.6, 0.3),
       (1.2, 2.1, 0.4), "wood", (0.45, 0.3, 0.18), support="floor", indoor=True),
    _o("desk", ["desk", "writing desk", "workstation"], "a desk to work at", (1.2, 0.74, 0.6), (1.8, 0.78, 0.8), "wood",
       (0.6, 0.45, 0.3), support="floor", indoor=True),
    _o("office_chair", ["office chair", "swivel chair"], "an office chair on wheels", (0.6, 1.0, 0.6),
       (0.7, 1.2, 0.7), "fabric", (0.15, 0.15, 0.17), support="floor", indoor=True),
    _o("computer", ["computer", "monitor", "screen", "laptop"], "a computer monitor on a desk", (0.5, 0.35, 0.2),
       (0.7, 0.5, 0.25), "plastic", (0.1, 0.1, 0.12), support="table", indoor=True),
    _o("lamp", ["lamp", "floor lamp", "table lamp", "light"], "a lamp that gives light", (0.3, 0.5, 0.3),
       (0.45, 1.7, 0.45), "metal", (0.85, 0.8, 0.6), support="floor", indoor=True),
    _o("tv", ["tv", "television", "tv set"], "a flat television screen", (1.0, 0.6, 0.1), (1.6, 0.95, 0.12), "plastic",
       (0.05, 0.05, 0.06), support="floor", indoor=True),
    _o("rug", ["rug", "carpet", "mat"], "a rug on the floor", (1.5, 0.02, 1.0), (3.0, 0.03, 2.2), "fabric",
       (0.6, 0.25, 0.2), support="floor", indoor=True),
    _o("counter", ["counter", "kitchen counter", "cabinet", "cupboard", "island"], "a kitchen counter with cupboards",
       (1.5, 0.9, 0.6), (3.0, 0.95, 0.7), "wood", (0.9, 0.88, 0.84), support="floor", indoor=True),
    _o("fridge", ["fridge", "refrigerator", "freezer"], "a tall refrigerator", (0.7, 1.7, 0.7), (0.9, 2.0, 0.75),
       "metal", (0.85, 0.86, 0.88), support="floor", indoor=True),
    _o("stove", ["stove", "oven", "cooker", "range"], "a kitchen stove with an oven", (0.6, 0.9, 0.6), (0.9, 0.95, 0.7),
       "metal", (0.3, 0.3, 0.32), support="floor", indoor=True),
    _o("vase", ["vase", "bowl", "pot", "jar"], "a vase on a table", (0.15, 0.25, 0.15), (0.25, 0.45, 0.25), "plastic",
       (0.3, 0.45, 0.7), support="table", indoor=True),
    _o("books", ["book", "books", "stack of books"], "a stack of books on a table", (0.2, 0.1, 0.25), (0.3, 0.25, 0.35),
       "fabric", (0.6, 0.2, 0.2), support="table", indoor=True),
    _o("fireplace", ["fireplace", "hearth"], "a brick fireplace against a wall", (1.4, 1.2, 0.5), (2.0, 1.6, 0.7),
       "brick", (0.6, 0.3, 0.22), support="wall", indoor=True),
    _o("painting", ["painting", "picture", "poster", "frame", "mirror"], "a framed painting on the wall",
       (0.6, 0.5, 0.04), (1.4, 1.0, 0.05), "wood", (0.7, 0.55, 0.3), support="wall", indoor=True),
]}


def _a(key, words, desc, indoor, extent, ground, wall=None, contents=(), weather="clear", room_height=2.7):
    return Archetype(key, tuple(words), desc, indoor, extent, ground, wall, tuple(contents), weather, room_height)


ARCHETYPES: dict[str, Archetype] = {a.key: a for a in [
    _a("forest", ["forest", "woods", "woodland", "grove", "jungle"], "a forest full of trees on grassy ground",
       False, 20.0, "grass", contents=[("pine_tree", 10, 18), ("oak_tree", 4, 8), ("rock", 3, 6), ("bush", 4, 8)]),
    _a("snowy_mountains", ["mountains", "snowy mountains", "alps", "tundra", "glacier", "ski"],
       "snowy mountains with pine trees and rocks", False, 25.0, "snow",
       contents=[("mountain", 3, 5), ("pine_tree", 6, 12), ("rock", 4, 8)], weather="snow"),
    _a("beach", ["beach", "seaside", "coast", "shore", "ocean", "sea", "island"], "a sandy beach by the sea",
       False, 20.0, "sand", contents=[("palm_tree", 3, 6), ("beach_umbrella", 1, 3), ("deck_chair", 2, 4), ("rock", 2, 4)]),
    _a("desert", ["desert", "dunes", "sahara", "canyon", "badlands"], "a dry sandy desert with cacti and rocks",
       False, 25.0, "sand", contents=[("cactus", 5, 10), ("rock", 5, 10), ("mountain", 2, 3)]),
    _a("city_street", ["city", "street", "downtown", "town", "road", "avenue", "urban"],
       "a city street with buildings, cars and street lamps", False, 20.0, "asphalt",
       contents=[("building", 4, 8), ("car", 2, 4), ("street_lamp", 3, 6), ("trash_can", 1, 3), ("shop", 1, 2)]),
    _a("park", ["park", "garden", "meadow", "lawn", "field", "backyard"], "a green park with trees, benches and paths",
       False, 18.0, "grass", contents=[("oak_tree", 4, 8), ("bench", 2, 4), ("bush", 3, 6), ("flowers", 2, 5),
                                        ("street_lamp", 1, 3)]),
    _a("village", ["village", "farm", "countryside", "ranch", "hamlet"], "a rural village with houses and fences",
       False, 22.0, "grass", contents=[("house", 2, 4), ("fence", 3, 6), ("oak_tree", 3, 6), ("barrel", 1, 3),
                                        ("well", 0, 1)]),
    _a("campsite", ["campsite", "camp", "camping", "campground", "wilderness"], "a campsite with tents and a campfire",
       False, 16.0, "dirt", contents=[("tent", 1, 3), ("campfire", 1, 1), ("pine_tree", 5, 10), ("rock", 2, 5)]),
    _a("living_room", ["living room", "lounge", "family room", "den", "sitting room", "apartment interior"],
       "a cosy living room with a sofa, armchair, coffee table, lamp and rug", True, 3.0, "wood", "plaster",
       contents=[("sofa", 1, 1), ("armchair", 1, 2), ("table", 1, 1), ("rug", 1, 1), ("lamp", 1, 2), ("tv", 0, 1),
                 ("potted_plant", 1, 2), ("bookshelf", 0, 1), ("painting", 1, 2)]),
    _a("bedroom", ["bedroom", "bed room", "dorm", "guest room"], "a bedroom with a bed, nightstands and a wardrobe",
       True, 2.6, "wood", "plaster", contents=[("bed", 1, 1), ("nightstand", 1, 2), ("wardrobe", 1, 1), ("rug", 0, 1),
                                                ("lamp", 1, 1), ("painting", 0, 1)]),
    _a("kitchen", ["kitchen", "kitchenette", "diner"], "a kitchen with counters, a fridge, a stove, a table and chairs",
       True, 2.8, "tile", "plaster", contents=[("counter", 2, 3), ("fridge", 1, 1), ("stove", 1, 1), ("table", 1, 1),
                                               ("chair", 2, 4), ("vase", 0, 1)]),
    _a("office", ["office", "study", "workspace", "studio", "classroom"], "an office with desks, office chairs and computers",
       True, 3.5, "carpet", "plaster", contents=[("desk", 2, 4), ("office_chair", 2, 4), ("computer", 2, 4),
                                                 ("bookshelf", 1, 2), ("potted_plant", 1, 2)]),
    _a("library", ["library", "reading room", "archive"], "a library with tall bookshelves, tables and chairs",
       True, 4.0, "wood", "plaster", contents=[("bookshelf", 4, 8), ("table", 1, 2), ("chair", 2, 4), ("lamp", 1, 2),
                                                ("books", 1, 3)], room_height=3.2),
]}


def _m(key, words, color, pattern, scale, contrast, roughness=0.8, metallic=0.0):
    return Material(key, tuple(words), color, pattern, scale, contrast, roughness, metallic)


MATERIALS: dict[str, Material] = {m.key: m for m in [
    _m("wood", ["wood", "wooden", "timber", "oak", "pine", "log"], (0.55, 0.38, 0.22), "planks", 0.15, 0.35, 0.7),
    _m("stone", ["stone", "rock", "granite", "cobblestone"], (0.5, 0.5, 0.48), "noise", 0.3, 0.35, 0.9),
    _m("brick", ["brick", "bricks"], (0.6, 0.28, 0.2), "bricks", 0.25, 0.4, 0.9),
    _m("grass", ["grass", "grassy", "lawn", "turf"], (0.28, 0.45, 0.18), "speckle", 0.08, 0.35, 0.95),
    _m("sand", ["sand", "sandy"], (0.86, 0.77, 0.58), "ripples", 0.5, 0.18, 0.95),
    _m("snow", ["snow", "snowy", "ice", "icy", "frozen"], (0.93, 0.95, 0.98), "noise", 0.8, 0.06, 0.6),
    _m("water", ["water", "watery"], (0.18, 0.36, 0.5), "ripples", 0.6, 0.15, 0.1),
    _m("fabric", ["fabric", "cloth", "velvet", "cotton", "wool", "linen", "leather"], (0.5, 0.5, 0.55), "weave", 0.02, 0.15, 0.95),
    _m("metal", ["metal", "metallic", "steel", "iron", "chrome", "aluminium", "aluminum", "copper", "gold"],
       (0.6, 0.6, 0.62), "grain", 0.05, 0.08, 0.35, 1.0),
    _m("plaster", ["plaster", "painted", "stucco"], (0.88, 0.86, 0.82), "noise", 0.5, 0.05, 0.9),
    _m("concrete", ["concrete", "cement"], (0.6, 0.6, 0.6), "speckle", 0.1, 0.18, 0.9),
    _m("asphalt", ["asphalt", "tarmac", "pavement"], (0.22, 0.22, 0.23), "speckle", 0.04, 0.15, 0.95),
    _m("dirt", ["dirt", "mud", "soil", "earth", "gravel"], (0.42, 0.33, 0.24), "noise", 0.2, 0.3, 0.95),
    _m("leaves", ["leaves", "leafy", "foliage"], (0.22, 0.42, 0.16), "speckle", 0.12, 0.4, 0.9),
    _m("bark", ["bark"], (0.35, 0.25, 0.17), "grain", 0.06, 0.35, 0.95),
    _m("tile", ["tile", "tiled", "ceramic", "marble"], (0.85, 0.85, 0.82), "tiles", 0.4, 0.12, 0.3),
    _m("carpet", ["carpet", "carpeted"], (0.45, 0.42, 0.45), "speckle", 0.01, 0.12, 1.0),
    _m("plastic", ["plastic", "rubber", "vinyl"], (0.5, 0.5, 0.5), "flat", 1.0, 0.0, 0.5),
    _m("glass", ["glass", "glassy", "crystal"], (0.7, 0.8, 0.85), "flat", 1.0, 0.0, 0.05),
]}


COLORS: dict[str, tuple[float, float, float]] = {
    "red": (0.75, 0.12, 0.1), "dark red": (0.45, 0.06, 0.05), "crimson": (0.7, 0.08, 0.15),
    "orange": (0.9, 0.45, 0.1), "yellow": (0.92, 0.8, 0.15), "gold": (0.85, 0.68, 0.2),
    "green": (0.2, 0.55, 0.2), "dark green": (0.1, 0.3, 0.12), "lime": (0.55, 0.8, 0.2), "olive": (0.45, 0.45, 0.2),
    "teal": (0.1, 0.5, 0.5), "cyan": (0.2, 0.75, 0.8), "turquoise": (0.25, 0.75, 0.7),
    "blue": (0.15, 0.3, 0.75), "light blue": (0.55, 0.7, 0.9), "navy": (0.08, 0.12, 0.35),
    "purple": (0.45, 0.2, 0.6), "violet": (0.55, 0.35, 0.75), "pink": (0.92, 0.55, 0.65), "magenta": (0.8, 0.2, 0.6),
    "brown": (0.45, 0.3, 0.18), "beige": (0.85, 0.78, 0.62), "tan": (0.78, 0.65, 0.45), "cream": (0.95, 0.92, 0.8),
    "white": (0.93, 0.93, 0.92), "black": (0.06, 0.06, 0.07), "grey": (0.5, 0.5, 0.5), "gray": (0.5, 0.5, 0.5),
    "silver": (0.75, 0.76, 0.78), "dark": (0.15, 0.15, 0.16), "light": (0.85, 0.85, 0.83),
}


TIMES_OF_DAY: dict[str, tuple[str, ...]] = {
    "dawn": ("dawn", "sunrise", "early morning", "daybreak"),
    "day": ("day", "daytime", "noon", "midday", "afternoon", "sunny", "morning"),
    "sunset": ("sunset", "dusk", "evening", "golden hour", "twilight"),
    "night": ("night", "midnight", "nighttime", "moonlit", "starry", "moonlight", "dark night"),
}

WEATHER: dict[str, tuple[str, ...]] = {
    "clear": ("clear", "sunny", "bright"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy"),
    "snow": ("snow", "snowy", "snowing", "winter", "blizzard", "frosty"),
    "rain": ("rain", "rainy", "raining", "storm", "stormy", "wet"),
    "overcast": ("overcast", "cloudy", "grey sky", "gloomy"),
}

STYLES: tuple[str, ...] = (
    "cozy", "modern", "rustic", "medieval", "futuristic", "minimalist", "victorian", "industrial",
    "scandinavian", "tropical", "abandoned", "cyberpunk", "fantasy", "japanese", "vintage",
)
