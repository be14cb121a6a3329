"""Terrain features and outdoor props: rocks, mountains, ponds, benches, cars, boats, beach things."""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y, rot_z
from pipelines.procedural.noise import fbm2
from pipelines.procedural.shapes.registry import SNOW, register, snowy

RUBBER = (0.06, 0.06, 0.07)


@register("rock")
def rock(b: MeshBuilder, obj, rng) -> None:
    """A displaced icosphere, flattened at the bottom, sometimes with a smaller rock beside it."""
    w, h, d = obj.size
    stone = b.part("stone", obj.material, obj.color)
    moss = b.part("moss", "leaves", (0.3, 0.38, 0.2))
    sub = b.sphere_subdiv + 1
    b.ellipsoid(stone, (w / 2, h * 0.6, d / 2), (0, h * 0.4, 0), subdivisions=sub, bumps=0.35, bump_freq=1.3,
                seed=obj.variant % 10007, R=rot_y(float(rng.uniform(0, 6.28))))
    if snowy(obj):
        b.ellipsoid(b.part("snow", "snow", SNOW), (w * 0.36, h * 0.2, d * 0.36), (0, h * 0.86, 0), subdivisions=2,
                    bumps=0.2, seed=obj.variant % 101 + 5)
    elif obj.variant % 3 == 0:
        b.ellipsoid(moss, (w * 0.3, h * 0.12, d * 0.3), (w * 0.05, h * 0.88, 0), subdivisions=1, bumps=0.3,
                    seed=obj.variant % 101)
    if obj.variant % 2:
        b.ellipsoid(stone, (w * 0.2, h * 0.22, d * 0.2), (w * 0.33, h * 0.12, d * 0.3), subdivisions=1, bumps=0.3,
                    seed=obj.variant % 997 + 1)


def _mound(b: MeshBuilder, part: int, w: float, h: float, d: float, seed: int, *, r_max: float = 1.0,
           lift: float = 0.0, rings: int = 14, sectors: int = 36) -> None:
    """A closed noisy mountain-shaped surface of revolution (polar grid + bottom cap)."""
    rs = np.linspace(0.0, r_max, rings + 1)[1:]
    a = np.linspace(0, 2 * math.pi, sectors, endpoint=False)
    R, A = np.meshgrid(rs, a, indexing="ij")
    x, z = R * np.cos(A), R * np.sin(A)
    n = fbm2(np.stack([x.ravel() * 2.2 + 5, z.ravel() * 2.2 + 5], 1).astype(np.float32), octaves=4, seed=seed)
    n = (n.reshape(R.shape).astype(np.float64) - 0.5)
    prof = np.clip(1.0 - R, 0, 1) ** 1.35
    y = h * (prof * (1.0 + 0.7 * n)) + lift * h
    y = np.where(R >= 0.999, lift * h * 0.0, y)
    verts = np.stack([x * w / 2, np.maximum(y, 0.0), z * d / 2], -1).reshape(-1, 3)
    top = np.array([[0.0, h * (1.0 + 0.7 * float(n[0].mean())) + lift * h, 0.0]])
    bottom = np.array([[0.0, 0.0, 0.0]])
    verts = np.concatenate([verts, top, bottom])
    it, ib = len(verts) - 2, len(verts) - 1
    faces = []
    s = np.arange(sectors)
    s1 = (s + 1) % sectors
    faces.append(np.stack([np.full(sectors, it), s1, s], 1))  # apex fan (ring 0)
    for i in range(rings - 1):
        a0, a1 = i * sectors + s, i * sectors + s1
        b0, b1 = (i + 1) * sectors + s, (i + 1) * sectors + s1
        faces.append(np.stack([a0, a1, b1], 1))
        faces.append(np.stack([a0, b1, b0], 1))
    last = (rings - 1) * sectors
    faces.append(np.stack([np.full(sectors, ib), last + s, last + s1], 1))  # bottom cap
    b.add(verts, np.concatenate(faces), part)


