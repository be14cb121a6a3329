"""Trees, bushes, flowers, cacti and potted plants."""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y
from pipelines.procedural.shapes.registry import SNOW, register, snowy

BARK = (0.33, 0.24, 0.16)


def _shade(c, k):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


@register("pine_tree")
def pine_tree(b: MeshBuilder, obj, rng) -> None:
    """Trunk plus 3-6 stacked cones (tiers) narrowing to the tip."""
    w, h, d = obj.size
    r = w / 2
    trunk = b.part("trunk", "bark", BARK)
    crown = b.part("crown", obj.material, obj.color)
    crown2 = b.part("crown_shade", obj.material, _shade(obj.color, 0.82))
    b.frustum(trunk, 0.07 * w, 0.04 * w, 0.45 * h, (0, 0, 0), sections=max(6, b.sections - 4))
    tiers = int(rng.integers(4, 8))
    base = float(rng.uniform(0.12, 0.22)) * h
    span = h - base
    lean = rng.uniform(-0.03, 0.03, 2)
    secs = 12 + 8 * b.detail
    snow = b.part("snow", "snow", SNOW) if snowy(obj) else None
    for i in range(tiers):
        t = i / tiers
        y0 = base + span * t * 0.85
        rad = r * (1.0 - 0.75 * t) * float(rng.uniform(0.9, 1.0))
        th = min(span * (0.36 - 0.14 * t) if i < tiers - 1 else h - y0, h - y0)
        cx, cz = lean * y0
        prof = [(rad * 0.9, 0.0), (rad, th * 0.1), (rad * 0.62, th * 0.42), (rad * 0.28, th * 0.78), (0.0, th)]
        tw = float(rng.uniform(0, 0.5))
        b.lathe(crown if i % 2 == 0 else crown2, prof, (cx, y0, cz), sections=secs, jag=0.22, twist=tw)
        if snow is not None:  # a white cap over the upper half of the tier
            cap = [(rad * 0.71, th * 0.38), (rad * 0.34, th * 0.76), (0.0, th * 1.03)]
            b.lathe(snow, cap, (cx, y0, cz), sections=secs, jag=0.22, twist=tw)


def _crown_blobs(b, part, part2, centre, radii, rng, n, seed, snow=None):
    for k in range(n):
        off = rng.normal(0, 1, 3) * np.array(radii) * 0.35
        rr = np.array(radii) * rng.uniform(0.55, 0.8, 3)
        b.ellipsoid(part if k % 2 == 0 else part2, rr, np.array(centre) + off, bumps=0.28, bump_freq=1.6,
                    seed=seed + k)
        if snow is not None:
            b.ellipsoid(snow, rr * np.array([0.75, 0.4, 0.75]), np.array(centre) + off + np.array([0, rr[1] * 0.72, 0]),
                        bumps=0.2, seed=seed + k + 50)


@register("oak_tree")
def oak_tree(b: MeshBuilder, obj, rng) -> None:
    """Tapered trunk, a few branches and a crown of bumpy blobs."""
    w, h, d = obj.size
    trunk = b.part("trunk", "bark", BARK)
    crown = b.part("crown", obj.material, obj.color)
    crown2 = b.part("crown_shade", obj.material, _shade(obj.color, 0.85))
    th = h * float(rng.uniform(0.38, 0.5))
    b.frustum(trunk, 0.075 * w, 0.05 * w, th, (0, 0, 0))
    for k in range(int(rng.integers(2, 4))):
        a = rng.uniform(0, 2 * math.pi)
        p0 = np.array([0.0, th * 0.9, 0.0])
        p1 = p0 + np.array([math.cos(a) * w * 0.22, h * 0.18, math.sin(a) * w * 0.22])
        b.beam(trunk, p0, p1, 0.03 * w, r1=0.015 * w)
    cy = th + (h - th) * 0.5
    _crown_blobs(b, crown, crown2, (0, cy, 0), ((w / 2) * 0.85, (h - th) * 0.5, (d / 2) * 0.85), rng,
                 int(rng.integers(4, 7)), obj.variant % 1000, b.part("snow", "snow", SNOW) if snowy(obj) else None)


