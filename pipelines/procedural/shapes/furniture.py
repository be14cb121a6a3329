"""Furniture and indoor things. Front is +Z (where you sit or look from), back at -Z."""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y
from pipelines.procedural.shapes.registry import register

BOOK_COLORS = [(0.55, 0.12, 0.1), (0.12, 0.25, 0.45), (0.15, 0.35, 0.2), (0.75, 0.6, 0.3), (0.3, 0.18, 0.35),
               (0.85, 0.82, 0.75), (0.12, 0.12, 0.14)]


def _dark(c, k=0.75):
    return tuple(x * k for x in c)


def _legs(b, part, w, d, h, t, inset=0.0, *, round_=False):
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (w / 2 - t / 2 - inset), sz * (d / 2 - t / 2 - inset)
            if round_:
                b.frustum(part, t / 2, t * 0.35, h, (x, 0, z), sections=6)
            else:
                b.box(part, (t, h, t), (x, h / 2, z))


@register("table")
def table(b: MeshBuilder, obj, rng) -> None:
    """Top and four legs with aprons, or (variant) a round pedestal table."""
    w, h, d = obj.size
    wood = b.part("top", obj.material, obj.color)
    legs = b.part("legs", obj.material, _dark(obj.color, 0.85))
    t = 0.045
    if obj.variant % 4 == 3:
        b.frustum(wood, 0.5, 0.5, t, (0, h - t, 0), sections=b.sections + 12, scale_xz=(w, d))
        b.cylinder(legs, 0.05, h - t, (0, 0, 0))
        b.frustum(legs, 0.3 * min(w, d), 0.06, 0.08, (0, 0, 0))
        return
    b.box(wood, (w, t, d), (0, h - t / 2, 0))
    lt = 0.06
    _legs(b, legs, w, d, h - t, lt, 0.04, round_=obj.variant % 2 == 1)
    b.box(legs, (w - 0.2, 0.08, 0.025), (0, h - t - 0.04, d / 2 - 0.07))
    b.box(legs, (w - 0.2, 0.08, 0.025), (0, h - t - 0.04, -d / 2 + 0.07))


@register("chair")
def chair(b: MeshBuilder, obj, rng) -> None:
    """Seat, four legs, a slatted backrest at -Z (a stool on some variants)."""
    w, h, d = obj.size
    wood = b.part("frame", obj.material, obj.color)
    seat = b.part("seat", "fabric" if obj.variant % 3 == 1 else obj.material,
                  (0.6, 0.2, 0.18) if obj.variant % 3 == 1 else _dark(obj.color, 1.1))
    sy = min(0.47, h * 0.5)
    b.box(seat, (w, 0.05, d), (0, sy - 0.025, 0))
    lt = 0.04
    _legs(b, wood, w, d, sy - 0.05, lt, 0.01)
    for sx in (-1, 1):
        b.box(wood, (lt, h - sy + 0.05, lt), (sx * (w / 2 - lt / 2 - 0.01), sy - 0.05 + (h - sy + 0.05) / 2, -d / 2 + lt / 2 + 0.01))
    b.box(wood, (w - 0.02, 0.07, 0.03), (0, h - 0.035, -d / 2 + 0.025))
    for k in range(3):
        x = -w * 0.25 + w * 0.25 * k
        b.box(wood, (0.035, h - sy - 0.12, 0.02), (x, sy + (h - sy - 0.12) / 2, -d / 2 + 0.025))


