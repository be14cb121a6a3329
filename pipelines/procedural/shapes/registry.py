"""The shape registry: one generator per object category, and the helpers generators share.

Each generator has the signature ``fn(b: MeshBuilder, obj: LayoutObject, rng: numpy.random.Generator)``
and adds closed primitives to ``b`` roughly at ``obj.size`` in the object's local frame (+Y up,
front towards +Z). Generator modules register themselves with :func:`register`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from marble.layout import LayoutObject
from pipelines.procedural.builder import MeshBuilder

ShapeFn = Callable[[MeshBuilder, LayoutObject, np.random.Generator], None]
SHAPES: dict[str, ShapeFn] = {}


def register(*keys: str) -> Callable[[ShapeFn], ShapeFn]:
    """Decorator: register a generator for one or more category keys."""

    def deco(fn: ShapeFn) -> ShapeFn:
        for k in keys:
            SHAPES[k] = fn
        return fn

    return deco


SNOW = (0.94, 0.95, 0.98)


def snowy(obj: LayoutObject) -> bool:
    """True when the layout put snow on this object (``params["snow"]``, set when it snows)."""
    return bool((obj.params or {}).get("snow"))


def generic_box(b: MeshBuilder, obj: LayoutObject, rng: np.random.Generator) -> None:
    """Fallback for labels without a generator (user blockouts): a plain box."""
    w, h, d = obj.size
    b.box(b.part("body", obj.material, obj.color), (w, h, d), (0.0, h / 2, 0.0))


FamilyFn = Callable[[MeshBuilder, LayoutObject, np.random.Generator, dict], None]
FAMILY_SHAPES: dict[str, FamilyFn] = {}
"""Shape family -> generator ``fn(b, obj, rng, params)``; ``params`` merges the category's and the object's."""


def register_family(*keys: str) -> Callable[[FamilyFn], FamilyFn]:
    """Decorator: register the generator of one or more shape families."""

    def deco(fn: FamilyFn) -> FamilyFn:
        for k in keys:
            FAMILY_SHAPES[k] = fn
        return fn

    return deco