@register("birch_tree")
def birch_tree(b: MeshBuilder, obj, rng) -> None:
    """White slender trunk with dark marks and an airy, elongated crown."""
    w, h, d = obj.size
    trunk = b.part("trunk", "bark", (0.86, 0.85, 0.8))
    marks = b.part("bark_marks", "bark", (0.15, 0.14, 0.13))
    crown = b.part("crown", obj.material, obj.color)
    crown2 = b.part("crown_shade", obj.material, _shade(obj.color, 0.85))
    tr = 0.045 * w
    b.frustum(trunk, tr, tr * 0.6, h * 0.8, (0, 0, 0), sections=max(6, b.sections - 2))
    for k in range(int(rng.integers(3, 6))):
        y = float(rng.uniform(0.1, 0.6)) * h
        b.frustum(marks, tr * 1.04, tr * 1.04, 0.04 * h * 0.3 + 0.02, (0, y, 0), sections=max(6, b.sections - 2))
    th = h * 0.35
    _crown_blobs(b, crown, crown2, (0, th + (h - th) * 0.52, 0), (w * 0.42, (h - th) * 0.5, d * 0.42), rng,
                 int(rng.integers(3, 6)), obj.variant % 1000, b.part("snow", "snow", SNOW) if snowy(obj) else None)


@register("palm_tree")
def palm_tree(b: MeshBuilder, obj, rng) -> None:
    """Curved segmented trunk, a fan of drooping fronds and coconuts."""
    w, h, d = obj.size
    trunk = b.part("trunk", "bark", (0.5, 0.4, 0.28))
    ring = b.part("trunk_rings", "bark", (0.38, 0.3, 0.2))
    frond = b.part("fronds", obj.material, obj.color)
    nut = b.part("coconuts", "wood", (0.35, 0.25, 0.12))
    segs = 7
    bend = float(rng.uniform(0.05, 0.18)) * w
    ang = float(rng.uniform(0, 2 * math.pi))
    th = h * 0.86
    pts = [np.array([bend * (i / segs) ** 2 * math.cos(ang), th * i / segs, bend * (i / segs) ** 2 * math.sin(ang)])
           for i in range(segs + 1)]
    r0 = 0.045 * w
    for i in range(segs):
        rr = r0 * (1 - 0.35 * i / segs)
        b.beam(trunk if i % 2 == 0 else ring, pts[i], pts[i + 1], rr, r1=rr * 0.92)
    top = pts[-1]
    n = int(rng.integers(7, 11))
    L = w * 0.5
    for k in range(n):
        a = 2 * math.pi * k / n + rng.uniform(-0.15, 0.15)
        droop = rng.uniform(0.25, 0.7)
        # two segments per frond: up-out, then down-out
        mid = top + np.array([math.cos(a) * L * 0.5, 0.08 * h * (1 - droop), math.sin(a) * L * 0.5])
        tip = top + np.array([math.cos(a) * L * 0.95, -droop * 0.25 * h, math.sin(a) * L * 0.95])
        for p0, p1 in ((top, mid), (mid, tip)):
            dvec = p1 - p0
            length = float(np.linalg.norm(dvec))
            yaw = math.atan2(dvec[0], dvec[2])
            pitch = -math.asin(dvec[1] / length)
            R = rot_y(yaw) @ rot_x(pitch)
            b.box(frond, (0.16 * L, 0.02 * L, length), (p0 + p1) / 2, R=R)
    for k in range(int(rng.integers(2, 5))):
        a = rng.uniform(0, 2 * math.pi)
        b.ellipsoid(nut, (0.05 * w,) * 3, top + np.array([math.cos(a) * 0.06 * w, -0.05 * w, math.sin(a) * 0.06 * w]),
                    subdivisions=1)


@register("bush")
def bush(b: MeshBuilder, obj, rng) -> None:
    """Two to four overlapping bumpy blobs."""
    w, h, d = obj.size
    leaf = b.part("leaves", obj.material, obj.color)
    leaf2 = b.part("leaves_shade", obj.material, _shade(obj.color, 0.82))
    n = int(rng.integers(2, 5))
    for k in range(n):
        cx, cz = rng.uniform(-0.2, 0.2) * w, rng.uniform(-0.2, 0.2) * d
        rr = (w * rng.uniform(0.3, 0.42), h * rng.uniform(0.4, 0.5), d * rng.uniform(0.3, 0.42))
        b.ellipsoid(leaf if k % 2 == 0 else leaf2, rr, (cx, rr[1] * 0.9, cz), bumps=0.3, bump_freq=1.8,
                    seed=obj.variant % 1000 + k)
        if snowy(obj):
            b.ellipsoid(b.part("snow", "snow", SNOW), (rr[0] * 0.75, rr[1] * 0.4, rr[2] * 0.75),
                        (cx, rr[1] * 1.55, cz), bumps=0.2, seed=obj.variant % 1000 + k + 50)


