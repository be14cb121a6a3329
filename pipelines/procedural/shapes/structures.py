"""Buildings and outdoor structures: houses, cabins, towers, shops, fences, tents, fire, well, lamps."""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y
from pipelines.procedural.shapes.registry import SNOW, register, snowy

GLASS = (0.32, 0.42, 0.5)
ROOFS = [(0.45, 0.16, 0.12), (0.28, 0.28, 0.3), (0.36, 0.24, 0.16), (0.2, 0.3, 0.36)]
DOORS = [(0.4, 0.24, 0.14), (0.2, 0.3, 0.45), (0.55, 0.12, 0.1), (0.25, 0.35, 0.22)]


def _windows_on_face(b, part, frame, face: str, w: float, d: float, y0: float, y1: float, cols: int, rows: int,
                     win_w: float, win_h: float, skip_centre_bottom: bool = False) -> None:
    """Windows (glass panes with a frame) on one wall face of a box of size w x d centred at the origin."""
    span = w if face in ("front", "back") else d
    t = 0.06
    for r in range(rows):
        yc = y0 + (y1 - y0) * (r + 0.5) / rows
        for c in range(cols):
            if skip_centre_bottom and r == 0 and c == cols // 2:
                continue
            u = -span / 2 + span * (c + 0.5) / cols
            if face == "front":
                centre, size = (u, yc, d / 2 + t / 2), (win_w, win_h, t)
            elif face == "back":
                centre, size = (u, yc, -d / 2 - t / 2), (win_w, win_h, t)
            elif face == "right":
                centre, size = (w / 2 + t / 2, yc, u), (t, win_h, win_w)
            else:
                centre, size = (-w / 2 - t / 2, yc, u), (t, win_h, win_w)
            fs = tuple(s + 0.1 if s != t else t * 0.6 for s in size)
            b.box(frame, fs, centre)
            b.box(part, size, centre)


@register("house")
def house(b: MeshBuilder, obj, rng) -> None:
    """Walls, a gable roof with overhang, chimney, a front door with steps and framed windows."""
    w, h, d = obj.size
    walls = b.part("walls", obj.material, obj.color)
    roof = b.part("roof", "wood", ROOFS[obj.variant % len(ROOFS)])  # planks read as shingles
    door = b.part("door", "wood", DOORS[obj.variant % len(DOORS)])
    glass = b.part("windows", "glass", GLASS)
    frame = b.part("window_frames", "wood", (0.92, 0.9, 0.86))
    stone = b.part("foundation", "stone", (0.5, 0.5, 0.48))
    ww, dd = w * 0.86, d * 0.86
    wall_h = h * float(rng.uniform(0.5, 0.6))
    b.box(stone, (ww + 0.1, 0.3, dd + 0.1), (0, 0.15, 0))
    b.box(walls, (ww, wall_h - 0.3, dd), (0, 0.3 + (wall_h - 0.3) / 2, 0))
    b.roof(roof, w, d, h - wall_h, (0, wall_h, 0))
    if snowy(obj):
        b.roof(b.part("snow", "snow", SNOW), w * 1.01, d * 1.01, h - wall_h, (0, wall_h + 0.08, 0))
    cx = ww * float(rng.uniform(-0.3, 0.3))
    b.box(b.part("chimney", "brick", (0.55, 0.27, 0.2)), (0.5, h * 0.35, 0.5), (cx, h - h * 0.2, -d * 0.15))
    dx = ww * float(rng.uniform(-0.2, 0.2))
    b.box(door, (1.0, 2.1, 0.08), (dx, 0.3 + 1.05, dd / 2 + 0.04))
    b.box(stone, (1.5, 0.15, 0.5), (dx, 0.075, dd / 2 + 0.25))
    storeys = 2 if wall_h > 4.2 else 1
    cols = max(2, int(ww / 2.2))
    for face in ("front", "back", "left", "right"):
        span = ww if face in ("front", "back") else dd
        n = max(1, int(span / 2.4))
        _windows_on_face(b, glass, frame, face, ww, dd, 0.8, wall_h - 0.2, n if face != "front" else cols, storeys,
                         0.9, 1.1, skip_centre_bottom=False)


