"""PanoramaToWorld: a 2:1 equirectangular 360 panorama -> one world seen all round from its centre.

The panorama is cut into :data:`NUM_DIRECTIONS` perspective views around the horizon (90 degrees
wide, :data:`FACE_FOV_Y` tall, neighbours overlapping by half), all from one eye ``camera_height``
above the ground. Each view is lifted like a photo in :mod:`pipelines.image_to_world`: depth from
the configured estimator (learned) aligned to the geometric photo pop-up, or the geometric
estimate alone, sky where either finds it. The views are fused by the same
:func:`pipelines.fusion.fuse_views` as every other route (per-layer splats and a sky dome from
the sky pixels), and the panorama itself becomes the environment, so any direction no splat
covers shows the panorama's own sky. Layers: ``ground`` and one per direction (``dir_000``,
``dir_045``...) holding what stands there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from marble.camera import Camera, look_at_pose
from marble.errors import InputError
from marble.limits import check_seed
from marble.options import resolve_refine_steps
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.view import View
from marble.world import Environment, Provenance, World

NUM_DIRECTIONS = 8
FACE_FOV_Y = 100.0
"""Vertical field of view of each direction's view, degrees: down to 50 degrees below the horizon."""
RATIO_TOLERANCE = 0.01


@dataclass
class PanoramaToWorldOutput:
    """Result of :class:`PanoramaToWorldPipeline`: the world, the views fused, metrics, timings."""

    world: World
    views: list[View]
    metrics: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def check_panorama(rgb: np.ndarray, name: str = "panorama") -> np.ndarray:
    """``rgb`` if it is ``[H, 2H, 3]`` (within 1%) and at least 64 pixels tall; else raise ``InputError``."""
    h, w = rgb.shape[:2]
    if abs(w / h - 2.0) > 2.0 * RATIO_TOLERANCE:
        raise InputError(f"{name} is {w}x{h}, not 2:1: pass an equirectangular 360 panorama (width twice the height)")
    if h < 64:
        raise InputError(f"{name} is {w}x{h}: a panorama needs at least 128x64 pixels")
    return rgb


def direction_cameras(face: int, *, camera_height: float, n: int = NUM_DIRECTIONS) -> list[Camera]:
    """``n`` level cameras at ``(0, camera_height, 0)`` turning about +Y, 90 degrees wide, square ``face`` px."""
    f = face / 2.0  # 90 degrees across
    fov_y = FACE_FOV_Y
    height = round(2 * f * math.tan(math.radians(fov_y) / 2))
    height += height % 2
    eye = np.array([0.0, camera_height, 0.0])
    cams = []
    for i in range(n):
        yaw = 2 * math.pi * i / n
        d = np.array([math.sin(yaw), 0.0, math.cos(yaw)])
        cams.append(Camera(f, f, face / 2.0, height / 2.0, face, height, look_at_pose(eye, eye + d),
                           f"dir_{round(math.degrees(yaw)) % 360:03d}"))
    return cams


