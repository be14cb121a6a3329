"""Lighting from a SceneSpec: sun by time of day, sky gradient, ambient, fog by weather."""

from __future__ import annotations

import math

from marble.errors import InputError
from marble.layout import Lighting, SceneSpec
from marble.vocab import TIMES_OF_DAY, WEATHER

# time of day -> (sun elevation deg, sun azimuth deg, sun colour, sun intensity, sky top, sky horizon,
#                 ambient colour, ambient intensity)
_TIME = {
    "dawn": (8.0, 75.0, (1.0, 0.72, 0.52), 0.75, (0.38, 0.48, 0.72), (0.98, 0.76, 0.62), (0.62, 0.6, 0.72), 0.42),
    "day": (55.0, 140.0, (1.0, 0.97, 0.92), 1.0, (0.30, 0.50, 0.86), (0.74, 0.84, 0.96), (0.56, 0.63, 0.76), 0.48),
    "sunset": (6.0, 250.0, (1.0, 0.58, 0.32), 0.8, (0.26, 0.30, 0.55), (0.98, 0.60, 0.36), (0.62, 0.5, 0.55), 0.38),
    "night": (35.0, 200.0, (0.55, 0.62, 0.85), 0.18, (0.02, 0.03, 0.08), (0.07, 0.09, 0.17), (0.18, 0.22, 0.35), 0.22),
}


def _unit(v):
    n = math.sqrt(sum(c * c for c in v))
    return tuple(c / n for c in v)


def _mix(a, b, t):
    return tuple(float(x + (y - x) * t) for x, y in zip(a, b))


def sun_direction(elevation_deg: float, azimuth_deg: float) -> tuple[float, float, float]:
    """Unit vector towards the sun; azimuth 0 = +Z, 90 = +X; elevation above the horizon."""
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    return _unit((math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)))


def lighting_for(spec: SceneSpec) -> Lighting:
    """Sun, sky, ambient light and fog for a scene.

    The sun's elevation and colour follow ``spec.time_of_day`` (low and warm at dawn/sunset,
    high and white at day, a dim blue moon at night); ``spec.weather`` dims the sun and adds fog
    (fog, rain, snow, overcast). Indoor scenes get a warmer, stronger ambient term (lamps) and no fog.

    Raises:
        InputError: unknown ``time_of_day`` or ``weather``.
    """
    tod = spec.time_of_day
    if tod not in _TIME:
        raise InputError(f"`time_of_day` must be one of {', '.join(TIMES_OF_DAY)}, got {tod!r}")
    if spec.weather not in WEATHER:
        raise InputError(f"`weather` must be one of {', '.join(WEATHER)}, got {spec.weather!r}")
    el, az, sun_col, sun_int, top, hor, amb, amb_int = _TIME[tod]
    fog_col = _mix(hor, (0.8, 0.82, 0.85), 0.5)
    fog = 0.0
    w = spec.weather
    grey = (0.62, 0.64, 0.67) if tod != "night" else (0.08, 0.09, 0.12)
    if w == "fog":
        fog, sun_int, amb_int = 0.06, sun_int * 0.45, amb_int * 1.2
        top, hor = _mix(top, grey, 0.7), _mix(hor, grey, 0.7)
        fog_col = _mix(hor, (0.85, 0.86, 0.88) if tod != "night" else grey, 0.5)
    elif w in ("rain", "overcast"):
        fog = 0.02 if w == "rain" else 0.008
        sun_int, amb_int = sun_int * (0.35 if w == "rain" else 0.5), amb_int * 1.25
        top, hor = _mix(top, grey, 0.75), _mix(hor, grey, 0.6)
        sun_col = _mix(sun_col, (0.9, 0.92, 0.95), 0.5)
        fog_col = _mix(hor, grey, 0.5)
    elif w == "snow":
        fog, sun_int, amb_int = 0.015, sun_int * 0.7, amb_int * 1.3
        top, hor = _mix(top, (0.75, 0.8, 0.88), 0.45), _mix(hor, (0.9, 0.92, 0.95), 0.5)
        amb = _mix(amb, (0.75, 0.8, 0.92), 0.5)
        fog_col = _mix(hor, (0.92, 0.94, 0.97), 0.6)
    if spec.indoor:
        amb = _mix(amb, (1.0, 0.88, 0.72), 0.5)
        amb_int = max(amb_int, 0.55) if tod != "night" else 0.5
        fog = 0.0
    # The place's and the looks' lighting (cyberpunk magenta haze, a dark mood, underwater blue).
    from marble.vocab import ARCHETYPES

    from pipelines.procedural.styles import world_look

    arch = ARCHETYPES.get(spec.archetype)
    changes = dict(arch.lighting) if arch is not None else {}
    for k, v in world_look(spec).lighting.items():
        changes[k] = changes.get(k, 1.0) * v if k.endswith("_mul") else v
    sun_int *= float(changes.get("sun_mul", 1.0))
    amb_int *= float(changes.get("ambient_mul", 1.0))
    if "sun_tint" in changes:
        sun_col = _mix(sun_col, tuple(changes["sun_tint"]), 0.6)
    if "ambient_tint" in changes:
        amb = _mix(amb, tuple(changes["ambient_tint"]), 0.6)
    if "sky_top" in changes:
        top = _mix(top, tuple(changes["sky_top"]), 0.7)
    if "sky_horizon" in changes:
        hor = _mix(hor, tuple(changes["sky_horizon"]), 0.7)
    if "sky_mul" in changes:
        k = float(changes["sky_mul"])
        top, hor = tuple(c * k for c in top), tuple(c * k for c in hor)
    if "fog" in changes and not spec.indoor:
        fog = max(fog, float(changes["fog"]))
        if "fog_tint" in changes:
            fog_col = _mix(fog_col, tuple(changes["fog_tint"]), 0.7)
    if changes.get("lamps_on") and sun_int >= 0.28:
        sun_int = 0.27  # dim enough that lamps, torches and signs light up
    return Lighting(
        sun_direction=sun_direction(el, az),
        sun_color=tuple(float(c) for c in sun_col),
        sun_intensity=float(sun_int),
        ambient_color=tuple(float(c) for c in amb),
        ambient_intensity=float(amb_int),
        sky_top=tuple(float(c) for c in top),
        sky_horizon=tuple(float(c) for c in hor),
        fog_color=tuple(float(c) for c in fog_col),
        fog_density=float(fog),
    )