@register("flowers")
def flowers(b: MeshBuilder, obj, rng) -> None:
    """A low leafy mound with stems and coloured flower heads."""
    w, h, d = obj.size
    leaf = b.part("leaves", "leaves", (0.2, 0.42, 0.16))
    stem = b.part("stems", "leaves", (0.25, 0.45, 0.18))
    head = b.part("blossoms", "fabric", obj.color)
    centre = b.part("blossom_centres", "fabric", (0.95, 0.8, 0.2))
    b.ellipsoid(leaf, (w * 0.48, h * 0.3, d * 0.48), (0, h * 0.12, 0), bumps=0.25, seed=obj.variant % 1000)
    n = int(rng.integers(8, 15))
    for k in range(n):
        x, z = rng.uniform(-0.4, 0.4) * w, rng.uniform(-0.4, 0.4) * d
        top = h * rng.uniform(0.65, 0.92)
        b.beam(stem, (x, h * 0.1, z), (x, top, z), 0.008 + 0.004 * w, sections=4)
        hr = 0.035 + 0.03 * w
        b.ellipsoid(head, (hr, hr * 0.6, hr), (x, top, z), subdivisions=1)
        b.ellipsoid(centre, (hr * 0.4, hr * 0.3, hr * 0.4), (x, top + hr * 0.45, z), subdivisions=0)


@register("cactus")
def cactus(b: MeshBuilder, obj, rng) -> None:
    """A saguaro: ribbed column with a round top and one to three arms."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    ribs = b.part("ribs", obj.material, _shade(obj.color, 0.8))
    r = w * 0.18
    b.cylinder(body, r, h - r, (0, 0, 0), sections=b.sections + 2)
    b.ellipsoid(body, (r, r, r), (0, h - r, 0))
    for k in range(6):
        a = 2 * math.pi * k / 6
        b.beam(ribs, (math.cos(a) * r * 0.93, 0.0, math.sin(a) * r * 0.93),
               (math.cos(a) * r * 0.93, h - r * 1.1, math.sin(a) * r * 0.93), r * 0.12, sections=4)
    n = int(rng.integers(1, 4))
    for k in range(n):
        a = rng.uniform(0, 2 * math.pi) if k == 0 else a + math.pi * rng.uniform(0.7, 1.3)
        y = h * rng.uniform(0.3, 0.55)
        out = w / 2 - r * 0.7
        ar = r * 0.65
        p0 = np.array([0.0, y, 0.0])
        p1 = np.array([math.cos(a) * out, y, math.sin(a) * out])
        top = h * rng.uniform(0.6, 0.85)
        b.beam(body, p0, p1, ar)
        b.ellipsoid(body, (ar, ar, ar), p1)
        b.cylinder(body, ar, top - y, p1)
        b.ellipsoid(body, (ar, ar, ar), p1 + np.array([0.0, top - y, 0.0]))


@register("potted_plant")
def potted_plant(b: MeshBuilder, obj, rng) -> None:
    """A tapered pot with soil and a fan of leaves (or a leafy ball)."""
    w, h, d = obj.size
    pot = b.part("pot", "plastic", [(0.72, 0.38, 0.24), (0.9, 0.9, 0.88), (0.2, 0.2, 0.22)][obj.variant % 3])
    soil = b.part("soil", "dirt", (0.25, 0.18, 0.12))
    leaf = b.part("leaves", obj.material, obj.color)
    leaf2 = b.part("leaves_shade", obj.material, _shade(obj.color, 0.8))
    ph = h * 0.3
    pr = w * 0.3
    b.frustum(pot, pr * 0.75, pr, ph, (0, 0, 0))
    b.cylinder(soil, pr * 0.92, 0.02, (0, ph - 0.015, 0))
    if obj.variant % 2:
        b.ellipsoid(leaf, (w * 0.45, (h - ph) * 0.5, d * 0.45), (0, ph + (h - ph) * 0.5, 0), bumps=0.3,
                    seed=obj.variant % 1000)
        return
    n = int(rng.integers(7, 12))
    for k in range(n):
        a = 2 * math.pi * k / n + rng.uniform(-0.2, 0.2)
        tilt = rng.uniform(0.25, 0.9)
        L = (h - ph) * rng.uniform(0.75, 1.0)
        tip = np.array([math.cos(a) * math.sin(tilt) * w * 0.5, ph + math.cos(tilt) * L, math.sin(a) * math.sin(tilt) * w * 0.5])
        base = np.array([0.0, ph, 0.0])
        dvec = tip - base
        length = float(np.linalg.norm(dvec))
        R = rot_y(math.atan2(dvec[0], dvec[2])) @ rot_x(-math.asin(dvec[1] / length))
        b.box(leaf if k % 2 else leaf2, (0.18 * w, 0.01, length), (base + tip) / 2, R=R)