def _sofa(b, obj, rng, seats: int) -> None:
    w, h, d = obj.size
    fab = b.part("upholstery", obj.material, obj.color)
    cush = b.part("cushions", obj.material, _dark(obj.color, 1.12))
    legs = b.part("legs", "wood", (0.25, 0.16, 0.1))
    leg_h = 0.08
    arm_w = min(0.22, w * 0.12)
    base_h = h * 0.42
    b.box(fab, (w, base_h - leg_h, d), (0, leg_h + (base_h - leg_h) / 2, 0))
    b.box(fab, (w, h - base_h, d * 0.25), (0, base_h + (h - base_h) / 2, -d * 0.375))
    for sx in (-1, 1):
        b.box(fab, (arm_w, h * 0.65 - base_h, d), (sx * (w / 2 - arm_w / 2), base_h + (h * 0.65 - base_h) / 2, 0))
    inner = w - 2 * arm_w
    for k in range(seats):
        x = -inner / 2 + inner * (k + 0.5) / seats
        b.box(cush, (inner / seats - 0.02, 0.14, d * 0.7), (x, base_h + 0.07, d * 0.12))
        b.box(cush, (inner / seats - 0.04, (h - base_h) * 0.75, 0.16), (x, base_h + 0.14 + (h - base_h) * 0.3, -d * 0.2),
              R=rot_x(-0.12))
    _legs(b, legs, w, d, leg_h, 0.06, 0.04)


@register("sofa")
def sofa(b: MeshBuilder, obj, rng) -> None:
    """Base, backrest, armrests, seat and back cushions, short legs."""
    _sofa(b, obj, rng, 3 if obj.size[0] > 2.0 else 2)


@register("armchair")
def armchair(b: MeshBuilder, obj, rng) -> None:
    """A one-seat sofa."""
    _sofa(b, obj, rng, 1)


@register("bed")
def bed(b: MeshBuilder, obj, rng) -> None:
    """Frame, mattress, blanket, pillows and a headboard at -Z."""
    w, h, d = obj.size
    frame = b.part("frame", "wood", [(0.45, 0.3, 0.18), (0.85, 0.84, 0.8), (0.2, 0.18, 0.17)][obj.variant % 3])
    matt = b.part("mattress", "fabric", (0.93, 0.93, 0.92))
    blanket = b.part("blanket", obj.material, obj.color)
    pillow = b.part("pillows", "fabric", (0.96, 0.96, 0.95))
    fh = 0.3
    mh = 0.2
    b.box(frame, (w, fh - 0.08, d - 0.05), (0, 0.08 + (fh - 0.08) / 2, 0.025))
    _legs(b, frame, w, d - 0.05, 0.08, 0.08, 0.0)
    b.box(matt, (w - 0.06, mh, d - 0.12), (0, fh + mh / 2, 0.03))
    b.box(blanket, (w - 0.02, 0.06, (d - 0.12) * 0.68), (0, fh + mh + 0.02, d * 0.16))
    b.box(blanket, (w - 0.02, mh + 0.04, 0.04), (0, fh + mh / 2 + 0.02, d / 2 - 0.03))
    for sx in (-1, 1):
        b.ellipsoid(pillow, (w * 0.2, 0.07, 0.17), (sx * w * 0.23, fh + mh + 0.06, -d / 2 + 0.3), subdivisions=2)
    b.box(frame, (w, h, 0.06), (0, h / 2, -d / 2 + 0.03))


@register("nightstand")
def nightstand(b: MeshBuilder, obj, rng) -> None:
    """A small cabinet with a drawer and a knob on short legs."""
    w, h, d = obj.size
    wood = b.part("body", obj.material, obj.color)
    front = b.part("drawer", obj.material, _dark(obj.color, 1.15))
    knob = b.part("knobs", "metal", (0.75, 0.65, 0.35))
    _legs(b, wood, w, d, 0.08, 0.04, 0.02)
    b.box(wood, (w, h - 0.08, d), (0, 0.08 + (h - 0.08) / 2, 0))
    for k, y in enumerate((0.35, 0.72)):
        b.box(front, (w * 0.86, (h - 0.08) * 0.3, 0.02), (0, h * y, d / 2 + 0.01))
        b.ellipsoid(knob, (0.018,) * 3, (0, h * y, d / 2 + 0.03), subdivisions=1)