@register("cabin")
def cabin(b: MeshBuilder, obj, rng) -> None:
    """A log cabin: stacked logs, a steep roof, stone chimney, a door and two windows."""
    w, h, d = obj.size
    log = b.part("logs", obj.material, obj.color)
    log2 = b.part("logs_dark", obj.material, tuple(c * 0.82 for c in obj.color))
    roof = b.part("roof", "wood", ROOFS[obj.variant % len(ROOFS)] if obj.variant % 2 else (0.3, 0.22, 0.15))
    door = b.part("door", "wood", (0.3, 0.19, 0.11))
    glass = b.part("windows", "glass", (0.45, 0.4, 0.25))
    frame = b.part("window_frames", "wood", (0.25, 0.16, 0.1))
    stone = b.part("chimney", "stone", (0.45, 0.44, 0.42))
    ww, dd = w * 0.84, d * 0.84
    wall_h = h * float(rng.uniform(0.48, 0.56))
    n = max(5, int(wall_h / 0.28))
    r = wall_h / n / 2
    for i in range(n):
        y = r + 2 * r * i
        p = log if i % 2 == 0 else log2
        for sz in (-1, 1):
            b.beam(p, (-ww / 2 - r, y, sz * dd / 2), (ww / 2 + r, y, sz * dd / 2), r * 1.05, sections=6)
        y2 = y + r * 0.5 if i < n - 1 else y
        for sx in (-1, 1):
            b.beam(p, (sx * ww / 2, y2, -dd / 2 - r), (sx * ww / 2, y2, dd / 2 + r), r * 1.05, sections=6)
    b.box(log2, (ww - 0.05, wall_h, dd - 0.05), (0, wall_h / 2, 0))  # inner core keeps the cabin closed
    b.roof(roof, w, d, h - wall_h, (0, wall_h, 0))
    if snowy(obj):
        b.roof(b.part("snow", "snow", SNOW), w * 1.01, d * 1.01, h - wall_h, (0, wall_h + 0.08, 0))
    b.box(stone, (0.7, h * 0.9 - 0.0, 0.7), (ww / 2 + 0.1, h * 0.45, -dd * 0.2))
    b.box(door, (0.95, 1.95, 0.1), (-ww * 0.15, 0.975, dd / 2 + r + 0.05))
    for sx in (0.25,):
        b.box(frame, (1.05, 0.95, 0.1), (ww * sx, wall_h * 0.55, dd / 2 + r + 0.04))
        b.box(glass, (0.85, 0.75, 0.12), (ww * sx, wall_h * 0.55, dd / 2 + r + 0.04))
    for sx in (-1, 1):
        b.box(frame, (0.1, 0.95, 1.05), (sx * (ww / 2 + r + 0.04), wall_h * 0.55, 0))
        b.box(glass, (0.12, 0.75, 0.85), (sx * (ww / 2 + r + 0.04), wall_h * 0.55, 0))
    b.box(b.part("porch", "wood", (0.42, 0.3, 0.2)), (ww * 0.7, 0.15, 0.9), (-ww * 0.1, 0.075, dd / 2 + 0.55))


