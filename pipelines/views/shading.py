"""The procedural painter's light model: sun, hemispherical ambient, shadows, fog and sky.

Everything here is plain vectorised numpy over flat arrays of hits (``[N, 3]``), so a 512x320 view
shades in a few tens of milliseconds. Output is linear-ish RGB clipped to ``[0, 1]``.

The sky a view shows where rays miss is :func:`sky_pixels`; fusion's fidelity check composites the
same function behind the re-rendered splats, so both sides of the comparison agree.
"""

from __future__ import annotations

import numpy as np

from marble.layout import Layout, Lighting
from marble.sky import (  # noqa: F401  (the sky lives in the core; the painter re-exports it)
    FOG_SKY_DISTANCE,
    NIGHT_SUN_ELEVATION,
    SKY_LOWER_BLEND,
    lower_sky_colors,
    sky_pixels,
    sun_strength,
    sun_vector,
)
from marble.world import Environment

def environment_for(layout: Layout) -> Environment:
    """The ``Environment`` (sky + lights) the views of ``layout`` are shaded with.

    The ground colour follows the layout's ground colour, else its ground material's base colour,
    so the sky below the horizon matches what the pipeline stores in the World.
    """
    from marble.vocab import MATERIALS

    env = layout.environment
    if env.ground_color is not None:
        ground = tuple(float(c) for c in env.ground_color)
    else:
        mat = MATERIALS.get(env.ground_material)
        ground = tuple(mat.color) if mat is not None else (0.35, 0.33, 0.3)
    return Environment(lighting=env.lighting, ground_color=ground)


LAMPS: dict[str, tuple[float, tuple[float, float, float], float]] = {
    # label -> (height of the light as a fraction of the object's height, colour, intensity)
    "street_lamp": (0.93, (1.0, 0.8, 0.5), 7.0),
    "lamp": (0.9, (1.0, 0.78, 0.48), 2.0),
    "campfire": (0.6, (1.0, 0.55, 0.22), 5.0),
    "fireplace": (0.35, (1.0, 0.55, 0.22), 3.0),
}
"""Objects that light their surroundings when the sun is weak (dusk and night)."""

LAMPS_BELOW_SUN = 0.3
"""Lamps switch on when the direct-sun strength is below this."""


def lamp_lights(layout: Layout) -> np.ndarray:
    """Point lights of a layout's lamps, fires and street lights, when it is dark enough for them.

    Returns:
        ``[K, 7]`` float32 rows ``(x, y, z, r, g, b, intensity)``; ``K = 0`` in daylight.
    """
    if sun_strength(layout.environment.lighting) >= LAMPS_BELOW_SUN:
        return np.zeros((0, 7), np.float32)
    rows = []
    for o in layout.objects:
        spec = LAMPS.get(o.label)
        light = (o.params or {}).get("light")  # lights the vocabulary declares (torches, neon signs)
        if light is not None and len(light) == 5:
            spec = (float(light[0]), tuple(float(c) for c in light[1:4]), float(light[4]))
        if spec is None:
            continue
        frac, color, power = spec
        x, y, z = o.position
        rows.append([x, y + frac * o.size[1], z, *color, power])
    return np.asarray(rows, np.float32).reshape(-1, 7)


def shade(
    albedo: np.ndarray,  # [N, 3]
    normals: np.ndarray,  # [N, 3]
    distances: np.ndarray,  # [N]
    *,
    lighting: Lighting,
    sun_visible: np.ndarray | None = None,  # [N]
    occlusion: np.ndarray | None = None,  # [N]
    ground_color: tuple[float, float, float] = (0.35, 0.33, 0.3),
    points: np.ndarray | None = None,  # [N, 3]
    lamps: np.ndarray | None = None,  # [K, 7]
) -> np.ndarray:
    """Shade surface hits: Lambert sun with shadows, hemispherical ambient, exponential fog.

    Args:
        albedo: ``[N, 3]`` surface colours in [0, 1].
        normals: ``[N, 3]`` unit world normals facing the viewer.
        distances: ``[N]`` metres from the camera to each hit (for fog).
        lighting: sun, ambient and fog settings.
        sun_visible: ``[N]`` 1 where the sun is not blocked (shadow rays), ``None`` for no shadows.
        occlusion: ``[N]`` ambient visibility in [0, 1] (1 = open), or ``None``.
        ground_color: colour bounced from below (tints ambient light on downward faces).
        points: ``[N, 3]`` world positions of the hits (needed for ``lamps``).
        lamps: ``[K, 7]`` point lights ``(x, y, z, r, g, b, intensity)`` with ``1 / (1 + d^2)`` falloff
            (see :func:`lamp_lights`); no shadows.
    Returns:
        ``[N, 3]`` float32 RGB in [0, 1].
    """
    albedo = np.asarray(albedo, np.float32)
    n = np.asarray(normals, np.float32)
    s = sun_vector(lighting)
    lambert = np.clip(n @ s, 0.0, None)
    if sun_visible is not None:
        lambert = lambert * np.asarray(sun_visible, np.float32)
    sun = lambert[:, None] * (np.asarray(lighting.sun_color, np.float32) * np.float32(sun_strength(lighting)))

    up = 0.5 + 0.5 * n[:, 1:2]  # 1 facing the sky, 0 facing the ground
    sky_amb = np.asarray(lighting.ambient_color, np.float32)
    ground_amb = np.asarray(ground_color, np.float32) * np.float32(0.6) + sky_amb * np.float32(0.15)
    ambient = (sky_amb * up + ground_amb * (1 - up)) * np.float32(max(lighting.ambient_intensity, 0.0))
    if occlusion is not None:
        ambient = ambient * np.asarray(occlusion, np.float32)[:, None]

    light = sun + ambient
    if lamps is not None and len(lamps) and points is not None:
        p = np.asarray(points, np.float32)
        for lamp in np.asarray(lamps, np.float32):
            to_lamp = lamp[:3] - p
            d2 = np.sum(to_lamp * to_lamp, axis=1)
            facing = np.clip(np.sum(n * to_lamp, axis=1) / np.sqrt(np.maximum(d2, 1e-12)), 0.0, None)
            light = light + (facing * lamp[6] / (1.0 + d2))[:, None] * lamp[3:6]
    rgb = albedo * light
    if lighting.fog_density > 0:
        t = np.exp(-float(lighting.fog_density) * np.asarray(distances, np.float32))[:, None].astype(np.float32)
        rgb = rgb * t + np.asarray(lighting.fog_color, np.float32) * (1 - t)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)
