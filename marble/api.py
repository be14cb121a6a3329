"""The public entry points: the one place in the core that reaches into ``pipelines`` and ``exporters``.

``marble.generate``, ``World.export``, composing an asset into a world and regenerating an edited
blockout all come through here, so the core library (``marble/``) never imports the layers above it::

    import marble
    world = marble.generate("a cabin in a snowy pine forest at sunset", preset="draft")
    marble.api.export(world, "cabin.glb")
    other = marble.api.import_file("scan.spz")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from marble.options import GenerateOptions
from marble.progress import ProgressFn

if TYPE_CHECKING:  # pragma: no cover
    from marble.camera import Camera
    from marble.layout import Layout
    from marble.presets import Preset
    from marble.world import World


def generate(
    prompt: str | None = None,
    *,
    seed: int = 0,
    preset: "str | Preset" = "standard",
    image=None,
    layout: "Layout | str | Path | None" = None,
    images=None,
    video=None,
    panorama=None,
    camera_height: float | None = None,
    max_frames: int | None = None,
    models=None,
    device: str = "auto",
    refine_steps: int | None = None,
    measure_fidelity: bool = False,
    progress: ProgressFn | None = None,
) -> "World":
    """Make a world from a text prompt, an image (``image=``), several photos (``images=``), a video
    (``video=``), a 360 panorama (``panorama=``) or a blockout (``layout=``).

    Args:
        prompt: what to make, e.g. ``"a cabin in a snowy pine forest at sunset"``; optional with
            ``image`` or ``layout``.
        seed: 0..2**32-1; the same inputs, seed and preset give the same world, bit for bit on CPU.
        preset: ``"draft"``, ``"standard"``, ``"high"`` or a :class:`~marble.presets.Preset`.
        image: a photo to lift (path, bytes, PIL image or ``[H, W, 3]`` array).
        layout: a :class:`~marble.layout.Layout` or the path of a layout JSON (a blockout).
        images: overlapping photos of one place (a folder or a list of paths): cameras are recovered
            by structure from motion (COLMAP) and splats fitted to the photos.
        video: a video file of one place; sharp, well-spaced frames become the photos.
        panorama: a 2:1 equirectangular 360 panorama.
        camera_height: metres the camera was held above the ground (sets a capture's or a
            panorama's scale; default 1.6).
        max_frames: most frames sampled from ``video`` (default per preset).
        models: a ``pipelines.diffusion.config.ModelConfig`` naming learned models, or ``None``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        refine_steps: optimise the splats against their views for this many steps on every route
            (``None``: the preset's steps on a CUDA GPU, none on the CPU).
        measure_fidelity: re-render the splats at the source cameras and record PSNR.
        progress: ``(stage, fraction, message)`` callback.

    Raises:
        InputError: nothing to generate from, or a bad option (checked before any work).
    """
    from pipelines import generate_world

    options = GenerateOptions.create(preset=preset, seed=seed, refine_steps=refine_steps,
                                     measure_fidelity=measure_fidelity, device=device)
    return generate_world(prompt, image=image, layout=layout, images=images, video=video, panorama=panorama,
                          camera_height=camera_height, max_frames=max_frames, options=options, models=models,
                          progress=progress)


def export(world: "World", path: str | os.PathLike, **options) -> list[Path]:
    """Write ``world`` to ``path`` in the format its extension names (see :func:`export_formats`).

    ``options`` are those of ``exporters.scene.ExportOptions`` (``profile``, ``layers``, ``splats``,
    ``meshes``, ...). Returns the files written, the main one first.
    """
    from exporters import export as _export

    return _export(world, path, **options)


def import_file(path: str | os.PathLike, **options) -> "World":
    """Read a splat or GLB file (see :func:`import_formats`) into a World."""
    from exporters import import_file as _import

    return _import(path, **options)


def export_formats() -> list[str]:
    """Extensions Marble can write, without the dot (``["compressed.ply", "glb", ...]``)."""
    from exporters import supported_export_formats

    return [ext.lstrip(".") for ext in supported_export_formats()]


def import_formats() -> list[str]:
    """Extensions the importers read, with the dot (``[".compressed.ply", ".glb", ...]``)."""
    from exporters import supported_import_formats

    return supported_import_formats()


def profile_names() -> list[str]:
    """The VR/engine target profiles (``["quest3", "visionpro", "web", "desktop"]``)."""
    from exporters.budgets import PROFILES

    return list(PROFILES)


def check_profile(name: str | None) -> str | None:
    """``name`` if it is a known profile (``None`` and ``"none"`` mean no profile).

    Raises:
        InputError: an unknown profile; the message lists the known ones.
    """
    if name in (None, "", "none"):
        return None
    from exporters.budgets import get_profile

    get_profile(name)
    return name


def walk_points(world: "World") -> np.ndarray | None:
    """``[P, 3]`` ground points of a generated world's walk-through, or ``None`` without a layout.

    The layout's clear walk path (where no object stands), kept to the stretch where the
    generation's walk cameras stood (the world is complete there), densified and lifted onto the terrain.
    """
    from pipelines.procedural.walk import layout_walk

    return layout_walk(world)


def evaluate(world: "World", **options):
    """How complete ``world`` is from places a user can reach: :func:`pipelines.evaluate.evaluate_world`.

    Renders held-out cameras (random eye-level spots on the walkable ground, aerial views 45 degrees
    down; head-sized moves for worlds without a layout) and reports holes, floaters and, where the
    layout gives a procedural ground truth, PSNR. Options: ``eye``, ``aerial``, ``width``, ``height``,
    ``fov_y_deg``, ``seed``, ``frames_dir``, ``progress``. Returns an ``EvalReport``
    (``.summary()``, ``.to_dict()``, ``.format()``).
    """
    from pipelines.evaluate import evaluate_world

    return evaluate_world(world, **options)


def camera_path(world: "World", kind: str = "orbit", **options) -> "list[Camera]":
    """:func:`marble.render.paths.camera_path` with a generated world's walk path filled in for ``"walk"``."""
    from marble.render.paths import camera_path as _camera_path

    if kind == "walk" and "walk_points" not in options:
        options["walk_points"] = walk_points(world)
    return _camera_path(world, kind, **options)