@register("building")
def building(b: MeshBuilder, obj, rng) -> None:
    """A city tower: body, window grid on every side, a ground-floor entrance and a roof parapet."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    glass = b.part("windows", "glass", (0.25, 0.32, 0.4) if obj.variant % 2 else (0.35, 0.42, 0.48))
    frame = b.part("window_frames", "metal", (0.3, 0.3, 0.32))
    door = b.part("entrance", "glass", (0.2, 0.24, 0.28))
    trim = b.part("roof_trim", "concrete", tuple(c * 0.8 for c in obj.color))
    storey = float(rng.uniform(3.0, 3.6))
    floors = max(2, int((h - 1.0) / storey))
    body_h = h - 0.8
    b.box(body, (w, body_h, d), (0, body_h / 2, 0))
    b.box(trim, (w, 0.8, d), (0, h - 0.4, 0))
    b.box(trim, (w + 0.1, 0.5, d + 0.1), (0, body_h - 0.25, 0))
    cols_x = max(2, int(w / 2.6))
    cols_z = max(2, int(d / 2.6))
    win_w, win_h = min(1.6, w / cols_x * 0.6), storey * 0.55
    for face, cols in (("front", cols_x), ("back", cols_x), ("left", cols_z), ("right", cols_z)):
        _windows_on_face(b, glass, frame, face, w, d, storey, body_h - 0.3, cols, floors - 1, win_w, win_h)
    b.box(door, (min(3.0, w * 0.3), 2.6, 0.1), (0, 1.3, d / 2 + 0.05))
    b.box(trim, (min(3.6, w * 0.36), 0.25, 1.2), (0, 2.9, d / 2 + 0.6))
    if obj.variant % 3 == 0:
        b.box(b.part("rooftop_unit", "metal", (0.55, 0.56, 0.58)), (w * 0.3, 1.0, d * 0.3), (w * 0.15, h - 0.3, 0))


@register("shop")
def shop(b: MeshBuilder, obj, rng) -> None:
    """A shop front: big display window, glass door, striped awning and a sign."""
    w, h, d = obj.size
    body = b.part("walls", obj.material, obj.color)
    glass = b.part("shop_window", "glass", (0.35, 0.42, 0.45))
    frame = b.part("frames", "wood", (0.2, 0.22, 0.25))
    aw_col = [(0.75, 0.15, 0.12), (0.15, 0.45, 0.3), (0.15, 0.3, 0.6), (0.85, 0.6, 0.1)][obj.variant % 4]
    awning = b.part("awning", "fabric", aw_col)
    awning2 = b.part("awning_stripes", "fabric", (0.95, 0.93, 0.88))
    sign = b.part("sign", "plastic", (0.95, 0.9, 0.75))
    dd = d * 0.85
    b.box(body, (w, h * 0.92, dd), (0, h * 0.46, -(d - dd) / 2))
    b.box(b.part("cornice", "concrete", tuple(c * 0.85 for c in obj.color)), (w, h * 0.08, dd + 0.1),
          (0, h * 0.96, -(d - dd) / 2))
    zf = dd / 2 - (d - dd) / 2
    b.box(frame, (w * 0.55, 2.1, 0.08), (-w * 0.15, 1.35, zf + 0.04))
    b.box(glass, (w * 0.5, 1.9, 0.1), (-w * 0.15, 1.35, zf + 0.05))
    b.box(frame, (1.1, 2.3, 0.08), (w * 0.3, 1.15, zf + 0.04))
    b.box(glass, (0.9, 2.1, 0.1), (w * 0.3, 1.1, zf + 0.05))
    n = 6
    aw_y = 2.8
    for k in range(n):
        x0 = -w / 2 + w * k / n
        pts = [[x0, aw_y + 0.6, zf], [x0 + w / n, aw_y + 0.6, zf], [x0, aw_y, zf + (d - dd) * 0.95],
               [x0 + w / n, aw_y, zf + (d - dd) * 0.95], [x0, aw_y + 0.55, zf], [x0 + w / n, aw_y + 0.55, zf],
               [x0, aw_y - 0.05, zf + (d - dd) * 0.95], [x0 + w / n, aw_y - 0.05, zf + (d - dd) * 0.95]]
        b.hull(awning if k % 2 == 0 else awning2, pts)
    b.box(sign, (w * 0.6, 0.6, 0.1), (0, min(h * 0.8, aw_y + 1.2), zf + 0.05))


@register("fence")
def fence(b: MeshBuilder, obj, rng) -> None:
    """Posts about every metre with two rails (picket tops on some variants)."""
    w, h, d = obj.size
    wood = b.part("wood", obj.material, obj.color)
    n = max(2, int(round(w / 1.0)) + 1)
    for i in range(n):
        x = -w / 2 + d / 2 + (w - d) * i / (n - 1)
        b.box(wood, (d, h, d), (x, h / 2, 0))
    for y in (0.3, 0.75):
        b.box(wood, (w, 0.09, d * 0.5), (0, h * y, d * 0.1))
    if obj.variant % 2:
        m = int(w / 0.18)
        for i in range(m):
            x = -w / 2 + (i + 0.5) * w / m
            if any(abs(x - (-w / 2 + d / 2 + (w - d) * j / (n - 1))) < d for j in range(n)):
                continue
            b.box(wood, (0.08, h * 0.85, d * 0.4), (x, h * 0.425, d * 0.3))


@register("tent")
def tent(b: MeshBuilder, obj, rng) -> None:
    """An A-frame (or dome) tent with a dark doorway, poles and guy-line pegs."""
    w, h, d = obj.size
    cloth = b.part("canvas", obj.material, obj.color)
    dark = b.part("doorway", "fabric", (0.1, 0.08, 0.06))
    pole = b.part("poles", "metal", (0.4, 0.4, 0.42))
    if obj.variant % 3 == 2:
        b.ellipsoid(cloth, (w * 0.45, h, d * 0.45), (0, 0, 0), subdivisions=b.sphere_subdiv)
        b.box(cloth, (w * 0.9, 0.02, d * 0.9), (0, 0.01, 0))
        b.hull(dark, [[-w * 0.15, 0.02, d * 0.44], [w * 0.15, 0.02, d * 0.44], [0, h * 0.6, d * 0.4],
                      [-w * 0.15, 0.02, d * 0.46], [w * 0.15, 0.02, d * 0.46]])
        return
    # ridge runs along Z (front to back)
    pts = [[sx * w * 0.45, 0.0, sz * d * 0.45] for sx in (-1, 1) for sz in (-1, 1)] + \
          [[0.0, h * 0.97, sz * d * 0.45] for sz in (-1, 1)]
    b.hull(cloth, pts)
    b.hull(dark, [[-w * 0.2, 0.0, d * 0.45], [w * 0.2, 0.0, d * 0.45], [0.0, h * 0.7, d * 0.45],
                  [-w * 0.2, 0.0, d * 0.47], [w * 0.2, 0.0, d * 0.47], [0.0, h * 0.7, d * 0.47]])
    for sz in (-1, 1):
        b.cylinder(pole, 0.02, h, (0, 0, sz * d * 0.47), sections=5)
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.box(pole, (0.04, 0.1, 0.04), (sx * w * 0.49, 0.05, sz * d * 0.49))


@register("campfire")
def campfire(b: MeshBuilder, obj, rng) -> None:
    """A ring of stones, crossed logs and flames."""
    w, h, d = obj.size
    stone = b.part("stones", obj.material, (0.45, 0.44, 0.42))
    log = b.part("logs", "bark", (0.3, 0.2, 0.12))
    ember = b.part("embers", "dirt", (0.15, 0.1, 0.08))
    flame = b.part("flames", "plastic", obj.color)
    core = b.part("flame_core", "plastic", (1.0, 0.85, 0.3))
    n = int(rng.integers(8, 12))
    R = w * 0.4
    for k in range(n):
        a = 2 * math.pi * k / n
        b.ellipsoid(stone, (w * 0.09, h * 0.18, w * 0.07), (math.cos(a) * R, h * 0.12, math.sin(a) * R),
                    R=rot_y(-a), bumps=0.25, seed=obj.variant % 997 + k, subdivisions=1)
    b.cylinder(ember, R * 0.8, 0.03, (0, 0, 0))
    for k in range(4):
        a = math.pi * k / 4 + rng.uniform(-0.2, 0.2)
        p0 = np.array([math.cos(a) * R * 0.7, 0.04, math.sin(a) * R * 0.7])
        p1 = np.array([-math.cos(a) * R * 0.1, h * 0.35, -math.sin(a) * R * 0.1])
        b.beam(log, p0, p1, w * 0.035)
    for k in range(3):
        a = 2 * math.pi * k / 3
        off = np.array([math.cos(a), 0, math.sin(a)]) * w * 0.06
        b.frustum(flame, w * 0.11, 0.0, h * rng.uniform(0.75, 1.0), off + np.array([0, 0.05, 0]))
    b.frustum(core, w * 0.07, 0.0, h * 0.6, (0, 0.05, 0))


@register("well")
def well(b: MeshBuilder, obj, rng) -> None:
    """A stone fountain (basin, water, column, upper bowl) or a well with a little roof."""
    w, h, d = obj.size
    stone = b.part("stone", obj.material, obj.color)
    water = b.part("water", "water", (0.2, 0.4, 0.5))
    r = w / 2
    if obj.variant % 2 == 0:  # fountain
        b.cylinder(stone, r, h * 0.3, (0, 0, 0), sections=b.sections + 8)
        b.cylinder(water, r * 0.88, 0.02, (0, h * 0.3, 0), sections=b.sections + 8)
        b.cylinder(stone, r * 0.12, h * 0.5, (0, h * 0.3, 0))
        b.frustum(stone, r * 0.15, r * 0.45, h * 0.12, (0, h * 0.8, 0), sections=b.sections + 4)
        b.cylinder(water, r * 0.4, 0.02, (0, h * 0.92, 0))
        b.ellipsoid(stone, (r * 0.1, h * 0.06, r * 0.1), (0, h * 0.94, 0))
        return
    b.cylinder(stone, r * 0.7, h * 0.4, (0, 0, 0), sections=b.sections + 6)
    b.cylinder(water, r * 0.6, 0.02, (0, h * 0.4, 0))
    wood = b.part("frame", "wood", (0.4, 0.27, 0.16))
    for sx in (-1, 1):
        b.box(wood, (0.1, h * 0.45, 0.1), (sx * r * 0.6, h * 0.6, 0))
    b.beam(wood, (-r * 0.6, h * 0.72, 0), (r * 0.6, h * 0.72, 0), 0.05)
    b.roof(b.part("roof", "wood", (0.35, 0.2, 0.12)), w, d * 0.8, h * 0.18, (0, h * 0.82, 0))


@register("street_lamp")
def street_lamp(b: MeshBuilder, obj, rng) -> None:
    """A base, a tapered pole, a curved arm (or post top) and a glowing lantern."""
    w, h, d = obj.size
    metal = b.part("pole", obj.material, obj.color)
    light = b.part("light", "glass", (1.0, 0.9, 0.6))
    b.frustum(metal, w * 0.3, w * 0.18, h * 0.06, (0, 0, 0))
    b.frustum(metal, w * 0.12, w * 0.08, h * 0.86, (0, h * 0.06, 0))
    if obj.variant % 2:
        b.beam(metal, (0, h * 0.9, 0), (0, h * 0.96, d * 0.35), w * 0.05)
        b.frustum(metal, w * 0.08, w * 0.35, h * 0.05, (0, h * 0.93, d * 0.4), R=rot_x(math.pi), sections=8)
        b.ellipsoid(light, (w * 0.2, h * 0.02, w * 0.2), (0, h * 0.885, d * 0.4), subdivisions=1)
        b.box(metal, (w * 0.1, h * 0.04, d * 0.5), (0, h * 0.98, d * 0.15))
    else:
        b.frustum(metal, w * 0.22, w * 0.3, h * 0.02, (0, h * 0.9, 0))
        b.cylinder(light, w * 0.22, h * 0.06, (0, h * 0.92, 0), sections=6)
        b.frustum(metal, w * 0.34, 0.0, h * 0.04, (0, h * 0.96, 0), sections=6)


@register("mailbox")
def mailbox(b: MeshBuilder, obj, rng) -> None:
    """A post with a round-topped box and a flag."""
    w, h, d = obj.size
    body = b.part("box", obj.material, obj.color)
    post = b.part("post", "wood", (0.4, 0.28, 0.18))
    flag = b.part("flag", "metal", (0.8, 0.1, 0.1))
    b.box(post, (0.09, h * 0.7, 0.09), (0, h * 0.35, 0))
    bh = h * 0.3
    b.box(body, (w * 0.8, bh * 0.6, d), (0, h * 0.7 + bh * 0.3, 0))
    b.beam(body, (0, h * 0.7 + bh * 0.6, -d / 2), (0, h * 0.7 + bh * 0.6, d / 2), w * 0.4)
    b.box(flag, (0.02, bh * 0.5, 0.12), (w * 0.45, h * 0.75 + bh * 0.5, 0))


@register("statue")
def statue(b: MeshBuilder, obj, rng) -> None:
    """A figure on a stepped plinth."""
    w, h, d = obj.size
    stone = b.part("stone", obj.material, obj.color)
    plinth = b.part("plinth", "stone", tuple(c * 0.85 for c in obj.color))
    ph = h * 0.3
    b.box(plinth, (w, ph * 0.3, d), (0, ph * 0.15, 0))
    b.box(plinth, (w * 0.75, ph * 0.7, d * 0.75), (0, ph * 0.3 + ph * 0.35, 0))
    fh = h - ph
    s = w * 0.25
    b.beam(stone, (-s * 0.35, ph, 0), (-s * 0.3, ph + fh * 0.45, 0), s * 0.22)
    b.beam(stone, (s * 0.35, ph, 0), (s * 0.3, ph + fh * 0.45, 0), s * 0.22)
    b.frustum(stone, s * 0.55, s * 0.7, fh * 0.33, (0, ph + fh * 0.42, 0), scale_xz=(1.0, 0.6))
    b.ellipsoid(stone, (s * 0.28, fh * 0.1, s * 0.28), (0, ph + fh * 0.86, 0))
    a = float(rng.uniform(0.3, 1.2))
    b.beam(stone, (-s * 0.7, ph + fh * 0.72, 0), (-s * 0.7 - math.sin(a) * fh * 0.3, ph + fh * 0.72 + math.cos(a) * fh * 0.25, 0), s * 0.13)
    b.beam(stone, (s * 0.7, ph + fh * 0.72, 0), (s * 0.9, ph + fh * 0.45, s * 0.2), s * 0.13)
