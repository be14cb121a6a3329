"""ImageToWorld: one photo -> metric depth -> views along a camera path -> fused splats and meshes.

Components (diffusers style, given to ``__init__``): a depth estimator (geometric photo pop-up by
default, or a learned one from :mod:`pipelines.diffusion.depth`) and an inpainter (OpenCV Telea by
default, or a diffusion inpainting pipeline from :mod:`pipelines.diffusion.inpaint`). Per-run options
are keyword arguments of ``__call__``; the result is an :class:`ImageToWorldOutput`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from marble.camera import Camera
from marble.errors import InputError
from marble.limits import check_seed
from marble.options import resolve_refine_steps
from marble.presets import Preset, get_preset
from marble.progress import ProgressFn, report
from marble.view import View
from marble.world import Environment, Provenance, World

TRAJECTORIES = ("ring", "walk", "none")


@dataclass
class ImageToWorldOutput:
    """Result of :class:`ImageToWorldPipeline`.

    Attributes:
        world: the generated world (layers ``ground``, ``segment_<k>``, ``scenery``, ``sky``).
        views: the views that were fused, the input first.
        metrics: coverage, reprojection error of the new views against the known surfaces,
            depth-alignment error, fusion statistics.
        timings: stage -> seconds.
    """

    world: World
    views: list[View]
    metrics: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def _rotate_yaw(camera: Camera, degrees: float, name: str) -> Camera:
    a = math.radians(degrees)
    R = torch.tensor([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]], dtype=torch.float64)
    T = camera.T_world_camera.clone()
    T[:3, :3] = R @ T[:3, :3]
    return Camera(camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height, T, name)


def trajectory_cameras(first: Camera, *, kind: str, num_views: int, walk_distance: float = 2.0) -> list[Camera]:
    """New cameras after ``first`` (which is not included).

    Args:
        first: the input camera.
        kind: ``"ring"`` (turn on the spot through 360 degrees), ``"walk"`` (walk forward
            ``walk_distance`` metres) or ``"none"``.
        num_views: total views including the input one.
    """
    if kind not in TRAJECTORIES:
        raise InputError(f"`trajectory` must be one of {', '.join(TRAJECTORIES)}, got {kind!r}")
    if kind == "none" or num_views <= 1:
        return []
    if kind == "ring":
        return [_rotate_yaw(first, 360.0 * i / num_views, f"ring_{i:03d}") for i in range(1, num_views)]
    fwd = first.T_world_camera[:3, 2].clone()
    fwd[1] = 0.0
    fwd = fwd / fwd.norm().clamp_min(1e-9)
    out = []
    for i in range(1, num_views):
        T = first.T_world_camera.clone()
        T[:3, 3] = T[:3, 3] + fwd * (walk_distance * i / (num_views - 1))
        out.append(Camera(first.fx, first.fy, first.cx, first.cy, first.width, first.height, T, f"walk_{i:03d}"))
    return out


def fit_to_preset(rgb: np.ndarray, preset: Preset, *, multiple: int = 8) -> np.ndarray:
    """Resize ``rgb [H, W, 3]`` so its long side is the preset's view width (sides multiples of ``multiple``)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    long_side = max(preset.view_width, preset.view_height)
    s = long_side / max(h, w)
    nw = max(multiple, int(round(w * s / multiple)) * multiple)
    nh = max(multiple, int(round(h * s / multiple)) * multiple)
    if (nw, nh) == (w, h):
        return rgb.astype(np.float32)
    chans = [Image.fromarray(rgb[..., c].astype(np.float32), mode="F").resize((nw, nh), Image.BICUBIC) for c in range(3)]
    return np.clip(np.stack([np.asarray(c) for c in chans], -1), 0, 1).astype(np.float32)


