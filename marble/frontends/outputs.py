"""Write a generated world to a folder: the bundle, exports, previews and a manifest.

Used by ``marble generate``, the batch runner and the app, so every entry point writes the same
files the same way. Every file is written atomically; ``manifest.json`` is written last and lists
every other file with its size and sha256, so a folder with a valid manifest is complete.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from marble.errors import InputError
from marble.io import (
    FolderLock, atomic_path, commit_staged, ensure_output_dir, remove_stale_temp_files, sha256_file, staging_folder,
    write_text_atomic,
)
from marble.progress import ProgressFn, report
from marble.world import World

DEFAULT_FORMATS = ("ply", "glb")
MANIFEST_NAME = "manifest.json"
BUNDLE_NAME = "world.marble"
MANIFEST_EVAL = {"eye": 4, "aerial": 2, "width": 192, "height": 120}
"""Held-out cameras ``generate`` checks a world at for its manifest (a quick look; ``marble eval`` does more)."""


def check_formats(formats) -> list[str]:
    """Normalise ``["PLY", ".glb"]`` -> ``["ply", "glb"]`` and reject unknown ones.

    Raises:
        InputError: a format no exporter handles (the message lists the supported ones).
    """
    from marble.api import export_formats

    supported = export_formats()
    out = []
    for f in formats:
        key = str(f).strip().lstrip(".").lower()
        if not key:
            continue
        if key not in supported:
            raise InputError(f"unknown format {f!r}: choose from {', '.join(sorted(supported))}")
        if key not in out:
            out.append(key)
    return out


def preview_cameras(world: World, *, count: int, width: int, height: int):
    """``count`` cameras for preview images: the world's own cameras spread evenly, resized."""
    from marble.camera import orbit

    cams = world.cameras
    if not cams:
        lo, hi = world.bounds()
        centre = (lo + hi) / 2
        radius = float(max(np.linalg.norm(hi - lo) * 0.6, 1.0))
        return orbit(centre, radius=radius, height=radius * 0.4, n=count, width=width, height_px=height)
    idx = np.linspace(0, len(cams), num=count, endpoint=False).astype(int)
    return [_fit_width(cams[i], width, height) for i in idx]


def _fit_width(cam, width: int, height: int):
    """``cam`` scaled to ``width`` with square pixels kept, its image cropped or extended about the
    centre to ``height`` (a 4:3 photo's camera resized to a 16:10 preview was squashed)."""
    from marble.camera import Camera

    s = width / cam.width
    return Camera(cam.fx * s, cam.fy * s, cam.cx * s, cam.cy * s + (height - cam.height * s) / 2.0, width, height,
                  cam.T_world_camera, cam.name)


def render_previews(world: World, *, count: int, width: int, height: int) -> list[np.ndarray]:
    """``count`` preview images ``[H, W, 3]`` uint8, rendered in one batch with the splat renderer."""
    from marble.render.world_render import render_world

    cams = preview_cameras(world, count=count, width=width, height=height)
    colors = render_world(world, cams).colors  # [C, H, W, 3]; each camera is the same as rendered alone
    return [(c.clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8) for c in colors]


def save_previews(images: list[np.ndarray], out_dir: Path, *, progress: ProgressFn | None = None) -> list[Path]:
    """Write ``images`` as ``preview_00.png``, ``preview_01.png``... (atomically); returns their paths."""
    from PIL import Image

    paths = []
    for i, rgb in enumerate(images):
        path = out_dir / f"preview_{i:02d}.png"
        with atomic_path(path) as tmp:
            Image.fromarray(rgb).save(tmp, format="PNG")
        paths.append(path)
        report(progress, "previews", (i + 1) / len(images))
    return paths


def write_previews(world: World, out_dir: Path, *, count: int, width: int, height: int, progress: ProgressFn | None = None) -> list[Path]:
    """Render ``count`` PNG previews with the splat renderer; returns their paths."""
    return save_previews(render_previews(world, count=count, width=width, height=height), out_dir, progress=progress)


