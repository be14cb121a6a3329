"""Plain data passed between prompt understanding, layout synthesis and view generation.

``SceneSpec`` is what a prompt asks for; ``Layout`` is where everything goes. Both are JSON
round-trippable (``to_dict`` / ``from_dict``) so the editor can save a blockout and the CLI can
print a parse. Units are metres, world +Y up.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor

RELATION_KINDS = ("on", "next_to", "in_front_of", "behind", "around", "under", "against_wall", "near", "over")


@dataclass
class Relation:
    """A spatial relation from an object to a target category ("a lamp *on* the table")."""

    kind: str  # one of RELATION_KINDS
    target: str  # category of the target object, e.g. "table"


@dataclass
class ObjectSpec:
    """One kind of object the prompt asks for."""

    category: str  # canonical category from marble.vocab.OBJECTS
    count: int = 1
    color: tuple[float, float, float] | None = None  # linear-ish sRGB in [0, 1]
    color_name: str | None = None
    material: str | None = None  # canonical material from marble.vocab.MATERIALS
    relation: Relation | None = None
    source: str = ""  # the words of the prompt this came from
    score: float = 1.0  # match confidence (1.0 for an exact word)
    word: str = ""  # the user's own noun ("lighthouse", "couch"): layers made for it carry it in their name
    label: str | None = None  # layer label when built from a family for an unknown noun (the user's word)
    family: str = ""  # the shape family of the category ("tower", "quadruped")


@dataclass
class SceneSpec:
    """What a prompt asks for, in Marble's vocabulary."""

    prompt: str
    archetype: str  # key of marble.vocab.ARCHETYPES
    indoor: bool
    objects: list[ObjectSpec] = field(default_factory=list)
    time_of_day: str = "day"  # dawn | day | sunset | night
    weather: str = "clear"  # clear | fog | snow | rain | overcast
    style: list[str] = field(default_factory=list)
    archetype_score: float = 1.0
    mood: list[str] = field(default_factory=list)  # keys of marble.vocab.LOOKS of kind "mood"
    season: str | None = None  # spring | summer | autumn | winter
    report: dict = field(default_factory=dict)  # what was built, approximated and not built (see describe_report)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SceneSpec":
        objs = []
        for o in d.get("objects", []):
            o = dict(o)
            if o.get("relation"):
                o["relation"] = Relation(**o["relation"])
            if o.get("color") is not None:
                o["color"] = tuple(o["color"])
            objs.append(ObjectSpec(**o))
        rest = {k: v for k, v in d.items() if k != "objects"}
        return cls(objects=objs, **rest)

    def digest(self) -> str:
        """sha256 of what the spec asks for (not its prompt text or report): seeds the layout, so
        prompts that mean different things give different worlds and rephrasings the same one."""
        import hashlib

        d = self.to_dict()
        d.pop("prompt", None)
        report = d.pop("report", {}) or {}
        d["unbuilt"] = sorted(e.get("words", "") for e in report.get("not_built", []))
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode("utf-8")).hexdigest()

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


@dataclass
class Lighting:
    """Lights and atmosphere, all colours RGB in [0, 1]."""

    sun_direction: tuple[float, float, float] = (0.4, 0.8, 0.3)  # unit vector pointing towards the sun
    sun_color: tuple[float, float, float] = (1.0, 0.96, 0.9)
    sun_intensity: float = 1.0
    ambient_color: tuple[float, float, float] = (0.55, 0.62, 0.75)
    ambient_intensity: float = 0.45
    sky_top: tuple[float, float, float] = (0.32, 0.52, 0.85)
    sky_horizon: tuple[float, float, float] = (0.75, 0.84, 0.95)
    fog_color: tuple[float, float, float] = (0.8, 0.85, 0.9)
    fog_density: float = 0.0  # per metre (exponential fog); 0 = none

    @classmethod
    def from_dict(cls, d: dict) -> "Lighting":
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})


@dataclass
class LayoutEnvironment:
    """Ground, walls and sky of a layout."""

    archetype: str
    indoor: bool
    extent: float  # half-size of the square area (outdoor) or of the room (indoor), metres
    ground_material: str = "grass"
    ground_color: tuple[float, float, float] | None = None
    room_size: tuple[float, float, float] | None = None  # indoor: width (x), height (y), depth (z)
    wall_material: str = "plaster"
    wall_color: tuple[float, float, float] | None = None
    lighting: Lighting = field(default_factory=Lighting)

    @classmethod
    def from_dict(cls, d: dict) -> "LayoutEnvironment":
        d = dict(d)
        d["lighting"] = Lighting.from_dict(d.get("lighting", {}))
        for k in ("ground_color", "room_size", "wall_color"):
            if d.get(k) is not None:
                d[k] = tuple(d[k])
        return cls(**d)