@register("wardrobe")
def wardrobe(b: MeshBuilder, obj, rng) -> None:
    """Tall body with two (or three) doors, handles, a plinth and a cornice."""
    w, h, d = obj.size
    wood = b.part("body", obj.material, obj.color)
    door = b.part("doors", obj.material, _dark(obj.color, 1.1))
    handle = b.part("handles", "metal", (0.7, 0.7, 0.72))
    b.box(wood, (w, h - 0.1, d - 0.02), (0, 0.05 + (h - 0.1) / 2, -0.01))
    b.box(wood, (w * 0.98, 0.08, d * 0.95), (0, 0.04, 0))
    b.box(wood, (w, 0.05, d), (0, h - 0.025, 0))
    n = 3 if w > 1.5 and obj.variant % 2 else 2
    for k in range(n):
        x = -w / 2 + w * (k + 0.5) / n
        b.box(door, (w / n - 0.02, h - 0.25, 0.02), (x, 0.1 + (h - 0.25) / 2 + 0.03, d / 2 - 0.01))
        hx = x + (w / n) * (0.38 if k < n / 2 else -0.38)
        b.box(handle, (0.02, 0.25, 0.03), (hx, h * 0.52, d / 2 + 0.015))


@register("bookshelf")
def bookshelf(b: MeshBuilder, obj, rng) -> None:
    """Sides, back, shelves and rows of books of varied heights and colours."""
    w, h, d = obj.size
    wood = b.part("frame", obj.material, obj.color)
    book_parts = [b.part(f"books_{i}", "fabric", c) for i, c in enumerate(BOOK_COLORS)]
    t = 0.03
    b.box(wood, (w, h, 0.015), (0, h / 2, -d / 2 + 0.0075))
    for sx in (-1, 1):
        b.box(wood, (t, h, d), (sx * (w / 2 - t / 2), h / 2, 0))
    n = max(3, int(h / 0.38))
    gap = (h - t) / n
    for k in range(n + 1):
        b.box(wood, (w - 2 * t, t, d - 0.015), (0, k * gap + t / 2, 0.0075))
    inner = w - 2 * t
    for k in range(n):
        y0 = k * gap + t
        x = -inner / 2 + 0.01
        while True:
            bw = float(rng.uniform(0.025, 0.055))
            if x + bw > inner / 2 - 0.01:
                break
            if rng.uniform() < 0.08:
                x += bw * 2
                continue
            bh = min(gap - t - 0.02, float(rng.uniform(0.6, 0.9)) * gap)
            bd = d * float(rng.uniform(0.7, 0.9))
            b.box(book_parts[int(rng.integers(0, len(book_parts)))], (bw * 0.95, bh, bd),
                  (x + bw / 2, y0 + bh / 2, -d / 2 + 0.015 + bd / 2))
            x += bw


@register("desk")
def desk(b: MeshBuilder, obj, rng) -> None:
    """Top, a drawer unit on one side, a panel leg on the other and a modesty panel."""
    w, h, d = obj.size
    wood = b.part("top", obj.material, obj.color)
    body = b.part("body", obj.material, _dark(obj.color, 0.85))
    knob = b.part("handles", "metal", (0.6, 0.6, 0.62))
    t = 0.035
    b.box(wood, (w, t, d), (0, h - t / 2, 0))
    side = 1 if obj.variant % 2 else -1
    dw = min(0.45, w * 0.32)
    b.box(body, (dw, h - t, d * 0.95), (side * (w / 2 - dw / 2), (h - t) / 2, 0))
    for k in range(3):
        y = (h - t) * (k + 0.5) / 3
        b.box(wood, (dw * 0.9, (h - t) / 3 * 0.85, 0.02), (side * (w / 2 - dw / 2), y, d * 0.475 + 0.01))
        b.box(knob, (0.1, 0.015, 0.02), (side * (w / 2 - dw / 2), y + 0.05, d * 0.475 + 0.03))
    b.box(body, (0.035, h - t, d * 0.95), (-side * (w / 2 - 0.0175), (h - t) / 2, 0))
    b.box(body, (w - dw - 0.035, (h - t) * 0.5, 0.02), (-side * 0.0175 * 0 + side * (-dw / 2 + 0.0175) * 1.0, h - t - (h - t) * 0.25, -d * 0.4))


