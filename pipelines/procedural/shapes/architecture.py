"""Shape families for architecture: towers, buildings, castles, walls, bridges, stairs, arches, columns, water.

Parameters come from the category's data (``shape``, ``taper``, ``top``, ``roof``, ``kind``...) and
the style of the world (``params["variant"]``: gothic spires, pagoda roofs, neon trim, flat modern
roofs, domes, ruined tops), so "a Victorian tower" and "a cyberpunk tower" differ.
"""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_y
from pipelines.procedural.shapes.registry import register_family

GLASS = (0.3, 0.4, 0.48)
NEON = [(1.0, 0.25, 0.8), (0.2, 0.9, 1.0), (1.0, 0.8, 0.2)]


def _shade(c, k: float):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


def _sections(P: dict, b: MeshBuilder) -> int:
    shape = P.get("shape", "round")
    return 4 if shape == "square" else 8 if shape == "octagon" else b.sections + 4


def _top(b: MeshBuilder, obj, P: dict, r: float, y: float, h: float, variant: str) -> None:
    """Roof or crown of a tower of top radius ``r`` at height ``y`` (``h`` = total height)."""
    top = P.get("top", "roof")
    roof_c = (0.35, 0.2, 0.15) if variant not in ("neon", "dome", "flat") else (0.3, 0.32, 0.36)
    if variant == "gothic" and top in ("roof", "flat", "battlement"):
        top = "spire"
    if variant == "pagoda" and top == "roof":
        top = "tiers"
    if variant == "dome" and top == "roof":
        top = "dome"
    if variant == "ruined":
        top = "broken"
    secs = _sections(P, b)
    if top == "lamp":  # lighthouse: gallery, glass lamp room, dome
        rail = b.part("gallery", "metal", (0.15, 0.15, 0.17))
        b.cylinder(rail, r * 1.35, h * 0.02, (0, y, 0), sections=secs)
        b.cylinder(b.part("lamp", "glass", (1.0, 0.95, 0.7)), r * 0.8, h * 0.07, (0, y + h * 0.02, 0), sections=secs)
        b.frustum(b.part("cupola", "metal", (0.7, 0.12, 0.1)), r * 0.95, 0.0, h * 0.06, (0, y + h * 0.09, 0), sections=secs)
    elif top == "battlement":
        stone = b.part("battlements", obj.material, _shade(obj.color, 0.9))
        b.cylinder(stone, r * 1.15, h * 0.04, (0, y, 0), sections=secs)
        n = 8
        for k in range(n):
            a = 2 * math.pi * k / n
            b.box(stone, (r * 0.35, h * 0.05, r * 0.35), (math.cos(a) * r, y + h * 0.065, math.sin(a) * r))
    elif top == "spire":
        b.frustum(b.part("spire", "metal" if variant != "gothic" else "stone", roof_c), r * 1.05, 0.0, h * 0.25,
                  (0, y, 0), sections=secs)
    elif top == "dome":
        b.ellipsoid(b.part("dome", "metal", (0.8, 0.82, 0.85) if variant == "dome" else (0.45, 0.55, 0.5)),
                    (r, h * 0.1, r), (0, y, 0))
    elif top == "tank":  # water tower: a fat tank and a cone cap
        tank = b.part("tank", obj.material, obj.color)
        b.cylinder(tank, r * 2.2, h * 0.25, (0, y, 0), sections=secs)
        b.frustum(tank, r * 2.3, 0.0, h * 0.08, (0, y + h * 0.25, 0), sections=secs)
    elif top == "tiers":
        roof = b.part("roofs", "wood", (0.2, 0.2, 0.22))
        n = int(P.get("tiers", 3))
        for k in range(n):
            yy = y - (n - k) * 0.0 + k * h * 0.03
            b.frustum(roof, r * (2.0 - 0.25 * k), r * 0.5, h * 0.03, (0, yy, 0), sections=4, R=rot_y(math.pi / 4))
        b.frustum(roof, r * 0.15, 0.0, h * 0.1, (0, y + n * h * 0.03, 0), sections=6)
    elif top == "broken":
        stone = b.part("broken_top", obj.material, _shade(obj.color, 0.85))
        for k in range(5):
            a = 2 * math.pi * k / 5
            b.box(stone, (r * 0.5, h * 0.03 * (1 + k % 3), r * 0.4), (math.cos(a) * r * 0.7, y, math.sin(a) * r * 0.7))
    elif top != "flat":
        b.frustum(b.part("roof", "wood", roof_c), r * 1.25, 0.0, h * 0.14, (0, y, 0), sections=secs)
    if variant == "neon":
        glow = b.part("neon_trim", "neon", NEON[obj.variant % len(NEON)])
        b.cylinder(glow, r * 1.02, h * 0.012, (0, y - h * 0.02, 0), sections=secs)
        b.cylinder(glow, r * 1.05, h * 0.012, (0, h * 0.3, 0), sections=secs)


