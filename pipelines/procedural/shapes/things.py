"""Shape families for plants, trees, rocks, landforms, monuments and props (the part grammar).

``prop`` and ``food`` categories (and any category with a ``parts`` list) are built by the part
grammar :func:`build_parts`: each part is ``[shape, at, size, name, material, colour, mirror]`` with
``shape`` one of box, cyl, cylx, cylz, cone, sphere, beam; ``at`` the centre and ``size`` the extent
as fractions of the object's box (x and z centred on 0, y from the bottom); ``material`` "" for the
object's own; ``colour`` null for the object's own, "dark"/"light" for shades of it, or RGB; ``mirror``
"x", "z" or "xz" to repeat the part mirrored. A new prop is a data entry.
"""

from __future__ import annotations

import math


from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y, rot_z
from pipelines.procedural.shapes.registry import FAMILY_SHAPES, SHAPES, register_family

BARK = (0.35, 0.25, 0.17)


def _shade(c, k: float):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


def build_parts(b: MeshBuilder, obj, parts: list) -> None:
    """Run the part grammar (see the module docstring) in ``obj``'s box."""
    w, h, d = obj.size
    for spec in parts:
        shape, at, size, name = spec[0], spec[1], spec[2], spec[3]
        mat = (spec[4] if len(spec) > 4 and spec[4] else obj.material)
        col = spec[5] if len(spec) > 5 else None
        mirror = spec[6] if len(spec) > 6 else ""
        if col is None:
            color = obj.color
        elif col == "dark":
            color = _shade(obj.color, 0.55)
        elif col == "light":
            color = tuple(min(1.0, c * 0.5 + 0.5) for c in obj.color)
        else:
            color = tuple(col)
        p = b.part(name, mat, color)
        cx, cy, cz = at[0] * w, at[1] * h, at[2] * d
        sx, sy, sz = max(size[0] * w, 1e-3), max(size[1] * h, 1e-3), max(size[2] * d, 1e-3)
        signs = [(1, 1)]
        if "x" in mirror:
            signs += [(-1, 1)]
        if "z" in mirror:
            signs += [(s[0], -1) for s in list(signs)]
        for mx, mz in signs:
            x, z = cx * mx, cz * mz
            if shape == "box":
                b.box(p, (sx, sy, sz), (x, cy, z))
            elif shape == "cyl":
                b.cylinder(p, sx / 2, sy, (x, cy - sy / 2, z), scale_xz=(1.0, sz / sx))
            elif shape == "cylx":
                b.frustum(p, sy / 2, sy / 2, sx, (x - sx / 2, cy, z), R=rot_z(-math.pi / 2), scale_xz=(1.0, sz / sy))
            elif shape == "cylz":
                b.frustum(p, sx / 2, sx / 2, sz, (x, cy, z - sz / 2), R=rot_x(math.pi / 2), scale_xz=(1.0, sy / sx))
            elif shape == "cone":
                b.frustum(p, sx / 2, 0.0, sy, (x, cy - sy / 2, z), scale_xz=(1.0, sz / sx))
            elif shape == "sphere":
                b.ellipsoid(p, (sx / 2, sy / 2, sz / 2), (x, cy, z))
            elif shape == "beam":
                b.beam(p, (x, cy - sy / 2, z), (x, cy + sy / 2, z), max(sx, sz) / 2)
            else:
                raise ValueError(f"unknown part shape {shape!r} in category {obj.label!r}")


