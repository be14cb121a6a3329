"""``marble eval WORLD``: how complete a world is from places a user can reach (held-out cameras)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from marble.frontends.cli.common import fail, handle_errors


@handle_errors
def eval_world(
    world: Path = typer.Argument(..., help="A .marble bundle (from `marble generate`) or any importable splat file."),
    eye: int = typer.Option(8, "--eye", help="Held-out eye-level cameras: random spots on the walkable ground, 1.6 m up (0..64)."),
    aerial: int = typer.Option(4, "--aerial", help="Held-out aerial cameras: 10 m up, 45 degrees down (indoors: under the ceiling) (0..64)."),
    width: int = typer.Option(256, "--width", help="Width of each held-out view in pixels."),
    height: int = typer.Option(160, "--height", help="Height of each held-out view in pixels."),
    seed: int = typer.Option(0, "--seed", help="Which random cameras (independent of the world's own seed)."),
    frames: Optional[Path] = typer.Option(None, "--frames", help="Write one PNG per camera here: ground truth | splats | holes (red), floaters (yellow)."),
    holes_only: bool = typer.Option(False, "--holes-only", help="Accept a world without a layout: report holes (no ground truth) and exit 0."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON (every camera's too)."),
) -> None:
    """Render held-out cameras and report holes, floaters and PSNR against the procedural ground truth.

    A hole is a pixel the ground truth covers with geometry where the splats reach under 0.5 alpha; a floater is splat stuff in front of the true surface (or where the truth sees only sky).

    Worlds made from a prompt or a blockout keep their layout, which gives the ground truth. A world without one (a photo world, an imported file) is checked for holes within a head-sized move (0.5 m sideways, 1 m forward and back) of its first camera: the figures are printed and, unless --holes-only, the command exits 2, as there is no ground truth to compare with.
    """
    from marble.api import evaluate

    w = _load(world)
    if w.num_splats == 0:
        fail(f"{world} is an empty world (no splats): generate or import one with splats to evaluate")
    rep = evaluate(w, eye=eye, aerial=aerial, width=width, height=height, seed=seed, frames_dir=frames)
    if as_json:
        typer.echo(json.dumps(rep.to_dict(), indent=2))
    else:
        typer.echo(rep.format())
        if frames is not None:
            typer.echo(f"frames in {frames.resolve()}")
    if not rep.ground_truth and not holes_only:
        fail(f"{world} has no layout, so there is no ground truth: hole figures only (pass --holes-only to accept that)")


def _load(path: Path):
    """A World from a ``.marble`` bundle or any importable splat/GLB file; one-line errors otherwise."""
    from marble.errors import FormatError, InputError

    if not path.exists():
        raise InputError(f"file not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a world file (world.marble)")
    if path.suffix.lower() == ".marble":
        from marble.world import World

        return World.load(path)
    from marble.api import import_file, import_formats

    name = path.name.lower()
    if not any(name.endswith(ext) for ext in import_formats()):
        raise FormatError(f"{path} is not a world file: give a .marble bundle or one of {', '.join(import_formats())}")
    return import_file(path)