@register("office_chair")
def office_chair(b: MeshBuilder, obj, rng) -> None:
    """Five-star base on casters, gas column, seat, backrest at -Z and armrests."""
    w, h, d = obj.size
    fab = b.part("upholstery", obj.material, obj.color)
    plastic = b.part("frame", "plastic", (0.1, 0.1, 0.11))
    metal = b.part("column", "metal", (0.6, 0.6, 0.62))
    r = min(w, d) / 2
    for k in range(5):
        a = 2 * math.pi * k / 5 + math.pi / 2
        tip = np.array([math.cos(a) * r * 0.92, 0.06, math.sin(a) * r * 0.92])
        b.beam(plastic, (0, 0.08, 0), tip, 0.022, sections=5)
        b.ellipsoid(plastic, (0.03,) * 3, tip - np.array([0, 0.03, 0]), subdivisions=1)
    sy = h * 0.45
    b.cylinder(metal, 0.025, sy - 0.12, (0, 0.08, 0))
    b.box(plastic, (0.2, 0.04, 0.2), (0, sy - 0.06, 0))
    b.box(fab, (w * 0.85, 0.08, d * 0.8), (0, sy, d * 0.05))
    b.box(plastic, (0.05, h * 0.25, 0.03), (0, sy + h * 0.1, -d * 0.38))
    b.box(fab, (w * 0.78, h - sy - 0.12, 0.08), (0, sy + 0.12 + (h - sy - 0.12) / 2, -d * 0.42), R=rot_x(-0.08))
    for sx in (-1, 1):
        b.box(plastic, (0.03, 0.2, 0.03), (sx * w * 0.42, sy + 0.12, 0))
        b.box(plastic, (0.06, 0.03, d * 0.35), (sx * w * 0.42, sy + 0.22, 0))


@register("computer")
def computer(b: MeshBuilder, obj, rng) -> None:
    """A monitor (bezel, dark screen), neck and base; keyboard in front on some variants."""
    w, h, d = obj.size
    body = b.part("monitor", obj.material, obj.color)
    screen = b.part("screen", "glass", [(0.1, 0.2, 0.35), (0.15, 0.3, 0.25), (0.05, 0.05, 0.07)][obj.variant % 3])
    sh = h * 0.72
    b.box(body, (w, sh, 0.035), (0, h - sh / 2, -d * 0.2))
    b.box(screen, (w * 0.94, sh * 0.9, 0.01), (0, h - sh / 2, -d * 0.2 + 0.021))
    b.box(body, (0.05, h - sh + 0.05, 0.03), (0, (h - sh + 0.05) / 2, -d * 0.3))
    b.box(body, (w * 0.35, 0.015, d * 0.35), (0, 0.0075, -d * 0.3))
    if obj.variant % 2:
        b.box(b.part("keyboard", "plastic", (0.18, 0.18, 0.2)), (w * 0.7, 0.02, d * 0.3), (0, 0.01, d * 0.34))


@register("lamp")
def lamp(b: MeshBuilder, obj, rng) -> None:
    """A floor lamp (base, pole, shade) or, when short, a table lamp (bulbous base, shade)."""
    w, h, d = obj.size
    metal = b.part("stand", obj.material, obj.color)
    shade = b.part("shade", "fabric", [(0.95, 0.9, 0.78), (0.85, 0.8, 0.7), (0.6, 0.2, 0.15)][obj.variant % 3])
    bulb = b.part("bulb", "glass", (1.0, 0.95, 0.75))
    r = w / 2
    sh = min(0.35, h * 0.35)
    if h > 0.9:
        b.cylinder(metal, r * 0.7, 0.03, (0, 0, 0))
        b.cylinder(metal, 0.015, h - sh * 0.8, (0, 0.03, 0), sections=6)
    else:
        b.ellipsoid(metal, (r * 0.5, (h - sh) * 0.5, r * 0.5), (0, (h - sh) * 0.5, 0))
        b.cylinder(metal, 0.012, sh * 0.5, (0, (h - sh) * 0.9, 0), sections=6)
    b.ellipsoid(bulb, (r * 0.2,) * 3, (0, h - sh * 0.6, 0), subdivisions=1)
    b.frustum(shade, r, r * 0.65, sh, (0, h - sh, 0), sections=b.sections + 4)