@register_family("prop", "food")
def prop(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A prop from its part list, else a rounded object on a base."""
    if P.get("parts"):
        build_parts(b, obj, P["parts"])
        return
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    b.box(b.part("base", obj.material, _shade(obj.color, 0.6)), (w, h * 0.15, d), (0, h * 0.075, 0))
    b.ellipsoid(body, (w * 0.42, h * 0.45, d * 0.42), (0, h * 0.55, 0))


@register_family("monument")
def monument(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A statue on a plinth (the statue generator), or a part list (gravestones)."""
    if P.get("parts"):
        build_parts(b, obj, P["parts"])
        return
    SHAPES["statue"](b, obj, rng)


@register_family("tree")
def tree(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Trunk and crown by ``crown``: round, weeping (willow), flat (acacia), dead (bare branches),
    tall (jungle giant with buttresses); ``blossom`` covers the crown with flowers."""
    crown = P.get("crown")
    if crown is None:
        SHAPES["oak_tree"](b, obj, rng)
        return
    w, h, d = obj.size
    trunk = b.part("trunk", "bark", BARK if crown != "dead" else obj.color)
    leaves = b.part("crown", obj.material, obj.color)
    seed = obj.variant % 10007
    if crown == "dead":
        b.frustum(trunk, w * 0.08, w * 0.03, h * 0.75, (0, 0, 0))
        for k in range(6):
            a = 2 * math.pi * k / 6 + float(rng.uniform(-0.3, 0.3))
            y0 = h * float(rng.uniform(0.35, 0.7))
            tip = (math.cos(a) * w * 0.45, y0 + h * float(rng.uniform(0.15, 0.3)), math.sin(a) * d * 0.45)
            b.beam(trunk, (0, y0, 0), tip, w * 0.025, r1=w * 0.006)
            b.beam(trunk, tip, (tip[0] * 1.1, tip[1] + h * 0.1, tip[2] * 0.7), w * 0.008, r1=w * 0.003)
        b.beam(trunk, (0, h * 0.7, 0), (w * 0.05, h, 0), w * 0.03, r1=w * 0.005)
        return
    if crown == "flat":
        b.frustum(trunk, w * 0.06, w * 0.04, h * 0.7, (0, 0, 0))
        for sx in (-1, 1):
            b.beam(trunk, (0, h * 0.55, 0), (sx * w * 0.25, h * 0.78, 0), w * 0.03)
        b.ellipsoid(leaves, (w / 2, h * 0.1, d / 2), (0, h * 0.85, 0), bumps=0.25, bump_freq=2.5, seed=seed)
        return
    if crown == "weeping":
        b.frustum(trunk, w * 0.07, w * 0.05, h * 0.65, (0, 0, 0))
        b.ellipsoid(leaves, (w * 0.35, h * 0.22, d * 0.35), (0, h * 0.75, 0), bumps=0.2, seed=seed)
        n = 10
        for k in range(n):
            a = 2 * math.pi * k / n
            b.frustum(leaves, w * 0.09, w * 0.03, h * 0.6, (math.cos(a) * w * 0.38, h * 0.18, math.sin(a) * d * 0.38))
        return
    if crown == "tall":
        b.frustum(trunk, w * 0.1, w * 0.06, h * 0.75, (0, 0, 0))
        for k in range(4):  # buttress roots
            a = k * math.pi / 2 + 0.4
            b.beam(trunk, (0, h * 0.2, 0), (math.cos(a) * w * 0.25, 0.02, math.sin(a) * d * 0.25), w * 0.03, r1=w * 0.015)
        for k, (y, s) in enumerate(((0.72, 1.0), (0.88, 0.7))):
            b.ellipsoid(leaves, (w * 0.5 * s, h * 0.12, d * 0.5 * s), (0, h * y, 0), bumps=0.3, seed=seed + k)
        vine = b.part("vines", "leaves", (0.2, 0.4, 0.15))
        for k in range(3):
            a = 2 * math.pi * k / 3
            b.beam(vine, (math.cos(a) * w * 0.3, h * 0.7, math.sin(a) * d * 0.3), (math.cos(a) * w * 0.32, h * 0.2,
                   math.sin(a) * d * 0.32), 0.03)
        return
    b.frustum(trunk, w * 0.07, w * 0.05, h * 0.55, (0, 0, 0))
    b.ellipsoid(leaves, (w / 2, h * 0.28, d / 2), (0, h * 0.68, 0), bumps=0.25, bump_freq=2.0, seed=seed)
    if P.get("blossom"):
        bl = b.part("blossom", "leaves", _shade(obj.color, 1.1))
        for k in range(6):
            a = 2 * math.pi * k / 6
            b.ellipsoid(bl, (w * 0.14, h * 0.08, d * 0.14), (math.cos(a) * w * 0.36, h * 0.75, math.sin(a) * d * 0.36),
                        subdivisions=1)


@register_family("plant", "flower")
def plant(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Small plants by ``kind``: fern, bamboo, reeds, vine rows, mushroom, bonsai, coral, seaweed, sunflower."""
    kind = P.get("kind", "fern")
    w, h, d = obj.size
    green = b.part("leaves", obj.material, obj.color)
    stem = b.part("stems", "leaves", _shade(obj.color, 0.7) if kind != "mushroom" else (0.95, 0.93, 0.86))
    if kind == "mushroom":
        b.frustum(stem, w * 0.12, w * 0.1, h * 0.65, (0, 0, 0))
        b.ellipsoid(green, (w / 2, h * 0.3, d / 2), (0, h * 0.65, 0))
        spot = b.part("spots", "plastic", (0.97, 0.97, 0.95))
        for k in range(5):
            a = 2 * math.pi * k / 5
            b.ellipsoid(spot, (w * 0.07, h * 0.04, d * 0.07), (math.cos(a) * w * 0.28, h * 0.86, math.sin(a) * d * 0.28),
                        subdivisions=0)
        return
    if kind == "vine":
        post = b.part("posts", "wood", (0.4, 0.3, 0.2))
        for x in (-w / 2 + 0.05, 0.0, w / 2 - 0.05):
            b.box(post, (0.08, h, 0.08), (x, h / 2, 0))
        b.box(post, (w, 0.03, 0.03), (0, h * 0.9, 0))
        b.box(green, (w * 0.98, h * 0.45, d * 0.9), (0, h * 0.55, 0))
        grapes = b.part("grapes", "plastic", (0.35, 0.15, 0.4))
        for k in range(5):
            b.ellipsoid(grapes, (0.06, 0.1, 0.06), (-w * 0.4 + k * w * 0.2, h * 0.35, d * 0.45), subdivisions=0)
        return
    if kind == "bonsai":
        b.box(b.part("pot", "tile", (0.35, 0.3, 0.4)), (w * 0.9, h * 0.2, d * 0.7), (0, h * 0.1, 0))
        b.beam(b.part("trunk", "bark", BARK), (0, h * 0.2, 0), (w * 0.15, h * 0.6, 0), w * 0.06)
        b.ellipsoid(green, (w * 0.4, h * 0.18, d * 0.35), (w * 0.1, h * 0.75, 0), bumps=0.25, seed=obj.variant % 97)
        return
    if kind == "sunflower":
        b.beam(stem, (0, 0, 0), (0, h * 0.85, 0), w * 0.05)
        b.cylinder(green, w * 0.45, 0.04, (0, h * 0.85, d * 0.05), R=rot_x(math.pi / 2.3))
        b.cylinder(b.part("centre", "plastic", (0.35, 0.2, 0.1)), w * 0.2, 0.06, (0, h * 0.86, d * 0.06), R=rot_x(math.pi / 2.3))
        b.ellipsoid(stem, (w * 0.25, 0.02, d * 0.12), (w * 0.15, h * 0.4, 0), R=rot_z(0.4))
        return
    n = {"bamboo": 7, "reeds": 14, "seaweed": 6, "coral": 7}.get(kind, 9)
    for k in range(n):
        a = 2 * math.pi * k / n + float(rng.uniform(-0.3, 0.3))
        rr = float(rng.uniform(0.1, 0.42))
        x, z = math.cos(a) * w * rr, math.sin(a) * d * rr
        hk = h * float(rng.uniform(0.6, 1.0))
        if kind == "bamboo":
            b.cylinder(green, w * 0.04, hk, (x, 0, z), sections=6)
            b.ellipsoid(stem, (w * 0.15, h * 0.05, d * 0.15), (x, hk * 0.95, z), subdivisions=1)
        elif kind in ("reeds", "seaweed"):
            tip = (x * 1.3 + float(rng.uniform(-0.1, 0.1)) * w, hk, z * 1.3)
            b.beam(green, (x, 0, z), tip, max(0.01, w * (0.02 if kind == "reeds" else 0.05)), r1=0.004)
        elif kind == "coral":
            tip = (x * 1.5, hk, z * 1.5)
            b.beam(green, (x * 0.3, 0, z * 0.3), tip, w * 0.06, r1=w * 0.03)
            b.ellipsoid(green, (w * 0.07,) * 3, tip, subdivisions=1)
        else:  # fern: arching fronds
            tip = (math.cos(a) * w * 0.5, hk * 0.55, math.sin(a) * d * 0.5)
            mid = (math.cos(a) * w * 0.25, hk, math.sin(a) * d * 0.25)
            b.beam(green, (0, 0, 0), mid, w * 0.05, r1=w * 0.04)
            b.beam(green, mid, tip, w * 0.04, r1=w * 0.01)
    if kind in ("reeds",):
        b.box(green, (w * 0.8, h * 0.05, d * 0.8), (0, h * 0.025, 0))


@register_family("rock")
def rock_family(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Rocks (the rock generator), glowing crystal clusters, cliffs (stacked ledges) or icebergs."""
    kind = P.get("kind")
    w, h, d = obj.size
    mat = b.part("rock", obj.material, obj.color)
    seed = obj.variant % 10007
    if kind == "crystal":
        for k in range(6):
            a = 2 * math.pi * k / 6 + float(rng.uniform(-0.3, 0.3))
            lean = float(rng.uniform(0.1, 0.45))
            hk = h * float(rng.uniform(0.45, 1.0)) if k else h
            R = rot_y(-a) @ rot_z(lean) if k else None
            base = (math.cos(a) * w * 0.12, 0, math.sin(a) * d * 0.12) if k else (0, 0, 0)
            b.lathe(mat, [(w * 0.12, 0.0), (w * 0.12, hk * 0.75), (0.0, hk)], base, sections=6, R=R)
        b.ellipsoid(b.part("base", "stone", (0.35, 0.33, 0.35)), (w * 0.4, h * 0.1, d * 0.4), (0, 0, 0), bumps=0.3, seed=seed)
        return
    if kind == "cliff":
        n = 4
        for k in range(n):
            y0 = h * k / n
            s = 1.0 - 0.15 * k
            b.ellipsoid(mat, (w * 0.5 * s, h / n * 0.8, d * 0.5 * s), (float(rng.uniform(-0.05, 0.05)) * w, y0 + h / n * 0.4,
                        -d * 0.05 * k), bumps=0.25, bump_freq=1.5, seed=seed + k)
        b.box(mat, (w * 0.9, h * 0.8, d * 0.5), (0, h * 0.4, -d * 0.2))
        return
    if kind == "ice":
        b.ellipsoid(mat, (w / 2, h * 0.6, d / 2), (0, h * 0.4, 0), bumps=0.45, bump_freq=1.2, seed=seed,
                    subdivisions=b.sphere_subdiv)
        b.box(mat, (w * 0.7, h * 0.05, d * 0.7), (0, 0.025, 0))
        return
    SHAPES["rock"](b, obj, rng)


@register_family("landform")
def landform(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A mountain (the mountain generator), a low dune or hill, or a volcano with a glowing crater."""
    w, h, d = obj.size
    if P.get("low"):
        b.ellipsoid(b.part("hill", obj.material, obj.color), (w / 2, h, d / 2), (0, 0, 0), bumps=0.1, seed=obj.variant % 97)
        b.box(b.part("hill", obj.material, obj.color), (w * 0.9, 0.02, d * 0.9), (0, 0.01, 0))
        return
    if P.get("crater"):
        rock = b.part("rock", obj.material, obj.color)
        b.lathe(rock, [(w * 0.5, 0.0), (w * 0.3, h * 0.5), (w * 0.12, h * 0.97), (w * 0.09, h)], sections=b.sections + 10)
        b.cylinder(b.part("lava", "lava", (1.0, 0.45, 0.1)), w * 0.085, h * 0.02, (0, h * 0.985, 0))
        flow = b.part("lava_flow", "lava", (0.95, 0.35, 0.08))
        a = float(rng.uniform(0, 2 * math.pi))
        b.beam(flow, (math.cos(a) * w * 0.1, h * 0.95, math.sin(a) * d * 0.1), (math.cos(a) * w * 0.4, h * 0.15,
               math.sin(a) * d * 0.4), w * 0.015)
        return
    SHAPES["mountain"](b, obj, rng)


def family_shape(family: str):
    """The generator of ``family`` (``None`` when the family has none)."""
    return FAMILY_SHAPES.get(family)
