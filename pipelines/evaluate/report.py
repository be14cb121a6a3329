"""evaluate_world: render held-out cameras, count holes and floaters, compare with the ground truth.

Definitions (per camera, as a share of the image's pixels):

- **hole**: a pixel the ground truth fully covers with geometry (every supersample hits a
  surface) where the world's splats, sky dome left out, reach an alpha under 0.5. Without a
  layout there is no ground truth: a hole is then a pixel under 0.5 alpha that looks below the
  horizon or has splat-covered pixels above it in its column (a tear, not open sky).
- **floater**: a pixel whose splats (alpha >= 0.5) sit in front of the true surface by more than
  10% of its depth and 0.15 m, or cover a pixel where the ground truth sees only sky, more than
  two pixels from a silhouette of the truth (closer, it is a splat's soft edge).
- **PSNR**: the world as Marble draws it (``render_world``: the splats, a sky dome made from photos or
  views, and the environment's sky behind; a dome made from the environment alone is left out, its
  sky drawn exactly) against the ground truth, whole image.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from marble.errors import InputError
from marble.progress import ProgressFn, report

HOLE_ALPHA = 0.5
FLOATER_REL = 0.10
FLOATER_ABS = 0.15
SILHOUETTE_PX = 2
"""Floaters are not counted within this many pixels of a silhouette of the truth (edge blur)."""
HORIZON_Y = -0.02
"""Rays with a direction ``y`` below this look at the ground (for worlds without a ground truth)."""


@dataclass
class CameraFigures:
    """Figures of one held-out camera (shares of its pixels, PSNR in dB or ``None``)."""

    name: str
    kind: str  # "eye" | "aerial" | "head"
    holes: float
    floaters: float | None = None
    psnr: float | None = None


@dataclass
class EvalReport:
    """Result of :func:`evaluate_world`.

    Attributes:
        cameras: figures per held-out camera.
        ground_truth: whether a layout gave a procedural ground truth (PSNR and floaters).
        settings: image size, field of view, camera counts, seed.
        seconds: wall time of the evaluation.
    """

    cameras: list[CameraFigures] = field(default_factory=list)
    ground_truth: bool = False
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    def group(self, kind: str) -> dict | None:
        """``{"cameras", "holes_mean", "holes_max", "floaters_mean", "psnr_mean", "psnr_min"}`` of one kind."""
        rows = [c for c in self.cameras if c.kind == kind]
        if not rows:
            return None
        holes = [c.holes for c in rows]
        out = {"cameras": len(rows), "holes_mean": _r(np.mean(holes)), "holes_max": _r(np.max(holes))}
        fl = [c.floaters for c in rows if c.floaters is not None]
        if fl:
            out["floaters_mean"] = _r(np.mean(fl))
            out["floaters_max"] = _r(np.max(fl))
        ps = [c.psnr for c in rows if c.psnr is not None]
        if ps:
            out["psnr_mean"] = round(float(np.mean(ps)), 2)
            out["psnr_min"] = round(float(np.min(ps)), 2)
        return out

    def summary(self) -> dict:
        """Figures per camera kind plus the settings (what ``manifest.json`` records under ``eval``)."""
        out: dict = {"ground_truth": self.ground_truth}
        for kind in ("eye", "aerial", "head"):
            g = self.group(kind)
            if g is not None:
                out[kind] = g
        out["settings"] = dict(self.settings)
        out["seconds"] = round(self.seconds, 3)
        return out

    def to_dict(self) -> dict:
        """The summary and every camera's figures (JSON-ready)."""
        return {**self.summary(), "per_camera": [asdict(c) for c in self.cameras]}

    def format(self) -> str:
        """Human-readable lines (what ``marble eval`` prints)."""
        names = {"eye": "eye level", "aerial": "aerial 45 deg", "head": "head moves"}
        lines = []
        for kind in ("eye", "aerial", "head"):
            g = self.group(kind)
            if g is None:
                continue
            s = (f"{names[kind]:<14} {g['cameras']:>2} cameras  holes {100 * g['holes_mean']:5.2f}% mean "
                 f"{100 * g['holes_max']:5.2f}% worst")
            if "floaters_mean" in g:
                s += f"  floaters {100 * g['floaters_mean']:5.2f}%"
            if "psnr_mean" in g:
                s += f"  PSNR {g['psnr_mean']:5.2f} dB mean {g['psnr_min']:5.2f} dB worst"
            lines.append(s)
        st = self.settings
        lines.append(f"({st.get('width')}x{st.get('height')} px, {st.get('fov_y_deg')} deg field of view, seed "
                     f"{st.get('seed')}, {self.seconds:.1f} s; "
                     + ("ground truth: the layout's procedural render)" if self.ground_truth
                        else "no layout: no ground truth, holes only)"))
        return "\n".join(lines)


