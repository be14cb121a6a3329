"""``marble info WORLD``: what a .marble bundle (or a splat/GLB file) holds."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from marble.frontends.cli.common import handle_errors


@handle_errors
def info(
    world: Path = typer.Argument(..., help="A .marble bundle written by `marble generate`, or a .ply/.compressed.ply/"
                                           ".splat/.spz/.glb file."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table."),
) -> None:
    """Show a world's layers (label, splats, triangles), size in metres and provenance."""
    from marble.api import import_file
    from marble.world import World

    w = World.load(world) if world.name.lower().endswith(".marble") else import_file(world)
    stats = w.stats()
    rows = [
        {"name": layer.name, "label": layer.label, "splats": layer.num_splats, "triangles": layer.num_triangles,
         "visible": layer.visible}
        for layer in w.layers
    ]
    if as_json:
        typer.echo(json.dumps({"stats": stats, "layers": rows, "provenance": w.provenance.__dict__}, indent=2, default=str))
        return
    typer.echo(f"{world}: {stats['layers']} layers, {stats['splats']:,} splats, {stats['triangles']:,} triangles, "
               f"size {stats['size_m'][0]} x {stats['size_m'][1]} x {stats['size_m'][2]} m")
    width = max([len(r["name"]) for r in rows] + [5])
    for r in rows:
        hidden = "" if r["visible"] else "  (hidden)"
        typer.echo(f"  {r['name']:<{width}}  {r['label']:<14} {r['splats']:>10,} splats {r['triangles']:>9,} tris{hidden}")
    p = w.provenance
    if p.prompt is not None:
        typer.echo(f"prompt: {p.prompt!r}  seed: {p.seed}  preset: {p.preset}")
    if p.stages:
        typer.echo("stages: " + ", ".join(f"{k}={v}" for k, v in p.stages.items()))
