"""``marble render WORLD``: preview videos along a camera path and 360-degree panoramas."""

from __future__ import annotations

from pathlib import Path

import typer

from marble.frontends.cli.common import fail, handle_errors, parse_csv


def _parse_eye(text: str | None):
    if text is None:
        return None
    parts = parse_csv(text)
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        vals = []
    if len(vals) != 3:
        fail(f"`--eye` must be three numbers x,y,z (metres), got {text!r}")
    return vals


@handle_errors
def render(
    world: Path = typer.Argument(..., help="A .marble bundle written by `marble generate`."),
    camera: str = typer.Option("orbit", "--camera", "-c", help="Camera path: orbit, ring or walk (fitted to the world)."),
    frames: int = typer.Option(48, "--frames", "-n", help="Number of video frames."),
    out: Path = typer.Option(None, "--out", "-o", help="Video to write: .mp4 (H.264), .webm, .mov, .mkv or .gif."),
    panorama: Path = typer.Option(None, "--panorama", help="Also/instead write an equirectangular 360 PNG (2:1)."),
    width: int = typer.Option(480, "--width", help="Video width in pixels (rounded up to even)."),
    height: int = typer.Option(320, "--height", help="Video height in pixels (rounded up to even)."),
    fps: int = typer.Option(24, "--fps", help="Video frames per second."),
    eye: str = typer.Option(None, "--eye", help="Eye point x,y,z for --panorama and --camera ring (default: scene centre at 1.6 m)."),
    panorama_height: int = typer.Option(512, "--panorama-height", help="Panorama height in pixels (width is 2x)."),
    layers: str = typer.Option(None, "--layers", help="Comma-separated layer names to render (default: all visible)."),
    no_sky: bool = typer.Option(False, "--no-sky", help="Black background instead of the world's sky."),
) -> None:
    """Render a world: a video along a camera path (--out) and/or a 360 panorama (--panorama).

    Examples:
      marble render world.marble --camera orbit --frames 48 --out orbit.mp4
      marble render world.marble --panorama pano.png --eye 0,1.6,0
    """
    from marble.api import camera_path
    from marble.progress import tqdm_progress
    from marble.render.panorama import render_panorama
    from marble.render.paths import default_eye
    from marble.render.video import (
        IMAGE_EXTENSIONS,
        VIDEO_EXTENSIONS,
        even_size,
        render_frames,
        write_image,
        write_video,
    )
    from marble.world import World

    if out is None and panorama is None:
        fail("nothing to write: give `--out video.mp4` and/or `--panorama pano.png`")
    if out is not None and out.suffix.lower() not in VIDEO_EXTENSIONS:
        fail(f"`--out` must end in one of {', '.join(VIDEO_EXTENSIONS)}, got {out.name!r}")
    if panorama is not None and panorama.suffix.lower() not in IMAGE_EXTENSIONS:
        fail(f"`--panorama` must end in .png or .jpg, got {panorama.name!r}")
    eye_pt = _parse_eye(eye)
    layer_names = parse_csv(layers) or None
    w = World.load(world)
    if w.num_splats == 0:
        fail(f"`{world}` has no splats to render")
    if layer_names:
        for name in layer_names:
            w.layer(name)  # one-line error listing the layers there are
    progress = tqdm_progress()
    sky = not no_sky
    if out is not None:
        cams = camera_path(w, camera, frames=frames, width=even_size(width, "width"), height=even_size(height, "height"),
                           eye=eye_pt)
        write_video(render_frames(w, cams, sky=sky, layers=layer_names, progress=progress), out, fps=fps)
        typer.echo(f"wrote {out} ({frames} frames, {cams[0].width}x{cams[0].height}, {camera})")
    if panorama is not None:
        if eye_pt is None:
            eye_pt = [float(v) for v in default_eye(w)]
        pano = render_panorama(w, eye_pt, height=panorama_height, sky=sky, layers=layer_names, progress=progress)
        write_image(pano, panorama)
        typer.echo(f"wrote {panorama} ({pano.shape[1]}x{pano.shape[0]} equirectangular, eye {eye_pt})")
