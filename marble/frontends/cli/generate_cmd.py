"""``marble generate``: a prompt, an image, photos, a video, a panorama or a layout in; a world and its files out."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from marble.frontends.cli.common import (
    format_names,
    handle_errors,
    parse_csv,
    preset_names,
    profile_names,
)

DEFAULT_PROMPT_HELP = 'e.g. "a cabin in a snowy pine forest at sunset"'


@handle_errors
def generate(
    prompt: Optional[str] = typer.Argument(None, help=f"What to make, {DEFAULT_PROMPT_HELP}. Optional with an input (--image, --images, --video, --panorama, --layout)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed: the same prompt, seed and preset give the same world."),
    preset: str = typer.Option("standard", "--preset", "-p", help=f"Quality preset: {preset_names()} (draft takes seconds)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder [default: marble-out/<prompt>-s<seed>]."),
    formats: str = typer.Option("ply,glb", "--format", "-f", help=f"Comma-separated export formats: {format_names(worlds_only=True)}."),
    profile: Optional[str] = typer.Option(None, "--profile", help=f"Apply a target's budgets to the exports: {profile_names()}."),
    previews: bool = typer.Option(True, "--previews/--no-previews", help="Render preview PNGs."),
    orbit_video: bool = typer.Option(False, "--orbit-video", help="Also render a short orbit video (orbit.mp4)."),
    image: Optional[Path] = typer.Option(None, "--image", help="Lift this photo into a world (image-to-world)."),
    images: Optional[List[Path]] = typer.Option(None, "--images", help="Several overlapping photos of one place: a folder, or repeat --images per file. Cameras are recovered with COLMAP (structure from motion) and splats fitted to the photos."),
    video_in: Optional[Path] = typer.Option(None, "--video", help="A video walking or orbiting through one place (up to 120 s): sharp, evenly spaced frames become the photos."),
    panorama: Optional[Path] = typer.Option(None, "--panorama", help="A 2:1 equirectangular 360 panorama: one world seen all round from its centre."),
    camera_height: Optional[float] = typer.Option(None, "--camera-height", metavar="METRES", help="How high the camera was held above the ground; sets the scale of --images, --video and --panorama worlds [default: 1.6]."),
    max_frames: Optional[int] = typer.Option(None, "--max-frames", help="Frames sampled from --video [default: draft 24, standard 40, high 80]."),
    layout: Optional[Path] = typer.Option(None, "--layout", help="Build from a layout JSON (a blockout from the editor)."),
    model: Optional[str] = typer.Option(None, "--model", help="Text-to-image checkpoint (hub id or folder)."),
    depth_model: Optional[str] = typer.Option(None, "--depth-model", help="Depth model (hub id or folder)."),
    controlnet: Optional[str] = typer.Option(None, "--controlnet", help="Depth ControlNet to paint the layout (hub id or folder)."),
    inpaint_model: Optional[str] = typer.Option(None, "--inpaint-model", help="Inpainting checkpoint (hub id or folder)."),
    mode: str = typer.Option("auto", "--mode", help="Learned text-to-world mode: auto, image (text->image->lift) or controlnet."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda[:N]."),
    dtype: str = typer.Option("auto", "--dtype", help="auto (fp16 on CUDA, fp32 on CPU), fp32, fp16, bf16."),
    steps: Optional[int] = typer.Option(None, "--steps", help="Diffusion inference steps [default: per checkpoint]."),
    guidance: Optional[float] = typer.Option(None, "--guidance", help="Classifier-free guidance scale [default: per checkpoint]."),
    trajectory: str = typer.Option("ring", "--trajectory", help="Image-to-world camera path: ring (360 degrees on the spot) or walk (forward)."),
    views: Optional[int] = typer.Option(None, "--views", help="Image-to-world views including the photo [default: per preset]."),
    fallback: bool = typer.Option(True, "--fallback/--no-fallback", help="Use the embedded default when a model is missing (else exit 2)."),
    measure_fidelity: bool = typer.Option(False, "--measure-fidelity", help="Re-render the splats at the source views and record PSNR."),
    refine: Optional[int] = typer.Option(None, "--refine", metavar="STEPS", help="Optimise the splats against the generated views for STEPS steps (L1 + D-SSIM, Adam) [default: the preset's steps on a CUDA GPU (high: 300), none on CPU, where a draft world takes ~0.25 s a step]."),
    evaluate: bool = typer.Option(True, "--eval/--no-eval", help="Check the world at 6 held-out cameras (random eye-level spots, aerial views) and record holes, floaters and PSNR in manifest.json (a few seconds; `marble eval` does more)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Generate a 3D world (Gaussian splats + meshes) and write world.marble, exports, previews and manifest.json.

    With no weights the embedded default runs: procedural layout and materials from the prompt, views ray cast on the CPU, fused into splats. Models (--model, --controlnet, --depth-model, --inpaint-model) switch to diffusion.
    """
    from marble.frontends.outputs import check_formats, write_outputs
    from marble.io import sanitize_name
    from marble.layout import load_layout
    from marble.options import GenerateOptions
    from marble.progress import tqdm_progress
    from pipelines import generate_world
    from pipelines.diffusion.config import ModelConfig

    # Check every input before any work, so bad input leaves nothing behind.
    options = GenerateOptions.create(preset=preset, seed=seed, refine_steps=refine, measure_fidelity=measure_fidelity,
                                     device=device, names={"refine_steps": "--refine"})
    fmt_list = check_formats(parse_csv(formats))
    if profile is not None:
        from marble.api import check_profile

        check_profile(profile)
    if prompt is not None:
        from marble.text import validate_prompt

        prompt = validate_prompt(prompt)
    from marble.frontends.capture_inputs import check_capture_inputs

    images = list(images) if images else None
    capture_stem = check_capture_inputs(images=images, video=video_in, panorama=panorama, image=image, layout=layout,
                                        camera_height=camera_height, max_frames=max_frames)
    if prompt is None and image is None and layout is None and capture_stem is None:
        from marble.errors import InputError

        raise InputError(f"give a prompt ({DEFAULT_PROMPT_HELP}), --image PHOTO, --images FOLDER, --video FILE, "
                         "--panorama FILE or --layout FILE")
    layout_obj = load_layout(layout) if layout is not None else None
    if image is not None:
        from marble.images import load_image

        load_image(image)  # validates now; the pipeline loads it again
    if out is None:
        stem = prompt or capture_stem or (image.stem if image is not None else layout.stem)
        out = Path("marble-out") / f"{sanitize_name(stem, fallback='world', max_length=48)}-s{seed}"
    _check_out_dir(out)
    models = ModelConfig(model=model, depth_model=depth_model, controlnet=controlnet, inpaint_model=inpaint_model,
                         mode=mode, dtype=dtype, steps=steps, guidance=guidance, fallback=fallback,
                         trajectory=trajectory, num_views=views)

    progress = None if quiet else tqdm_progress(disable=False)
    t0 = time.perf_counter()
    world = generate_world(prompt, image=image, layout=layout_obj, images=images, video=video_in, panorama=panorama,
                           camera_height=camera_height, max_frames=max_frames, options=options, models=models,
                           progress=progress)
    t_gen = time.perf_counter() - t0
    manifest = write_outputs(world, out, formats=fmt_list, previews=previews, video=orbit_video, profile=profile,
                             preset=options.preset, progress=progress, evaluate=evaluate)
    t_all = time.perf_counter() - t0
    typer.echo(
        f"Generated {world.num_splats:,} splats and {world.num_triangles:,} triangles in {len(world.layers)} layers "
        f"({t_gen:.1f} s, {t_all:.1f} s with files)."
    )
    _print_report(world)
    _print_capture(world)
    for text in (world.provenance.inputs or {}).get("warnings", []):
        typer.echo(f"warning: {text}", err=True)
    metrics = world.provenance.metrics or {}
    if "refine_psnr_after_db" in metrics:
        typer.echo(f"Refinement: {metrics['refine_psnr_before_db']:.1f} -> {metrics['refine_psnr_after_db']:.1f} dB "
                   f"mean PSNR at the source views (fitting resolution).")
    psnr = metrics.get("fusion_psnr")
    if psnr:
        typer.echo(f"Fusion fidelity: {psnr['mean']:.1f} dB mean PSNR at the {len(psnr.get('per_view', []))} source views "
                   f"(worst {psnr['min']:.1f} dB).")
    figures = manifest.get("eval")
    if figures:
        typer.echo("Held-out cameras: " + _eval_line(figures))
    typer.echo(f"Files in {out.resolve()}:")
    for f in manifest["files"]:
        typer.echo(f"  {f['path']:<24} {f['bytes'] / 1e6:8.2f} MB")
    typer.echo(f"  {'manifest.json':<24}")
    sys.stdout.flush()


