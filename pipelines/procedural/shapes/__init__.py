"""Procedural shape generators, one per object category, keyed by the category's key.

Generators live in :mod:`furniture`, :mod:`structures`, :mod:`props` and :mod:`vegetation` (one per
category key, in :data:`~pipelines.procedural.shapes.registry.SHAPES`) and in :mod:`creatures`,
:mod:`architecture`, :mod:`transport` and :mod:`things` (one per shape family, driven by the
category's data parameters, in :data:`~pipelines.procedural.shapes.registry.FAMILY_SHAPES`).
:func:`build_object` runs the generator for an object's label, else its category's, else its
family's (a plain box when there is none), applies the world's style (low-poly facets, colour
grading) and fits the result exactly to ``obj.size``. Variants come from ``rng``, seeded by ``obj.variant``.
"""

from __future__ import annotations

import numpy as np
import trimesh

from marble.layout import LayoutObject
from pipelines.procedural.builder import MeshBuilder

# Register the generators, in this order (a later module's generator replaces an earlier one's for the same key).
from pipelines.procedural.shapes import furniture, props, structures, vegetation  # noqa: F401,I001
from pipelines.procedural.shapes import architecture, creatures, fixtures, things, transport  # noqa: F401,I001
from pipelines.procedural.shapes.registry import FAMILY_SHAPES, SHAPES, generic_box
from pipelines.procedural.styles import grade_color
from pipelines.procedural.types import Part
from marble.vocab import OBJECTS

__all__ = ["FAMILY_SHAPES", "SHAPES", "build_object", "generator_for"]

_KEEP_MATERIAL = ("water", "glass", "neon", "lava")  # low-poly keeps these (they read as what they are)


def generator_for(label: str, params: dict | None = None):
    """``(fn, params, is_family)``: the generator an object of this label (and params) is built with.

    The label's own generator, else its category's (``params["category"]``), else the category's family
    generator with the category's data parameters merged under the object's, else a plain box.
    """
    params = params or {}
    cat = params.get("category") or label
    for key in (label, cat):
        if key in SHAPES:
            return SHAPES[key], {}, False
    c = OBJECTS.get(cat)
    fam = c.family if c is not None else params.get("family")
    if fam in FAMILY_SHAPES:
        return FAMILY_SHAPES[fam], {**(c.params if c is not None else {}), **params}, True
    return generic_box, {}, False


def build_object(obj: LayoutObject, *, detail: int = 1) -> tuple[trimesh.Trimesh, np.ndarray, list[Part]]:
    """Mesh of one layout object in its local frame, fitted exactly to ``obj.size``.

    Returns:
        mesh, face_part ``[F]`` int32, parts.
    """
    params = obj.params or {}
    low = bool(params.get("low_poly"))
    b = MeshBuilder(detail=0 if low else detail, low_poly=low)
    rng = np.random.default_rng([int(obj.variant) % (1 << 63), 0x5BA9E])
    fn, P, family = generator_for(obj.label, params)
    if family:
        fn(b, obj, rng, P)
    else:
        fn(b, obj, rng)
    mesh, fp, parts = b.build(size=obj.size)
    grade = params.get("grade")
    if grade or low:
        parts = [Part(material="plastic" if low and p.material not in _KEEP_MATERIAL else p.material,
                      color=p.color if not grade or p.material == "neon" else grade_color(p.color, grade), name=p.name)
                 for p in parts]
    return mesh, fp, parts