def sample_panorama(pano: np.ndarray, camera: Camera) -> np.ndarray:
    """The perspective view ``[H, W, 3]`` of ``camera`` cut from ``pano [Hp, 2Hp, 3]`` (bilinear, wrapping in longitude).

    Longitude and latitude follow :meth:`marble.world.Environment.sky_color`: ``lon = atan2(x, z)``,
    ``lat = asin(y)``, column ``(lon / 2pi + 0.5) W``, row ``(0.5 - lat / pi) H``.
    """
    import cv2

    h, w = pano.shape[:2]
    d = camera.ray_directions().numpy()
    lon = np.arctan2(d[..., 0], d[..., 2])
    lat = np.arcsin(np.clip(d[..., 1], -1, 1))
    u = ((lon / (2 * np.pi) + 0.5) * w - 0.5).astype(np.float32)
    v = ((0.5 - lat / np.pi) * h - 0.5).astype(np.float32)
    out = cv2.remap(pano.astype(np.float32), u, v, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    return np.clip(out, 0, 1).astype(np.float32)


class PanoramaToWorldPipeline:
    """Lift a 360 panorama into a world.

    Args:
        depth_estimator: ``estimate(rgb, *, camera) -> DepthEstimate``; default geometric (no weights).
    """

    def __init__(self, depth_estimator=None) -> None:
        from pipelines.lift.estimators import GeometricDepthEstimator

        self.depth_estimator = depth_estimator or GeometricDepthEstimator()

    def __call__(
        self,
        panorama,
        *,
        prompt: str | None = None,
        seed: int = 0,
        preset: str | Preset = "standard",
        camera_height: float | None = None,
        refine_steps: int | None = None,
        measure_fidelity: bool = False,
        progress: ProgressFn | None = None,
    ) -> PanoramaToWorldOutput:
        """Make the world seen from the panorama's centre.

        Args:
            panorama: path, bytes, PIL image or ``[H, 2H, 3]`` array.
            prompt: stored in provenance.
            seed: same panorama + seed + preset -> same world, bit for bit on CPU.
            preset: face size (the preset's view height), voxel size, splat budget.
            camera_height: metres the panorama was taken above the ground (default 1.6).
            refine_steps: optimise the splats against the views; ``None``: the preset's on CUDA, none on CPU.
            measure_fidelity: re-render the splats at every view and record PSNR.
            progress: ``(stage, fraction, message)``: depth, fusion, refine.

        Raises:
            InputError: not an image, not 2:1, too small, a bad height.
        """
        import os

        from marble.images import load_image
        from pipelines.lift.align import depth_on_popup
        from pipelines.lift.geometric_depth import SKY, estimate_geometric_depth

        check_seed(seed)
        height_m = 1.6 if camera_height is None else float(camera_height)
        if not (math.isfinite(height_m) and 0.01 <= height_m <= 1000):
            raise InputError(f"`camera_height` must be in 0.01..1000 metres, got {camera_height}")
        preset = get_preset(preset)
        label = os.path.basename(str(panorama)) if isinstance(panorama, (str, os.PathLike)) else type(panorama).__name__
        pano = check_panorama(load_image(panorama), f"panorama {label!r}")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        face = int(preset.view_height)
        small = _resize(pano, 4 * face)
        cams = direction_cameras(face, camera_height=height_m)
        views = []
        for k, cam in enumerate(cams):
            rgb = sample_panorama(small, cam)
            geo = estimate_geometric_depth(rgb, camera=cam, camera_height=height_m)
            if self.depth_estimator.name == "geometric":
                depth, sky = geo.depth, geo.region == SKY
                depth = np.where(sky, np.inf, depth).astype(np.float32)
            else:  # learned: metric as it comes, relative depth aligned to the ground of the pop-up
                depth, sky, _ = depth_on_popup(self.depth_estimator.estimate(rgb, camera=cam), geo)
            names = ["ground", cam.name]
            ground_id = geo.layer_names.index("ground") if "ground" in geo.layer_names else -2
            ids = np.where(np.isfinite(depth), np.where(geo.object_ids == ground_id, 0, 1), -1).astype(np.int32)
            views.append(View(camera=cam, rgb=rgb, depth=depth, object_ids=ids, layer_names=names,
                              confidence=np.where(np.isfinite(depth), geo.confidence.clip(0.3, 1), 0).astype(np.float32),
                              source="panorama"))
            report(progress, "depth", (k + 1) / len(cams), cam.name)
        views = _shared_layers(views)
        timings["depth"] = time.perf_counter() - t0

        from pipelines.assemble import AssemblyInputs, assemble_world
        from pipelines.fusion import fuse_views

        env = Environment(kind="panorama", panorama=(np.clip(_resize(pano, min(pano.shape[1], 2048)), 0, 1) * 255 + 0.5)
                          .astype(np.uint8))
        t0 = time.perf_counter()
        fused = fuse_views(views, preset=preset, seed=seed, environment=env, progress=progress)
        # the ground under the eye, below the views' lowest rays (as for a photo: a step back shows it)
        from pipelines.lift.ground_fill import with_ground_below

        gaussians, below = with_ground_below(fused.gaussians, views[0].camera.position.numpy()[[0, 2]],
                                             max_total=preset.max_splats)
        timings["fusion"] = time.perf_counter() - t0
        labels = {name: ("ground" if name == "ground" else "scenery") for name in views[0].layer_names}
        world = assemble_world(gaussians, sky=fused.sky, inputs=AssemblyInputs(labels=labels), environment=env,
                               cameras=[v.camera for v in views], seed=seed)
        steps = resolve_refine_steps(refine_steps, preset)
        refined = "none"
        if steps:
            from pipelines.refine import refine_world

            t0 = time.perf_counter()
            out = refine_world(world, views, steps=steps, seed=seed, progress=progress)
            timings["refine"] = time.perf_counter() - t0
            refined = f"photometric:{steps} steps ({out.psnr_before:.1f} -> {out.psnr_after:.1f} dB)"
        metrics = {"directions": len(views), "face_px": face, "splats": world.num_splats,
                   "ground_below_splats": int(below.get("added", 0))}
        if measure_fidelity:
            from pipelines.fusion import fusion_psnr

            metrics["fusion_psnr_db"] = fusion_psnr(world, views)["mean"]
        warnings = []
        if self.depth_estimator.name == "geometric":
            warnings.append("depth was guessed by the geometric estimator (no depth model): shapes are flat cards "
                            "standing on the ground; pass --depth-model for real depth")
        world.provenance = Provenance(
            prompt=prompt, seed=seed, preset=preset.name,
            inputs={"panorama": label, "panorama_size": [int(pano.shape[1]), int(pano.shape[0])],
                    "camera_height": height_m, "warnings": warnings},
            stages={"depth": self.depth_estimator.name, "fusion": "voxel-merge", "sky": "panorama", "refine": refined},
            versions=Provenance.collect_versions(), timings=timings,
            metrics=metrics | {"fusion": {k: v for k, v in fused.stats.items() if isinstance(v, (int, float, str))}},
        )
        return PanoramaToWorldOutput(world=world, views=views, metrics=metrics, timings=timings)


def _shared_layers(views: list[View]) -> list[View]:
    """Give every view the same layer list (``ground`` + every direction), so fusion keeps them apart."""
    names = ["ground"] + [v.camera.name for v in views]
    out = []
    for k, v in enumerate(views):
        ids = np.where(v.object_ids == 1, k + 1, v.object_ids).astype(np.int32)
        out.append(View(camera=v.camera, rgb=v.rgb, depth=v.depth, object_ids=ids, layer_names=names,
                        confidence=v.confidence, source=v.source))
    return out


def _resize(rgb: np.ndarray, width: int) -> np.ndarray:
    """``rgb [H, 2H, 3]`` resized (area) to ``width x width/2``."""
    import cv2

    w = rgb.shape[1]
    if w == width:
        return rgb.astype(np.float32)
    interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
    return cv2.resize(rgb.astype(np.float32), (int(width), int(width) // 2), interpolation=interp)
