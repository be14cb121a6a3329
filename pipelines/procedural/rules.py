"""Placement rules as data: where each category likes to stand, what it leans on, what it sits on.

Kept apart from the placement algorithm so a new category or archetype is a table edit.
"""

from __future__ import annotations

# Categories whose top is a surface other things can stand on, with the surface height as a
# fraction of the object's height, and the inset of the usable area (fraction of half-extents).
SURFACES: dict[str, tuple[float, float]] = {
    "table": (1.0, 0.85), "desk": (1.0, 0.85), "nightstand": (1.0, 0.8), "counter": (1.0, 0.85),
    "picnic_table": (0.94, 0.6), "bookshelf": (1.0, 0.85), "wardrobe": (1.0, 0.85), "fridge": (1.0, 0.8),
    "stove": (1.0, 0.8), "bed": (0.55, 0.7), "sofa": (0.5, 0.55), "armchair": (0.5, 0.5), "chair": (0.5, 0.7),
    "bench": (0.5, 0.7), "rock": (0.9, 0.35), "barrel": (1.0, 0.7), "trash_can": (1.0, 0.6), "car": (1.0, 0.4),
    "well": (1.0, 0.4), "statue": (1.0, 0.3), "tv": (1.0, 0.5), "fireplace": (1.0, 0.8), "boat": (0.6, 0.5),
    "deck_chair": (0.5, 0.5), "rug": (1.0, 0.9), "counter_top": (1.0, 0.85),
}

# Preferred surfaces for objects that stand on tables (support == "table"), best first.
TABLE_TARGETS = ("table", "desk", "nightstand", "counter", "picnic_table", "bookshelf")

# Categories that get snow on top (params["snow"] = True) when it snows outdoors.
SNOWY = {"pine_tree", "oak_tree", "birch_tree", "rock", "house", "cabin", "shop", "tent", "bench", "car", "well",
         "fence", "picnic_table", "barrel", "bush"}

# Flat covers: lie on the floor, other things may stand on them (no collision except with flats).
FLAT = {"rug"}

# Indoor categories that stand with their back against a wall.
WALL_INDOOR = {"bed", "wardrobe", "bookshelf", "counter", "fridge", "stove", "tv", "fireplace", "desk", "sofa",
               "painting"}

# Wall-mounted categories: (height of the object's centre above the floor).
WALL_MOUNTED = {"painting": 1.5}

# Outdoor categories pushed to the edges (backdrop) and where.
BACKDROP = {"mountain"}
EDGE_RING = {"building": (0.55, 0.95), "house": (0.35, 0.85), "shop": (0.45, 0.9)}

# Implicit relations used when the prompt gives none: category -> [(kind, target), ...] tried in order,
# applied only when the target is in the layout (optionally only in the listed archetypes).
IMPLICIT: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {
    "chair": [("around", "table", None), ("in_front_of", "desk", None), ("around", "picnic_table", None)],
    "office_chair": [("in_front_of", "desk", None), ("around", "table", None)],
    "computer": [("on", "desk", None), ("on", "table", None)],
    "books": [("on", "table", None), ("on", "desk", None), ("on", "nightstand", None)],
    "vase": [("on", "table", None), ("on", "counter", None), ("on", "nightstand", None)],
    "nightstand": [("next_to", "bed", None)],
    "rug": [("under", "table", ("living_room",)), ("in_front_of", "bed", ("bedroom",))],
    "table": [("in_front_of", "sofa", ("living_room",))],
    "armchair": [("near", "table", ("living_room",))],
    "tent": [("near", "campfire", None)],
    "deck_chair": [("next_to", "beach_umbrella", None)],
    "bench": [("near", "picnic_table", None)],
    "lamp": [("next_to", "sofa", ("living_room",)), ("next_to", "bed", ("bedroom",))],
    "stove": [("next_to", "counter", None)],
    "fridge": [("next_to", "counter", None)],
    "snowman": [("near", "house", None), ("near", "cabin", None)],
    "mailbox": [("near", "house", None)],
    "fence": [("near", "house", None), ("near", "cabin", None)],
    "barrel": [("near", "house", ("village",)), ("near", "shop", None)],
}

# Archetype contents whose count follows another's (one per desk).
PAIRED = {"office_chair": "desk", "computer": "desk"}

