"""Styles and moods as effects on a world: colour grading, material palettes, props, density, seasons.

The looks themselves are data (``marble/vocab/data/looks.json``); this module turns the looks a
spec asks for (its styles and moods, plus the styles its scene type implies) into one combined
:class:`WorldLook` that layout, geometry and lighting apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marble.layout import SceneSpec
from marble.vocab import ARCHETYPES, LOOKS

# Autumn and spring crown colours (by variant); winter is snow weather.
AUTUMN_LEAVES = [(0.82, 0.38, 0.1), (0.9, 0.62, 0.12), (0.7, 0.2, 0.08), (0.75, 0.55, 0.15)]
SPRING_LEAVES = [(0.4, 0.65, 0.25), (0.95, 0.72, 0.82), (0.45, 0.7, 0.3)]


@dataclass
class WorldLook:
    """The combined effect of a spec's looks."""

    keys: list[str] = field(default_factory=list)
    materials: dict = field(default_factory=dict)
    ground: str | None = None
    wall: str | None = None
    grade: list | None = None  # [tint r, g, b, strength, saturation, contrast, brightness]
    variant: str = ""
    props: list = field(default_factory=list)
    lighting: dict = field(default_factory=dict)
    low_poly: bool = False
    density: dict = field(default_factory=dict)
    season: str | None = None


def look_keys(spec: SceneSpec) -> list[str]:
    """The spec's styles, its scene type's implied styles, then its moods (known keys only, no repeats)."""
    arch = ARCHETYPES.get(spec.archetype)
    keys = list(spec.style or []) + [s for s in (arch.styles if arch else ()) if s not in (spec.style or [])]
    keys += list(getattr(spec, "mood", None) or [])
    return [k for k in dict.fromkeys(keys) if k in LOOKS]


def world_look(spec: SceneSpec) -> WorldLook:
    """Combine the looks of ``spec``: the first named wins for single choices (variant, ground, wall);
    palettes, lighting and densities multiply or blend."""
    out = WorldLook(keys=look_keys(spec), season=getattr(spec, "season", None))
    tint, strength, sat, con, bri = [1.0, 1.0, 1.0], 0.0, 1.0, 1.0, 1.0
    for k in out.keys:
        lk = LOOKS[k]
        for a, b in lk.materials.items():
            out.materials.setdefault(a, b)
        out.ground = out.ground or lk.ground
        out.wall = out.wall or lk.wall
        out.variant = out.variant or lk.variant
        out.props += [list(p) for p in lk.props]
        out.low_poly = out.low_poly or lk.low_poly
        for key, v in lk.density.items():
            out.density[key] = out.density.get(key, 1.0) * float(v)
        for key, v in lk.lighting.items():
            if key.endswith("_mul"):
                out.lighting[key] = out.lighting.get(key, 1.0) * float(v)
            else:
                out.lighting.setdefault(key, v)
        p = lk.palette
        if p:
            s = float(p.get("strength", 0.0))
            if s > 0:
                t = p.get("tint", (1.0, 1.0, 1.0))
                w = s / (strength + s)
                tint = [a * (1 - w) + float(b) * w for a, b in zip(tint, t)]
                strength = min(0.6, strength + s)
            sat *= float(p.get("saturation", 1.0))
            con *= float(p.get("contrast", 1.0))
            bri *= float(p.get("brightness", 1.0))
    if strength > 0 or sat != 1.0 or con != 1.0 or bri != 1.0:
        out.grade = [round(x, 4) for x in (*tint, strength, sat, con, bri)]
    return out


def grade_color(color, grade) -> tuple[float, float, float]:
    """Colour-grade an RGB colour: tint by ``strength``, then saturation, contrast (about 0.5) and brightness.

    Args:
        color: RGB in [0, 1].
        grade: ``[tint r, g, b, strength, saturation, contrast, brightness]`` (see :func:`world_look`).
    """
    r, g, b = (float(c) for c in color)
    tr, tg, tb, s, sat, con, bri = (float(x) for x in grade)
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # tint: multiply towards the tint colour, keeping the luminance
    r, g, b = r * (1 - s + s * tr * 1.4), g * (1 - s + s * tg * 1.4), b * (1 - s + s * tb * 1.4)
    lum2 = 0.2126 * r + 0.7152 * g + 0.0722 * b
    if lum2 > 1e-6:
        k = (lum * (1 - s) + lum2 * s) / lum2
        r, g, b = r * k, g * k, b * k
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    r, g, b = (lum + (c - lum) * sat for c in (r, g, b))
    r, g, b = (0.5 + (c - 0.5) * con for c in (r, g, b))
    return tuple(round(min(1.0, max(0.0, c * bri)), 4) for c in (r, g, b))