@register_family("tower")
def tower(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A tapering shaft (round, square or octagonal) with windows, stripes and a top; lattice towers,
    windmill sails and turbine blades by parameter."""
    w, h, d = obj.size
    variant = P.get("variant", "")
    if P.get("lattice"):
        _lattice(b, obj, P)
        return
    body = b.part("shaft", obj.material, obj.color)
    secs = _sections(P, b)
    taper = float(P.get("taper", 0.1))
    r0 = min(w, d) * 0.42
    top_y = h * (0.72 if P.get("top") not in ("flat", "tank") else 0.96) if not P.get("turbine") else h * 0.9
    r1 = r0 * (1.0 - taper)
    if P.get("top") == "tank":
        r0 = r1 = min(w, d) * 0.12
        top_y = h * 0.65
        for sx in (-1, 1):
            for sz in (-1, 1):
                b.beam(b.part("legs", "metal", _shade(obj.color, 0.7)), (sx * w * 0.35, 0, sz * d * 0.35),
                       (sx * r0 * 1.5, top_y, sz * r0 * 1.5), min(w, d) * 0.03)
    rot = rot_y(math.pi / 4) if P.get("shape") == "square" else None
    b.frustum(body, r0, r1, top_y, (0, 0, 0), sections=secs, R=rot)
    stripes = P.get("stripes")
    if stripes:
        sp = b.part("stripes", obj.material, tuple(stripes))
        n = 3
        for k in range(n):
            y0 = top_y * (0.15 + 0.27 * k)
            rk = r0 + (r1 - r0) * (y0 / top_y)
            b.frustum(sp, rk * 1.01, (r0 + (r1 - r0) * ((y0 + top_y * 0.12) / top_y)) * 1.01, top_y * 0.12,
                      (0, y0, 0), sections=secs, R=rot)
    if P.get("windows", 1):
        glass = b.part("windows", "glass", GLASS if variant != "neon" else (0.6, 0.3, 0.8))
        rows = max(2, int(top_y / 3.0))
        for k in range(rows):
            y = top_y * (k + 0.6) / (rows + 0.5)
            rk = r0 + (r1 - r0) * (y / top_y)
            for a in (0.0, math.pi) if rows < 8 else (0.0, math.pi / 2, math.pi, 1.5 * math.pi):
                b.box(glass, (max(0.3, rk * 0.35), min(1.2, top_y * 0.05), 0.12),
                      (math.sin(a) * rk, y, math.cos(a) * rk), R=rot_y(a))
    if P.get("turbine"):
        hub = b.part("hub", obj.material, obj.color)
        b.ellipsoid(hub, (r1 * 2, r1 * 2, r1 * 3), (0, top_y, r1 * 2))
        for k in range(3):
            a = 2 * math.pi * k / 3 + float(rng.uniform(0, 1))
            tip = (math.sin(a) * w * 0.5, top_y + math.cos(a) * w * 0.5, r1 * 3)
            b.beam(hub, (0, top_y, r1 * 3), tip, w * 0.02, r1=w * 0.008)
        return
    _top(b, obj, P, r1, top_y, h, variant)
    if P.get("sails"):
        sail = b.part("sails", "fabric", (0.92, 0.9, 0.85))
        frame = b.part("sail_frames", "wood", (0.35, 0.25, 0.15))
        hub = np.array([0.0, top_y + h * 0.04, r1 * 1.3])
        b.beam(frame, (0, top_y + h * 0.04, 0), tuple(hub), r1 * 0.1)
        L = min(h * 0.45, w * 0.5)
        a0 = float(rng.uniform(0, math.pi / 2))
        for k in range(4):
            a = a0 + k * math.pi / 2
            u = np.array([math.sin(a), math.cos(a), 0.0])
            v = np.array([math.cos(a), -math.sin(a), 0.0])
            tip = hub + u * L
            b.beam(frame, tuple(hub), tuple(tip), r1 * 0.06)
            pts = [hub + u * L * 0.2, tip, hub + u * L * 0.2 + v * L * 0.22, tip + v * L * 0.22]
            pts = [p + np.array([0, 0, dz]) for p in pts for dz in (0.0, 0.05)]
            b.hull(sail, pts)
    if P.get("top") == "lamp":
        b.box(b.part("door", "wood", (0.3, 0.2, 0.12)), (r0 * 0.5, 2.0, 0.12), (0, 1.0, r0 * 0.98))


def _lattice(b: MeshBuilder, obj, P: dict) -> None:
    """Four legs that curve in towards a spire, tied by platforms and cross braces (Eiffel Tower, pylons)."""
    w, h, d = obj.size
    iron = b.part("ironwork", obj.material, obj.color)
    levels = [0.0, 0.18, 0.38, 0.62, 0.9]
    half = [w * 0.5, w * 0.3, w * 0.17, w * 0.09, w * 0.04]
    r = max(0.05, w * 0.025)
    for k in range(len(levels) - 1):
        y0, y1, a0, a1 = levels[k] * h, levels[k + 1] * h, half[k], half[k + 1]
        for sx in (-1, 1):
            for sz in (-1, 1):
                b.beam(iron, (sx * a0, y0, sz * a0), (sx * a1, y1, sz * a1), r * (1.2 - 0.2 * k))
        for sx, sz, tx, tz in ((-1, -1, 1, -1), (1, -1, 1, 1), (1, 1, -1, 1), (-1, 1, -1, -1)):
            b.beam(iron, (sx * a0, y0, sz * a0), (tx * a1, y1, tz * a1), r * 0.5)
            b.beam(iron, (tx * a0, y0, tz * a0), (sx * a1, y1, sz * a1), r * 0.5)
        if k in (1, 2):
            b.box(b.part("platforms", obj.material, _shade(obj.color, 0.85)), (a1 * 2.3, h * 0.02, a1 * 2.3),
                  (0, y1, 0))
    b.frustum(iron, half[-1], 0.0, h * 0.1, (0, levels[-1] * h, 0), sections=4)
    b.cylinder(b.part("antenna", "metal", (0.6, 0.6, 0.62)), r * 0.4, h * 0.08, (0, h * 0.92, 0), sections=5)


ROOF_COLORS = [(0.45, 0.16, 0.12), (0.28, 0.28, 0.3), (0.36, 0.24, 0.16), (0.2, 0.3, 0.36)]


@register_family("building")
def building_family(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A walled building with a door and windows and a roof by ``roof``: gable, flat, barn (gambrel),
    dome, spire, pagoda, pyramid, temple (columns + pediment), glass, sawtooth, pavilion (open)."""
    w, h, d = obj.size
    variant = P.get("variant", "")
    roof = P.get("roof", "gable")
    if variant == "pagoda" and roof in ("gable", "flat"):
        roof = "pagoda"
    elif variant == "flat" and roof == "gable":
        roof = "flat"
    elif variant == "dome" and roof in ("gable", "flat"):
        roof = "dome"
    elif variant == "gothic" and roof == "gable":
        P = {**P, "spire": 1}
    walls = b.part("walls", obj.material, obj.color)
    roof_p = b.part("roof", "wood" if roof not in ("glass", "dome", "flat") else "metal",
                    ROOF_COLORS[obj.variant % len(ROOF_COLORS)] if roof != "barn" else (0.3, 0.3, 0.32))
    if roof == "pyramid":
        b.box(b.part("base", obj.material, _shade(obj.color, 0.9)), (w, h * 0.03, d), (0, h * 0.015, 0))
        b.frustum(walls, max(w, d) * 0.5 * math.sqrt(2), 0.0, h * 0.97, (0, h * 0.03, 0), sections=4, R=rot_y(math.pi / 4))
        b.box(b.part("entrance", "stone", (0.2, 0.18, 0.15)), (w * 0.06, h * 0.08, 0.2), (0, h * 0.07, d * 0.45))
        return
    if roof == "dome" and P.get("roof") == "dome" and obj.material == "snow":  # igloo
        b.ellipsoid(walls, (w / 2, h, d / 2), (0, 0, 0))
        b.box(walls, (w * 0.9, 0.05, d * 0.9), (0, 0.025, 0))
        b.ellipsoid(walls, (w * 0.18, h * 0.45, d * 0.3), (0, 0, d * 0.42))
        b.ellipsoid(b.part("entrance", "fabric", (0.1, 0.1, 0.12)), (w * 0.12, h * 0.35, 0.05), (0, 0, d * 0.7))
        return
    if roof == "pavilion":  # gazebo: posts, floor and a roof
        b.cylinder(walls, w * 0.48, h * 0.06, (0, 0, 0), sections=8)
        for k in range(6):
            a = 2 * math.pi * k / 6
            b.cylinder(walls, w * 0.025, h * 0.62, (math.cos(a) * w * 0.42, h * 0.06, math.sin(a) * d * 0.42), sections=6)
        b.frustum(roof_p, w * 0.55, 0.0, h * 0.32, (0, h * 0.68, 0), sections=8)
        return
    stilts = bool(P.get("stilts"))
    base = h * 0.45 if stilts else 0.0
    if stilts:
        for sx in (-1, 1):
            for sz in (-1, 1):
                b.cylinder(b.part("stilts", "bark", (0.35, 0.25, 0.17)), w * 0.05, base, (sx * w * 0.35, 0, sz * d * 0.35))
        b.box(walls, (w * 0.95, h * 0.03, d * 0.95), (0, base, 0))
    wall_h = (h - base) * {"flat": 0.95, "barn": 0.5, "dome": 0.55, "temple": 0.78, "sawtooth": 0.75,
                           "glass": 0.6, "pagoda": 0.5}.get(roof, 0.55)
    if P.get("spire"):
        wall_h = (h - base) * 0.45
    ww, dd = w * 0.86, d * 0.86
    if roof == "temple":
        step = b.part("steps", obj.material, _shade(obj.color, 0.92))
        for k in range(3):
            b.box(step, (w - k * w * 0.04, h * 0.03, d - k * d * 0.04), (0, h * 0.015 + k * h * 0.03, 0))
        y0 = h * 0.09
        n = int(P.get("columns", 6))
        col_h = wall_h - y0
        for sz in (-1, 1):
            for k in range(n):
                x = -ww / 2 + ww * (k + 0.5) / n
                b.cylinder(walls, ww / n * 0.28, col_h, (x, y0, sz * dd * 0.47))
        for sx in (-1, 1):
            for k in range(1, max(2, n - 1)):
                z = -dd / 2 + dd * k / max(2, n - 1)
                b.cylinder(walls, ww / n * 0.28, col_h, (sx * ww * 0.47, y0, z))
        b.box(walls, (ww * 0.7, col_h, dd * 0.7), (0, y0 + col_h / 2, 0))
        b.box(walls, (w * 0.98, h * 0.06, d * 0.98), (0, wall_h + h * 0.03, 0))
        b.roof(b.part("pediment", obj.material, _shade(obj.color, 0.95)), w * 0.98, d * 0.98, h - wall_h - h * 0.06,
               (0, wall_h + h * 0.06, 0))
        return
    glass_walls = roof == "glass"
    b.box(walls if not glass_walls else b.part("frame", "metal", (0.85, 0.85, 0.85)), (ww, wall_h, dd),
          (0, base + wall_h / 2, 0))
    y_top = base + wall_h
    if roof == "flat":
        b.box(b.part("parapet", "concrete", _shade(obj.color, 0.8)), (ww * 1.02, h * 0.05, dd * 1.02), (0, h * 0.975, 0))
    elif roof == "barn":  # gambrel: two slopes each side
        rh = h - y_top
        pts = [[sx * w / 2, 0, sz * d / 2] for sx in (-1, 1) for sz in (-1, 1)]
        pts += [[sx * w / 2, rh * 0.5, sz * d * 0.3] for sx in (-1, 1) for sz in (-1, 1)]
        pts += [[sx * w / 2, rh, 0.0] for sx in (-1, 1)]
        b.hull(roof_p, np.asarray(pts) + np.array([0, y_top, 0]))
        # the ridge runs along x here, so the big door is on the +z gable end? no: gambrel ends face +-x
    elif roof == "dome":
        b.ellipsoid(roof_p, (ww * 0.5, h - y_top, dd * 0.5), (0, y_top, 0))
    elif roof == "pagoda":
        n = 2 + obj.variant % 2
        for k in range(n):
            s = 1.15 - 0.25 * k
            y = y_top + k * (h - y_top) / (n + 0.5)
            b.frustum(roof_p, max(ww, dd) * 0.72 * s, max(ww, dd) * 0.2 * s, (h - y_top) / (n + 1), (0, y, 0),
                      sections=4, R=rot_y(math.pi / 4))
        b.frustum(roof_p, max(ww, dd) * 0.05, 0.0, (h - y_top) * 0.35, (0, h - (h - y_top) * 0.35, 0), sections=6)
    elif roof == "sawtooth":
        n = 3
        for k in range(n):
            x0 = -w / 2 + w * k / n
            b.hull(roof_p, [[x0, y_top, -d / 2], [x0, y_top, d / 2], [x0 + w / n, y_top, -d / 2],
                            [x0 + w / n, y_top, d / 2], [x0 + w / n, h, -d / 2], [x0 + w / n, h, d / 2]])
    elif roof == "glass":
        b.roof(b.part("glass_roof", "glass", (0.7, 0.82, 0.85)), w, d, h - y_top, (0, y_top, 0))
        b.box(b.part("plants", "leaves", (0.25, 0.5, 0.2)), (ww * 0.8, wall_h * 0.4, dd * 0.6), (0, wall_h * 0.2, 0))
    else:
        b.roof(roof_p, w, d, h - y_top, (0, y_top, 0))
    if P.get("spire"):
        tower_w = min(ww, dd) * 0.35
        b.box(walls, (tower_w, h * 0.35, tower_w), (0, y_top + h * 0.05, dd / 2 - tower_w / 2))
        b.frustum(b.part("spire", "metal" if variant != "gothic" else "stone", (0.3, 0.32, 0.35)), tower_w * 0.7, 0.0,
                  h - y_top - h * 0.2, (0, y_top + h * 0.2, dd / 2 - tower_w / 2), sections=4, R=rot_y(math.pi / 4))
    for k in range(int(P.get("chimneys", 0))):
        b.cylinder(b.part("chimneys", "brick", (0.5, 0.25, 0.2)), w * 0.04, h * 0.5, (-w * 0.3 + k * w * 0.2, y_top,
                   -d * 0.3))
    door = P.get("door", "normal")
    door_w = min(ww * 0.35, 3.5) if door in ("big", "arched") else min(1.2, ww * 0.3)
    door_h = min(wall_h * 0.75, 4.5 if door == "big" else 2.4 if door != "arched" else 3.5)
    dp = b.part("door", "wood", (0.35, 0.22, 0.12) if door != "big" else (0.9, 0.88, 0.84))
    b.box(dp, (door_w, door_h, 0.12), (0, base + door_h / 2, dd / 2 + 0.05))
    if door == "arched":
        b.cylinder(dp, door_w / 2, 0.12, (0, base + door_h, dd / 2 - 0.01), R=rot_x(math.pi / 2))
    if P.get("canopy"):
        b.box(b.part("canopy", "metal", (0.25, 0.3, 0.3)), (ww * 0.9, 0.15, 2.5), (0, min(3.2, wall_h * 0.7), dd / 2 + 1.25))
    if not glass_walls and P.get("windows", 1) and wall_h > 1.6:
        glass = b.part("windows", "glass", GLASS if variant != "neon" else (0.7, 0.35, 0.9))
        cols = max(1, int(ww / 2.5))
        rows = max(1, int(wall_h / 3.2))
        for face_z in (1, -1):
            for r in range(rows):
                y = base + wall_h * (r + 0.6) / (rows + 0.3)
                for c in range(cols):
                    x = -ww / 2 + ww * (c + 0.5) / cols
                    if face_z > 0 and r == 0 and abs(x) < door_w:
                        continue
                    b.box(glass, (min(1.0, ww / cols * 0.5), min(1.3, wall_h / rows * 0.45), 0.1),
                          (x, y, face_z * (dd / 2 + 0.04)))
    if variant == "neon":
        glow = b.part("neon_trim", "neon", NEON[obj.variant % len(NEON)])
        b.box(glow, (ww * 1.01, 0.15, 0.08), (0, y_top - 0.3, dd / 2 + 0.08))
        b.box(glow, (0.15, wall_h * 0.8, 0.08), (ww * 0.45, base + wall_h * 0.5, dd / 2 + 0.08))
    if variant == "timber":
        beam = b.part("timber_frame", "wood", (0.25, 0.16, 0.1))
        for x in np.linspace(-ww / 2, ww / 2, 4):
            b.box(beam, (0.15, wall_h, 0.06), (float(x), base + wall_h / 2, dd / 2 + 0.03))
        b.box(beam, (ww, 0.15, 0.06), (0, base + wall_h * 0.5, dd / 2 + 0.03))
    if variant == "ornate":
        trim = b.part("ornate_trim", "wood", (0.92, 0.9, 0.86))
        b.box(trim, (ww * 1.04, 0.2, dd * 1.04), (0, y_top - 0.1, 0))
        b.box(trim, (ww * 0.4, wall_h * 0.5, 0.6), (-ww * 0.25, base + wall_h * 0.45, dd / 2 + 0.3))


@register_family("castle")
def castle(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A keep inside four curtain walls with battlements, round corner towers and a gatehouse (front, +Z)."""
    w, h, d = obj.size
    stone = b.part("walls", obj.material, obj.color)
    dark = b.part("keep", obj.material, _shade(obj.color, 0.9))
    roof = b.part("roofs", "wood", (0.3, 0.22, 0.35) if P.get("variant") != "gothic" else (0.25, 0.25, 0.3))
    wall_h, t = h * 0.45, min(w, d) * 0.06
    for sz in (-1, 1):
        b.box(stone, (w * 0.84, wall_h, t), (0, wall_h / 2, sz * d * 0.42))
    for sx in (-1, 1):
        b.box(stone, (t, wall_h, d * 0.84), (sx * w * 0.42, wall_h / 2, 0))
    n = 7
    for k in range(n):  # merlons on the front and back walls
        x = -w * 0.4 + w * 0.8 * (k + 0.5) / n
        for sz in (-1, 1):
            b.box(stone, (w * 0.05, h * 0.05, t), (x, wall_h + h * 0.025, sz * d * 0.42))
    r = min(w, d) * 0.09
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.cylinder(stone, r, h * 0.6, (sx * w * 0.42, 0, sz * d * 0.42))
            b.frustum(roof, r * 1.2, 0.0, h * 0.18, (sx * w * 0.42, h * 0.6, sz * d * 0.42))
    b.box(dark, (w * 0.35, h * 0.72, d * 0.35), (0, h * 0.36, -d * 0.05))
    b.frustum(roof, w * 0.26, 0.0, h * 0.28, (0, h * 0.72, -d * 0.05), sections=4, R=rot_y(math.pi / 4))
    gate = b.part("gate", "wood", (0.3, 0.2, 0.12))
    b.box(stone, (w * 0.2, wall_h * 1.25, t * 2.2), (0, wall_h * 0.625, d * 0.42))
    b.box(gate, (w * 0.09, wall_h * 0.6, t * 0.5), (0, wall_h * 0.3, d * 0.42 + t * 1.1))


@register_family("wall")
def wall_family(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A wall along X: battlements on castle walls, a broken ragged top (and a corner) on ruins."""
    w, h, d = obj.size
    stone = b.part("wall", obj.material, obj.color)
    if P.get("broken") or P.get("variant") == "ruined":
        n = 6
        for k in range(n):
            hk = h * float(rng.uniform(0.35, 1.0))
            x = -w / 2 + w * (k + 0.5) / n
            b.box(stone, (w / n * 1.02, hk, d * 0.5), (x, hk / 2, -d * 0.25))
        if P.get("corner"):
            b.box(stone, (d * 0.5, h * 0.8, d), (w / 2 - d * 0.25, h * 0.4, d * 0.0))
        b.box(b.part("rubble", "stone", _shade(obj.color, 0.8)), (w * 0.3, h * 0.1, d * 0.4), (w * 0.1, h * 0.05, d * 0.3))
        return
    body_h = h * (0.82 if P.get("battlements") else 1.0)
    b.box(stone, (w, body_h, d), (0, body_h / 2, 0))
    if P.get("battlements"):
        n = max(3, int(w / 1.2))
        for k in range(n):
            if k % 2 == 0:
                x = -w / 2 + w * (k + 0.5) / n
                b.box(stone, (w / n, h - body_h, d * 0.35), (x, body_h + (h - body_h) / 2, d * 0.32))
        b.box(b.part("walkway", "stone", _shade(obj.color, 0.85)), (w, 0.08, d * 0.6), (0, body_h + 0.04, -d * 0.1))
    else:
        b.box(b.part("coping", obj.material, _shade(obj.color, 0.85)), (w * 1.01, h * 0.08, d * 1.1), (0, h * 0.96, 0))


@register_family("bridge")
def bridge(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A bridge along Z (its length): a stone arch, a beam footbridge on posts, a pier over water, or a
    railway track with sleepers."""
    w, h, d = obj.size
    kind = P.get("kind", "arch")
    deck = b.part("deck", obj.material, obj.color)
    if kind == "track":
        rail = b.part("rails", "metal", (0.45, 0.42, 0.4))
        sleeper = b.part("sleepers", "wood", (0.35, 0.25, 0.18))
        b.box(b.part("ballast", "stone", (0.45, 0.43, 0.4)), (w, h * 0.4, d), (0, h * 0.2, 0))
        n = max(4, int(d / 0.7))
        for k in range(n):
            b.box(sleeper, (w * 0.95, h * 0.25, 0.25), (0, h * 0.5, -d / 2 + d * (k + 0.5) / n))
        for sx in (-1, 1):
            b.box(rail, (0.08, h * 0.3, d), (sx * w * 0.3, h * 0.78, 0))
        return
    if kind == "pier":
        n = max(3, int(d / 3))
        post = b.part("posts", "wood", (0.35, 0.25, 0.16))
        for k in range(n):
            z = -d / 2 + d * (k + 0.5) / n
            for sx in (-1, 1):
                b.cylinder(post, 0.12, h, (sx * w * 0.42, 0, z), sections=6)
        b.box(deck, (w, 0.15, d), (0, h - 0.075, 0))
        b.box(post, (0.1, 0.6, 0.1), (w * 0.45, h + 0.3, d * 0.45))
        return
    rail = b.part("railings", obj.material if kind != "beam" else "wood", _shade(obj.color, 0.85))
    if kind == "arch":
        deck_y = h * 0.7
        b.box(deck, (w, h * 0.12, d), (0, deck_y, 0))
        # spandrel walls with a semicircular opening: stacked blocks following the arch
        n = 12
        span = d * 0.7
        for k in range(n):
            z0 = -d / 2 + d * k / n
            zc = z0 + d / n / 2
            t = abs(zc) / (span / 2)
            y_arch = deck_y * (math.sqrt(max(0.0, 1 - t * t)) if t < 1 else 0.0)
            hh = max(0.2, deck_y - y_arch)
            for sx in (-1, 1):
                b.box(deck, (w * 0.1, hh, d / n * 1.01), (sx * w * 0.45, deck_y - hh / 2, zc))
            b.box(deck, (w * 0.8, min(0.3, hh), d / n * 1.01), (0, deck_y - min(0.3, hh) / 2, zc))
        for sx in (-1, 1):
            b.box(rail, (w * 0.08, h - deck_y - h * 0.06, d), (sx * w * 0.46, (h + deck_y) / 2 + h * 0.03, 0))
    else:  # beam footbridge on posts with handrails
        deck_y = h * 0.45
        b.box(deck, (w, 0.12, d), (0, deck_y, 0))
        for z in (-d * 0.45, 0.0, d * 0.45):
            for sx in (-1, 1):
                b.cylinder(rail, 0.08, deck_y, (sx * w * 0.4, 0, z), sections=6)
        for sx in (-1, 1):
            for k in range(5):
                b.box(rail, (0.06, h - deck_y, 0.06), (sx * w * 0.46, (h + deck_y) / 2, -d / 2 + d * k / 4))
            b.box(rail, (0.08, 0.08, d), (sx * w * 0.46, h - 0.04, 0))


@register_family("stairs")
def stairs(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A flight of steps rising towards -Z (front at +Z is the bottom step), with handrails."""
    w, h, d = obj.size
    step = b.part("steps", obj.material, obj.color)
    n = int(P.get("steps", max(5, round(h / 0.18))))
    for k in range(n):
        b.box(step, (w, h * (k + 1) / n, d / n), (0, h * (k + 1) / n / 2, d / 2 - d * (k + 0.5) / n))
    if P.get("rails", 1):
        rail = b.part("handrails", "metal", (0.2, 0.2, 0.22))
        for sx in (-1, 1):
            b.beam(rail, (sx * w * 0.48, 0.9, d / 2), (sx * w * 0.48, h + 0.9, -d / 2), 0.04)
            for t in (0.1, 0.5, 0.9):
                z = d / 2 - d * t
                b.beam(rail, (sx * w * 0.48, h * t, z), (sx * w * 0.48, h * t + 0.9, z), 0.03)


@register_family("arch")
def arch(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Two pillars and what spans them: a round arch, a torii (two lintels, the top one curved up) or a gate."""
    w, h, d = obj.size
    kind = P.get("kind", "round")
    mat = b.part("pillars", obj.material, obj.color)
    pw = w * 0.16
    if kind == "torii":
        for sx in (-1, 1):
            b.cylinder(mat, pw * 0.4, h * 0.9, (sx * w * 0.35, 0, 0), sections=8)
        b.box(mat, (w * 0.85, h * 0.06, d * 0.5), (0, h * 0.72, 0))
        top = b.part("kasagi", "wood", (0.12, 0.1, 0.1))
        b.hull(top, [[-w / 2, h * 0.92, -d / 2], [w / 2, h * 0.92, -d / 2], [-w / 2, h * 0.92, d / 2], [w / 2, h * 0.92, d / 2],
                     [-w * 0.45, h, -d / 2], [w * 0.45, h, -d / 2], [-w * 0.45, h, d / 2], [w * 0.45, h, d / 2],
                     [0, h * 0.88, 0]])
        return
    for sx in (-1, 1):
        b.box(mat, (pw, h * 0.72, d), (sx * (w / 2 - pw / 2), h * 0.36, 0))
    if kind == "gate":
        b.box(mat, (w, h * 0.2, d), (0, h * 0.82, 0))
        for k in range(int(w / 1.0)):
            x = -w / 2 + pw + (w - 2 * pw) * (k + 0.5) / max(1, int(w / 1.0))
            b.box(b.part("gate_bars", "metal", (0.2, 0.2, 0.22)), (0.08, h * 0.7, 0.08), (x, h * 0.35, 0))
        for k in range(5):
            b.box(mat, (w * 0.12, h * 0.08, d), (-w / 2 + w * (k + 0.5) / 5, h * 0.96, 0))
        return
    # round arch: voussoirs on a semicircle from pillar to pillar
    r_out = w / 2
    r_in = w / 2 - pw
    base = h * 0.72
    n = 9
    for k in range(n):
        a0, a1 = math.pi * k / n, math.pi * (k + 1) / n
        pts = []
        for a in (a0, a1):
            for r in (r_in, r_out):
                for z in (-d / 2, d / 2):
                    pts.append([math.cos(a) * r, base + math.sin(a) * r * (h - base) / r_out, z])
        b.hull(mat, pts)


@register_family("column")
def column(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A classical column (base, fluted shaft, capital), a broken column, an obelisk or a plain post."""
    w, h, d = obj.size
    kind = P.get("kind", "classical")
    mat = b.part("shaft", obj.material, obj.color)
    if kind == "obelisk":
        b.box(b.part("plinth", obj.material, _shade(obj.color, 0.9)), (w, h * 0.06, d), (0, h * 0.03, 0))
        b.frustum(mat, w * 0.33 * math.sqrt(2), w * 0.2 * math.sqrt(2), h * 0.86, (0, h * 0.06, 0), sections=4,
                  R=rot_y(math.pi / 4))
        b.frustum(b.part("tip", "gold", (0.85, 0.7, 0.3)), w * 0.2 * math.sqrt(2), 0.0, h * 0.08, (0, h * 0.92, 0),
                  sections=4, R=rot_y(math.pi / 4))
        return
    if kind == "pillar":
        b.cylinder(mat, w * 0.2, h * 0.92, (0, 0, 0), sections=8)
        b.box(b.part("top", obj.material, _shade(obj.color, 0.8)), (w, h * 0.08, d * 0.3), (0, h * 0.96, 0))
        return
    broken = P.get("variant") == "ruined"
    trim = b.part("base_capital", obj.material, _shade(obj.color, 0.95))
    b.box(trim, (w, h * 0.05, d), (0, h * 0.025, 0))
    shaft_h = h * (0.88 if not broken else float(rng.uniform(0.4, 0.7)))
    b.lathe(mat, [(w * 0.36, h * 0.05), (w * 0.33, h * 0.05 + shaft_h * 0.5), (w * 0.3, h * 0.05 + shaft_h)],
            sections=16 if b.sections > 8 else 8, jag=0.06)
    if not broken:
        b.frustum(trim, w * 0.32, w * 0.48, h * 0.04, (0, h * 0.93, 0))
        b.box(trim, (w, h * 0.03, d), (0, h * 0.985, 0))
    else:
        b.box(trim, (w, h * 0.01, d), (0, h * 0.995, 0))  # keep the box height


@register_family("water")
def water(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Water bodies as objects: a river strip with banks (along Z), a lake, a tiled pool, the open sea,
    a fountain, or a waterfall (a cliff with a falling sheet of water and a pool at its foot)."""
    w, h, d = obj.size
    kind = P.get("kind", "lake")
    # the object's own colour (the sea's is the open-sea layer's around it too, so the two match)
    wat_color = (0.3, 0.65, 0.8) if kind == "pool" else (tuple(obj.color) if obj.color is not None else (0.18, 0.38, 0.5))
    wat = b.part("water", "water", wat_color)
    if kind == "fountain":
        stone = b.part("stone", obj.material, obj.color)
        r = w / 2
        b.cylinder(stone, r, h * 0.3, (0, 0, 0), sections=b.sections + 8)
        b.cylinder(wat, r * 0.9, 0.02, (0, h * 0.3, 0), sections=b.sections + 8)
        b.cylinder(stone, r * 0.12, h * 0.55, (0, h * 0.3, 0))
        b.frustum(stone, r * 0.15, r * 0.5, h * 0.1, (0, h * 0.85, 0))
        b.cylinder(wat, r * 0.45, 0.02, (0, h * 0.95, 0))
        b.frustum(wat, r * 0.08, 0.0, h * 0.05, (0, h * 0.95, 0), sections=6)
        return
    if kind == "waterfall":
        rock = b.part("cliff", obj.material, obj.color)
        b.box(rock, (w, h, d * 0.45), (0, h / 2, -d * 0.27))
        for k in range(5):
            x = -w / 2 + w * (k + 0.5) / 5
            b.ellipsoid(rock, (w * 0.14, h * 0.2, d * 0.15), (x, h * (0.8 + 0.1 * (k % 2)), -d * 0.05), bumps=0.3,
                        seed=obj.variant % 97 + k, subdivisions=1)
        b.box(b.part("falling_water", "water", (0.75, 0.85, 0.9)), (w * 0.3, h * 0.97, 0.15), (0, h * 0.49, -d * 0.03))
        b.cylinder(wat, w * 0.45, 0.08, (0, 0, d * 0.2), sections=b.sections + 6, scale_xz=(1.0, 0.55 * d / w * 1.6))
        b.ellipsoid(b.part("spray", "snow", (0.9, 0.94, 0.96)), (w * 0.16, h * 0.06, d * 0.1), (0, 0.1, d * 0.05))
        return
    if kind == "pool":
        tile = b.part("pool_edge", obj.material, obj.color)
        b.box(tile, (w, h * 0.6, d), (0, h * 0.3, 0))
        b.box(wat, (w * 0.88, h * 0.4, d * 0.9), (0, h * 0.6 + h * 0.2 - 0.02, 0))
        return
    if kind == "river":
        bank = b.part("banks", "dirt", (0.4, 0.33, 0.24))
        b.box(wat, (w, h * 0.7, d), (0, h * 0.35, 0))
        for sx in (-1, 1):
            b.box(bank, (w * 0.08, h, d), (sx * w * 0.5, h / 2, 0))
        return
    # lake / sea / pond: an irregular flat disc (sea: a wide strip)
    if kind == "sea":
        # the water's surface and its sides, open underneath: a closed box's bottom, never meant to be
        # seen, got splats shaded from below (dark) that showed through as a striped rectangle from above
        x, z = w / 2, d / 2
        v = np.array([[-x, h, -z], [-x, h, z], [x, h, z], [x, h, -z], [-x, 0, -z], [-x, 0, z], [x, 0, z], [x, 0, -z]])
        top = [[0, 1, 2], [0, 2, 3]]
        sides = [[0, 4, 5], [0, 5, 1], [1, 5, 6], [1, 6, 2], [2, 6, 7], [2, 7, 3], [3, 7, 4], [3, 4, 0]]
        b.add(v, np.array(top + sides), wat)
        b.box(b.part("foam", "snow", (0.9, 0.93, 0.95)), (w, h * 1.05, d * 0.03), (0, h / 2, -d * 0.49))
        return
    n = b.sections + 10
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    rr = 1.0 + 0.15 * np.sin(3 * a + obj.variant % 7) + 0.08 * np.cos(5 * a)
    pts = [[math.cos(t) * r * w / 2, y, math.sin(t) * r * d / 2] for t, r in zip(a, rr) for y in (0.0, h)]
    b.hull(wat, pts)
    b.hull(b.part("shore", "sand", (0.7, 0.65, 0.5)),
           [[math.cos(t) * r * w / 2 * 1.06, y, math.sin(t) * r * d / 2 * 1.06] for t, r in zip(a, rr) for y in (0.0, h * 0.6)])