@register("mountain")
def mountain(b: MeshBuilder, obj, rng) -> None:
    """A noisy peak (surface of revolution) with a snow cap."""
    w, h, d = obj.size
    rock_p = b.part("rock", obj.material, obj.color)
    snow = b.part("snow_cap", "snow", (0.94, 0.95, 0.98))
    seed = obj.variant % 100003
    k = 1 + b.detail
    _mound(b, rock_p, w, h, d, seed, rings=8 + 6 * k, sectors=18 + 12 * k)
    if obj.variant % 4 != 3:
        _mound(b, snow, w * 1.005, h * 1.004, d * 1.005, seed, r_max=0.36, rings=3 + 2 * k, sectors=18 + 12 * k)


@register("pond")
def pond(b: MeshBuilder, obj, rng) -> None:
    """An irregular disc of water in a muddy rim."""
    w, h, d = obj.size
    water = b.part("water", obj.material, obj.color)
    mud = b.part("bank", "dirt", (0.36, 0.3, 0.22))
    b.frustum(mud, 0.5, 0.48, h * 0.6, (0, 0, 0), sections=b.sections + 10, scale_xz=(w, d))
    b.frustum(water, 0.46, 0.46, h * 0.4, (0, h * 0.6, 0), sections=b.sections + 10, scale_xz=(w, d))


@register("bench")
def bench(b: MeshBuilder, obj, rng) -> None:
    """Seat and backrest slats on metal (or wooden) legs with armrests."""
    w, h, d = obj.size
    wood = b.part("slats", obj.material, obj.color)
    frame = b.part("frame", "metal", (0.12, 0.12, 0.13)) if obj.variant % 2 else wood
    seat_y = h * 0.47
    for i in range(4):
        z = -d * 0.35 + d * 0.55 * i / 3 + d * 0.05
        b.box(wood, (w, 0.035, d * 0.14), (0, seat_y, z))
    for i in range(3):
        y = seat_y + 0.12 + (h - seat_y - 0.15) * i / 2
        b.box(wood, (w, d * 0.13, 0.03), (0, y, -d * 0.45), R=None)
    for sx in (-1, 1):
        x = sx * (w / 2 - 0.08)
        b.box(frame, (0.05, seat_y, 0.05), (x, seat_y / 2, d * 0.3))
        b.box(frame, (0.05, h, 0.05), (x, h / 2, -d * 0.45))
        b.box(frame, (0.05, 0.04, d * 0.8), (x, seat_y + 0.22, -d * 0.08))
        b.box(frame, (0.05, 0.22, 0.05), (x, seat_y + 0.11, d * 0.3))


@register("picnic_table")
def picnic_table(b: MeshBuilder, obj, rng) -> None:
    """Plank top, two attached bench seats and A-frame legs."""
    w, h, d = obj.size
    wood = b.part("wood", obj.material, obj.color)
    dark = b.part("legs", obj.material, tuple(c * 0.8 for c in obj.color))
    top_d = d * 0.45
    for i in range(5):
        b.box(wood, (w, 0.045, top_d / 5 * 0.92), (0, h - 0.0225, -top_d / 2 + top_d * (i + 0.5) / 5))
    seat_y = h * 0.58
    for sz in (-1, 1):
        b.box(wood, (w * 0.95, 0.045, d * 0.16), (0, seat_y, sz * d * 0.41))
    for sx in (-1, 1):
        x = sx * w * 0.36
        for sz in (-1, 1):
            b.beam(dark, (x, 0, sz * d * 0.45), (x, h - 0.05, sz * top_d * 0.25), 0.035, sections=4)
        b.box(dark, (0.06, 0.06, d * 0.95), (x, seat_y - 0.05, 0))


def _wheel(b, tyre, hub, x, y, z, r, width):
    R = rot_z(math.pi / 2)
    b.frustum(tyre, r, r, width, (x + width / 2, y, z), R=R, sections=b.sections + 4)
    b.frustum(hub, r * 0.55, r * 0.55, width * 1.1, (x + width * 0.55, y, z), R=R, sections=b.sections)