def _environment_from(rgb: np.ndarray, sky: np.ndarray) -> Environment:
    from marble.layout import Lighting

    env = Environment()
    if sky.sum() >= 16:
        rows = np.nonzero(sky.any(1))[0]
        top = rgb[rows[: max(1, len(rows) // 4)]][sky[rows[: max(1, len(rows) // 4)]]]
        bottom = rgb[rows[-max(1, len(rows) // 4):]][sky[rows[-max(1, len(rows) // 4):]]]
        lt = Lighting(sky_top=tuple(float(x) for x in np.median(top, 0)),
                      sky_horizon=tuple(float(x) for x in np.median(bottom, 0)))
        env = Environment(lighting=lt)
    return env


class ImageToWorldPipeline:
    """Lift one image into an explorable world.

    Args:
        depth_estimator: ``estimate(rgb, *, camera) -> DepthEstimate``; default geometric (no weights).
        inpainter: ``inpaint(rgb, mask, *, prompt, seed) -> rgb``; default classical (Telea, rows for large holes).
    """

    def __init__(self, depth_estimator=None, inpainter=None) -> None:
        from pipelines.lift.estimators import GeometricDepthEstimator
        from pipelines.lift.inpaint import ClassicalInpainter

        self.depth_estimator = depth_estimator or GeometricDepthEstimator()
        self.inpainter = inpainter or ClassicalInpainter("auto")

    def check_inputs(self, *, seed, trajectory, num_views, fov_y_deg, camera_height, walk_distance, depth_hint) -> None:
        check_seed(seed)
        if trajectory not in TRAJECTORIES:
            raise InputError(f"`trajectory` must be one of {', '.join(TRAJECTORIES)}, got {trajectory!r}")
        if num_views is not None and (int(num_views) != num_views or not 1 <= num_views <= 64):
            raise InputError(f"`num_views` must be an integer in 1..64, got {num_views!r}")
        if not (5.0 <= fov_y_deg <= 150.0):
            raise InputError(f"`fov_y_deg` must be in 5..150 degrees, got {fov_y_deg}")
        if not (math.isfinite(camera_height) and 0.05 <= camera_height <= 500):
            raise InputError(f"`camera_height` must be in 0.05..500 metres, got {camera_height}")
        if not (math.isfinite(walk_distance) and 0 < walk_distance <= 1000):
            raise InputError(f"`walk_distance` must be in (0, 1000] metres, got {walk_distance}")
        if depth_hint is not None and not (math.isfinite(depth_hint) and depth_hint > 0):
            raise InputError(f"`depth_hint` must be a positive number of metres, got {depth_hint}")

    def __call__(
        self,
        image,
        *,
        prompt: str | None = None,
        seed: int = 0,
        preset: str | Preset = "standard",
        trajectory: str = "ring",
        num_views: int | None = None,
        fov_y_deg: float = 55.0,
        camera_height: float = 1.6,
        walk_distance: float = 2.0,
        depth_hint: float | None = None,
        meshes: bool = True,
        refine_steps: int | None = None,
        measure_fidelity: bool = False,
        progress: ProgressFn | None = None,
    ) -> ImageToWorldOutput:
        """Lift ``image`` into a World.

        Args:
            image: path, bytes, PIL image or ``[H, W, 3]`` array (see :func:`marble.images.load_image`).
            prompt: text for a diffusion inpainter; stored in provenance.
            seed: same image + seed + preset -> same world, bit for bit on CPU.
            preset: view size, number of views, voxel size, splat budget.
            trajectory: ``"ring"`` (360 degrees on the spot), ``"walk"`` (forward) or ``"none"``.
            num_views: views including the input (default: the preset's ``ring_views``, or
                ``walk_views + 1`` for a walk); a ring gets at least enough views for neighbours
                to overlap by 30%.
            fov_y_deg: vertical field of view assumed for the photo.
            camera_height: eye height above the ground in metres (sets the metric scale).
            walk_distance: metres walked by the ``"walk"`` trajectory.
            depth_hint: median distance in metres of what the photo shows, to rescale depth.
            meshes: also build TSDF meshes per layer.
            refine_steps: optimise the fused splats against the views for this many steps; ``None``:
                the preset's ``refine_steps`` on a CUDA GPU, none on the CPU.
            measure_fidelity: re-render the fused splats at every view and record PSNR.
            progress: ``(stage, fraction, message)`` callback.
        """
        import warnings as _warnings

        from marble.images import load_image
        from pipelines.lift.align import depth_on_popup
        from pipelines.lift.geometric_depth import estimate_geometric_depth
        from pipelines.lift.loop import warp_and_inpaint

        self.check_inputs(seed=seed, trajectory=trajectory, num_views=num_views, fov_y_deg=fov_y_deg,
                          camera_height=camera_height, walk_distance=walk_distance, depth_hint=depth_hint)
        preset = get_preset(preset)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        rgb = fit_to_preset(load_image(image), preset)
        geo = estimate_geometric_depth(rgb, fov_y_deg=fov_y_deg, camera_height=camera_height)
        est = self.depth_estimator.estimate(rgb, camera=geo.camera)
        depth, sky, align_info = depth_on_popup(est, geo)
        warnings, closeup = photo_warnings(geo, estimator=self.depth_estimator.name)
        if depth_hint is None and closeup and np.isfinite(depth).any():
            depth_hint = CLOSEUP_DISTANCE  # no sky, hardly any ground: a close-up, not a place
        if depth_hint is not None and np.isfinite(depth).any():
            depth = (depth * (depth_hint / float(np.median(depth[np.isfinite(depth)])))).astype(np.float32)
        ids = np.where(np.isfinite(depth), geo.object_ids, -1).astype(np.int32)
        first = View(camera=geo.camera, rgb=rgb, depth=depth, object_ids=ids, layer_names=list(geo.layer_names),
                     confidence=np.where(np.isfinite(depth), 0.9, 0.0).astype(np.float32), source="image")
        timings["depth"] = time.perf_counter() - t0
        report(progress, "depth", 1.0, self.depth_estimator.name)
        for text in warnings:
            _warnings.warn(text, RuntimeWarning, stacklevel=2)

        t0 = time.perf_counter()
        n = num_views if num_views is not None else (preset.ring_views if trajectory == "ring" else preset.walk_views + 1)
        if trajectory == "ring":  # neighbours must overlap, or there is nothing to warp and align to
            hfov = math.degrees(2 * math.atan(geo.camera.width / (2 * geo.camera.fx)))
            n = max(n, math.ceil(360.0 / (0.7 * hfov)))
        cams = trajectory_cameras(geo.camera, kind=trajectory, num_views=n, walk_distance=walk_distance)
        loop = warp_and_inpaint(first, cams, inpainter=self.inpainter, depth_estimator=self.depth_estimator,
                                prompt=prompt, seed=seed, progress=progress)
        timings["lift"] = time.perf_counter() - t0

        world, fusion_stats, fused = self._fuse(loop.views, preset=preset, seed=seed, environment=_environment_from(rgb, sky),
                                         meshes=meshes, timings=timings, progress=progress)
        from pipelines.lift.loop import reprojection_error

        # the lifting loop's consistency: the splats fused from the views (not the ground filled under the camera)
        solid = [g for g in fused.values() if g is not None and g.num_splats]
        if solid:
            g = type(solid[0]).concat(solid)
            loop.reprojection = reprojection_error(g.means.numpy(), g.colors.clamp(0, 1).numpy(), loop.views)
        refined = self._refine(world, loop.views, steps=resolve_refine_steps(refine_steps, preset), seed=seed,
                               timings=timings, progress=progress)
        metrics = {**loop.summary(), "align": align_info, "reprojection": loop.reprojection,
                   "coverage": loop.coverage, "horizon_row": geo.horizon_row}
        if measure_fidelity:
            from pipelines.fusion import fusion_psnr

            metrics["fusion_psnr_db"] = fusion_psnr(world, loop.views)["mean"]
        world.provenance = Provenance(
            prompt=prompt, seed=seed, preset=preset.name,
            inputs={"image": _image_label(image), "trajectory": trajectory, "views": len(loop.views),
                    "fov_y_deg": fov_y_deg, "camera_height": camera_height, "warnings": warnings},
            stages={"depth": self.depth_estimator.name, "inpaint": self.inpainter.name, "fusion": "voxel-merge",
                    "meshes": "tsdf" if meshes else "none", "refine": refined},
            versions=Provenance.collect_versions(), timings=timings,
            metrics={k: v for k, v in metrics.items() if isinstance(v, (int, float))} | {"fusion": fusion_stats},
        )
        return ImageToWorldOutput(world=world, views=loop.views, metrics=metrics, timings=timings)

    def _refine(self, world, views, *, steps: int, seed, timings, progress) -> str:
        """Run ``pipelines.refine.refine_world`` for ``steps`` steps (none: 0); returns the provenance label."""
        if not steps:
            return "none"
        from pipelines.refine import refine_world

        t0 = time.perf_counter()
        out = refine_world(world, views, steps=steps, seed=seed, progress=progress)
        timings["refine"] = time.perf_counter() - t0
        return f"photometric:{steps} steps ({out.psnr_before:.1f} -> {out.psnr_after:.1f} dB)"

    def _fuse(self, views, *, preset, seed, environment, meshes, timings, progress) -> tuple[World, dict, dict]:
        """``(world, fusion stats, {layer: Gaussians} fused from the views alone)``."""
        from pipelines.assemble import AssemblyInputs, assemble_world
        from pipelines.fusion import fuse_views, tsdf_meshes
        from pipelines.lift.ground_fill import with_ground_below

        t0 = time.perf_counter()
        fused = fuse_views(views, preset=preset, seed=seed, environment=environment, progress=progress)
        # the ground at the photo's feet, which no view turned from the same spot sees
        gaussians, below = with_ground_below(fused.gaussians, views[0].camera.position.numpy()[[0, 2]],
                                             max_total=preset.max_splats)
        timings["fusion"] = time.perf_counter() - t0
        mesh_dict = {}
        skipped: list[str] = []
        if meshes:
            t0 = time.perf_counter()
            for name in views[0].layer_names:
                try:  # per layer: a layer open3d cannot integrate (too few pixels) must not cost the others
                    mesh_dict.update((k, _canonical_mesh(m)) for k, m in tsdf_meshes(views, voxel_size=max(2 * preset.voxel_size, 0.05), max_depth=60.0,
                                                 layers=[name]).items())
                except RuntimeError:
                    skipped.append(name)
            timings["meshes"] = time.perf_counter() - t0
        labels = {name: ("ground" if name == "ground" else "segment") for name in views[0].layer_names}
        world = assemble_world(gaussians, sky=fused.sky, inputs=AssemblyInputs(meshes=mesh_dict, labels=labels),
                               environment=environment, cameras=[v.camera for v in views], seed=seed)
        stats = {k: v for k, v in fused.stats.items() if isinstance(v, (int, float, str))}
        stats["ground_below_splats"] = int(below.get("added", 0))
        if skipped:
            stats["meshes_skipped"] = ",".join(skipped)
        return world, stats, fused.gaussians


CLOSEUP_DISTANCE = 1.0
"""Median distance, metres, a photo with no sky and hardly any ground is lifted at (a close-up of
things on a table, not a landscape: the ground-plane geometry would make it hundreds of metres wide)."""

SCENE_MIN_GROUND = 0.08
"""Share of ground pixels below which a photo without sky does not look like a place."""


def photo_warnings(geo, *, estimator: str) -> tuple[list[str], bool]:
    """What the user should know about how a photo was lifted, and whether it reads as a close-up.

    Args:
        geo: the :class:`pipelines.lift.geometric_depth.GeometricDepthResult` of the photo.
        estimator: name of the depth estimator that ran.
    Returns:
        ``(warnings, closeup)``: one-line messages (the geometric estimator guesses depth from where
        things meet the ground; a photo with no sky and little ground is not a scene, or all sky and
        no ground: nothing to stand on), and ``True`` when the photo is lifted as a close-up
        (:data:`CLOSEUP_DISTANCE`).
    """
    from pipelines.lift.geometric_depth import GROUND, SKY

    out: list[str] = []
    sky = float(np.mean(geo.region == SKY))
    ground = float(np.mean(geo.region == GROUND))
    if estimator == "geometric":
        out.append("depth was guessed by the geometric estimator (no depth model): shapes are flat cards standing "
                   "on the ground; pass --depth-model for real depth")
    closeup = sky < 0.01 and ground < SCENE_MIN_GROUND
    if closeup:
        out.append(f"the photo does not look like a scene (no sky, {100 * ground:.0f}% ground): lifted as a close-up "
                   f"about {CLOSEUP_DISTANCE:g} m away; pass a depth hint if it is a place")
    elif ground < 0.02 and sky > 0.6:
        out.append("the photo is mostly sky with no ground to stand on (a sky or space photo?): the world is a backdrop")
    return out, closeup


def _image_label(image) -> str:
    import os

    if isinstance(image, (str, os.PathLike)):
        return os.path.basename(str(image))
    return type(image).__name__


def _canonical_mesh(mesh):
    """The same mesh with vertices in lexicographic order and faces sorted (winding kept).

    open3d's voxel hash map returns vertices in a thread-dependent order; sorting makes the
    world bit-identical from run to run.
    """
    import trimesh

    v = np.asarray(mesh.vertices)
    order = np.lexsort(v.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    f = rank[np.asarray(mesh.faces)]
    roll = np.argmin(f, axis=1)  # rotate each face so its smallest index comes first
    idx = (np.arange(3)[None, :] + roll[:, None]) % 3
    f = np.take_along_axis(f, idx, axis=1)
    f = f[np.lexsort(f.T[::-1])]
    colors = mesh.visual.vertex_colors[order] if mesh.visual.kind == "vertex" else None
    return trimesh.Trimesh(vertices=v[order], faces=f, vertex_colors=colors, process=False)