# Families: naming one member in the prompt replaces the archetype's other members.
FAMILIES = {
    "tree": {"pine_tree", "oak_tree", "birch_tree", "palm_tree"},
}

# Archetype -> categories lined up along the walk path, facing it.
PATH_SIDE = {"park": {"bench", "street_lamp", "trash_can"}, "village": {"mailbox"}, "campsite": {"street_lamp"}}

# Archetype-specific outdoor layouts.
STREET_ARCHETYPES = {"city_street"}
ROAD_HALF_WIDTH = 4.0  # city street: road |z| < 4, sidewalks to 6.5, buildings beyond
SIDEWALK_OUTER = 6.5


def _from_data():
    """Placement rules that the vocabulary's data declares (``place``, ``light``, ``support``)."""
    from marble.vocab import OBJECTS

    for c in OBJECTS.values():
        if c.place == "backdrop":
            BACKDROP.add(c.key)
        elif c.place == "edge" and c.key not in EDGE_RING:
            EDGE_RING[c.key] = (0.5, 0.92)
        if c.support == "wall" and c.key not in WALL_MOUNTED:
            WALL_MOUNTED[c.key] = 1.5
        if c.family in ("tree",) or c.key in ("hay_bale", "gazebo", "shed", "barn", "market_stall"):
            SNOWY.add(c.key)


BACKDROP = set(BACKDROP)
_from_data()

# Water bodies, and what may stand in or over them.
WATER = {"pond", "river", "lake", "sea", "waterfall"}
SPANNERS = {"bridge", "footbridge", "pier"}
OPEN_WATER = {"river", "sea"}
WET = {"bridge", "footbridge", "pier", "boat", "ship", "sailboat", "motorboat", "gondola", "submarine", "duck", "swan",
       "fish", "shark", "whale", "dolphin", "jellyfish", "seaweed", "tall_grass", "willow_tree"}
# Surfaces for the new categories (top height fraction, usable inset).
SURFACES.update({"workbench": (1.0, 0.85), "bar_counter": (1.0, 0.85), "altar": (1.0, 0.8), "dining_set": (1.0, 0.7),
                 "school_desk": (1.0, 0.8), "cabinet": (1.0, 0.85), "market_stall": (0.42, 0.8), "platform": (1.0, 0.9),
                 "display_case": (1.0, 0.8), "crate": (1.0, 0.8), "pier": (1.0, 0.8), "castle_wall": (0.82, 0.5),
                 "stone_wall": (1.0, 0.6)})
TABLE_TARGETS = TABLE_TARGETS + ("bar_counter", "dining_set", "workbench", "cabinet", "altar", "school_desk",
                                 "market_stall", "display_case")
WALL_INDOOR |= {"cabinet", "shelving", "server_rack", "vending_machine", "washing_machine", "bar_counter", "clock",
                "blackboard", "piano", "bathtub", "toilet", "sink", "shower", "display_case", "throne", "altar",
                "anvil_tools", "console", "easel_painting", "mirror", "tapestry", "coat_rack"}
IMPLICIT.update({
    "stool": [("next_to", "bar_counter", None)],
    "pew": [("in_front_of", "altar", None)],
    "school_desk": [("in_front_of", "blackboard", None)],
    "candle": [("on", "table", None), ("on", "altar", None), ("on", "dining_set", None)],
    "food": [("on", "table", None), ("on", "dining_set", None), ("on", "bar_counter", None), ("on", "market_stall", None)],
    "fruit": [("on", "market_stall", None), ("on", "table", None), ("on", "counter", None)],
    "coffee_machine": [("on", "bar_counter", None), ("on", "counter", None)],
    "knight": [("near", "castle", None), ("near", "throne", None)],
    "footbridge": [("over", "river", None)],
    "bridge": [("over", "river", None)],
    "pier": [("over", "sea", None), ("over", "lake", None)],
    "gate": [("next_to", "castle_wall", None)],
    "chair": IMPLICIT["chair"] + [("around", "dining_set", None), ("in_front_of", "school_desk", None)],
    "washing_machine": [("next_to", "washing_machine", None)],
})
FAMILIES["tree"] |= {"willow_tree", "cherry_tree", "acacia_tree", "dead_tree", "jungle_tree"}
