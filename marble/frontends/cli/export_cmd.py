"""``marble export WORLD OUT.ext``: write a world (or convert a splat/GLB file) to any supported format."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from marble.frontends.cli.common import (
    format_names,
    handle_errors,
    parse_csv,
    profile_names,
)


@handle_errors
def export(
    world: Path = typer.Argument(..., help="A .marble bundle, or a .ply/.compressed.ply/.splat/.spz/.glb file to convert."),
    out: Path = typer.Argument(..., help=f"Output file; its extension picks the format ({format_names()})."),
    profile: Optional[str] = typer.Option(None, "--profile", help=f"Target budget: {profile_names()}."),
    layers: Optional[str] = typer.Option(None, "--layers", help="Comma-separated layer names (default: all visible)."),
    no_splats: bool = typer.Option(False, "--no-splats", help="Leave splats out (GLB/USD: meshes only)."),
    no_meshes: bool = typer.Option(False, "--no-meshes", help="Leave meshes out."),
    bake_textures: Optional[bool] = typer.Option(None, "--bake-textures/--vertex-colors",
                                                 help="Bake vertex colours into UV-atlas textures (default: per profile)."),
    texture_size: int = typer.Option(1024, "--texture-size", help="Baked texture side in pixels (capped by the profile)."),
    sh_degree: Optional[int] = typer.Option(None, "--sh-degree", help="Highest SH degree written (0-3)."),
    no_prune: bool = typer.Option(False, "--no-prune", help="Fail instead of pruning/decimating to the profile budget."),
    no_collider: bool = typer.Option(False, "--no-collider", help="Do not write the profile's collider GLB."),
    spz_version: Optional[int] = typer.Option(
        None, "--spz-version", help="SPZ container: 4 (zstd, the default) or 3 (gzip; for Spark 2.2 and other v3 readers)."),
) -> None:
    """Export WORLD to OUT; prints the files written, one per line."""
    from marble.api import export as do_export
    from marble.api import import_file
    from marble.world import World

    if world.name.lower().endswith(".marble"):
        w = World.load(world)
    else:
        w = import_file(world)
    options = dict(
        profile=profile, layers=parse_csv(layers) or None, splats=not no_splats, meshes=not no_meshes,
        bake_textures=bake_textures, texture_size=texture_size, sh_degree=sh_degree, prune=not no_prune,
    )
    if no_collider:
        options["collider"] = False
    if spz_version is not None:
        options["spz_version"] = spz_version
    for f in do_export(w, out, **options):
        typer.echo(str(f))
