"""The sky a viewer sees where its rays miss: the environment's sky veiled by fog, a haze below the horizon.

One definition for everything that draws or compares a sky: the procedural painter's views
(``pipelines.views``), the sky dome made from the environment, and Marble's renderer, which draws
this sky itself behind the splats (``marble.render.render_world``) instead of an environment-only
sky dome, whose splats blur the horizon and the sun's glow (the dome is for viewers without a sky).
"""

from __future__ import annotations

import numpy as np

from marble.layout import Lighting
from marble.world import Environment

FOG_SKY_DISTANCE = 150.0
"""Metres of fog assumed between the camera and the sky when ``fog_density > 0``."""

NIGHT_SUN_ELEVATION = -0.05
"""Sun direction ``y`` at or below which the sun contributes no direct light (it has set)."""


def sun_vector(lighting: Lighting) -> np.ndarray:
    """``[3]`` float32 unit vector pointing towards the sun."""
    s = np.asarray(lighting.sun_direction, dtype=np.float32)
    n = float(np.linalg.norm(s))
    if not np.isfinite(n) or n < 1e-6:
        return np.array([0.0, 1.0, 0.0], dtype=np.float32)
    return s / n


def sun_strength(lighting: Lighting) -> float:
    """Direct-sun multiplier: ``sun_intensity`` fading to 0 as the sun sets below the horizon."""
    y = float(sun_vector(lighting)[1])
    fade = np.clip((y - NIGHT_SUN_ELEVATION) / 0.1, 0.0, 1.0)
    return float(max(lighting.sun_intensity, 0.0) * fade)


SKY_LOWER_BLEND = 0.12
"""Below the horizon the sky fades from the horizon's colour to the lit far ground over this much of
direction ``y`` (a haze band, not a flat colour edge)."""


def lower_sky_colors(environment: Environment, directions: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """``[N, 3]`` colours of directions below the horizon (``directions [N, 3]``, ``y < 0``).

    From ``horizon [N, 3]`` (the sky just above the horizon in the same azimuth) to the far ground
    as the scene's light shows it (ground colour x (ambient + sun)), over :data:`SKY_LOWER_BLEND`:
    what a far, hazy landscape looks like, dark at night, never a flat bright colour.
    """
    lt = environment.lighting
    ground = np.asarray(environment.ground_color, np.float64)
    light = np.asarray(lt.ambient_color, np.float64) * max(lt.ambient_intensity, 0.0)
    light = light + np.asarray(lt.sun_color, np.float64) * sun_strength(lt) * max(float(sun_vector(lt)[1]), 0.0)
    lit = np.clip(ground * light, 0.0, 1.0)
    if lt.fog_density > 0:  # far ground fades into the fog
        veil = 1.0 - np.exp(-float(lt.fog_density) * FOG_SKY_DISTANCE)
        lit = lit * (1 - veil) + np.asarray(lt.fog_color, np.float64) * veil
    t = np.clip(-np.asarray(directions, np.float64)[:, 1] / SKY_LOWER_BLEND, 0.0, 1.0)[:, None]
    return (np.asarray(horizon, np.float64) * (1 - t) + lit * t).astype(np.float32)


def sky_pixels(environment: Environment, directions: np.ndarray) -> np.ndarray:
    """Colour a view shows for rays that hit nothing.

    Args:
        environment: sky and lights.
        directions: ``[..., 3]`` unit world directions.
    Returns:
        ``[..., 3]`` float32 RGB in [0, 1]: ``environment.sky_color`` veiled by fog near the horizon;
        below the horizon (a gradient sky's flat ground colour would be an edge) the horizon's
        colour fading to the lit far ground (:func:`lower_sky_colors`).
    """
    d = np.asarray(directions, dtype=np.float32)
    out = _sky_above(environment, d)
    if environment.kind == "gradient":
        below = d[..., 1] < 0
        if below.any():
            db = d[below]
            hz = db.copy()
            hz[:, 1] = 0.0
            hz /= np.maximum(np.linalg.norm(hz, axis=1, keepdims=True), 1e-9)
            out[below] = np.clip(lower_sky_colors(environment, db, _sky_above(environment, hz)), 0.0, 1.0)
    return out


def _sky_above(environment: Environment, d: np.ndarray) -> np.ndarray:
    sky = environment.sky_color(d)
    lt = environment.lighting
    if lt.fog_density > 0:
        veil = 1.0 - np.exp(-float(lt.fog_density) * FOG_SKY_DISTANCE)
        horizon = (1.0 - np.clip(np.abs(d[..., 1:2]), 0.0, 1.0)) ** 2
        f = (veil * (0.35 + 0.65 * horizon)).astype(np.float32)
        sky = sky * (1 - f) + np.asarray(lt.fog_color, np.float32) * f
    return np.clip(sky, 0.0, 1.0).astype(np.float32)


ENVIRONMENT_SKY_KEY = "environment_sky"
"""``layer.meta`` key of a sky dome whose colours are :func:`sky_pixels` of the world's environment
and nothing else: a renderer that draws that sky itself may leave the dome out."""


def is_environment_sky(layer) -> bool:
    """Whether a layer is a sky dome made from the environment alone (see :data:`ENVIRONMENT_SKY_KEY`)."""
    return isinstance(layer.meta, dict) and bool(layer.meta.get(ENVIRONMENT_SKY_KEY))