@register("tv")
def tv(b: MeshBuilder, obj, rng) -> None:
    """A flat screen on a pedestal; the screen faces +Z."""
    w, h, d = obj.size
    body = b.part("frame", obj.material, obj.color)
    screen = b.part("screen", "glass", (0.04, 0.05, 0.08))
    sh = min(h * 0.85, w * 0.6)
    b.box(body, (w, sh, d * 0.4), (0, h - sh / 2, 0))
    b.box(screen, (w * 0.96, sh * 0.93, 0.01), (0, h - sh / 2, d * 0.2 + 0.004))
    b.box(body, (0.08, h - sh + 0.02, 0.04), (0, (h - sh + 0.02) / 2, 0))
    b.box(body, (w * 0.35, 0.02, d), (0, 0.01, 0))


@register("rug")
def rug(b: MeshBuilder, obj, rng) -> None:
    """A rug with a contrasting border and a centre medallion."""
    w, h, d = obj.size
    main = b.part("field", obj.material, obj.color)
    border = b.part("border", obj.material, [(0.85, 0.8, 0.65), (0.15, 0.15, 0.2), (0.5, 0.15, 0.12)][obj.variant % 3])
    b.box(border, (w, h * 0.9, d), (0, h * 0.45, 0))
    b.box(main, (w - 0.2, h * 0.1 + 0.001, d - 0.2), (0, h * 0.95, 0))
    if obj.variant % 2:
        b.frustum(border, 0.25, 0.25, 0.001, (0, h - 0.0005, 0), sections=16, scale_xz=(w, d))


@register("counter")
def counter(b: MeshBuilder, obj, rng) -> None:
    """Kitchen cabinets with doors and handles under a stone worktop, a sink and a tap."""
    w, h, d = obj.size
    body = b.part("cabinets", obj.material, obj.color)
    top = b.part("worktop", "tile" if obj.variant % 2 else "stone", (0.25, 0.25, 0.27) if obj.variant % 3 else (0.85, 0.84, 0.8))
    handle = b.part("handles", "metal", (0.7, 0.7, 0.72))
    metal = b.part("sink", "metal", (0.75, 0.76, 0.78))
    t = 0.04
    b.box(b.part("plinth", "plastic", (0.15, 0.15, 0.16)), (w, 0.1, d - 0.06), (0, 0.05, -0.03))
    b.box(body, (w, h - t - 0.1, d - 0.03), (0, 0.1 + (h - t - 0.1) / 2, -0.015))
    b.box(top, (w, t, d), (0, h - t / 2, 0))
    n = max(2, int(w / 0.6))
    for k in range(n):
        x = -w / 2 + w * (k + 0.5) / n
        b.box(body, (w / n - 0.01, h - t - 0.14, 0.02), (x, 0.12 + (h - t - 0.14) / 2, d / 2 - 0.02))
        b.box(handle, (0.12, 0.015, 0.02), (x, h - t - 0.08, d / 2 + 0.005))
    sx = w * 0.2 * (1 if obj.variant % 2 else -1)
    b.box(metal, (0.5, 0.01, 0.38), (sx, h + 0.005, 0))
    b.beam(metal, (sx, h, -d * 0.35), (sx, h + 0.28, -d * 0.35), 0.015, sections=6)
    b.beam(metal, (sx, h + 0.28, -d * 0.35), (sx, h + 0.26, -d * 0.15), 0.012, sections=6)