def _r(x) -> float:
    return round(float(x), 5)


def _split_layers(world):
    """Visible splat layers: the surfaces, and the sky dome(s) the viewer draws (not one made from
    the environment alone: Marble draws that sky itself, ``marble.render.render_world``)."""
    from marble.sky import is_environment_sky

    surf, sky = [], []
    for layer in world.layers:
        if not layer.visible or not layer.num_splats:
            continue
        if layer.label.lower() != "sky":
            surf.append(layer.name)
        elif not is_environment_sky(layer):
            sky.append(layer.name)
    return surf, sky


def _preset_of(world):
    from marble.presets import get_preset

    try:
        return get_preset(world.provenance.preset or "standard")
    except InputError:
        return get_preset("standard")


def evaluate_world(
    world,
    *,
    eye: int = 8,
    aerial: int = 4,
    width: int = 256,
    height: int = 160,
    fov_y_deg: float = 70.0,
    seed: int = 0,
    frames_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> EvalReport:
    """How complete a world is from places a user can reach that it was not made from.

    Args:
        world: a :class:`marble.world.World`. With a layout (text and blockout worlds) the
            cameras are drawn over its walkable region and compared with the procedural ground
            truth; without one (photo worlds, imports) the world's first camera is moved by a
            head-sized step each way and only holes are counted.
        eye, aerial: held-out eye-level and aerial cameras (layout worlds), 0..64 each.
        width, height: image size of each held-out view (8..2048 px).
        fov_y_deg: vertical field of view.
        seed: the camera draw (independent of the generation seed).
        frames_dir: also write ``<camera>.png`` per view: ground truth | splats | holes (red) and
            floaters (yellow).
        progress: ``(stage, fraction, message)`` callback, stage ``"eval"``.
    Returns:
        :class:`EvalReport`.

    Raises:
        InputError: not a World, a world with no surface splats, bad counts or sizes.
    """
    from marble.world import World

    if not isinstance(world, World):
        raise InputError(f"`world` must be a marble.world.World, got {type(world).__name__}")
    for name, v in (("eye", eye), ("aerial", aerial)):
        if isinstance(v, bool) or int(v) != v or not 0 <= v <= 64:
            raise InputError(f"`{name}` must be an integer in 0..64, got {v!r}")
    for name, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or int(v) != v or not 8 <= v <= 2048:
            raise InputError(f"`{name}` must be an integer in 8..2048, got {v!r}")
    if not (math.isfinite(fov_y_deg) and 10 <= fov_y_deg <= 150):
        raise InputError(f"`fov_y_deg` must be in 10..150 degrees, got {fov_y_deg}")
    surf, sky = _split_layers(world)
    if not surf:
        raise InputError("the world has no visible splats besides the sky: nothing to evaluate "
                         "(generate a world, or show its layers)")
    t0 = time.perf_counter()
    report(progress, "eval", 0.0)
    truth = None
    if world.layout is not None:
        from pipelines.evaluate.cameras import heldout_cameras
        from pipelines.evaluate.truth import GroundTruthRenderer
        from pipelines.procedural import build_scene_geometry

        geometry = build_scene_geometry(world.layout, detail=_preset_of(world).mesh_subdivisions)
        cams = heldout_cameras(world.layout, eye=eye, aerial=aerial, width=width, height=height,
                               fov_y_deg=fov_y_deg, seed=seed, geometry=geometry)
        gen_seed = world.provenance.seed if world.provenance.seed is not None else world.layout.seed
        truth = GroundTruthRenderer(world.layout, geometry, seed=gen_seed)
    else:
        cams = _cameras_without_layout(world, width=width, height=height, fov_y_deg=fov_y_deg)
    if not cams:
        raise InputError("no held-out camera fits in this world's walkable region (it is too crowded)")
    g_surf = world.gaussians(layers=surf)
    g_sky = world.gaussians(layers=sky) if sky else None
    from marble.render.fog import layers_fog

    fog = layers_fog(world, surf)  # (fog, mask over g_surf) or (None, None)
    rep = EvalReport(ground_truth=truth is not None,
                     settings={"width": width, "height": height, "fov_y_deg": fov_y_deg, "seed": seed,
                               "eye": sum(c.name.startswith("eye") for c in cams),
                               "aerial": sum(c.name.startswith("aerial") for c in cams),
                               "head": sum(c.name.startswith("head") for c in cams)})
    out_dir = Path(frames_dir) if frames_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    for i, cam in enumerate(cams):
        fig, images = _evaluate_camera(world, cam, g_surf, g_sky, truth, fog)
        rep.cameras.append(fig)
        if out_dir is not None:
            _write_frame(out_dir / f"{cam.name}.png", images)
        report(progress, "eval", (i + 1) / len(cams), cam.name)
    rep.seconds = time.perf_counter() - t0
    return rep


def _cameras_without_layout(world, *, width: int, height: int, fov_y_deg: float):
    from marble.camera import Camera
    from pipelines.evaluate.cameras import head_move_cameras

    if world.cameras:
        return head_move_cameras(world.cameras[0], width=width, height=height)
    from marble.render.paths import scene_bounds

    lo, hi = scene_bounds(world)
    centre = (lo + hi) / 2
    radius = float(max(np.linalg.norm(hi - lo) * 0.5, 1.0))
    src = Camera.look_at(centre + np.array([0.0, 0.2 * radius, 1.5 * radius]), centre, fov_y_deg=fov_y_deg,
                         width=width, height=height, name="source")
    return head_move_cameras(src, width=width, height=height)


def _evaluate_camera(world, cam, g_surf, g_sky, truth, fog):
    from marble.color import psnr
    from marble.render import render
    from marble.sky import sky_pixels

    out = render(g_surf, [cam], fog=fog[0], fog_mask=fog[1])
    rgb = out.colors[0].numpy().astype(np.float64)
    alpha = out.alphas[0, ..., 0].numpy().astype(np.float64)
    depth = out.surface_depth(min_alpha=HOLE_ALPHA)[0].numpy()
    dirs = cam.ray_directions().numpy()
    back = sky_pixels(world.environment, dirs).astype(np.float64)
    if g_sky is not None:
        so = render(g_sky, [cam])
        back = so.colors[0].numpy() + (1.0 - so.alphas[0].numpy()) * back
    shown = np.clip(rgb + (1.0 - alpha[..., None]) * back, 0.0, 1.0)
    covered = alpha >= HOLE_ALPHA
    n = float(alpha.size)
    kind = cam.name.split("_", 1)[0]
    if truth is not None:
        gt = truth.render(cam)
        hole_mask = (gt.coverage >= 1.0) & ~covered
        near = np.isfinite(gt.depth) & covered & (depth < gt.depth * (1 - FLOATER_REL) - FLOATER_ABS)
        # a splat's soft edge one pixel past a silhouette is blur, not a floater
        floater_mask = ((covered & (gt.coverage <= 0.0)) | near) & ~_near_silhouette(gt)
        fig = CameraFigures(cam.name, kind, holes=float(hole_mask.sum() / n), floaters=float(floater_mask.sum() / n),
                            psnr=round(psnr(shown, gt.rgb, max_db=99.0), 3))
        images = (gt.rgb, shown, hole_mask, floater_mask)
    else:
        above = np.zeros_like(covered)
        above[1:] = np.maximum.accumulate(covered, axis=0)[:-1]
        hole_mask = ~covered & ((dirs[..., 1] < HORIZON_Y) | above)
        fig = CameraFigures(cam.name, kind, holes=float(hole_mask.sum() / n))
        images = (None, shown, hole_mask, None)
    return fig, images


def _near_silhouette(gt) -> np.ndarray:
    """``[H, W]`` bool: within ``SILHOUETTE_PX`` pixels of a depth edge or a partly covered pixel of the truth."""
    from pipelines.views.edges import silhouette_pixels

    edge = silhouette_pixels(gt.depth, np.where(np.isfinite(gt.depth), 0, -1).astype(np.int32))
    edge |= (gt.coverage > 0) & (gt.coverage < 1)
    out = edge.copy()
    for _ in range(SILHOUETTE_PX):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def _write_frame(path: Path, images) -> None:
    from PIL import Image

    from marble.io import atomic_path

    gt, shown, holes, floaters = images
    marked = shown.copy()
    marked[holes] = (1.0, 0.0, 0.0)
    if floaters is not None:
        marked[floaters] = (1.0, 0.9, 0.0)
    tiles = ([gt] if gt is not None else []) + [shown, marked]
    strip = np.concatenate([np.clip(t, 0, 1) for t in tiles], axis=1)
    with atomic_path(path) as tmp:
        Image.fromarray((strip * 255 + 0.5).astype(np.uint8)).save(tmp, format="PNG")