@register("car")
def car(b: MeshBuilder, obj, rng) -> None:
    """Body, a tapered glass cabin with a roof, four wheels, lights and bumpers; front is +Z."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    glass = b.part("windows", "glass", (0.12, 0.15, 0.2))
    tyre = b.part("tyres", "plastic", RUBBER)
    hub = b.part("hubs", "metal", (0.7, 0.7, 0.72))
    head = b.part("headlights", "glass", (0.95, 0.95, 0.85))
    tail = b.part("taillights", "glass", (0.7, 0.05, 0.05))
    trim = b.part("bumpers", "plastic", (0.1, 0.1, 0.11))
    wr = h * 0.23
    body_y0, body_y1 = wr * 0.55, h * 0.58
    b.hull(body, [[sx * w / 2, body_y0, sz * d / 2 * (0.97 if sz > 0 else 0.99)] for sx in (-1, 1) for sz in (-1, 1)]
           + [[sx * w / 2, body_y1, sz * d / 2 * (0.92 if sz > 0 else 0.97)] for sx in (-1, 1) for sz in (-1, 1)])
    cab_front, cab_back = d * (0.18 if obj.variant % 2 else 0.1), -d * 0.32
    roof_front, roof_back = d * 0.02, -d * 0.24
    cw, rw = w * 0.46, w * 0.4
    b.hull(glass, [[sx * cw, body_y1 - 0.01, z] for sx in (-1, 1) for z in (cab_front, cab_back)]
           + [[sx * rw, h * 0.97, z] for sx in (-1, 1) for z in (roof_front, roof_back)])
    b.box(body, (rw * 2 + 0.02, h * 0.03, roof_front - roof_back + 0.02), (0, h * 0.985, (roof_front + roof_back) / 2))
    if snowy(obj):
        b.box(b.part("snow", "snow", SNOW), (rw * 2, h * 0.04, roof_front - roof_back), (0, h * 1.01, (roof_front + roof_back) / 2))
    for sx in (-1, 1):
        for z in (d * 0.31, -d * 0.31):
            _wheel(b, tyre, hub, sx * (w / 2 - 0.2) - 0.1 * 0, wr, z, wr, 0.2 if sx > 0 else 0.2)
    for sx in (-1, 1):
        b.box(head, (w * 0.18, h * 0.07, 0.04), (sx * w * 0.33, body_y1 * 0.82, d / 2 * 0.955))
        b.box(tail, (w * 0.16, h * 0.06, 0.04), (sx * w * 0.34, body_y1 * 0.85, -d / 2 * 0.99))
    b.box(trim, (w * 1.0, h * 0.07, 0.1), (0, body_y0 + 0.05, d / 2 * 0.96))
    b.box(trim, (w * 1.0, h * 0.07, 0.1), (0, body_y0 + 0.05, -d / 2 * 0.97))
    # wheels stick out by a little: keep them inside the footprint


@register("boat")
def boat(b: MeshBuilder, obj, rng) -> None:
    """A rowing boat: pointed hull, gunwale, thwarts and a pair of oars; bow towards +Z."""
    w, h, d = obj.size
    hull = b.part("hull", obj.material, obj.color)
    inner = b.part("inside", "wood", (0.55, 0.42, 0.28))
    stripe = b.part("stripe", "wood", (0.9, 0.9, 0.86))
    oar = b.part("oars", "wood", (0.6, 0.45, 0.28))
    k = 9
    pts = []
    for i in range(k + 1):
        t = -1 + 2 * i / k
        half = w / 2 * max(0.05, (1 - abs(t) ** 2.2) ** 0.6) * (1.0 if t < 0.6 else (1 - (t - 0.6) * 0.9))
        z = t * d / 2
        pts += [[-half, h * 0.75, z], [half, h * 0.75, z], [-half * 0.55, 0.0, z * 0.9], [half * 0.55, 0.0, z * 0.9]]
    b.hull(hull, pts)
    b.box(inner, (w * 0.7, 0.03, d * 0.6), (0, h * 0.76, -d * 0.05))
    b.box(stripe, (w * 0.98, h * 0.06, d * 0.5), (0, h * 0.6, -d * 0.05))
    for z in (-d * 0.2, d * 0.12):
        b.box(inner, (w * 0.85, 0.04, 0.2), (0, h * 0.78, z))
    for sx in (-1, 1):
        b.beam(oar, (sx * w * 0.3, h * 0.82, -d * 0.05), (sx * w * 0.48, h * 0.95, -d * 0.42), 0.025, sections=4)
        b.box(oar, (0.04, 0.14, 0.3), (sx * w * 0.48, h * 0.95, -d * 0.45))


@register("beach_umbrella")
def beach_umbrella(b: MeshBuilder, obj, rng) -> None:
    """A slanted pole with a striped canopy."""
    w, h, d = obj.size
    pole = b.part("pole", "metal", (0.85, 0.85, 0.82))
    can = b.part("canopy", obj.material, obj.color)
    can2 = b.part("canopy_stripes", obj.material, (0.96, 0.95, 0.9))
    b.cylinder(pole, 0.025, h * 0.9, (0, 0, 0), sections=6)
    n = 8
    r = w / 2
    y0 = h * 0.78
    for k in range(n):
        a0, a1 = 2 * math.pi * k / n, 2 * math.pi * (k + 1) / n
        pts = [[0, h, 0], [0, h - 0.03, 0], [r * math.cos(a0), y0, r * math.sin(a0)], [r * math.cos(a1), y0, r * math.sin(a1)],
               [r * math.cos(a0), y0 - 0.03, r * math.sin(a0)], [r * math.cos(a1), y0 - 0.03, r * math.sin(a1)]]
        b.hull(can if k % 2 == 0 else can2, pts)


@register("deck_chair")
def deck_chair(b: MeshBuilder, obj, rng) -> None:
    """A wooden frame with a fabric sling, reclined back at -Z, feet towards +Z."""
    w, h, d = obj.size
    frame = b.part("frame", "wood", (0.62, 0.46, 0.3))
    cloth = b.part("sling", obj.material, obj.color)
    seat_y = h * 0.32
    # seat part (front) and back part (reclined)
    for sx in (-1, 1):
        x = sx * w * 0.45
        b.beam(frame, (x, 0, d * 0.48), (x, seat_y, -d * 0.05), 0.022, sections=4)
        b.beam(frame, (x, 0, -d * 0.3), (x, h, -d * 0.48), 0.022, sections=4)
        b.beam(frame, (x, seat_y, -d * 0.05), (x, 0, -d * 0.1), 0.02, sections=4)
    L0 = math.hypot(d * 0.5, seat_y)
    b.box(cloth, (w * 0.85, 0.015, L0 * 0.98), (0, seat_y * 0.55, d * 0.2), R=rot_x(-math.atan2(seat_y, d * 0.5)))
    L1 = math.hypot(d * 0.35, h - seat_y * 0.9)
    ang = math.atan2(h - seat_y * 0.9, d * 0.35)
    b.box(cloth, (w * 0.85, 0.015, L1 * 0.95), (0, (seat_y * 0.9 + h) / 2 - 0.02, -d * 0.25), R=rot_x(ang))


@register("trash_can")
def trash_can(b: MeshBuilder, obj, rng) -> None:
    """A tapered bin with a rim and a domed or flat lid."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    lid = b.part("lid", obj.material, tuple(c * 0.75 for c in obj.color))
    r = w / 2
    b.frustum(body, r * 0.85, r * 0.97, h * 0.85, (0, 0, 0), scale_xz=(1.0, d / w))
    b.frustum(lid, r, r, h * 0.05, (0, h * 0.85, 0), scale_xz=(1.0, d / w))
    if obj.variant % 2:
        b.ellipsoid(lid, (r * 0.95, h * 0.1, r * 0.95 * d / w), (0, h * 0.9, 0))
    else:
        b.box(lid, (r * 0.6, h * 0.1, 0.04), (0, h * 0.95, 0))
    for y in (0.25, 0.55):
        b.frustum(lid, r * (0.88 + 0.09 * y), r * (0.88 + 0.09 * y), 0.03, (0, h * y, 0), scale_xz=(1.0, d / w))


