"""VR and target profiles as data: the budgets a headset or viewer can take.

Sources for the numbers (checked 2025-2026; they are guidance, not hard platform limits):
- Quest 3: Meta's Horizon/Quest performance guidance for standalone VR (draw about 750k-1M
  triangles per frame, 2048 px textures to stay within mobile GPU memory) and the splat
  counts that web/Quest splat viewers (Spark, PlayCanvas) render at 72 Hz (about 1M).
  Physics colliders in Unity/Unreal stay well under the visual mesh (100k-200k triangles).
- Vision Pro: Apple's RealityKit / AR Quick Look guidance for USDZ assets (keep scenes to a
  few hundred thousand triangles: at most 500k), and about 750k splats for visionOS viewers.
- Web: PlayCanvas SuperSplat / Spark guidance for desktop browsers (about 2.5M splats).
- Desktop: no cap (native viewers stream many millions).

How a profile's budget is met is :mod:`exporters.profiles`' job; this module is only the table, cheap
to import (the CLI's help and the editor's menus read the names from it).
"""

from __future__ import annotations

from dataclasses import dataclass

from marble.errors import InputError


@dataclass(frozen=True)
class Profile:
    """A target's budget.

    Attributes:
        name: profile name.
        max_splats: most splats (``None``: no cap).
        max_triangles: most triangles of the visual meshes (``None``: no cap).
        collider_min_triangles, collider_max_triangles: triangle range of the collider GLB
            (``None``: no collider). A world with fewer triangles than the minimum keeps them all.
        max_texture_size: largest texture side in pixels (``None``: no cap).
        bake_textures: bake vertex colours into textures by default (xatlas charting costs tens of
            seconds per 100k triangles, so only where the target needs textures: ARKit USDZ).
        preferred_extension: the format the target reads best.
        usdz_arkit: USDZ must follow ARKit's rules (AR Quick Look).
        spz_version: the SPZ container the target reads (``web``: 3, which Spark 2.2 and Babylon read;
            ``None``: the default, 4).
    """

    name: str
    max_splats: int | None = None
    max_triangles: int | None = None
    collider_min_triangles: int | None = None
    collider_max_triangles: int | None = None
    max_texture_size: int | None = None
    bake_textures: bool = False
    preferred_extension: str = ".glb"
    usdz_arkit: bool = False
    spz_version: int | None = None


PROFILES: dict[str, Profile] = {
    "quest3": Profile("quest3", max_splats=1_000_000, max_triangles=750_000, collider_min_triangles=100_000,
                      collider_max_triangles=200_000, max_texture_size=2048, bake_textures=False,
                      preferred_extension=".glb"),
    "visionpro": Profile("visionpro", max_splats=750_000, max_triangles=500_000, max_texture_size=2048,
                         bake_textures=True, preferred_extension=".usdz", usdz_arkit=True),
    "web": Profile("web", max_splats=2_500_000, preferred_extension=".spz", spz_version=3),
    "desktop": Profile("desktop", preferred_extension=".ply"),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; ``InputError`` lists the valid names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(f"unknown `profile` {name!r}; choose one of {sorted(PROFILES)}") from None