@register("fridge")
def fridge(b: MeshBuilder, obj, rng) -> None:
    """A tall body, freezer and fridge doors with long handles."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    door = b.part("doors", obj.material, _dark(obj.color, 1.04))
    handle = b.part("handles", "metal", (0.35, 0.35, 0.37))
    b.box(body, (w, h - 0.02, d - 0.04), (0, (h - 0.02) / 2 + 0.02, -0.02))
    b.box(b.part("feet", "plastic", (0.1, 0.1, 0.1)), (w * 0.9, 0.02, d * 0.9), (0, 0.01, 0))
    split = h * (0.68 if obj.variant % 2 else 0.36)
    b.box(door, (w - 0.01, split - 0.04, 0.04), (0, 0.02 + (split - 0.04) / 2, d / 2 - 0.02))
    b.box(door, (w - 0.01, h - split - 0.03, 0.04), (0, split + (h - split) / 2, d / 2 - 0.02))
    for y0, y1 in ((0.1, split - 0.1), (split + 0.1, h - 0.1)):
        x = w / 2 - 0.07
        b.box(handle, (0.025, (y1 - y0) * 0.5, 0.03), (x, (y0 + y1) / 2, d / 2 + 0.015))


@register("stove")
def stove(b: MeshBuilder, obj, rng) -> None:
    """An oven with a glass door, four burners, knobs and a back panel."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    glass = b.part("oven_window", "glass", (0.05, 0.05, 0.06))
    burner = b.part("burners", "metal", (0.08, 0.08, 0.09))
    knob = b.part("knobs", "plastic", (0.85, 0.85, 0.85))
    b.box(body, (w, h * 0.92, d * 0.92), (0, h * 0.46, d * 0.04))
    b.box(body, (w, h * 0.08 + 0.02, 0.04), (0, h * 0.92 + (h * 0.08 + 0.02) / 2 - 0.02, -d / 2 + 0.02))
    b.box(glass, (w * 0.7, h * 0.35, 0.02), (0, h * 0.38, d / 2 + 0.005))
    b.box(knob, (w * 0.6, 0.025, 0.03), (0, h * 0.62, d / 2 + 0.01))
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.cylinder(burner, min(w, d) * 0.12, 0.015, (sx * w * 0.22, h * 0.92, d * 0.04 + sz * d * 0.2))
    for k in range(4):
        b.cylinder(knob, 0.02, 0.03, (-w * 0.3 + w * 0.2 * k, h * 0.8, d / 2 + 0.01), R=rot_x(math.pi / 2), sections=8)


@register("vase")
def vase(b: MeshBuilder, obj, rng) -> None:
    """A turned vase (stacked frusta) with a few flowers or twigs in some variants."""
    w, h, d = obj.size
    body = b.part("vase", obj.material, obj.color)
    r = w / 2
    prof = [(0.55, 0.0), (0.9, 0.25), (1.0, 0.45), (0.6, 0.75), (0.45, 0.88), (0.55, 1.0)]
    if obj.variant % 3 == 1:
        prof = [(0.7, 0.0), (1.0, 0.2), (1.0, 0.6), (0.85, 0.85), (0.9, 1.0)]
    top = h if obj.variant % 2 == 0 else h * 0.7
    for (r0, y0), (r1, y1) in zip(prof[:-1], prof[1:]):
        b.frustum(body, r * r0, r * r1, (y1 - y0) * top, (0, y0 * top, 0), sections=b.sections + 4)
    if obj.variant % 2:
        stem = b.part("stems", "leaves", (0.25, 0.45, 0.2))
        bloom = b.part("blooms", "fabric", (0.9, 0.35, 0.45))
        for k in range(3):
            a = 2 * math.pi * k / 3
            tip = (math.cos(a) * r * 0.5, h * 0.94, math.sin(a) * r * 0.5)
            b.beam(stem, (0, top * 0.8, 0), tip, 0.006, sections=4)
            b.ellipsoid(bloom, (r * 0.3, r * 0.25, r * 0.3), tip, subdivisions=1)


@register("books")
def books(b: MeshBuilder, obj, rng) -> None:
    """A stack of two to five books with slight twists."""
    w, h, d = obj.size
    n = int(rng.integers(2, 6))
    y = 0.0
    for k in range(n):
        th = h / n
        c = obj.color if k == 0 else BOOK_COLORS[int(rng.integers(0, len(BOOK_COLORS)))]
        cover = b.part(f"cover_{k}", obj.material, c)
        pages = b.part("pages", "plastic", (0.93, 0.91, 0.85))
        s = float(rng.uniform(0.8, 1.0))
        R = rot_y(float(rng.uniform(-0.25, 0.25)))
        b.box(cover, (w * s * 0.8, th, d * s * 0.8), (0, y + th / 2, 0), R=R)
        b.box(pages, (w * s * 0.76, th * 0.8, d * s * 0.78), (0.012, y + th / 2, 0), R=R)
        y += th


