"""Shape families for furnishings and fixtures: cabinets, seats, tables, containers, machines, lights, signs.

Each reads its category's data parameters (``kind``, ``doors``, ``drawers``, ``back``, ``arms`` ...),
so a new piece of furniture or machine is a data entry.
"""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y, rot_z
from pipelines.procedural.shapes.registry import register_family


def _shade(c, k: float):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


@register_family("furniture")
def furniture(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A cabinet: a carcass with doors and drawers, glass display cases, open shelving racks with boxes."""
    w, h, d = obj.size
    body = b.part("carcass", obj.material, obj.color)
    if P.get("open"):
        n = int(P.get("shelves", 4))
        for sx in (-1, 1):
            for sz in (-1, 1):
                b.box(body, (0.06, h, 0.06), (sx * (w / 2 - 0.03), h / 2, sz * (d / 2 - 0.03)))
        goods = [b.part("goods", "plastic", c) for c in ((0.8, 0.3, 0.2), (0.2, 0.5, 0.7), (0.85, 0.75, 0.3))]
        box = b.part("boxes", "wood", (0.65, 0.5, 0.32))
        for k in range(n):
            y = h * (k + 0.1) / n
            b.box(body, (w, 0.04, d), (0, y, 0))
            m = int(rng.integers(2, 5))
            for j in range(m):
                bw = w / m * 0.8
                bh = min(h / n * 0.7, float(rng.uniform(0.2, 0.5)))
                part = goods[j % 3] if (k + j) % 2 else box
                b.box(part, (bw, bh, d * 0.8), (-w / 2 + w * (j + 0.5) / m, y + 0.02 + bh / 2, 0))
        return
    if P.get("glass"):
        b.box(body, (w, h * 0.55, d), (0, h * 0.275, 0))
        b.box(b.part("glass", "glass", (0.75, 0.85, 0.88)), (w * 0.96, h * 0.43, d * 0.92), (0, h * 0.55 + h * 0.215, 0))
        b.box(b.part("exhibit", "gold", (0.85, 0.68, 0.3)), (w * 0.2, h * 0.15, d * 0.2), (0, h * 0.625, 0))
        return
    b.box(body, (w, h * 0.96, d), (0, h * 0.48, 0))
    b.box(b.part("top", obj.material, _shade(obj.color, 0.85)), (w * 1.02, h * 0.04, d * 1.03), (0, h * 0.98, 0))
    front = b.part("fronts", obj.material, _shade(obj.color, 1.12))
    knob = b.part("handles", "metal", (0.75, 0.7, 0.55))
    doors, drawers = int(P.get("doors", 2)), int(P.get("drawers", 0))
    y_split = h * (0.55 if doors and drawers else 0.96)
    for k in range(drawers):
        y0 = y_split + (h * 0.94 - y_split) * k / max(1, drawers) if doors else h * 0.94 * k / drawers
        hh = ((h * 0.94 - y_split) if doors else h * 0.94) / drawers
        b.box(front, (w * 0.92, hh * 0.85, 0.03), (0, y0 + hh / 2 + 0.02, d / 2 + 0.015))
        b.box(knob, (w * 0.15, 0.03, 0.03), (0, y0 + hh / 2 + 0.02, d / 2 + 0.04))
    for k in range(doors):
        x = -w / 2 + w * (k + 0.5) / doors
        b.box(front, (w / doors * 0.92, y_split * 0.92, 0.03), (x, y_split / 2, d / 2 + 0.015))
        b.box(knob, (0.03, 0.12, 0.03), (x + (w / doors * 0.35) * (1 if k % 2 == 0 else -1), y_split * 0.6, d / 2 + 0.04))


@register_family("seat")
def seat(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A seat: a round stool, a solid pew with a backrest, or a chair/throne with legs, arms and a cushion."""
    w, h, d = obj.size
    wood = b.part("frame", obj.material, obj.color)
    back = float(P.get("back", 0.5))
    seat_h = h * (0.45 if back > 0 else 0.92)
    if P.get("round"):
        b.cylinder(wood, w * 0.45, h * 0.08, (0, seat_h, 0))
        b.cylinder(wood, w * 0.06, seat_h, (0, 0, 0))
        b.cylinder(wood, w * 0.35, h * 0.03, (0, 0, 0))
        b.cylinder(b.part("cushion", "fabric", (0.6, 0.15, 0.12)), w * 0.4, h * 0.05, (0, seat_h + h * 0.08, 0))
        return
    if P.get("solid"):
        b.box(wood, (w, seat_h * 0.2, d * 0.7), (0, seat_h * 0.9, d * 0.1))
        for sx in (-1, 1):
            b.box(wood, (0.08, h * 0.8, d), (sx * (w / 2 - 0.04), h * 0.4, 0))
        b.box(wood, (w, h - seat_h, 0.06), (0, seat_h + (h - seat_h) / 2, -d * 0.45))
        b.box(wood, (w, 0.06, 0.06), (0, seat_h * 0.2, d * 0.3))
        return
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.box(wood, (w * 0.08, seat_h, w * 0.08), (sx * w * 0.42, seat_h / 2, sz * d * 0.42))
    b.box(wood, (w, h * 0.06, d), (0, seat_h, 0))
    if back > 0:
        b.box(wood, (w, (h - seat_h) * back + h * 0.04, d * 0.1), (0, seat_h + (h - seat_h) * back / 2, -d * 0.45))
        if back >= 1.0:
            b.frustum(wood, w * 0.12, 0.0, (h - seat_h) * 0.2, (0, h * 0.92, -d * 0.45), sections=4)
    if P.get("arms"):
        for sx in (-1, 1):
            b.box(wood, (w * 0.08, h * 0.25, d * 0.9), (sx * w * 0.46, seat_h + h * 0.12, 0))
    cushion = P.get("cushion")
    if cushion:
        c = b.part("cushions", "fabric", tuple(cushion))
        b.box(c, (w * 0.8, h * 0.06, d * 0.8), (0, seat_h + h * 0.06, 0.02))
        b.box(c, (w * 0.7, (h - seat_h) * 0.6, 0.05), (0, seat_h + (h - seat_h) * 0.4, -d * 0.38))


@register_family("table")
def table_family(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Tables and counters: legs (default), a round cafe table, a solid bar/altar (with a cloth),
    a workbench with tools, a market stall with a striped canopy, a raised platform."""
    w, h, d = obj.size
    kind = P.get("kind", "legs")
    top = b.part("top", obj.material, obj.color)
    if kind == "platform":
        b.box(b.part("platform", obj.material, obj.color), (w, h, d), (0, h / 2, 0))
        b.box(b.part("edge_line", "plastic", (0.95, 0.85, 0.15)), (0.25, 0.02, d), (w / 2 - 0.2, h + 0.01, 0))
        return
    if kind == "round":
        b.cylinder(top, w * 0.5, h * 0.05, (0, h * 0.95, 0))
        b.cylinder(top, w * 0.05, h * 0.95, (0, 0, 0))
        b.cylinder(top, w * 0.3, h * 0.03, (0, 0, 0))
        return
    if kind == "solid":
        b.box(b.part("body", obj.material, _shade(obj.color, 0.85)), (w * 0.95, h * 0.94, d * 0.8), (0, h * 0.47, 0))
        b.box(top, (w, h * 0.06, d), (0, h * 0.97, 0))
        if P.get("cloth"):
            b.box(b.part("cloth", "fabric", tuple(P["cloth"])), (w * 0.6, h * 0.5, d * 0.82), (0, h * 0.7, 0))
        return
    if kind == "stall":
        table_h = h * 0.38
        b.box(top, (w, table_h * 0.1, d * 0.6), (0, table_h, d * 0.15))
        b.box(top, (w * 0.95, table_h * 0.9, d * 0.55), (0, table_h * 0.45, d * 0.15))
        for sx in (-1, 1):
            for sz in (-1, 1):
                b.box(top, (0.06, h * 0.9, 0.06), (sx * w * 0.47, h * 0.45, sz * d * 0.45))
        c1 = b.part("canopy", "fabric", [(0.8, 0.15, 0.12), (0.15, 0.4, 0.7), (0.2, 0.55, 0.25)][obj.variant % 3])
        c2 = b.part("canopy_stripes", "fabric", (0.95, 0.93, 0.88))
        n = 6
        for k in range(n):
            x0 = -w / 2 + w * k / n
            b.hull(c1 if k % 2 == 0 else c2, [[x0, h, -d / 2], [x0 + w / n, h, -d / 2], [x0, h * 0.85, d / 2],
                                              [x0 + w / n, h * 0.85, d / 2], [x0, h * 0.97, -d / 2],
                                              [x0 + w / n, h * 0.97, -d / 2]])
        goods = [b.part("goods", "plastic", c) for c in ((0.9, 0.3, 0.15), (0.95, 0.75, 0.2), (0.4, 0.7, 0.25))]
        for k in range(5):
            b.ellipsoid(goods[k % 3], (w * 0.07, table_h * 0.12, d * 0.1), (-w * 0.36 + k * w * 0.18, table_h * 1.1, d * 0.2),
                        subdivisions=1)
        return
    b.box(top, (w, h * 0.06, d), (0, h * 0.97, 0))
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.box(top, (min(w, d) * 0.07, h * 0.94, min(w, d) * 0.07), (sx * w * 0.44, h * 0.47, sz * d * 0.42))
    if kind == "bench" or P.get("tools"):
        b.box(top, (w * 0.9, h * 0.04, d * 0.85), (0, h * 0.25, 0))
        tool = b.part("tools", "metal", (0.5, 0.5, 0.52))
        b.box(tool, (w * 0.2, h * 0.06, d * 0.15), (-w * 0.25, h * 1.03, 0))
        b.cylinder(b.part("vice", "metal", (0.25, 0.35, 0.5)), d * 0.08, h * 0.1, (w * 0.35, h, d * 0.3))


@register_family("container")
def container(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Crates, chests, baskets, sacks, round tanks, bales, fallen logs and tire stacks by ``kind``."""
    w, h, d = obj.size
    kind = P.get("kind", "crate")
    body = b.part("body", obj.material, obj.color)
    if kind == "crate":
        b.box(body, (w, h, d), (0, h / 2, 0))
        slat = b.part("slats", obj.material, _shade(obj.color, 0.75))
        for face in (-1, 1):
            b.box(slat, (w * 1.01, h * 0.1, d * 1.01), (0, h * 0.5 + face * h * 0.4, 0))
        b.box(slat, (w * 1.01, h * 0.1, d * 1.01), (0, h * 0.5, 0), R=None)
        return
    if kind == "chest":
        b.box(body, (w, h * 0.6, d), (0, h * 0.3, 0))
        b.cylinder(body, d / 2, w, (-w / 2, h * 0.6, 0), R=rot_z(-math.pi / 2), scale_xz=(0.8 * (h * 0.4) / (d / 2), 1.0))
        band = b.part("bands", "gold", (0.8, 0.65, 0.3))
        for x in (-w * 0.35, w * 0.35):
            b.box(band, (w * 0.06, h * 0.62, d * 1.02), (x, h * 0.31, 0))
        b.box(band, (w * 0.1, h * 0.12, 0.03), (0, h * 0.55, d / 2 + 0.01))
        return
    if kind in ("basket", "sack"):
        if kind == "basket":
            b.frustum(body, w * 0.38, w * 0.5, h * 0.85, (0, 0, 0))
            b.ellipsoid(b.part("contents", "plastic", (0.8, 0.35, 0.2)), (w * 0.42, h * 0.15, d * 0.42), (0, h * 0.85, 0))
        else:
            b.ellipsoid(body, (w / 2, h * 0.5, d / 2), (0, h * 0.5, 0), bumps=0.15, seed=obj.variant % 97)
        return
    if kind == "tank":
        b.cylinder(body, min(w, d) / 2, h * 0.85, (0, 0, 0), sections=b.sections + 6)
        b.ellipsoid(body, (min(w, d) / 2, h * 0.15, min(w, d) / 2), (0, h * 0.85, 0))
        b.box(b.part("pipes", "metal", (0.4, 0.42, 0.42)), (w * 0.1, h * 0.7, 0.1), (w * 0.45, h * 0.35, 0))
        return
    if kind == "bale":
        b.cylinder(body, h / 2, w, (-w / 2, h / 2, 0), R=rot_z(-math.pi / 2), scale_xz=(1.0, d / h))
        return
    if kind == "log":
        b.cylinder(body, w / 2, d, (0, h / 2, -d / 2), R=rot_x(math.pi / 2), scale_xz=(1.0, h / w))
        b.cylinder(b.part("rings", "wood", (0.7, 0.55, 0.35)), w * 0.45, 0.02, (0, h / 2, d / 2), R=rot_x(math.pi / 2),
                   scale_xz=(1.0, h / w))
        return
    if kind == "tires":
        n = max(1, int(round(h / 0.22)))
        for k in range(n):
            b.cylinder(body, w / 2, h / n * 0.9, (0, h * k / n, 0), sections=b.sections + 4)
        return
    b.box(body, (w, h, d), (0, h / 2, 0))


@register_family("machine")
def machine(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Machines by ``kind``: washers, vending and arcade cabinets, small appliances, consoles, server racks,
    conveyors, robot arms, treadmills, and industrial machines with tanks, pipes, dials and a panel."""
    w, h, d = obj.size
    kind = P.get("kind", "industrial")
    body = b.part("body", obj.material, obj.color)
    dark = b.part("panel", "plastic", (0.1, 0.1, 0.12))
    glow = b.part("screen", "neon", (0.3, 0.8, 1.0))
    if kind == "washer":
        b.box(body, (w, h, d), (0, h / 2, 0))
        b.cylinder(b.part("door", "glass", (0.4, 0.5, 0.6)), w * 0.32, 0.04, (0, h * 0.45, d / 2), R=rot_x(math.pi / 2))
        b.box(dark, (w * 0.9, h * 0.1, 0.02), (0, h * 0.9, d / 2 + 0.01))
        return
    if kind == "vending":
        b.box(body, (w, h, d), (0, h / 2, 0))
        b.box(glow if obj.variant % 2 else b.part("window", "glass", (0.6, 0.75, 0.85)), (w * 0.6, h * 0.65, 0.03),
              (-w * 0.12, h * 0.58, d / 2 + 0.01))
        b.box(dark, (w * 0.22, h * 0.3, 0.03), (w * 0.33, h * 0.6, d / 2 + 0.01))
        return
    if kind == "small":
        b.box(body, (w, h * 0.8, d), (0, h * 0.4, 0))
        b.box(dark, (w * 0.8, h * 0.25, 0.02), (0, h * 0.55, d / 2 + 0.01))
        b.cylinder(body, w * 0.2, h * 0.2, (0, h * 0.8, -d * 0.1))
        return
    if kind == "console":
        b.box(body, (w, h * 0.7, d * 0.6), (0, h * 0.35, -d * 0.2))
        b.hull(body, [[-w / 2, h * 0.7, -d / 2], [w / 2, h * 0.7, -d / 2], [-w / 2, h * 0.7, d * 0.1], [w / 2, h * 0.7, d * 0.1],
                      [-w / 2, h * 0.78, -d / 2], [w / 2, h * 0.78, -d / 2], [-w / 2, h * 0.6, d / 2], [w / 2, h * 0.6, d / 2]])
        for k in range(3):
            b.box(glow, (w * 0.28, h * 0.28, 0.03), (-w / 3 + k * w / 3, h * 0.88, -d * 0.45))
        return
    if kind == "rack":
        b.box(body, (w, h, d), (0, h / 2, 0))
        for k in range(8):
            b.box(dark if k % 3 else glow, (w * 0.85, h * 0.07, 0.02), (0, h * (0.1 + 0.1 * k), d / 2 + 0.01))
        return
    if kind == "conveyor":
        for z in np.linspace(-d * 0.45, d * 0.45, 4):
            for sx in (-1, 1):
                b.box(body, (0.06, h * 0.85, 0.06), (sx * w * 0.45, h * 0.425, float(z)))
        b.box(b.part("belt", "plastic", (0.08, 0.08, 0.09)), (w, h * 0.08, d), (0, h * 0.9, 0))
        for k in range(3):
            b.box(b.part("boxes", "wood", (0.65, 0.5, 0.3)), (w * 0.5, w * 0.4, w * 0.5), (0, h * 0.94 + w * 0.2, -d * 0.3 + k * d * 0.3))
        return
    if kind == "arm":
        b.cylinder(dark, w * 0.45, h * 0.1, (0, 0, 0))
        b.cylinder(body, w * 0.25, h * 0.15, (0, h * 0.1, 0))
        j1 = (0, h * 0.25, 0)
        j2 = (0, h * 0.65, d * 0.3)
        j3 = (0, h * 0.9, -d * 0.1)
        b.beam(body, j1, j2, w * 0.12)
        b.beam(body, j2, j3, w * 0.09)
        b.ellipsoid(dark, (w * 0.14,) * 3, j2)
        b.box(dark, (w * 0.2, h * 0.1, w * 0.2), j3)
        return
    if kind == "treadmill":
        b.box(dark, (w, h * 0.15, d), (0, h * 0.075, 0))
        for sx in (-1, 1):
            b.beam(body, (sx * w * 0.45, h * 0.1, d * 0.35), (sx * w * 0.45, h * 0.8, d * 0.45), 0.04)
        b.box(body, (w, h * 0.1, d * 0.15), (0, h * 0.85, d * 0.42))
        b.box(glow, (w * 0.4, h * 0.08, 0.02), (0, h * 0.9, d * 0.45))
        return
    # industrial
    b.box(body, (w * 0.7, h * 0.6, d * 0.8), (-w * 0.15, h * 0.3, 0))
    b.cylinder(b.part("tank", "metal", (0.55, 0.56, 0.58)), min(w, d) * 0.2, h * 0.9, (w * 0.3, 0, -d * 0.15))
    pipe = b.part("pipes", "metal", (0.6, 0.45, 0.25))
    b.beam(pipe, (w * 0.3, h * 0.8, -d * 0.15), (-w * 0.3, h * 0.8, -d * 0.15), min(w, d) * 0.05)
    b.beam(pipe, (-w * 0.3, h * 0.8, -d * 0.15), (-w * 0.3, h * 0.6, -d * 0.15), min(w, d) * 0.05)
    b.box(dark, (w * 0.3, h * 0.2, 0.03), (-w * 0.2, h * 0.42, d * 0.4 + 0.015))
    for k in range(3):
        b.cylinder(b.part("dials", "neon", (1.0, 0.6, 0.2)), min(w, d) * 0.04, 0.03, (-w * 0.3 + k * w * 0.1, h * 0.46,
                   d * 0.4 + 0.03), R=rot_x(math.pi / 2))
    b.cylinder(b.part("flywheel", "metal", (0.2, 0.2, 0.22)), h * 0.25, w * 0.05, (-w * 0.5, h * 0.3, d * 0.1), R=rot_z(-math.pi / 2))


@register_family("light")
def light(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Lights by ``kind``: a torch (flame on a post), a lantern, a candle, a chandelier, a hologram."""
    w, h, d = obj.size
    kind = P.get("kind", "lantern")
    frame = b.part("frame", obj.material, obj.color)
    flame = b.part("flame", "neon", (1.0, 0.6, 0.2))
    if kind == "torch":
        b.frustum(frame, w * 0.12, w * 0.2, h * 0.8, (0, 0, 0), sections=6)
        b.frustum(b.part("bowl", "metal", (0.2, 0.2, 0.2)), w * 0.22, w * 0.35, h * 0.06, (0, h * 0.78, 0), sections=8)
        b.frustum(flame, w * 0.3, 0.0, h * 0.18, (0, h * 0.82, 0), sections=6)
        return
    if kind == "candle":
        b.cylinder(b.part("holder", "metal", (0.75, 0.65, 0.35)), w * 0.45, h * 0.08, (0, 0, 0))
        b.cylinder(frame, w * 0.18, h * 0.72, (0, h * 0.08, 0), sections=8)
        b.frustum(flame, w * 0.12, 0.0, h * 0.2, (0, h * 0.8, 0), sections=5)
        return
    if kind == "chandelier":
        b.cylinder(frame, w * 0.03, h * 0.4, (0, h * 0.6, 0), sections=5)
        b.lathe(frame, [(w * 0.45, h * 0.25), (w * 0.5, h * 0.3), (w * 0.1, h * 0.6)], sections=12)
        for k in range(6):
            a = 2 * math.pi * k / 6
            x, z = math.cos(a) * w * 0.45, math.sin(a) * d * 0.45
            b.cylinder(b.part("candles", "plastic", (0.95, 0.92, 0.82)), w * 0.03, h * 0.15, (x, h * 0.3, z), sections=5)
            b.frustum(flame, w * 0.03, 0.0, h * 0.08, (x, h * 0.45, z), sections=5)
        b.ellipsoid(b.part("crystals", "glass", (0.85, 0.9, 0.95)), (w * 0.15, h * 0.18, d * 0.15), (0, h * 0.18, 0))
        return
    if kind == "hologram":
        b.cylinder(b.part("projector", "metal", (0.3, 0.32, 0.36)), w * 0.45, h * 0.08, (0, 0, 0))
        b.frustum(frame, w * 0.3, w * 0.45, h * 0.85, (0, h * 0.1, 0), sections=b.sections + 4)
        b.ellipsoid(b.part("core", "neon", (0.7, 0.95, 1.0)), (w * 0.18, h * 0.15, d * 0.18), (0, h * 0.55, 0))
        return
    # lantern: a post or hook, a glowing box with a cap (stone lantern in a Japanese world)
    stone = P.get("variant") == "pagoda"
    post = b.part("post", "stone" if stone else obj.material, (0.6, 0.6, 0.58) if stone else obj.color)
    b.box(post, (w * 0.3, h * 0.55, d * 0.3), (0, h * 0.275, 0))
    b.box(b.part("glow", "neon", (1.0, 0.8, 0.45)), (w * 0.6, h * 0.22, d * 0.6), (0, h * 0.66, 0))
    b.frustum(post, w * 0.6, 0.0, h * 0.2, (0, h * 0.78, 0), sections=4, R=rot_y(math.pi / 4))
    b.box(post, (w * 0.7, h * 0.03, d * 0.7), (0, h * 0.55, 0))


@register_family("sign")
def sign(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Signs by ``kind``: a board on a post, a glowing neon sign, a billboard on legs, a flag, a wall banner,
    a framed board, a traffic light."""
    w, h, d = obj.size
    kind = P.get("kind", "post")
    body = b.part("panel", obj.material, obj.color)
    if kind == "neon":
        back = b.part("backing", "metal", (0.12, 0.12, 0.14))
        b.box(back, (w, h * 0.9, d * 0.4), (0, h * 0.55, -d * 0.3))
        glow = body
        for k in range(3):
            b.box(glow, (w * 0.8, h * 0.08, d * 0.5), (0, h * (0.3 + 0.25 * k), d * 0.2))
        b.box(glow, (w * 0.06, h * 0.8, d * 0.5), (-w * 0.45, h * 0.55, d * 0.2))
        b.box(glow, (w * 0.06, h * 0.8, d * 0.5), (w * 0.45, h * 0.55, d * 0.2))
        b.box(back, (w * 0.05, h * 0.1, d * 0.3), (0, h * 0.05, -d * 0.3))
        return
    if kind == "billboard":
        for sx in (-1, 1):
            b.box(b.part("legs", "metal", (0.3, 0.3, 0.32)), (0.25, h * 0.5, 0.25), (sx * w * 0.3, h * 0.25, 0))
        b.box(body, (w, h * 0.5, d * 0.5), (0, h * 0.75, 0))
        b.box(b.part("picture", "neon", [(1.0, 0.4, 0.3), (0.3, 0.8, 1.0), (0.95, 0.85, 0.3)][obj.variant % 3]),
              (w * 0.92, h * 0.42, 0.05), (0, h * 0.75, d * 0.26))
        return
    if kind == "flag":
        b.cylinder(b.part("pole", "metal", (0.75, 0.75, 0.77)), 0.05, h, (-w / 2 + 0.05, 0, 0), sections=6)
        b.box(body, (w * 0.9, h * 0.22, 0.03), (w * 0.05, h * 0.85, 0))
        return
    if kind in ("banner",):
        b.box(b.part("rod", "wood", (0.35, 0.25, 0.15)), (w, 0.05, d), (0, h * 0.975, 0))
        b.box(body, (w * 0.9, h * 0.95, d * 0.5), (0, h * 0.5, 0))
        b.box(b.part("emblem", "gold", (0.85, 0.7, 0.3)), (w * 0.35, h * 0.25, d * 0.6), (0, h * 0.6, 0))
        return
    if kind in ("board", "frame"):
        b.box(b.part("frame", "wood", (0.45, 0.3, 0.18)), (w, h, d * 0.5), (0, h / 2, -d * 0.25))
        b.box(body, (w * 0.9, h * 0.86, d * 0.5), (0, h / 2, d * 0.1))
        if P.get("art"):
            b.ellipsoid(b.part("art", "plastic", [(0.8, 0.4, 0.2), (0.2, 0.45, 0.7), (0.3, 0.6, 0.3)][obj.variant % 3]),
                        (w * 0.25, h * 0.25, d * 0.3), (w * 0.1 * (obj.variant % 3 - 1), h * 0.5, d * 0.3))
        return
    if kind == "traffic":
        b.cylinder(b.part("pole", "metal", obj.color), w * 0.12, h * 0.7, (0, 0, 0))
        b.box(body, (w * 0.7, h * 0.3, d * 0.7), (0, h * 0.85, 0))
        for k, c in enumerate(((1.0, 0.15, 0.1), (1.0, 0.75, 0.1), (0.2, 0.9, 0.3))):
            b.cylinder(b.part(f"light_{k}", "neon", c), w * 0.2, 0.04, (0, h * (0.94 - 0.09 * k), d * 0.35), R=rot_x(math.pi / 2))
        return
    b.box(b.part("post", "wood", (0.4, 0.3, 0.2)), (0.1, h * 0.7, 0.1), (0, h * 0.35, 0))
    b.box(body, (w, h * 0.35, d), (0, h * 0.8, 0))


