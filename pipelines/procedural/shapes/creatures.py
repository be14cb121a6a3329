"""Shape families for living things: quadrupeds, birds, fish and sea creatures, people.

Each family reads its category's ``params`` (``marble/vocab/data/objects_*.json``): proportions
(leg length, neck length and angle, tail), features (ears, horns, antlers, trunk, tusks, hump, mane,
wings, shell, stripes, spots) and kinds ("shark", "jelly", "knight", "robot"), so a new species is a
data entry. Shapes are built roughly in the object's box (front towards +Z) and fitted exactly to it.
"""

from __future__ import annotations

import math

import numpy as np

from pipelines.procedural.builder import MeshBuilder, rot_x, rot_z
from pipelines.procedural.shapes.registry import register_family

SKIN_TONES = [(0.93, 0.76, 0.62), (0.78, 0.57, 0.42), (0.55, 0.38, 0.26), (0.36, 0.24, 0.16)]
HAIR = [(0.15, 0.1, 0.07), (0.45, 0.3, 0.15), (0.8, 0.65, 0.35), (0.3, 0.3, 0.3)]
DARK = (0.08, 0.07, 0.07)


def _shade(c, k: float):
    return tuple(min(1.0, max(0.0, x * k)) for x in c)


@register_family("quadruped")
def quadruped(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Body ellipsoid on four legs, neck and head at the front (+Z), tail at the back; features from params."""
    w, h, d = obj.size
    body_c = obj.color
    fur = b.part("body", obj.material, body_c)
    dark = b.part("hooves", obj.material, _shade(body_c, 0.45))
    head_col = P.get("head_color")
    head_p = b.part("head", obj.material, head_col) if head_col else fur
    legs = float(P.get("legs", 0.45))
    low = bool(P.get("low"))
    upright = bool(P.get("upright"))
    if upright:  # apes: a sitting body, head on top
        b.ellipsoid(fur, (w * 0.4, h * 0.32, d * 0.35), (0, h * 0.4, 0))
        b.ellipsoid(head_p, (w * 0.25, h * 0.15, w * 0.25), (0, h * 0.8, d * 0.05))
        for sx in (-1, 1):
            b.beam(fur, (sx * w * 0.25, h * 0.6, 0), (sx * w * 0.45, h * 0.15, d * 0.2), w * 0.08)
            b.beam(fur, (sx * w * 0.15, h * 0.2, 0), (sx * w * 0.2, 0.0, d * 0.25), w * 0.09)
        if P.get("tail"):
            b.beam(fur, (0, h * 0.2, -d * 0.3), (0, h * 0.5, -d * 0.5), w * 0.04)
        return
    leg_h = h * legs
    body_len = d * (0.55 if P.get("tail", 0) > 0.9 else 0.62)
    body_h = (h - leg_h) * (0.5 if P.get("neck", 0) > 0.5 else 0.7)
    cy = leg_h + body_h * 0.45
    stocky = 1.15 if P.get("stocky") else 1.0
    b.ellipsoid(fur, (w * 0.42 * stocky, body_h * 0.55, body_len / 2), (0, cy, 0))
    if P.get("fluffy"):
        b.ellipsoid(fur, (w * 0.5, body_h * 0.62, body_len * 0.55), (0, cy + body_h * 0.05, 0), bumps=0.15,
                    seed=obj.variant % 997)
    if P.get("hump"):
        b.ellipsoid(fur, (w * 0.25, body_h * 0.45, body_len * 0.2), (0, cy + body_h * 0.5, 0))
    if P.get("shell"):
        b.ellipsoid(b.part("shell", "stone", _shade(body_c, 0.8)), (w * 0.5, body_h * 0.8, body_len * 0.55),
                    (0, cy, 0))
    # legs
    r_leg = w * (0.11 if not low else 0.13) * stocky
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * w * 0.25, sz * body_len * 0.36
            top = (x, cy, z)
            foot = (x * (1.6 if low else 1.0), 0.0, z)
            b.beam(fur, top, foot, r_leg, r1=r_leg * 0.8)
            b.cylinder(dark, r_leg * 0.85, leg_h * 0.08, (foot[0], 0.0, foot[2]), sections=6)
    # neck and head
    neck = float(P.get("neck", 0.25))
    up = float(P.get("neck_up", 0.5))
    z_front = body_len * 0.45
    neck_len = max(neck * h, body_h * 0.3)
    ang = up * math.pi / 2 * 0.9
    n0 = np.array([0.0, cy + body_h * 0.15, z_front])
    n1 = n0 + np.array([0.0, math.sin(ang), math.cos(ang)]) * neck_len
    if not low:
        b.beam(fur, n0, n1, w * 0.16 * (0.7 if neck > 0.6 else 1.0), r1=w * 0.11)
    head_r = max(w * 0.2, min(h, d) * 0.1) * (1.2 if P.get("trunk") else 1.0)
    head_c = n1 + np.array([0.0, 0.0, head_r * 0.5])
    if low:
        head_c = np.array([0.0, cy, z_front + head_r])
        b.ellipsoid(head_p, (w * 0.3, body_h * 0.35, head_r * 2.0), tuple(head_c))
    else:
        b.ellipsoid(head_p, (head_r * 0.8, head_r * 0.8, head_r * 1.2), tuple(head_c))
    if P.get("snout"):
        b.cylinder(b.part("snout", obj.material, _shade(body_c, 0.85)), head_r * 0.4, head_r * 0.5,
                   tuple(head_c + np.array([0, 0, head_r * 0.9])), R=rot_x(math.pi / 2))
    if P.get("trunk"):
        t0 = head_c + np.array([0.0, -head_r * 0.2, head_r * 0.9])
        b.beam(head_p, t0, (t0[0], max(0.05, leg_h * 0.3), t0[2] + head_r * 0.6), head_r * 0.25, r1=head_r * 0.12)
    if P.get("tusks"):
        ivory = b.part("tusks", "tile", (0.95, 0.92, 0.82))
        for sx in (-1, 1):
            t0 = head_c + np.array([sx * head_r * 0.4, -head_r * 0.4, head_r * 0.6])
            b.beam(ivory, t0, t0 + np.array([sx * head_r * 0.1, -head_r * 0.3, head_r * 1.0]), head_r * 0.08, r1=0.01)
    ears = int(P.get("ears", 0))
    if ears:
        for sx in (-1, 1):
            e0 = head_c + np.array([sx * head_r * 0.5, head_r * 0.5, -head_r * 0.2])
            if ears == 3:  # elephant ears: big flaps
                b.ellipsoid(head_p, (head_r * 0.15, head_r * 1.0, head_r * 0.9),
                            tuple(head_c + np.array([sx * head_r * 0.9, 0.0, -head_r * 0.3])))
            else:
                length = head_r * (1.4 if ears == 2 else 0.6)
                b.beam(head_p, e0, e0 + np.array([sx * head_r * 0.2, length, -head_r * 0.1]), head_r * 0.15, r1=0.01)
    horns = int(P.get("horns", 0)) or (2 if P.get("antlers") else 0)
    if horns or P.get("horn"):
        hp = b.part("horns", "tile", (0.85, 0.8, 0.7) if not P.get("antlers") else (0.45, 0.32, 0.2))
        if P.get("horn"):
            t0 = head_c + np.array([0.0, head_r * (0.6 if P.get("horn") == 2 else 0.0), head_r * 1.0])
            b.beam(hp, t0, t0 + np.array([0.0, head_r * 1.2, head_r * 0.4]), head_r * 0.15, r1=0.005)
        for sx in (-1, 1) if horns else ():
            h0 = head_c + np.array([sx * head_r * 0.35, head_r * 0.7, 0.0])
            tip = h0 + np.array([sx * head_r * 0.5, head_r * (1.6 if P.get("antlers") else 0.7), -head_r * 0.3])
            b.beam(hp, h0, tip, head_r * 0.1, r1=0.01)
            if P.get("antlers"):
                mid = (h0 + tip) / 2
                b.beam(hp, mid, mid + np.array([sx * head_r * 0.5, head_r * 0.4, head_r * 0.3]), head_r * 0.06, r1=0.01)
    if P.get("mane"):
        mane = b.part("mane", obj.material, _shade(body_c, 0.5) if P.get("mane") == 1 else _shade(body_c, 0.7))
        if P.get("mane") == 2:  # lion
            b.ellipsoid(mane, (head_r * 1.3, head_r * 1.3, head_r * 0.9), tuple(head_c - np.array([0, 0, head_r * 0.3])),
                        bumps=0.2, seed=obj.variant % 991)
        elif not low:
            b.beam(mane, n0 + np.array([0, body_h * 0.2, 0]), n1 + np.array([0, head_r * 0.6, -head_r * 0.3]),
                   w * 0.06)
    if P.get("wings"):
        wing = b.part("wings", obj.material, _shade(body_c, 0.7))
        for sx in (-1, 1):
            pts = [[sx * w * 0.2, cy + body_h * 0.3, 0.2 * body_len], [sx * w * 0.2, cy + body_h * 0.3, -0.2 * body_len],
                   [sx * w * 0.5, cy + h * 0.45, -0.35 * body_len], [sx * w * 0.5, cy + h * 0.4, 0.25 * body_len],
                   [sx * w * 0.2, cy + body_h * 0.35, 0.0]]
            b.hull(wing, np.asarray(pts) + np.array([0, 0, 0]))
            b.hull(wing, np.asarray(pts) + np.array([0, 0.04, 0]))
    tail = float(P.get("tail", 0.3))
    if tail > 0:
        t0 = np.array([0.0, cy + body_h * 0.1, -body_len * 0.48])
        length = tail * d * 0.4
        t1 = t0 + np.array([0.0, -min(length * 0.6, cy * 0.8) if tail < 0.9 else -cy * 0.6, -length])
        b.beam(fur, t0, t1, w * (0.05 if tail < 0.9 else 0.15), r1=w * 0.02)
    stripes, spots = P.get("stripes"), P.get("spots")
    if stripes or spots:
        mark = b.part("markings", obj.material, tuple(stripes or spots))
        n = int(rng.integers(5, 9))
        for k in range(n):
            if stripes:
                z = -body_len * 0.4 + body_len * 0.8 * (k + 0.5) / n
                b.ellipsoid(mark, (w * 0.43 * stocky, body_h * 0.5, body_len * 0.03), (0, cy, z))
            else:
                a = float(rng.uniform(0, 2 * math.pi))
                z = float(rng.uniform(-0.35, 0.35)) * body_len
                x, y = math.cos(a) * w * 0.4, cy + math.sin(a) * body_h * 0.5
                b.ellipsoid(mark, (w * 0.1, body_h * 0.15, body_len * 0.1), (x, y, z), subdivisions=1)


@register_family("bird")
def bird(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Round body, head on a neck, beak, folded (or spread) wings, thin legs; upright birds stand tall."""
    w, h, d = obj.size
    body_c = obj.color
    fur = b.part("body", obj.material, body_c)
    beak = b.part("beak", "plastic", tuple(P.get("beak_color", (0.9, 0.65, 0.2))))
    if P.get("insect"):
        b.ellipsoid(b.part("body", "plastic", DARK), (w * 0.08, h * 0.2, d * 0.45), (0, h * 0.5, 0))
        wing = b.part("wings", obj.material, body_c)
        for sx in (-1, 1):
            b.ellipsoid(wing, (w * 0.22, h * 0.05, d * 0.3), (sx * w * 0.26, h * 0.6, 0), R=rot_z(sx * 0.3))
        return
    legs = float(P.get("legs", 0.25))
    leg_h = h * legs * (0.6 if P.get("upright") else 1.0)
    upright = bool(P.get("upright"))
    body_h = (h - leg_h) * (0.55 if not upright else 0.75) * (0.7 if P.get("neck", 0) > 0.5 else 1.0)
    cy = leg_h + body_h * 0.5
    if upright:
        b.ellipsoid(fur, (w * 0.45, body_h * 0.55, d * 0.4), (0, cy, 0))
        if P.get("belly"):
            b.ellipsoid(b.part("belly", obj.material, tuple(P["belly"])), (w * 0.35, body_h * 0.48, d * 0.3),
                        (0, cy, d * 0.14))
        head_c = np.array([0.0, cy + body_h * 0.55, d * 0.05])
        hr = w * 0.3
    else:
        b.ellipsoid(fur, (w * 0.42, body_h * 0.5, d * 0.38), (0, cy, -d * 0.05))
        neck = float(P.get("neck", 0.2))
        n0 = np.array([0.0, cy + body_h * 0.2, d * 0.22])
        n1 = n0 + np.array([0.0, max(neck, 0.15) * h * 0.9, d * 0.08 * (1 - neck)])
        if neck > 0.3:
            b.beam(fur, n0, n1, w * 0.1, r1=w * 0.08)
        head_c = n1
        hr = w * 0.24
    head_col = P.get("head_color")
    b.ellipsoid(b.part("head", obj.material, head_col) if head_col else fur, (hr, hr, hr * 1.1), tuple(head_c))
    b.frustum(beak, hr * 0.35, 0.0, hr * 1.2, tuple(head_c + np.array([0, 0, hr * 0.8])), R=rot_x(math.pi / 2),
              sections=5)
    eye = b.part("eyes", "plastic", DARK)
    for sx in (-1, 1):
        b.ellipsoid(eye, (hr * 0.15,) * 3, tuple(head_c + np.array([sx * hr * 0.7, hr * 0.2, hr * 0.45])),
                    subdivisions=0)
    if P.get("comb"):
        b.box(b.part("comb", "plastic", (0.85, 0.1, 0.08)), (hr * 0.2, hr * 0.6, hr * 0.8),
              tuple(head_c + np.array([0, hr * 1.0, 0])))
    wing = b.part("wings", obj.material, _shade(body_c, 0.8))
    for sx in (-1, 1):
        b.ellipsoid(wing, (w * 0.08, body_h * 0.35, d * 0.3), (sx * w * 0.4, cy + body_h * 0.05, -d * 0.08),
                    R=rot_x(0.2))
    tail = float(P.get("tail", 0.3))
    if tail > 0:
        b.hull(wing, [[-w * 0.15, cy, -d * 0.35], [w * 0.15, cy, -d * 0.35], [-w * 0.2 * (1 + tail), cy - body_h * 0.1,
                      -d * 0.5], [w * 0.2 * (1 + tail), cy - body_h * 0.1, -d * 0.5], [0, cy + 0.02, -d * 0.4]])
    if leg_h > 0.01:
        leg = b.part("legs", "plastic", tuple(P.get("beak_color", (0.85, 0.6, 0.25))))
        for sx in (-1, 1):
            b.beam(leg, (sx * w * 0.12, cy - body_h * 0.3, 0), (sx * w * 0.12, 0.0, d * 0.05), max(0.005, w * 0.03))
    else:
        b.box(fur, (w * 0.3, max(0.01, h * 0.03), d * 0.3), (0, h * 0.015, 0))


@register_family("fish")
def fish(b: MeshBuilder, obj, rng, P: dict) -> None:
    """Streamlined body with fins and a tail (shark, whale, dolphin variants), or a jellyfish, octopus,
    crab or starfish by ``kind``."""
    w, h, d = obj.size
    body = b.part("body", obj.material, obj.color)
    fin = b.part("fins", obj.material, _shade(obj.color, 0.75))
    kind = P.get("kind", "fish")
    if kind == "jelly":
        b.ellipsoid(body, (w / 2, h * 0.3, d / 2), (0, h * 0.7, 0))
        for k in range(6):
            a = 2 * math.pi * k / 6
            x, z = math.cos(a) * w * 0.3, math.sin(a) * d * 0.3
            b.beam(fin, (x, h * 0.6, z), (x * 1.2, 0.0, z * 1.2), w * 0.03)
        return
    if kind == "octopus":
        b.ellipsoid(body, (w * 0.3, h * 0.4, d * 0.3), (0, h * 0.6, 0))
        for k in range(8):
            a = 2 * math.pi * k / 8
            b.beam(body, (0, h * 0.35, 0), (math.cos(a) * w / 2, 0.02, math.sin(a) * d / 2), w * 0.06, r1=w * 0.015)
        return
    if kind == "crab":
        b.ellipsoid(body, (w * 0.35, h * 0.35, d * 0.3), (0, h * 0.5, 0))
        for sx in (-1, 1):
            for k in range(3):
                b.beam(fin, (sx * w * 0.25, h * 0.45, (k - 1) * d * 0.15), (sx * w * 0.5, 0.0, (k - 1) * d * 0.25),
                       w * 0.03)
            b.ellipsoid(body, (w * 0.12, h * 0.15, d * 0.12), (sx * w * 0.3, h * 0.6, d * 0.4))
        return
    if kind == "star":
        for k in range(5):
            a = 2 * math.pi * k / 5
            b.beam(body, (0, h / 2, 0), (math.cos(a) * w / 2, h / 2, math.sin(a) * d / 2), h * 0.5, r1=h * 0.15)
        return
    big = kind in ("whale", "dolphin", "shark")
    b.ellipsoid(body, (w / 2, h * 0.4, d * 0.4), (0, h * 0.5, d * 0.02))
    if kind == "whale":
        b.ellipsoid(b.part("belly", obj.material, (0.85, 0.85, 0.85)), (w * 0.42, h * 0.2, d * 0.3),
                    (0, h * 0.35, d * 0.05))
    # tail fin
    tz = -d * 0.38
    if big:  # horizontal flukes (mammals) or a vertical tail (shark)
        if kind == "shark":
            b.hull(fin, [[0, h * 0.5, tz], [0, h * 1.0, -d * 0.5], [0, h * 0.05, -d * 0.5], [0.02, h * 0.5, tz - 0.05]])
        else:
            b.hull(fin, [[0, h * 0.5, tz], [-w * 0.5, h * 0.5, -d * 0.5], [w * 0.5, h * 0.5, -d * 0.5],
                         [0, h * 0.55, -d * 0.45]])
    else:
        b.hull(fin, [[0, h * 0.5, tz], [0.01, h * 0.95, -d * 0.5], [0.0, h * 0.05, -d * 0.5], [-0.01, h * 0.5, tz]])
    b.beam(body, (0, h * 0.5, -d * 0.2), (0, h * 0.5, tz), w * 0.15, r1=w * 0.06)
    # dorsal fin
    top = 1.0 if kind == "shark" else 0.85
    b.hull(fin, [[0, h * 0.8, d * 0.1], [0, h * 0.8, -d * 0.12], [0, h * top, -d * 0.1], [0.01, h * 0.82, 0.0]])
    for sx in (-1, 1):
        b.ellipsoid(fin, (w * 0.25, h * 0.04, d * 0.08), (sx * w * 0.35, h * 0.35, d * 0.12), R=rot_z(sx * 0.4))
    eye = b.part("eyes", "plastic", DARK)
    for sx in (-1, 1):
        b.ellipsoid(eye, (w * 0.05, w * 0.05, w * 0.05), (sx * w * 0.32, h * 0.6, d * 0.3), subdivisions=0)


@register_family("person")
def person(b: MeshBuilder, obj, rng, P: dict) -> None:
    """A simple standing figure: legs, torso, arms, head with hair or a hat; knights in armour, robots boxy,
    robes for wizards and ghosts, suits with bubble helmets."""
    w, h, d = obj.size
    kind = P.get("kind", "adult")
    child = kind == "child"
    clothes = b.part("clothes", obj.material, obj.color)
    trousers = b.part("trousers", "fabric", (0.18, 0.2, 0.28) if kind != "knight" else obj.color)
    skin_c = SKIN_TONES[obj.variant % len(SKIN_TONES)]
    skin = b.part("skin", "skin", skin_c) if kind not in ("robot", "mannequin", "knight", "suit") else clothes
    if kind == "mannequin":
        skin = b.part("skin", obj.material, obj.color)
    head_r = h * (0.085 if not child else 0.11)
    leg_h = h * (0.46 if not child else 0.4)
    torso_h = h - leg_h - head_r * 2.2
    if kind == "robot":
        metal = clothes
        b.box(metal, (w * 0.3, leg_h, d * 0.8), (-w * 0.18, leg_h / 2, 0))
        b.box(metal, (w * 0.3, leg_h, d * 0.8), (w * 0.18, leg_h / 2, 0))
        b.box(metal, (w * 0.75, torso_h, d), (0, leg_h + torso_h / 2, 0))
        b.box(b.part("panel", "neon", (0.3, 0.8, 1.0)), (w * 0.3, torso_h * 0.25, 0.02), (0, leg_h + torso_h * 0.6, d / 2))
        for sx in (-1, 1):
            b.box(metal, (w * 0.12, torso_h * 0.9, d * 0.5), (sx * w * 0.44, leg_h + torso_h * 0.5, 0))
        b.box(metal, (head_r * 2, head_r * 1.8, head_r * 1.8), (0, h - head_r * 1.0, 0))
        b.box(b.part("eyes", "neon", (0.3, 0.8, 1.0)), (head_r * 1.4, head_r * 0.3, 0.02), (0, h - head_r, head_r * 0.9))
        return
    if kind in ("robe",):
        b.frustum(clothes, w * 0.45, w * 0.2, leg_h + torso_h, (0, 0, 0), scale_xz=(1.0, d / w))
    else:
        for sx in (-1, 1):
            b.beam(trousers, (sx * w * 0.14, leg_h, 0), (sx * w * 0.15, 0.05, 0), w * 0.1, r1=w * 0.09)
            b.box(b.part("shoes", "plastic", DARK), (w * 0.18, 0.08, d * 0.8), (sx * w * 0.15, 0.04, d * 0.1))
        b.frustum(clothes, w * 0.27, w * 0.33, torso_h, (0, leg_h, 0), scale_xz=(1.0, d / w * 0.9))
    arm_top = leg_h + torso_h * 0.92
    hold = bool(P.get("holding"))
    for sx in (-1, 1):
        hand = (sx * w * 0.42, leg_h - torso_h * 0.05, d * 0.05) if not (hold and sx > 0) else (w * 0.2, leg_h + torso_h * 0.5, d * 0.45)
        b.beam(clothes, (sx * w * 0.36, arm_top, 0), hand, w * 0.07, r1=w * 0.06)
        b.ellipsoid(skin, (w * 0.06,) * 3, hand, subdivisions=1)
    if hold:
        b.box(b.part("instrument", "wood", (0.6, 0.35, 0.15)), (w * 0.5, torso_h * 0.3, 0.06), (0, leg_h + torso_h * 0.45, d * 0.45))
    b.cylinder(skin, head_r * 0.4, head_r * 0.5, (0, leg_h + torso_h, 0), sections=6)
    hc = (0, h - head_r * 1.05, 0)
    b.ellipsoid(skin, (head_r * 0.9, head_r, head_r * 0.95), hc)
    hat = P.get("hat", "none" if kind != "knight" else "helmet")
    if kind == "suit" or hat == "bubble":
        b.ellipsoid(b.part("helmet", "glass", (0.7, 0.8, 0.85)), (head_r * 1.35,) * 3, hc)
        b.box(b.part("backpack", "plastic", (0.85, 0.85, 0.85)), (w * 0.5, torso_h * 0.6, d * 0.3),
              (0, leg_h + torso_h * 0.6, -d * 0.45))
    elif hat == "helmet":
        b.ellipsoid(b.part("helmet", "metal", (0.72, 0.73, 0.76)), (head_r * 1.1, head_r * 1.05, head_r * 1.1), hc)
        b.box(b.part("plume", "fabric", (0.7, 0.1, 0.1)), (head_r * 0.2, head_r * 0.6, head_r * 1.2),
              (0, h - head_r * 0.2, 0))
    elif hat == "chef":
        b.cylinder(b.part("hat", "fabric", (0.97, 0.97, 0.96)), head_r * 0.8, head_r * 1.0, (0, h - head_r * 1.0, 0))
    elif hat == "cap":
        b.cylinder(b.part("hat", "fabric", (0.5, 0.35, 0.2)), head_r * 1.0, head_r * 0.35, (0, h - head_r * 0.55, 0))
        b.box(b.part("hat", "fabric", (0.5, 0.35, 0.2)), (head_r * 1.4, 0.02, head_r * 1.0), (0, h - head_r * 0.5, head_r * 0.8))
    elif hat == "pointed":
        b.frustum(b.part("hat", obj.material, _shade(obj.color, 0.8)), head_r * 1.3, 0.0, head_r * 2.2,
                  (0, h - head_r * 1.0, 0))
    elif hat == "hood":
        b.ellipsoid(clothes, (head_r * 1.15, head_r * 1.15, head_r * 1.15), (0, h - head_r, -head_r * 0.15))
    else:
        b.ellipsoid(b.part("hair", "fabric", HAIR[obj.variant % len(HAIR)]), (head_r * 0.95, head_r * 0.6, head_r),
                    (0, h - head_r * 0.6, -head_r * 0.1))