@register("snowman")
def snowman(b: MeshBuilder, obj, rng) -> None:
    """Three snowballs, coal eyes and buttons, a carrot nose, stick arms and a hat."""
    w, h, d = obj.size
    snow = b.part("snow", obj.material, obj.color)
    coal = b.part("coal", "stone", (0.05, 0.05, 0.06))
    carrot = b.part("carrot", "plastic", (0.95, 0.45, 0.1))
    stick = b.part("arms", "bark", (0.3, 0.2, 0.12))
    hat = b.part("hat", "fabric", (0.08, 0.08, 0.1))
    r1, r2, r3 = h * 0.22, h * 0.16, h * 0.11
    y1, y2 = r1 * 0.95, r1 * 1.8 + r2 * 0.9
    y3 = y2 + r2 * 0.85 + r3 * 0.9
    b.ellipsoid(snow, (r1, r1, r1), (0, y1, 0), bumps=0.06, seed=obj.variant % 97)
    b.ellipsoid(snow, (r2, r2, r2), (0, y2, 0), bumps=0.06, seed=obj.variant % 97 + 1)
    b.ellipsoid(snow, (r3, r3, r3), (0, y3, 0))
    for sx in (-1, 1):
        b.ellipsoid(coal, (r3 * 0.1,) * 3, (sx * r3 * 0.35, y3 + r3 * 0.25, r3 * 0.88), subdivisions=0)
        b.beam(stick, (sx * r2 * 0.9, y2 + r2 * 0.2, 0), (sx * w * 0.5, y2 + r2 * 0.9, 0), 0.015, sections=4)
    for k in range(3):
        b.ellipsoid(coal, (r2 * 0.08,) * 3, (0, y2 - r2 * 0.3 + k * r2 * 0.3, r2 * 0.97), subdivisions=0)
    b.frustum(carrot, r3 * 0.13, 0.0, r3 * 0.8, (0, y3, r3 * 0.9), R=rot_x(math.pi / 2), sections=6)
    b.cylinder(hat, r3 * 0.9, 0.02, (0, y3 + r3 * 0.8, 0))
    b.cylinder(hat, r3 * 0.6, h - (y3 + r3 * 0.8), (0, y3 + r3 * 0.8, 0))