@register("fireplace")
def fireplace(b: MeshBuilder, obj, rng) -> None:
    """A brick surround, a dark firebox with logs and flames, a hearth and a wooden mantel."""
    w, h, d = obj.size
    brick = b.part("surround", obj.material, obj.color)
    dark = b.part("firebox", "stone", (0.06, 0.05, 0.05))
    mantel = b.part("mantel", "wood", (0.4, 0.26, 0.15))
    log = b.part("logs", "bark", (0.3, 0.2, 0.12))
    flame = b.part("flames", "plastic", (1.0, 0.55, 0.12))
    b.box(brick, (w, h * 0.9, d * 0.8), (0, h * 0.45, -d * 0.1))
    b.box(mantel, (w, h * 0.1, d), (0, h * 0.95, 0))
    b.box(b.part("hearth", "stone", (0.4, 0.39, 0.38)), (w * 0.9, 0.05, d * 0.2), (0, 0.025, d * 0.4))
    fw, fh = w * 0.5, h * 0.5
    b.box(dark, (fw, fh, 0.02), (0, 0.05 + fh / 2, d * 0.3 + 0.01))
    for k in range(2):
        b.beam(log, (-fw * 0.35, 0.1 + 0.05 * k, d * 0.33 + 0.04), (fw * 0.35, 0.1 + 0.05 * k, d * 0.33 + 0.04), 0.04)
    for k in range(3):
        b.frustum(flame, 0.07, 0.0, fh * 0.5 * float(rng.uniform(0.6, 1.0)), ((k - 1) * fw * 0.2, 0.14, d * 0.33 + 0.05))


@register("painting")
def painting(b: MeshBuilder, obj, rng) -> None:
    """A framed canvas with a simple procedural composition (sky, hills, sun or colour blocks)."""
    w, h, d = obj.size
    frame = b.part("frame", obj.material, obj.color)
    fw = min(w, h) * 0.07
    b.box(b.part("canvas", "fabric", (0.85, 0.82, 0.75)), (w - fw, h - fw, d * 0.5), (0, h / 2, -d * 0.25))
    for sx in (-1, 1):
        b.box(frame, (fw, h, d), (sx * (w / 2 - fw / 2), h / 2, 0))
    for sy in (0, 1):
        b.box(frame, (w - 2 * fw, fw, d), (0, fw / 2 + sy * (h - fw), 0))
    iw, ih = w - 2 * fw, h - 2 * fw
    z = 0.0005
    if obj.variant % 2:
        sky = b.part("paint_sky", "fabric", (0.45, 0.6, 0.8))
        hill = b.part("paint_hills", "fabric", (0.3, 0.5, 0.25))
        sun = b.part("paint_sun", "fabric", (0.95, 0.8, 0.3))
        b.box(sky, (iw, ih * 0.6, 0.002), (0, fw + ih * 0.7, z))
        b.box(hill, (iw, ih * 0.4, 0.002), (0, fw + ih * 0.2, z))
        b.frustum(sun, ih * 0.1, ih * 0.1, 0.002, (iw * 0.25, fw + ih * 0.75, z + 0.001), R=rot_x(math.pi / 2),
                  sections=12)
    else:
        palette = [(0.8, 0.2, 0.15), (0.15, 0.3, 0.6), (0.9, 0.75, 0.2), (0.1, 0.1, 0.1), (0.9, 0.9, 0.86)]
        for k in range(4):
            p = b.part(f"paint_{k}", "fabric", palette[int(rng.integers(0, len(palette)))])
            bw, bh = iw * float(rng.uniform(0.2, 0.5)), ih * float(rng.uniform(0.2, 0.5))
            x = float(rng.uniform(-iw / 2 + bw / 2, iw / 2 - bw / 2))
            y = fw + float(rng.uniform(bh / 2, ih - bh / 2))
            b.box(p, (bw, bh, 0.002), (x, y, z + 0.0005 * k))
