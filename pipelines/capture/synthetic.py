"""Synthetic captures with known cameras: a procedural world photographed along an orbit.

No capture data sets can be downloaded here, so tests and ``scripts/bench_capture.py`` make
their own: a prompt's procedural layout is ray cast and shaded by Marble's own view renderer
(:class:`pipelines.views.raycast.LayoutRenderer`, 2x2 supersampled like ``marble eval``'s ground
truth) from cameras on a circle around the scene, looking at its centre, at eye height with a
gentle bob. The true cameras come with the photos, so recovered cameras can be scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from marble.camera import Camera


@dataclass
class SyntheticCapture:
    """Photos of a procedural world with their true cameras.

    Attributes:
        paths: the photo files written (PNG), in orbit order.
        cameras: the true camera of each photo (``name`` = the file name).
        heldout: true cameras between the photos' (for held-out PSNR), ``name`` = ``heldout_<k>``.
        truth: the :class:`pipelines.evaluate.truth.GroundTruthRenderer` that rendered them.
    """

    paths: list[Path]
    cameras: list[Camera]
    heldout: list[Camera]
    truth: object


def orbit_cameras(n: int, *, radius: float, height: float, arc_deg: float, width: int, height_px: int,
                  fov_y_deg: float = 60.0, target=(0.0, 0.8, 0.0), phase_deg: float = 0.0, prefix: str = "photo") -> list[Camera]:
    """``n`` cameras on an arc of ``arc_deg`` degrees around ``target`` (a full circle for 360), looking at it."""
    cams = []
    step = arc_deg / (n if arc_deg >= 360 else max(n - 1, 1))
    for i in range(n):
        a = math.radians(phase_deg + i * step)
        eye = (radius * math.sin(a), height + 0.25 * math.sin(3 * a), radius * math.cos(a))
        cams.append(Camera.look_at(eye, target, fov_y_deg=fov_y_deg, width=width, height=height_px,
                                   name=f"{prefix}_{i:03d}.png"))
    return cams


def make_capture(folder, *, prompt: str = "a stone courtyard with barrels, crates and a fountain", seed: int = 1,
                 num_photos: int = 24, width: int = 640, height: int = 480, arc_deg: float = 360.0,
                 radius: float = 6.0, eye_height: float = 1.7, num_heldout: int = 4) -> SyntheticCapture:
    """Render a synthetic capture into ``folder`` (created) and return its true cameras."""
    from PIL import Image

    from marble.presets import get_preset
    from marble.text import parse_prompt
    from pipelines.evaluate.truth import GroundTruthRenderer
    from pipelines.procedural import build_scene_geometry, synthesize_layout

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layout = synthesize_layout(parse_prompt(prompt), seed=seed, preset=get_preset("draft"))
    truth = GroundTruthRenderer(layout, build_scene_geometry(layout, detail=1), seed=seed)
    cams = orbit_cameras(num_photos, radius=radius, height=eye_height, arc_deg=arc_deg, width=width, height_px=height)
    step = arc_deg / (num_photos if arc_deg >= 360 else max(num_photos - 1, 1))
    held = orbit_cameras(num_heldout, radius=radius * 0.85, height=eye_height, arc_deg=arc_deg if arc_deg >= 360 else arc_deg - step,
                         width=width, height_px=height, phase_deg=step / 2, prefix="heldout")
    paths = []
    for cam in cams:
        rgb = truth.render(cam).rgb
        path = folder / cam.name
        Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)
        paths.append(path)
    return SyntheticCapture(paths=paths, cameras=cams, heldout=held, truth=truth)