@dataclass
class LayoutObject:
    """One placed object: an oriented box with a label, a material and a procedural variant.

    The box is ``size`` (x, y, z extents in metres) centred at ``position`` horizontally with its
    bottom at ``position[1]``, rotated by ``yaw`` (radians, about +Y).
    """

    name: str  # unique in the layout, e.g. "chair_2"; becomes the World layer name
    label: str  # category, e.g. "chair"
    position: tuple[float, float, float]  # bottom-centre, world metres
    size: tuple[float, float, float]
    yaw: float = 0.0
    material: str = "wood"
    color: tuple[float, float, float] = (0.6, 0.6, 0.6)
    parent: str | None = None  # name of the supporting object (on a table), None for the ground
    variant: int = 0  # seed of the procedural shape
    params: dict = field(default_factory=dict)

    @property
    def T_world_object(self) -> Tensor:
        """``[4, 4]`` float64 pose of the object's local frame (origin at the bottom-centre)."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        T = torch.eye(4, dtype=torch.float64)
        T[:3, :3] = torch.tensor([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=torch.float64)
        T[:3, 3] = torch.tensor(self.position, dtype=torch.float64)
        return T

    def footprint_corners(self) -> Tensor:
        """``[4, 2]`` (x, z) corners of the rotated footprint in world metres."""
        hx, hz = self.size[0] / 2, self.size[2] / 2
        local = torch.tensor([[-hx, -hz], [hx, -hz], [hx, hz], [-hx, hz]], dtype=torch.float64)
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        R = torch.tensor([[c, s], [-s, c]], dtype=torch.float64)  # (x, z) rotation matching T_world_object
        return local @ R.T + torch.tensor([self.position[0], self.position[2]], dtype=torch.float64)

    @classmethod
    def from_dict(cls, d: dict) -> "LayoutObject":
        d = dict(d)
        for k in ("position", "size", "color"):  # a hand-made blockout may leave the colour out
            if k in d:
                d[k] = tuple(float(x) for x in d[k])
        return cls(**d)


@dataclass
class Layout:
    """Everything a world is built from before any pixel is made."""

    environment: LayoutEnvironment
    objects: list[LayoutObject] = field(default_factory=list)
    seed: int = 0
    spec: SceneSpec | None = None

    def object(self, name: str) -> LayoutObject:
        for o in self.objects:
            if o.name == name:
                return o
        raise KeyError(name)

    def labels(self) -> list[str]:
        return [o.label for o in self.objects]

    def to_dict(self) -> dict:
        return {
            "environment": asdict(self.environment),
            "objects": [asdict(o) for o in self.objects],
            "seed": self.seed,
            "spec": None if self.spec is None else self.spec.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Layout":
        return cls(
            environment=LayoutEnvironment.from_dict(d["environment"]),
            objects=[LayoutObject.from_dict(o) for o in d.get("objects", [])],
            seed=int(d.get("seed", 0)),
            spec=None if d.get("spec") is None else SceneSpec.from_dict(d["spec"]),
        )

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "Layout":
        return cls.from_dict(json.loads(text))


def load_layout(path) -> Layout:
    """Read a layout JSON written by the editor or :meth:`Layout.to_json`, checked field by field.

    Raises:
        InputError: the file is missing, not JSON (or nested too deeply), not a layout, or holds a
            value out of range (the message names the field).
    """
    from pathlib import Path

    from marble.checks import check_layout
    from marble.errors import FormatError, InputError
    from marble.io import parse_json

    p = Path(path)
    if not p.is_file():
        raise InputError(f"layout file {str(p)!r} does not exist")
    doc = parse_json(p.read_bytes(), f"layout file {p.name!r}", error=InputError)
    try:
        layout = Layout.from_dict(doc)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise InputError(f"layout file {p.name!r} is not a Marble layout ({type(exc).__name__}: {exc})") from exc
    try:
        return check_layout(layout)
    except FormatError as exc:
        raise InputError(f"layout file {p.name!r}: {exc}") from exc