@register("barrel")
def barrel(b: MeshBuilder, obj, rng) -> None:
    """A bulging barrel with metal hoops, or (odd variants) a slatted crate."""
    w, h, d = obj.size
    wood = b.part("wood", obj.material, obj.color)
    metal = b.part("hoops", "metal", (0.25, 0.25, 0.27))
    r = min(w, d) / 2
    if obj.variant % 2:
        b.box(wood, (w * 0.96, h * 0.96, d * 0.96), (0, h / 2, 0))
        dark = b.part("slats", obj.material, tuple(c * 0.8 for c in obj.color))
        for y in (0.1, 0.5, 0.9):
            for sz in (-1, 1):
                b.box(dark, (w, h * 0.12, 0.03), (0, h * y, sz * d * 0.485))
            for sx in (-1, 1):
                b.box(dark, (0.03, h * 0.12, d), (sx * w * 0.485, h * y, 0))
        return
    b.frustum(wood, r * 0.82, r, h / 2, (0, 0, 0), sections=b.sections + 4)
    b.frustum(wood, r, r * 0.82, h / 2, (0, h / 2, 0), sections=b.sections + 4)
    for y, rr in ((0.1, 0.86), (0.3, 0.95), (0.7, 0.95), (0.9, 0.86)):
        b.frustum(metal, r * rr + 0.008, r * rr + 0.008, h * 0.04, (0, h * y - h * 0.02, 0), sections=b.sections + 4)
