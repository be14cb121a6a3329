"""Procedural shape generators, one per object category, keyed by the category's key.

Each generator has the signature ``fn(b: MeshBuilder, obj: LayoutObject, rng: numpy.random.Generator)``
and adds closed primitives to ``b`` roughly at ``obj.size`` in the object's local frame (+Y up,
front towards +Z); :func:`build_object` then fits the result exactly to ``obj.size``. Variants come
from ``rng``, which is seeded by ``obj.variant``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import trimesh

from marble.layout import LayoutObject
from pipelines.layout.builder import MeshBuilder
from pipelines.layout.types import Part

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


def build_object(obj: LayoutObject, *, detail: int = 1) -> tuple[trimesh.Trimesh, np.ndarray, list[Part]]:
    """Mesh of one layout object in its local frame, fitted exactly to ``obj.size``.

    Returns:
        mesh, face_part ``[F]`` int32, parts.
    """
    b = MeshBuilder(detail=detail)
    rng = np.random.default_rng([int(obj.variant) % (1 << 63), 0x5BA9E])
    SHAPES.get(obj.label, generic_box)(b, obj, rng)
    return b.build(size=obj.size)


# Register the generators (imports for their side effect on SHAPES).
from pipelines.layout.shapes import furniture, structures, props, vegetation  # noqa: E402,F401