def _print_report(world) -> None:
    """What the prompt asked for and what became of it: built, approximated (with similarity), not built (why)."""
    report = world.provenance.report or {}
    if not report:
        return
    from marble.text import describe_report

    typer.echo("What the prompt asked for:")
    for line in describe_report(report).splitlines():
        typer.echo(f"  {line}")


def _print_capture(world) -> None:
    """How many photos were placed and how well (captures only)."""
    m = world.provenance.metrics or {}
    if "registered" not in m:
        return
    typer.echo(f"Cameras: {m['registered']} of {m['photos']} photos registered, mean reprojection error "
               f"{m['reprojection_error_px']:.2f} px; {m['sparse_points']:,} sparse points; scale "
               f"{m['camera_height_m']:.2f} m camera height.")
    if "fit_psnr_after_db" in m:
        typer.echo(f"Fitting: {m['fit_psnr_before_db']:.1f} -> {m['fit_psnr_after_db']:.1f} dB mean PSNR at the photos "
                   "(fitting resolution).")


def _eval_line(figures: dict) -> str:
    """``eye level: 0.1% holes, 29.4 dB; aerial: 0.0% holes`` from the manifest's ``eval`` figures."""
    parts = []
    for kind, name in (("eye", "eye level"), ("aerial", "aerial"), ("head", "head moves")):
        g = figures.get(kind)
        if not g:
            continue
        s = f"{name}: {100 * g['holes_mean']:.1f}% holes (worst {100 * g['holes_max']:.1f}%)"
        if "psnr_mean" in g:
            s += f", {g['psnr_mean']:.1f} dB"
        parts.append(s)
    return "; ".join(parts)


def _check_out_dir(out: Path) -> None:
    """Refuse an output path that is a file or a folder that cannot be written, leaving nothing behind.

    Creates the missing folders and a probe file to test for real (root passes ``os.access`` checks on
    read-only or virtual file systems), then removes whatever it created.
    """
    import tempfile

    from marble.errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(f"output path {str(out)!r} is a file, not a folder: choose a folder with --out")
    missing = []
    probe = out
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise InputError(f"output folder {str(out)!r} is not writable ({exc.strerror}): choose another --out") from None
    finally:
        for folder in missing:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
