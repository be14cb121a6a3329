"""Quality presets: how many views, how big, how many splats. Data, not scattered constants."""

from __future__ import annotations

from dataclasses import dataclass, replace

from marble.errors import InputError


@dataclass(frozen=True)
class Preset:
    """Knobs that trade time for quality. Every stage reads what it needs from here.

    Attributes:
        name: "draft" | "standard" | "high".
        view_width, view_height: size of each generated view in pixels.
        fov_y_deg: vertical field of view of the generation rig.
        ring_views: cameras on the 360 ring(s) (outdoor) or per room position (indoor).
        walk_views: cameras along the walk-through path (outdoor).
        voxel_size: fusion merge grid, metres (smaller = more splats).
        max_splats: hard cap on splats after fusion (importance-pruned above it).
        sky_splats: splats on the sky dome.
        sh_degree: spherical-harmonic degree of fused splats.
        refine_steps: refinement steps (0 = off) when refinement runs.
        preview_width, preview_height: size of preview PNGs.
        num_previews: preview images written by ``generate``.
        mesh_subdivisions: detail level of procedural geometry (0 coarse .. 2 fine).
        mesh_faces_object: most faces of one object's baked mesh (colour detail lives on vertices).
        mesh_faces_environment: most faces of the ground / floor / walls baked meshes.
        num_cpus, num_gpus: resource request per job for batch schedulers (Ray).
    """

    name: str
    view_width: int
    view_height: int
    fov_y_deg: float
    ring_views: int
    walk_views: int
    voxel_size: float
    max_splats: int
    sky_splats: int
    sh_degree: int = 0
    refine_steps: int = 0
    preview_width: int = 640
    preview_height: int = 400
    num_previews: int = 4
    mesh_subdivisions: int = 1
    mesh_faces_object: int = 12_000
    mesh_faces_environment: int = 120_000
    num_cpus: float = 1.0
    num_gpus: float = 0.0


PRESETS: dict[str, Preset] = {
    "draft": Preset(
        name="draft", view_width=256, view_height=160, fov_y_deg=70.0, ring_views=6, walk_views=2,
        voxel_size=0.06, max_splats=120_000, sky_splats=3_000, preview_width=480, preview_height=300,
        num_previews=3, mesh_subdivisions=0, mesh_faces_object=3_000, mesh_faces_environment=30_000,
    ),
    "standard": Preset(
        name="standard", view_width=512, view_height=320, fov_y_deg=70.0, ring_views=10, walk_views=4,
        voxel_size=0.025, max_splats=1_000_000, sky_splats=12_000, mesh_subdivisions=1,
    ),
    "high": Preset(
        name="high", view_width=960, view_height=600, fov_y_deg=70.0, ring_views=16, walk_views=8,
        voxel_size=0.012, max_splats=3_000_000, sky_splats=30_000, preview_width=1280, preview_height=800,
        num_previews=6, mesh_subdivisions=2, refine_steps=300, num_cpus=2.0,
        mesh_faces_object=40_000, mesh_faces_environment=400_000,
    ),
}


def get_preset(name: str | Preset, **overrides) -> Preset:
    """Look up a preset by name (optionally overriding fields).

    Raises:
        InputError: unknown preset name.
    """
    if isinstance(name, Preset):
        preset = name
    else:
        key = str(name).strip().lower()
        if key not in PRESETS:
            raise InputError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
        preset = PRESETS[key]
    return replace(preset, **overrides) if overrides else preset