def write_outputs(
    world: World,
    out_dir: str | Path,
    *,
    formats=DEFAULT_FORMATS,
    previews: bool = True,
    video: bool = False,
    profile: str | None = None,
    preset=None,
    progress: ProgressFn | None = None,
    extra_manifest: dict | None = None,
    evaluate: bool | dict = False,
) -> dict:
    """Write ``world.marble``, one export per format, previews, an optional orbit video and ``manifest.json``.

    Args:
        world: the world to write.
        out_dir: output folder (created if needed).
        formats: export formats by extension ("ply", "glb", "spz", "usdz", ...).
        previews: render preview PNGs (count and size from ``preset``).
        video: also render a short orbit video ``orbit.mp4``.
        profile: VR/target profile for the exports ("quest3", "visionpro", "web", "desktop").
        preset: ``Preset`` (or name) for preview sizes; defaults to the world's preset.
        progress: ``(stage, fraction, message)`` callback.
        extra_manifest: more keys to put in the manifest (e.g. job info).
        evaluate: also check the world at held-out cameras (:func:`marble.api.evaluate`; a dict
            gives its options, ``True`` the quick set :data:`MANIFEST_EVAL`) and record the figures
            under ``eval`` in the manifest.

    Returns:
        The manifest dict that was written.

    Raises:
        InputError: an unknown format, or another run is writing to the same folder.
    """
    formats = check_formats(formats)
    out = ensure_output_dir(out_dir)
    # One run per folder at a time; everything is written into a staging folder and moved into place
    # when complete (manifest.json last), so a failure (a full disk, Ctrl-C) leaves the previous files.
    with FolderLock(out, holder="another `marble generate`"):
        remove_stale_temp_files(out)  # a killed run's leftovers (never a user's own files)
        with staging_folder(out, kind="outputs") as stage:
            manifest, files = _write_all(world, stage, formats=formats, previews=previews, video=video,
                                         profile=profile, preset=preset, progress=progress,
                                         extra_manifest=extra_manifest, evaluate=evaluate)
            commit_staged(files, out, last=stage / MANIFEST_NAME)
    return manifest


def _write_all(world: World, out: Path, *, formats, previews, video, profile, preset, progress,
               extra_manifest, evaluate) -> tuple[dict, list[Path]]:
    """Write every output into ``out`` (the staging folder); returns the manifest and the files, manifest last."""
    from marble.presets import get_preset

    preset = get_preset(preset or world.provenance.preset or "standard")
    timings: dict[str, float] = {}
    files: list[Path] = []

    # The previews render (torch, which leaves the interpreter lock while it computes) while the bundle
    # and exports are written (numpy, I/O): the same images, a third less time on two cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        t_prev = time.perf_counter()
        rendering = pool.submit(render_previews, world, count=preset.num_previews, width=preset.preview_width,
                                height=preset.preview_height) if previews else None
        t0 = time.perf_counter()
        files.append(world.save(out / BUNDLE_NAME))
        timings["save"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        export_info = {}
        for i, fmt in enumerate(formats):
            written = world.export(out / f"world.{fmt}", profile=profile)
            files.extend(Path(p) for p in written)
            export_info[fmt] = [Path(p).name for p in written]
            report(progress, "export", (i + 1) / len(formats), fmt)
        timings["export"] = time.perf_counter() - t0

        if rendering is not None:
            files.extend(save_previews(rendering.result(), out, progress=progress))
            timings["previews"] = time.perf_counter() - t_prev  # overlapping the two above
    if video:
        t0 = time.perf_counter()
        from marble.render.video import write_orbit_video

        files.append(Path(write_orbit_video(world, out / "orbit.mp4", progress=progress)))
        timings["video"] = time.perf_counter() - t0

    figures = None
    if evaluate:
        t0 = time.perf_counter()
        from marble.api import evaluate as _evaluate

        opts = dict(MANIFEST_EVAL, **(evaluate if isinstance(evaluate, dict) else {}))
        figures = _evaluate(world, progress=progress, **opts).summary()
        timings["eval"] = time.perf_counter() - t0

    prov = world.provenance
    manifest = {
        "marble": _marble_version(),
        "inputs": {"prompt": prov.prompt, "seed": prov.seed, "preset": prov.preset, **(prov.inputs or {})},
        "stages": prov.stages,
        "counts": {"layers": len(world.layers), "splats": world.num_splats, "triangles": world.num_triangles,
                   "labels": sorted({layer.label for layer in world.layers})},
        "timings": {"generate": prov.timings, "write": {k: round(v, 4) for k, v in timings.items()}},
        "metrics": prov.metrics,
        "report": prov.report or {},
        **({"eval": figures} if figures is not None else {}),
        "profile": profile,
        "exports": export_info,
        "files": [{"path": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files],
    }
    if extra_manifest:
        manifest.update(extra_manifest)
    files.append(write_text_atomic(out / MANIFEST_NAME, json.dumps(manifest, indent=2, default=str)))
    return manifest, files


def verify_outputs(out_dir: str | Path) -> bool:
    """True when ``manifest.json`` exists and every file it lists has the recorded size and sha256."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            p = out / entry["path"]
            if not p.is_file() or p.stat().st_size != entry["bytes"] or sha256_file(p) != entry["sha256"]:
                return False
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _marble_version() -> str:
    import marble

    return marble.__version__
