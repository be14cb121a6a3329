"""Procedural shape generators, one per object category, keyed by the category's key.

Generators live in :mod:`furniture`, :mod:`structures`, :mod:`props` and :mod:`vegetation` and register
in :data:`~pipelines.procedural.shapes.registry.SHAPES`; :func:`build_object` runs the one for an
object's label (a plain box for labels without one) and fits the result exactly to ``obj.size``.
Variants come from ``rng``, which is seeded by ``obj.variant``.
"""

from __future__ import annotations

import numpy as np
import trimesh

from marble.layout import LayoutObject
from pipelines.procedural.builder import MeshBuilder

# Register the generators, in this order (a later module's generator replaces an earlier one's for the same key).
from pipelines.procedural.shapes import furniture, props, structures, vegetation  # noqa: F401,I001
from pipelines.procedural.shapes.registry import SHAPES, generic_box
from pipelines.procedural.types import Part

__all__ = ["SHAPES", "build_object"]


def build_object(obj: LayoutObject, *, detail: int = 1) -> tuple[trimesh.Trimesh, np.ndarray, list[Part]]:
    """Mesh of one layout object in its local frame, fitted exactly to ``obj.size``.

    Returns:
        mesh, face_part ``[F]`` int32, parts.
    """
    b = MeshBuilder(detail=detail)
    rng = np.random.default_rng([int(obj.variant) % (1 << 63), 0x5BA9E])
    SHAPES.get(obj.label, generic_box)(b, obj, rng)
    return b.build(size=obj.size)
