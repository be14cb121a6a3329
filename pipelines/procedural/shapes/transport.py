"""Shape families for transport: boats and ships, road vehicles, trains and trams, aircraft, carts.

The front of every vehicle is +Z; its length is the box's depth. Parameters: masts, sails, cabin,
funnel, ``kind`` (bus, truck, van, tractor, tank, forklift, bike, motorbike; plane, helicopter,
balloon, spaceship, rocket; sub), number of train cars, cart wheels and canopy.
"""

from __future__ import annotations

import math


from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y, rot_z
from pipelines.procedural.shapes.registry import register_family

RUBBER = (0.06, 0.06, 0.07)
GLASS = (0.25, 0.32, 0.4)


def _shade(c, k: float):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


def _wheel(b: MeshBuilder, part: int, r: float, width: float, x: float, z: float) -> None:
    b.cylinder(part, r, width, (x - width / 2, r, z), R=rot_z(-math.pi / 2))


@register_family("boat")
def boat(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A hull tapering to a bow at +Z, a deck, and by parameter a cabin, a funnel, masts with sails; or a submarine."""
    w, h, d = obj.size
    hull = b.part("hull", obj.material, obj.color)
    if P.get("kind") == "sub":
        b.ellipsoid(hull, (w / 2, h * 0.3, d / 2), (0, h * 0.3, 0))
        b.box(hull, (w * 0.3, h * 0.4, d * 0.15), (0, h * 0.6, d * 0.05))
        b.cylinder(hull, 0.05, h * 0.2, (0, h * 0.8, d * 0.08))
        return
    hull_h = h * (0.2 if P.get("masts") else 0.5 if not P.get("narrow") else 0.7)
    pts = []
    for y, s in ((0.0, 0.6), (hull_h, 1.0)):
        pts += [[-w / 2 * s, y, -d / 2 * (0.9 if y == 0 else 1.0)], [w / 2 * s, y, -d / 2 * (0.9 if y == 0 else 1.0)],
                [-w / 2 * s, y, d * 0.2], [w / 2 * s, y, d * 0.2], [0.0, y, d / 2 * (0.85 if y == 0 else 1.0)]]
    b.hull(hull, pts)
    deck = b.part("deck", "wood", (0.6, 0.45, 0.3))
    b.box(deck, (w * 0.85, 0.05, d * 0.65), (0, hull_h, -d * 0.1))
    if P.get("narrow"):
        b.box(deck, (w * 0.1, hull_h * 0.6, 0.05), (0, hull_h, d * 0.45))
        return
    if P.get("cabin"):
        cab = b.part("cabin", "plastic" if not P.get("masts") else "wood", (0.92, 0.92, 0.9) if not P.get("masts")
                     else _shade(obj.color, 1.2))
        ch = (h - hull_h) * (0.45 if not P.get("masts") else 0.12)
        b.box(cab, (w * 0.6, ch, d * 0.3), (0, hull_h + ch / 2, -d * 0.15 if not P.get("masts") else -d * 0.38))
        if not P.get("masts"):
            b.box(b.part("windows", "glass", GLASS), (w * 0.62, ch * 0.35, d * 0.2), (0, hull_h + ch * 0.7, -d * 0.12))
    if P.get("funnel"):
        b.cylinder(b.part("funnel", "metal", (0.75, 0.15, 0.1)), w * 0.12, (h - hull_h) * 0.75, (0, hull_h, -d * 0.3))
    masts = int(P.get("masts", 0))
    if masts:
        mast = b.part("masts", "wood", (0.35, 0.24, 0.14))
        sail = b.part("sails", "fabric", (0.95, 0.93, 0.86) if obj.variant % 3 else (0.2, 0.2, 0.2))
        for k in range(masts):
            z = d * (0.2 - 0.6 * k / max(1, masts - 1)) if masts > 1 else 0.0
            mh = h - hull_h
            b.cylinder(mast, max(0.05, w * 0.03), mh, (0, hull_h, z), sections=6)
            n_sails = 2 if masts > 1 else 1
            for s in range(n_sails):
                y0 = hull_h + mh * (0.15 + 0.42 * s)
                sh = mh * 0.36
                if masts == 1:
                    b.hull(sail, [[0, hull_h + mh * 0.1, z], [0, hull_h + mh * 0.95, z], [0.04, hull_h + mh * 0.1, z],
                                  [0, hull_h + mh * 0.1, -d * 0.4], [0.04, hull_h + mh * 0.12, -d * 0.4]])
                    break
                sw = w * (1.1 - 0.25 * s)
                b.box(sail, (sw, sh, 0.08), (0, y0 + sh / 2, z + 0.12))
                b.beam(mast, (-sw / 2, y0 + sh, z), (sw / 2, y0 + sh, z), max(0.04, w * 0.015))
        if masts > 1:
            b.box(b.part("flag", "fabric", (0.1, 0.1, 0.1)), (0.05, mh * 0.08, w * 0.25), (0, h - mh * 0.04, 0.2 * d + w * 0.12))


@register_family("vehicle")
def vehicle(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A wheeled vehicle by ``kind``: van/bus/truck/tractor/forklift bodies, a tank with tracks, a bicycle or motorbike."""
    w, h, d = obj.size
    kind = P.get("kind", "van")
    body = b.part("body", obj.material, obj.color)
    tyre = b.part("tyres", "plastic", RUBBER)
    glass = b.part("windows", "glass", GLASS)
    if kind in ("bike", "motorbike"):
        r = h * (0.33 if kind == "bike" else 0.3)
        for z in (-d * 0.32, d * 0.32):
            b.cylinder(tyre, r, w * 0.15, (-w * 0.075, r, z), R=rot_z(-math.pi / 2))
        b.beam(body, (0, r, -d * 0.32), (0, h * 0.65, 0.0), w * 0.06)
        b.beam(body, (0, h * 0.65, 0.0), (0, r, d * 0.32), w * 0.06)
        b.beam(body, (0, h * 0.65, d * 0.05), (0, h * 0.95, d * 0.3), w * 0.05)
        b.box(body, (w * 0.9, h * 0.04, w * 0.1), (0, h * 0.95, d * 0.3))
        b.box(b.part("seat", "fabric", RUBBER), (w * 0.3, h * 0.06, d * 0.2), (0, h * 0.72, -d * 0.1))
        if kind == "motorbike":
            b.ellipsoid(body, (w * 0.25, h * 0.12, d * 0.2), (0, h * 0.55, d * 0.05))
            b.box(b.part("engine", "metal", (0.5, 0.5, 0.52)), (w * 0.35, h * 0.2, d * 0.2), (0, h * 0.38, 0))
        return
    if kind == "tank":
        for sx in (-1, 1):
            b.box(tyre, (w * 0.25, h * 0.35, d * 0.95), (sx * w * 0.37, h * 0.175, 0))
        b.box(body, (w * 0.7, h * 0.3, d * 0.9), (0, h * 0.45, 0))
        b.ellipsoid(body, (w * 0.3, h * 0.18, d * 0.22), (0, h * 0.6, -d * 0.05))
        b.beam(body, (0, h * 0.7, d * 0.1), (0, h * 0.72, d * 0.5), w * 0.05)
        return
    r = {"bus": 0.5, "truck": 0.52, "tractor": 0.7, "forklift": 0.3}.get(kind, 0.38) * min(1.0, h / 2.0)
    clear = r * 0.9
    if kind == "tractor":
        b.cylinder(tyre, h * 0.32, w * 0.22, (-w / 2, h * 0.32, -d * 0.25), R=rot_z(-math.pi / 2))
        b.cylinder(tyre, h * 0.32, w * 0.22, (w / 2 - w * 0.22, h * 0.32, -d * 0.25), R=rot_z(-math.pi / 2))
        for sx in (-1, 1):
            _wheel(b, tyre, h * 0.18, w * 0.16, sx * w * 0.4, d * 0.3)
        b.box(body, (w * 0.45, h * 0.3, d * 0.55), (0, h * 0.35, d * 0.15))
        b.box(body, (w * 0.55, h * 0.5, d * 0.3), (0, h * 0.55, -d * 0.2))
        b.box(glass, (w * 0.5, h * 0.3, d * 0.28), (0, h * 0.85, -d * 0.2))
        b.cylinder(b.part("exhaust", "metal", RUBBER), w * 0.03, h * 0.4, (w * 0.1, h * 0.5, d * 0.3))
        return
    if kind == "forklift":
        for sz in (-1, 1):
            for sx in (-1, 1):
                _wheel(b, tyre, r, w * 0.2, sx * w * 0.4, sz * d * 0.3)
        b.box(body, (w * 0.8, h * 0.3, d * 0.7), (0, h * 0.25, -d * 0.1))
        for sx in (-1, 1):
            b.box(body, (0.06, h * 0.55, 0.06), (sx * w * 0.35, h * 0.65, -d * 0.2))
        b.box(body, (w * 0.8, 0.05, d * 0.3), (0, h * 0.94, -d * 0.15))
        for sx in (-1, 1):
            b.box(b.part("mast", "metal", (0.3, 0.3, 0.3)), (0.08, h * 0.9, 0.08), (sx * w * 0.3, h * 0.45, d * 0.3))
            b.box(b.part("forks", "metal", (0.3, 0.3, 0.3)), (0.1, 0.05, d * 0.3), (sx * w * 0.25, 0.1, d * 0.45))
        return
    axles = [-d * 0.35, d * 0.32] if kind != "bus" else [-d * 0.32, d * 0.35]
    if kind == "truck":
        axles = [-d * 0.38, -d * 0.2, d * 0.33]
    for z in axles:
        for sx in (-1, 1):
            _wheel(b, tyre, r, w * 0.12, sx * (w / 2 - w * 0.06), z)
    if kind == "truck":
        cab_d = d * 0.25
        b.box(body, (w, h * 0.7, cab_d), (0, clear + h * 0.35 - clear * 0.5, d / 2 - cab_d / 2))
        b.box(glass, (w * 0.9, h * 0.2, 0.05), (0, h * 0.6, d / 2))
        b.box(b.part("cargo", "metal", (0.85, 0.85, 0.86) if obj.variant % 2 else _shade(obj.color, 1.1)),
              (w, h - clear, d - cab_d - 0.2), (0, clear + (h - clear) / 2, -cab_d / 2 - 0.1))
        return
    body_h = h - clear
    b.box(body, (w, body_h * (0.92 if kind == "bus" else 0.55), d), (0, clear + body_h * (0.46 if kind == "bus" else 0.275), 0))
    if kind == "bus":
        for sx in (-1, 1):
            b.box(glass, (0.05, body_h * 0.3, d * 0.85), (sx * w / 2, clear + body_h * 0.62, -d * 0.02))
        b.box(glass, (w * 0.9, body_h * 0.4, 0.05), (0, clear + body_h * 0.58, d / 2))
        b.box(b.part("roof", "metal", (0.9, 0.9, 0.9)), (w * 0.95, body_h * 0.08, d * 0.95), (0, h - body_h * 0.04, 0))
        return
    # van / generic vehicle: a tall cabin over the rear two thirds
    cab = b.part("cabin", obj.material, _shade(obj.color, 0.95))
    b.hull(cab, [[-w * 0.48, clear + body_h * 0.55, -d * 0.5], [w * 0.48, clear + body_h * 0.55, -d * 0.5],
                 [-w * 0.48, clear + body_h * 0.55, d * 0.35], [w * 0.48, clear + body_h * 0.55, d * 0.35],
                 [-w * 0.45, h, -d * 0.48], [w * 0.45, h, -d * 0.48], [-w * 0.45, h, d * 0.15], [w * 0.45, h, d * 0.15]])
    b.box(glass, (w * 0.9, body_h * 0.25, 0.06), (0, clear + body_h * 0.78, d * 0.25))
    for sx in (-1, 1):
        b.box(glass, (0.05, body_h * 0.22, d * 0.5), (sx * w * 0.47, clear + body_h * 0.8, -d * 0.1))
        b.box(b.part("lights", "glass", (1.0, 0.95, 0.8)), (w * 0.15, body_h * 0.08, 0.04), (sx * w * 0.35, clear + body_h * 0.4, d / 2))


@register_family("train")
def train(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A locomotive (steam: boiler, chimney and cab; modern: streamlined nose) and carriages along Z."""
    w, h, d = obj.size
    cars = max(1, int(P.get("cars", 3)))
    kind = P.get("kind", "steam")
    body = b.part("body", obj.material, obj.color)
    wheel = b.part("wheels", "metal", (0.15, 0.15, 0.16))
    glass = b.part("windows", "glass", (0.35, 0.45, 0.5))
    roof = b.part("roofs", "metal", (0.25, 0.25, 0.27))
    seg = d / cars
    for k in range(cars):
        z1 = d / 2 - k * seg
        z0 = z1 - seg * 0.94
        zc = (z0 + z1) / 2
        for z in (z0 + seg * 0.15, z1 - seg * 0.15):
            for sx in (-1, 1):
                b.cylinder(wheel, h * 0.12, w * 0.1, (sx * w * 0.42 - w * 0.05, h * 0.12, z), R=rot_z(-math.pi / 2))
        if k == 0 and kind == "steam":
            b.box(body, (w * 0.9, h * 0.08, seg * 0.94), (0, h * 0.2, zc))
            b.cylinder(body, w * 0.35, seg * 0.6, (0, h * 0.5, z1 - seg * 0.6), R=rot_x(math.pi / 2))
            b.cylinder(b.part("chimney", "metal", (0.1, 0.1, 0.1)), w * 0.1, h * 0.3, (0, h * 0.75, z1 - seg * 0.15))
            b.box(body, (w * 0.9, h * 0.65, seg * 0.3), (0, h * 0.55, z0 + seg * 0.15))
            b.box(roof, (w * 0.95, h * 0.05, seg * 0.34), (0, h * 0.9, z0 + seg * 0.15))
            b.box(glass, (w * 0.92, h * 0.15, seg * 0.15), (0, h * 0.65, z0 + seg * 0.15))
            continue
        b.box(body, (w, h * 0.68, seg * 0.94), (0, h * 0.2 + h * 0.34, zc))
        b.box(roof, (w * 0.96, h * 0.1, seg * 0.94), (0, h * 0.93, zc))
        for sx in (-1, 1):
            b.box(glass, (0.05, h * 0.2, seg * 0.7), (sx * w / 2, h * 0.65, zc))
        if k == 0:  # modern nose
            b.hull(body, [[-w / 2, h * 0.2, z1], [w / 2, h * 0.2, z1], [-w / 2, h * 0.88, z1], [w / 2, h * 0.88, z1],
                          [0, h * 0.3, z1 + 0.01]])


@register_family("aircraft")
def aircraft(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A plane (fuselage along Z, wings, tail), a helicopter, a hot-air balloon, a spaceship or a rocket."""
    w, h, d = obj.size
    kind = P.get("kind", "plane")
    body = b.part("fuselage", obj.material, obj.color)
    glass = b.part("windows", "glass", (0.25, 0.35, 0.45))
    if kind == "balloon":
        env = b.part("envelope", obj.material, obj.color)
        stripe = b.part("stripes", obj.material, (0.95, 0.85, 0.25))
        b.ellipsoid(env, (w / 2, h * 0.36, d / 2), (0, h * 0.62, 0))
        b.ellipsoid(stripe, (w * 0.505, h * 0.08, d * 0.505), (0, h * 0.62, 0))
        b.frustum(env, w * 0.2, w * 0.05, h * 0.12, (0, h * 0.18, 0), R=None)
        basket = b.part("basket", "straw", (0.6, 0.45, 0.25))
        b.box(basket, (w * 0.1, h * 0.06, d * 0.1), (0, h * 0.03, 0))
        for sx in (-1, 1):
            b.beam(b.part("ropes", "fabric", (0.3, 0.25, 0.2)), (sx * w * 0.04, h * 0.06, 0), (sx * w * 0.05, h * 0.18, 0), 0.02)
        return
    if kind == "rocket":
        b.cylinder(body, w * 0.22, h * 0.72, (0, h * 0.08, 0))
        b.frustum(b.part("nose", "metal", (0.8, 0.15, 0.1)), w * 0.22, 0.0, h * 0.2, (0, h * 0.8, 0))
        fins = b.part("fins", "metal", (0.8, 0.15, 0.1))
        for k in range(4):
            a = k * math.pi / 2
            b.box(fins, (w * 0.3, h * 0.2, 0.05), (math.cos(a) * w * 0.35, h * 0.12, math.sin(a) * d * 0.35), R=rot_y(-a))
        b.frustum(b.part("engine", "metal", (0.2, 0.2, 0.22)), w * 0.12, w * 0.18, h * 0.08, (0, 0, 0))
        return
    if kind == "spaceship":
        b.ellipsoid(body, (w * 0.18, h * 0.3, d / 2), (0, h * 0.5, 0))
        wing = b.part("wings", obj.material, (0.5, 0.52, 0.56))
        b.hull(wing, [[0, h * 0.45, d * 0.3], [-w / 2, h * 0.35, -d * 0.4], [w / 2, h * 0.35, -d * 0.4], [0, h * 0.55, -d * 0.3]])
        b.ellipsoid(glass, (w * 0.08, h * 0.15, d * 0.12), (0, h * 0.72, d * 0.22))
        glow = b.part("engines", "neon", (0.3, 0.7, 1.0))
        for sx in (-1, 1):
            b.cylinder(glow, h * 0.1, d * 0.08, (sx * w * 0.12, h * 0.45, -d * 0.5), R=rot_x(math.pi / 2))
        return
    if kind == "helicopter":
        b.ellipsoid(body, (w * 0.3, h * 0.3, d * 0.22), (0, h * 0.45, d * 0.2))
        b.ellipsoid(glass, (w * 0.25, h * 0.2, d * 0.1), (0, h * 0.5, d * 0.33))
        b.beam(body, (0, h * 0.5, 0), (0, h * 0.6, -d * 0.48), h * 0.06, r1=h * 0.03)
        rotor = b.part("rotor", "metal", (0.15, 0.15, 0.16))
        b.cylinder(rotor, 0.06, h * 0.2, (0, h * 0.75, d * 0.15))
        b.box(rotor, (w * 0.06, 0.05, d * 0.95), (0, h * 0.95, d * 0.05))
        b.box(rotor, (d * 0.95 if d < w * 3 else w, 0.05, w * 0.06), (0, h * 0.95, d * 0.05))
        for sx in (-1, 1):
            b.beam(rotor, (sx * w * 0.25, 0.02, -d * 0.05), (sx * w * 0.25, 0.02, d * 0.35), 0.04)
        return
    fuse_r = h * 0.18
    b.cylinder(body, fuse_r, d * 0.8, (0, h * 0.35, -d * 0.4), R=rot_x(math.pi / 2))
    b.ellipsoid(body, (fuse_r, fuse_r, d * 0.1), (0, h * 0.35, d * 0.4))
    b.box(glass, (fuse_r * 1.2, fuse_r * 0.4, d * 0.05), (0, h * 0.43, d * 0.42))
    wing = b.part("wings", obj.material, _shade(obj.color, 0.92))
    b.hull(wing, [[-w / 2, h * 0.3, -d * 0.08], [w / 2, h * 0.3, -d * 0.08], [0, h * 0.3, d * 0.12], [0, h * 0.3, -d * 0.2],
                  [-w / 2, h * 0.32, -d * 0.06], [w / 2, h * 0.32, -d * 0.06]])
    b.hull(wing, [[-w * 0.2, h * 0.5, -d * 0.45], [w * 0.2, h * 0.5, -d * 0.45], [0, h * 0.5, -d * 0.35],
                  [0, h * 0.52, -d * 0.48]])
    b.hull(wing, [[0, h * 0.45, -d * 0.3], [0, h, -d * 0.48], [0, h * 0.45, -d * 0.5], [0.05, h * 0.5, -d * 0.4]])
    for sx in (-1, 1):
        b.cylinder(b.part("engines", "metal", (0.5, 0.5, 0.52)), fuse_r * 0.4, d * 0.12, (sx * w * 0.22, h * 0.24, d * 0.02),
                   R=rot_x(math.pi / 2))
        b.beam(b.part("gear", "metal", RUBBER), (sx * w * 0.1, h * 0.3, 0), (sx * w * 0.1, 0.05, 0), 0.05)
        b.cylinder(b.part("gear", "metal", RUBBER), 0.12, 0.12, (sx * w * 0.1 - 0.06, 0.12, 0), R=rot_z(-math.pi / 2))


@register_family("cart")
def cart(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A box on two or four wheels with shafts at the front; a canvas canopy (covered wagon) or a cannon barrel."""
    w, h, d = obj.size
    wood = b.part("body", obj.material, obj.color)
    wheel = b.part("wheels", "wood", (0.3, 0.2, 0.12))
    n = int(P.get("wheels", 2))
    r = h * (0.3 if not P.get("canopy") else 0.22)
    zs = [0.0] if n == 2 else [-d * 0.3, d * 0.3]
    for z in zs:
        for sx in (-1, 1):
            b.cylinder(wheel, r, w * 0.08, (sx * (w / 2) - (w * 0.08 if sx > 0 else 0), r, z), R=rot_z(-math.pi / 2))
    if P.get("cannon"):
        b.box(wood, (w * 0.6, h * 0.25, d * 0.6), (0, r, -d * 0.1))
        b.cylinder(b.part("barrel", "metal", obj.color), h * 0.16, d * 0.9, (0, r + h * 0.2, -d * 0.45), R=rot_x(math.pi / 2 - 0.15))
        return
    bed_y = r * 1.1
    b.box(wood, (w * 0.8, h * 0.08, d * 0.8), (0, bed_y, 0))
    for sx in (-1, 1):
        b.box(wood, (0.05, h * 0.2, d * 0.8), (sx * w * 0.4, bed_y + h * 0.1, 0))
    for sz in (-1, 1):
        b.box(wood, (w * 0.8, h * 0.2, 0.05), (0, bed_y + h * 0.1, sz * d * 0.4))
    for sx in (-1, 1):
        b.beam(wood, (sx * w * 0.25, bed_y, d * 0.4), (sx * w * 0.25, bed_y * 0.8, d * 0.5), 0.04)
    if P.get("canopy"):
        can = b.part("canopy", "fabric", (0.9, 0.87, 0.78))
        b.ellipsoid(can, (w * 0.42, h - bed_y - h * 0.1, d * 0.38), (0, bed_y + h * 0.1, 0))
    else:
        b.box(b.part("load", "straw", (0.8, 0.68, 0.35)), (w * 0.7, h * 0.25, d * 0.6), (0, bed_y + h * 0.15, 0))
